"""memory-limit-too-high: a memory limit above what any node of the cluster offers limits
nothing, so the policy sets a ceiling (off by default: only the cluster knows its nodes)."""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.memory import all_memory
from ..k8s.quantity import parse_manifest_quantity
from ..model import Mode, Violation
from .base import Context, Param, ParamType, Rule


def check(ctx: Context) -> Iterator[Violation]:
    maximum = parse_manifest_quantity(ctx.params["max"])
    for memory in all_memory(ctx.pod):
        limit = memory.limit
        # Invalid and overflowing values are memory-quantity-invalid's.
        if limit is None or not limit.readable or limit.stored is None:
            continue
        if limit.stored > maximum:
            yield Violation(
                pointer=limit.pointer,
                message=f"{ctx.ref.describe()}: {memory.what}: memory limit {limit.shown} is "
                f"above the policy maximum {ctx.params['max']}",
                container=memory.container,
            )


RULE = Rule(
    id="memory-limit-too-high",
    summary="A memory limit (container or pod-level) is at most the policy's `max` (default "
    "64Gi; off by default).",
    why="A limit no node can give is no limit: the container may grow until the node runs "
    "out of memory and the kubelet evicts its neighbours, or the kernel OOM-kills whatever "
    "it picks. A ceiling at the size of the cluster's largest node catches limits that were "
    "never sized (copied from a bigger cluster, or a placeholder).",
    remediation="Lower the limit to what the container needs (and the nodes have), or raise "
    "the policy's max for this cluster.",
    example="""\
apiVersion: v1
kind: Pod
metadata:
  name: cache
spec:
  containers:
    - name: cache
      image: example/cache:1.0
      resources:
        requests: {memory: 8Gi}
        limits: {memory: 128Gi}   # above the 64Gi maximum
""",
    check=check,
    params=(
        Param(
            "max",
            ParamType.QUANTITY,
            "64Gi",
            "the highest memory limit allowed (the cluster's largest node, say)",
        ),
    ),
    default_mode=Mode.OFF,
)
