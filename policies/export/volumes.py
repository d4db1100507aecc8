"""Pod storage and limits in CEL, shared by the disk rules: emptyDir volumes, the
ephemeral-storage key, positive quantities and the order of sidecars (`k8s.local_storage`,
`k8s.memory.pod_cgroup_memory_limit`).

The API server decodes a null quantity as 0 and drops a null `sizeLimit`; objects read
elsewhere may still carry the null, so `value` reads null as unset and `positive` as 0,
as the engine does.
"""

from __future__ import annotations

from ..k8s.local_storage import EPHEMERAL_STORAGE
from .cel import literal
from .subject import Subject

EPHEMERAL = literal(EPHEMERAL_STORAGE)


def value(optional: str) -> str:
    """An optional's value where it is set and not null, else null."""
    return f"{optional}.orValue(null)"


def is_set(optional: str) -> str:
    return f"({value(optional)} != null)"


def positive(optional: str) -> str:
    """An optional quantity that is set and above 0 (`Sign() == 1`: 0 limits nothing).
    Kubernetes declares `sign` as a global function (library/quantity.go `cel.Overload`),
    so `q.sign()` does not compile there: compared with 0 instead."""
    return (
        f"({is_set(optional)} && quantity(string({optional}.value())).isGreaterThan(quantity('0')))"
    )


def limit(container: str, resource: str) -> str:
    """`container`'s limit of `resource` (a CEL string literal), an optional."""
    return f"{container}.?resources.?limits[?{resource}]"


def has_ephemeral_limit(subject: Subject) -> str:
    """`pod_has_ephemeral_limit`: some container (regular, init or sidecar) has the
    ephemeral-storage key in its limits, whatever its value."""
    return f"{subject.containers}.exists(c, {limit('c', EPHEMERAL)}.hasValue())"


def empty_dirs(subject: Subject, medium: str) -> str:
    """The emptyDir volumes of `medium` ('' the node's disk, 'Memory' a tmpfs; a null or
    other medium is neither: `k8s.local_storage.MEDIA`) whose sizeLimit is not above 0."""
    return (
        f"{subject.volumes}.filter(v, v.?emptyDir.hasValue()"
        f" && v.emptyDir.?medium.orValue('') == {literal(medium)}"
        f" && !{positive('v.emptyDir.?sizeLimit')})"
    )


def size_state(volume: str) -> str:
    """`no sizeLimit` or `a sizeLimit of 0 (no limit)`, with the value written."""
    size = f"{volume}.emptyDir.?sizeLimit"
    return (
        f"({is_set(size)} ? 'a sizeLimit of ' + string({size}.value()) + ' (no limit)'"
        " : 'no sizeLimit')"
    )


def regular(subject: Subject) -> str:
    """The regular containers; none where a template has no pod spec (the API server
    refuses that object, the engine finds no pod in it: nothing to report either way)."""
    return f"{subject.spec}.?containers.orValue([])"


def is_sidecar(container: str) -> str:
    """An init container that runs for the pod's life (`ContainerView.is_sidecar`); only
    init containers may set restartPolicy."""
    return f"({container}.?restartPolicy.orValue('') == 'Always')"


def sidecars_up_to(subject: Subject, container: str) -> str:
    """The sidecars declared no later than `container` (an init container): those before
    it, and itself if it is one. Names are unique in a pod (validation), so a name's index
    in initContainers is its place."""
    names = f"{subject.init}.map(x, x.name)"
    return (
        f"{subject.init}.filter(s, {is_sidecar('s')}"
        f" && {names}.indexOf(s.name) <= {names}.indexOf({container}.name))"
    )
