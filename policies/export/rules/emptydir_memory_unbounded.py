"""emptydir-memory-unbounded in CEL: each `medium: Memory` emptyDir has a sizeLimit above 0,
or the pod's cgroup has a memory limit (`k8s.memory.pod_cgroup_memory_limit`): a pod-level
one above 0 (PodLevelResources on; it replaces the containers' aggregate, so a pod-level 0
leaves the pod unlimited), else every value `PodLimits` hands its ContainerFn is above 0:
each regular container's limit, each sidecar's running sum of sidecar limits, each other
init container's limit plus the sidecars' declared before it. Limits are at least 0, so a
sum is above 0 when one of its terms is."""

from __future__ import annotations

from ...k8s.features import POD_LEVEL_GATE
from ..cel import literal
from ..subject import Subject
from ..volumes import empty_dirs, is_sidecar, positive, regular, size_state
from .base import CelRule, ExportContext

MEMORY = literal("memory")


def _limited(container: str) -> str:
    return positive(f"{container}.?resources.?limits[?{MEMORY}]")


def containers_limit_pod(subject: Subject) -> str:
    """Every ContainerFn value is above 0 (`declared`; a regular container always exists,
    so the aggregate is then above 0 too). An init container's value (its own limit plus
    the sidecars' before it) and a sidecar's (the running sum, itself included) are 0 only
    when it has no limit and no sidecar before it has one: so the first init container
    that has no limit or is a sidecar must be a sidecar with a limit (one pass, no index)."""
    first = f"{subject.init}.filter(c, !{_limited('c')} || {is_sidecar('c')})"
    return (
        f"{regular(subject)}.all(c, {_limited('c')})"
        f" && ({first}.size() == 0 || {is_sidecar(first + '[0]')}"
        f" && {_limited(first + '[0]')})"
    )


def pod_limited(subject: Subject, ctx: ExportContext) -> str:
    containers = containers_limit_pod(subject)
    if not ctx.policy.feature(POD_LEVEL_GATE):
        return containers
    pod_level = f"{subject.spec}.?resources.?limits[?{MEMORY}]"
    # a pod-level key, null (read as 0) included, replaces the containers' aggregate
    return f"({pod_level}.hasValue() ? {positive(pod_level)} : {containers})"


def findings(subject: Subject, ctx: ExportContext) -> str:
    return (
        f"{pod_limited(subject, ctx)} ? [] : {empty_dirs(subject, 'Memory')}"
        ".map(v, 'memory-backed emptyDir volume \"' + v.name + '\" has '"
        f" + {size_state('v')} + ' and the pod no memory limit')"
    )


RULE = CelRule("emptydir-memory-unbounded", findings)
