"""memory-limit-missing: a container that can grow until the node runs out of memory."""

from __future__ import annotations

from collections.abc import Iterator

from ..fixes import merge_ops, set_value_ops
from ..model import Violation
from ..resources import MemorySettings, container_memory, pod_memory
from .base import Context, Rule


def _fix(ctx: Context, memory: MemorySettings) -> list[dict] | None:
    request = memory.request
    if request is not None and not request.valid:
        return None  # memory-quantity-invalid asks for a human first
    if request is not None:
        limit = request.raw  # the request as written: the container keeps what it asked for
        return set_value_ops(ctx.obj, memory.value_pointer("limits"), limit)
    limit_ops = set_value_ops(ctx.obj, memory.value_pointer("limits"), ctx.params["defaultLimit"])
    request_ops = set_value_ops(
        ctx.obj, memory.value_pointer("requests"), ctx.params["defaultRequest"]
    )
    if limit_ops is None or request_ops is None:
        return None
    return merge_ops(limit_ops, request_ops)


def check(ctx: Context) -> Iterator[Violation]:
    pod_limit = pod_memory(ctx.pod).limit
    if pod_limit is not None:
        return  # a pod-level memory limit caps every container together
    for container in ctx.pod.containers:
        memory = container_memory(container)
        if memory.limit is not None or memory.shape_problems:
            continue
        if memory.request is not None and memory.request.valid:
            remedy = f"set resources.limits.memory (at least the request, {memory.request.shown})"
        else:
            remedy = f"set resources.limits.memory (policy default {ctx.params['defaultLimit']})"
        yield Violation(
            pointer=memory.value_pointer("limits"),
            message=f"{ctx.ref.describe()}: {memory.what} has no memory limit; {remedy}",
            container=container.name,
            fix=_fix(ctx, memory),
        )


RULE = Rule(
    id="memory-limit-missing",
    summary="Every container (regular, init, sidecar) has a memory limit, or the pod has a "
    "pod-level memory limit.",
    why="Without a limit a container may use all of the node's memory. The kubelet then "
    "evicts pods under memory pressure (starting with those using most above their request) "
    "and the kernel OOM-kills processes in other pods on the same node: one leaky container "
    "takes its neighbours down with it. A limit confines the damage to the container that "
    "leaks.",
    remediation="Set resources.limits.memory on the container (or spec.resources.limits.memory "
    "for the whole pod).",
    example="""\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx
      resources:
        requests:
          memory: 256Mi   # no limit: may grow until the node is out of memory
""",
    check=check,
    fixable=True,
)
