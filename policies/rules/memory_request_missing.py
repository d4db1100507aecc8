"""memory-request-missing: a container the scheduler places as if it needed no memory."""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.features import POD_LEVEL_GATE
from ..k8s.memory import (
    MemorySettings,
    MemoryValue,
    UnreadableResources,
    aggregate_memory,
    container_memory,
)
from ..k8s.podspec import ContainerView
from ..model import Applicability, Mode, Violation
from ..patch import set_value_ops
from .base import Context, Param, ParamType, Rule


def _unreadable(*values: MemoryValue | None) -> bool:
    """A value that is there but not a usable quantity (misspelt, negative, or above 2^63-1
    bytes, which the scheduler misreads): memory-quantity-invalid's business."""
    return any(value is not None and not value.readable for value in values)


def _phrase(request: MemoryValue | None, limit: MemoryValue | None) -> str:
    """What the container sets: absent values, or zeros (0, null) as written."""
    has = "no memory request" if request is None else f"a memory request of {request.described}"
    if limit is None:
        return f"{has} and no limit"
    return f"{has} and a memory limit of {limit.described} (no limit)"


def pod_reserves(pod: MemorySettings) -> bool:
    """A pod-level request or limit gives the scheduler the pod's memory (the request is
    defaulted from the limit); one that is there but misspelt is another rule's business."""
    if pod.request is not None and pod.request.positive:
        return True
    if pod.limit is not None and pod.limit.positive:
        return True
    return _unreadable(pod.request, pod.limit)


def container_reserves(memory: MemorySettings) -> bool:
    """Whether the container reserves memory, or is another rule's business (a misshapen or
    misspelt value). A non-zero limit alone is enough: the API server copies it into the
    missing request when the Pod is created (SetDefaults_Pod), and Pods made from a template
    are created the same way. A request of 0 or null is kept as is (the key is there), and
    reserves nothing."""
    request, limit = memory.request, memory.limit
    if memory.shape_problems or _unreadable(request, limit):
        return True
    return (request is not None and request.positive) or (limit is not None and limit.positive)


def _covered_init_containers(ctx: Context) -> frozenset[str]:
    """The run-to-completion init containers (by pointer) that run inside the pod's memory
    request. component-helpers resource/helpers.go `PodRequests`: the pod-level request
    when one is set (`applyPodLevelResources`), else `AggregateContainerRequests`, the
    larger of regular plus sidecar requests and of each init container's plus the sidecars
    declared before it. While init container i runs, only those sidecars run beside it, so
    the request leaves it room when it is above their sum. Sidecars and regular containers
    run together: one without a request has none of its own. Where a value is unreadable
    the sum is unknown, and every container is judged on its own."""
    pod = ctx.pod_memory
    if pod.request is not None:
        return frozenset()  # set, yet not pod_reserves: 0 or null, which replaces the sum
    memories = [container_memory(container) for container in ctx.pod.containers]
    if any(_unreadable(memory.request, memory.limit) for memory in memories):
        return frozenset()
    try:
        aggregate = aggregate_memory(ctx.pod)
    except UnreadableResources:
        return frozenset()
    if aggregate.request is None:
        return frozenset()
    return frozenset(
        pointer
        for pointer, beside in aggregate.sidecars_before.items()
        if aggregate.request.value > (0 if beside is None else beside.value)
    )


def unreserved(ctx: Context) -> tuple[ContainerView, ...]:
    """The containers this rule reports: none reserves memory for them. memory-limit-missing
    asks too (its one finding covers the request for these): computed once per pod, in the
    pod view's memo, as eviction's derived tolerations are."""
    key = ("memory-unreserved", ctx.cluster.feature(POD_LEVEL_GATE))
    if key not in ctx.pod.memo:
        ctx.pod.memo[key] = tuple(_unreserved(ctx))
    return ctx.pod.memo[key]


def _unreserved(ctx: Context) -> Iterator[ContainerView]:
    if pod_reserves(ctx.pod_memory):
        return
    covered: frozenset[str] | None = None
    for container in ctx.pod.containers:
        if container_reserves(container_memory(container)):
            continue
        if covered is None:
            covered = _covered_init_containers(ctx)  # only for a pod with such a container
        if container.pointer not in covered:
            yield container


def check(ctx: Context) -> Iterator[Violation]:
    pod = ctx.pod_memory
    for container in unreserved(ctx):
        memory = container_memory(container)
        request, limit = memory.request, memory.limit
        default = ctx.params["defaultRequest"]
        # With a zero or null limit present, a default request would exceed it, and with a
        # pod-level value of 0 or null the pod-level checks would fail
        # (memory-pod-level-conflict): the API server would reject the Pod either way.
        fix = None
        if limit is None and pod.request is None and pod.limit is None:
            fix = set_value_ops(ctx.obj, memory.value_pointer("requests"), default)
        yield Violation(
            pointer=memory.value_pointer("requests"),
            message=f"{ctx.ref.describe()}: {memory.what} has {_phrase(request, limit)}; "
            f"set resources.requests.memory (policy default {default})",
            container=container.name,
            fix=fix,
            container_at=container.pointer,
            applicability=Applicability.UNSAFE,  # the policy's default size: a guess
        )


RULE = Rule(
    id="memory-request-missing",
    summary="Every container has a non-zero memory request or a non-zero memory limit (from "
    "which the API server defaults the request), or the pod a non-zero pod-level one; an "
    "init container may run inside the pod's aggregate request instead.",
    why="The scheduler places pods by their requests. A container that requests no memory "
    "is placed on nodes that cannot hold it, and it is the first to be evicted when the "
    "node runs short (BestEffort pods go first). A request of 0 (or `memory: null`, which "
    "the API server reads as 0) reserves nothing either. For Pods and pod templates alike, a "
    "limit alone is enough: the API server copies the limit into the missing request when "
    "each Pod is created. An init container that runs to completion needs no request of its "
    "own where the pod's request leaves it room: the pod reserves the larger of its regular "
    "and sidecar containers' requests together and of each init container's plus the "
    "sidecars started before it (component-helpers `PodRequests`), and only those sidecars "
    "run beside an init container, so it is reported only when the pod's request is no "
    "more than theirs (or 0, or a pod-level 0). A regular or sidecar container runs beside "
    "all the others, so one without a request reserves nothing for itself, whatever the "
    "rest reserve. A container with neither value gets one finding, memory-limit-"
    "missing's, which covers the request wherever that rule judges it at least as severely: "
    "this rule reports the containers the policy lets go without a limit.",
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
    compares_siblings=True,
    fixable=True,
    fix_applicability=(Applicability.UNSAFE,),
    fix_safety="The request written is the policy's default size, a guess "
    "at what the container needs: too high keeps pods Pending, too low still reserves too "
    "little. The mutating webhook sets it by policy where `mutate: true` lets it, unchanged.",
    params=(Param("defaultRequest", ParamType.MEMORY_SIZE, "256Mi", "the request its fix sets"),),
    # A request only reserves memory; it never kills anything.
    default_mode=Mode.WARN,
    mutate=True,
)
