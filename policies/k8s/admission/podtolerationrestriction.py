"""The PodTolerationRestriction admission plugin on a Pod's CREATE
(`plugin/pkg/admission/podtolerationrestriction/admission.go`, off by default): the
namespace annotation `scheduler.alpha.kubernetes.io/defaultTolerations` (`extractNSTolerations`)
merged after the pod's tolerations by `pkg/util/tolerations/tolerations.go
MergeTolerations`, and `{key: node.kubernetes.io/memory-pressure, operator: Exists,
effect: NoSchedule}` for every Pod that is not BestEffort. Not ported: the plugin's
cluster-wide `Default`/`Whitelist` configuration and the whitelist check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ... import pointer as jp
from ...yaml.values import type_name
from ..taints import EXISTS, MEMORY_PRESSURE, NO_SCHEDULE
from ..toleration_annotation import V1_TOLERATION, decode
from ..tolerations import Toleration, is_superset
from .errors import InvalidObject, Problem
from .meta import name_of

NS_DEFAULT_TOLERATIONS = "scheduler.alpha.kubernetes.io/defaultTolerations"
MEMORY_PRESSURE_SOURCE = "PodTolerationRestriction (every Pod that is not BestEffort)"
MEMORY_PRESSURE_TOLERATION = {"key": MEMORY_PRESSURE, "operator": EXISTS, "effect": NO_SCHEDULE}


@dataclass(frozen=True)
class NamespaceDefaults:
    name: str
    # The decoded `defaultTolerations` annotation (v1 field names, empty fields left out);
    # None when the Namespace has no such annotation.
    tolerations: tuple[Mapping[str, Any], ...] | None


def decode_tolerations_annotation(text: str) -> tuple[Mapping[str, Any], ...]:
    """`extractNSTolerations`: `json.Unmarshal` into `[]v1.Toleration`, as the pods'
    deprecated annotation is decoded (`toleration_annotation.decode`); empty text is an
    empty list. Raises ValueError with Go's words."""
    if text == "":
        return ()
    return tuple(toleration.as_dict() for _, toleration in decode(text, V1_TOLERATION))


def read_namespace(obj: Mapping[str, Any]) -> NamespaceDefaults:
    """The Namespace's default tolerations; raises InvalidObject when the plugin cannot
    decode the annotation (it then refuses every Pod created in the namespace)."""
    _, name = name_of(obj)
    metadata = obj.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    if not isinstance(annotations, Mapping) or NS_DEFAULT_TOLERATIONS not in annotations:
        return NamespaceDefaults(name, None)
    pointer = jp.join("metadata", "annotations", NS_DEFAULT_TOLERATIONS)
    text = annotations[NS_DEFAULT_TOLERATIONS]
    prefix = f"Namespace {name}: {jp.to_dotted(pointer)}"
    if text is None:
        text = ""  # JSON null in a map[string]string: the empty string
    if not isinstance(text, str):
        raise InvalidObject([Problem(pointer, f"{prefix}: is {type_name(text)}, not a string")])
    try:
        return NamespaceDefaults(name, decode_tolerations_annotation(text))
    except ValueError as exc:
        message = (
            f"{prefix}: PodTolerationRestriction cannot decode it ({exc}): it refuses every "
            "Pod created in the namespace"
        )
        raise InvalidObject([Problem(pointer, message)]) from None


def added_tolerations(
    namespace: str, defaults: NamespaceDefaults | None, memory_pressure: bool
) -> list[tuple[dict[str, Any], Toleration, str]]:
    """What the plugin merges after the pod's own tolerations, (data, toleration, source)
    each: the namespace's defaultTolerations, then memory-pressure when `memory_pressure`
    (the plugin runs and the Pod is not BestEffort)."""
    added: list[tuple[dict[str, Any], Toleration, str]] = []
    if defaults is not None and defaults.tolerations is not None:
        source = f"namespace {namespace} defaultTolerations"
        for data in defaults.tolerations:
            added.append((dict(data), Toleration.of(data), source))
    if memory_pressure:
        extra = Toleration.of(MEMORY_PRESSURE_TOLERATION)
        added.append((extra.as_dict(), extra, MEMORY_PRESSURE_SOURCE))
    return added


def merge_kept(items: Sequence[Toleration]) -> list[int]:
    """`MergeTolerations(first, second)` over `all = first + second` (pkg/util/tolerations):
    the indexes kept, in order. An entry is dropped when one already kept is a superset of
    it, or when a later one that is not equal to it is (equal entries keep the first)."""
    kept: list[int] = []
    for i, t in enumerate(items):
        if any(is_superset(items[k], t) for k in kept):
            continue
        if any(t != later and is_superset(later, t) for later in items[i + 1 :]):
            continue
        kept.append(i)
    return kept


def merge_tolerations(
    first: Sequence[Toleration], second: Sequence[Toleration]
) -> list[Toleration]:
    both = [*first, *second]
    return [both[i] for i in merge_kept(both)]
