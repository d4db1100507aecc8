"""memory-request-missing: a container the scheduler places as if it needed no memory."""

from __future__ import annotations

from collections.abc import Iterator

from ..fixes import set_value_ops
from ..model import Violation
from ..resources import container_memory, pod_memory
from .base import Context, Rule


def check(ctx: Context) -> Iterator[Violation]:
    pod = pod_memory(ctx.pod)
    if pod.request is not None or pod.limit is not None:
        return  # pod-level resources give the scheduler the pod's memory
    for container in ctx.pod.containers:
        memory = container_memory(container)
        # A limit alone is enough: the API server copies it into the missing request when
        # the Pod is created, and Pods made from a template are created the same way.
        if memory.request is not None or memory.limit is not None or memory.shape_problems:
            continue
        default = ctx.params["defaultRequest"]
        yield Violation(
            pointer=memory.value_pointer("requests"),
            message=f"{ctx.ref.describe()}: {memory.what} has no memory request and no limit; "
            f"set resources.requests.memory (policy default {default})",
            container=container.name,
            fix=set_value_ops(ctx.obj, memory.value_pointer("requests"), default),
        )


RULE = Rule(
    id="memory-request-missing",
    summary="Every container has a memory request or a memory limit (from which the API "
    "server defaults the request).",
    why="The scheduler places pods by their requests. A container that requests no memory "
    "is placed on nodes that cannot hold it, and it is the first to be evicted when the "
    "node runs short (BestEffort pods go first). For Pods and pod templates alike, a limit "
    "alone is enough: the API server copies the limit into the missing request when each "
    "Pod is created.",
    remediation="Set resources.requests.memory to what the container needs in steady state.",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: example/api:1.0   # no resources at all: BestEffort
""",
    check=check,
    fixable=True,
)
