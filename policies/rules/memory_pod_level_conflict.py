"""memory-pod-level-conflict: pod-level memory that the API server rejects with the containers.

The checks restate k8s.io/kubernetes pkg/apis/core/validation/validation.go
`validatePodResourceConsistency` (run by `validatePodResources` when the PodLevelResources
gate is on, beta and on by default since 1.34) after the defaulting of
pkg/apis/core/v1/defaults.go `SetDefaults_Pod` (container limits copied into missing
requests, then `defaultPodRequests`). Every value compared is the stored one, rounded up to
1m by `SetDefaults_ResourceList`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.memory import (
    MemoryValue,
    UnreadableResources,
    aggregate_memory_requests,
    container_memory,
)
from ..k8s.quantity import Quantity, format_bytes, round_up_to_milli
from ..model import Mode, Violation
from .base import Context, Rule


def _aggregate(ctx: Context, *, stored: bool) -> Quantity | None:
    """The aggregate container request (None: no container sets one, or one is unreadable
    and memory-quantity-invalid speaks first)."""
    try:
        return aggregate_memory_requests(ctx.pod, stored=stored)
    except UnreadableResources:
        return None


def _bytes(quantity: Quantity) -> str:
    return format_bytes(quantity.value)


def _container_limits_above(ctx: Context, pod_limit: MemoryValue) -> Iterator[Violation]:
    """(a) validatePodResourceConsistency: "Individual Container limits must be <= Pod-level
    limits", `ctrLimit.Cmp(podSpecLimits) > 0`. Its loop is over `spec.Containers` only:
    init and sidecar containers are not compared with the pod-level limit."""
    limit = pod_limit.stored
    if limit is None:
        return
    for container in ctx.pod.containers:
        if container.field != "containers":
            continue
        value = container_memory(container).limit
        stored = value.stored if value is not None and value.valid else None
        if value is None or stored is None or stored <= limit:
            continue
        api_error = f"must be less than or equal to pod limits of {limit.canonical()}"
        yield Violation(
            pointer=value.pointer,
            message=f"{ctx.ref.describe()}: {container.describe()} has a memory limit of "
            f"{value.described}, above the pod-level memory limit {pod_limit.described}; "
            f'the API server rejects it ("{api_error}")',
            container=container.name,
            evidence=(pod_limit.raw,),
        )


def _request_below_aggregate(ctx: Context, pod_request: MemoryValue) -> Iterator[Violation]:
    """(b) validatePodResourceConsistency: "Pod-level requests must be >= aggregate requests
    of all containers", with `resourcehelper.AggregateContainerRequests(pod,
    PodResourcesOptions{})` over the (defaulted, stored) container requests."""
    request = pod_request.stored
    aggregate = _aggregate(ctx, stored=True)
    if request is None or aggregate is None or aggregate <= request:
        return
    api_error = "must be greater than or equal to aggregate container requests of "
    api_error += aggregate.canonical()
    yield Violation(
        pointer=pod_request.pointer,
        message=f"{ctx.ref.describe()}: pod-level resources request {pod_request.described} "
        f"of memory, less than the containers' aggregate request ({_bytes(aggregate)}; "
        "regular and sidecar containers together, or an init container plus the sidecars "
        f'before it, whichever is more); the API server rejects it ("{api_error}")',
        evidence=(aggregate.canonical(),),
    )


def _defaulted_request_above_limit(ctx: Context, pod_limit: MemoryValue) -> Iterator[Violation]:
    """(c) A pod-level limit without a pod-level request: defaults.go `defaultPodRequests`
    sets the request to the aggregate container request (overcommittable resources; from
    the pod limit only when no container has a request), then validation compares it with
    the limit (validateResourceRequirements) and with the aggregate again.

    SetDefaults_Pod runs before the resource lists are rounded, so for a Pod the default is
    the aggregate of the values as decoded, rounded once; a Pod made from a template starts
    from the template's stored (already rounded) values."""
    limit = pod_limit.stored
    aggregate = _aggregate(ctx, stored=True)
    if limit is None or aggregate is None:
        return  # with no container request, the request defaults to the pod limit itself
    decoded = _aggregate(ctx, stored=False) if ctx.pod.is_pod else aggregate
    if decoded is None:
        return
    default = round_up_to_milli(decoded)
    problems, api_errors = [], []
    if default > limit:
        problems.append("above that limit")
        api_errors.append(f"must be less than or equal to memory limit of {limit.canonical()}")
    if aggregate > default:  # only when sub-milli values round up differently one by one
        problems.append(
            f"below the sum of those requests once each is rounded up to 1m ({_bytes(aggregate)})"
        )
        api_errors.append(
            "must be greater than or equal to aggregate container requests of "
            f"{aggregate.canonical()}"
        )
    if not api_errors:
        return
    quoted = "; ".join(f'"{error}"' for error in api_errors)
    yield Violation(
        pointer=pod_limit.pointer,
        message=f"{ctx.ref.describe()}: pod-level resources set a memory limit of "
        f"{pod_limit.described} and no request, so the API server defaults the pod-level "
        f"request to the containers' aggregate request ({_bytes(default)}), "
        f"{' and '.join(problems)}; it rejects the Pod ({quoted})",
        evidence=(default.canonical(), aggregate.canonical()),
    )


def check(ctx: Context) -> Iterator[Violation]:
    pod = ctx.pod_memory  # none with the gate off: no pod-level values, no check
    if pod.shape_problems:
        return  # memory-quantity-invalid reports the shape
    request, limit = pod.request, pod.limit
    if limit is not None and limit.valid:
        yield from _container_limits_above(ctx, limit)
    if request is not None and request.valid:
        yield from _request_below_aggregate(ctx, request)
    elif request is None and limit is not None and limit.valid:
        yield from _defaulted_request_above_limit(ctx, limit)


RULE = Rule(
    id="memory-pod-level-conflict",
    summary="Pod-level memory (spec.resources) agrees with the containers: no regular "
    "container limit above the pod limit, a pod request (given or defaulted) at least the "
    "containers' aggregate request.",
    why="With pod-level resources (beta, on by default since Kubernetes 1.34) the API server "
    "checks the pod-level memory against the containers: no regular container may have a "
    "limit above the pod-level limit, and the pod-level request may not be below the "
    "containers' aggregate request (regular and sidecar containers together, or an init "
    "container with the sidecars started before it, whichever is more; a container limit "
    "stands in for a missing request). A pod-level limit without a request gets that "
    "aggregate as its request, so it fails the same way when the aggregate is above the "
    "limit. A Pod that breaks these is refused; a Deployment may be accepted while every "
    "Pod its ReplicaSet tries to create is refused, so the rollout stalls with no Pod.",
    remediation="Raise the pod-level memory (limit and request) to cover the containers, or "
    "lower the container requests and limits.",
    example="""\
apiVersion: v1
kind: Pod
metadata:
  name: api
spec:
  resources:
    requests: {memory: 1Gi}   # the containers request 1.5Gi together
    limits: {memory: 2Gi}
  containers:
    - name: api
      image: example/api:1.0
      resources:
        requests: {memory: 1Gi}
        limits: {memory: 3Gi}   # above the pod-level limit
    - name: proxy
      image: envoyproxy/envoy:v1.31
      resources:
        requests: {memory: 512Mi}
""",
    check=check,
    compares_siblings=True,
    compares_containers=True,
    default_mode=Mode.ENFORCE,
)
