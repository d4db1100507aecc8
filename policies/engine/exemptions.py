"""Suppression in three layers: policy exemptions, the `evictguard.io/exempt` annotation
(both honoured at admission and in lint), and inline `# evictguard:` comments (lint only).
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from .. import pointer as jp
from ..model import ObjectRef
from ..policy.model import Exemption, Policy

EXEMPT_ANNOTATION = "evictguard.io/exempt"
ALL = "*"
# In the annotation, `all` means every rule as `*` does: it always has, and annotations
# written with it are in use (README: Suppressing findings). Policy files take `*` only.
ANNOTATION_ALL = (ALL, "all")
# The spaces trimmed around each listed rule: Go's `unicode.IsSpace`, which the exported
# admission policies' CEL `trim()` uses too (Python's `str.strip()` also trims \x1c-\x1f,
# which would make the two doors read `\x1fall` differently).
SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)


def _matches(value: str | None, patterns: tuple[str, ...] | None) -> bool:
    if patterns is None:
        return True
    return value is not None and any(fnmatchcase(value, p) for p in patterns)


def _exemption_applies(exemption: Exemption, ref: ObjectRef, obj: Mapping[str, Any]) -> bool:
    return (
        _matches(ref.namespace, exemption.namespaces)
        and _matches(ref.name, exemption.names)
        and _matches(ref.kind, exemption.kinds)
        and _annotated(obj, exemption.annotations)
    )


def _annotated(obj: Mapping[str, Any], wanted: tuple[tuple[str, str], ...] | None) -> bool:
    """The object's own annotations (not its pod template's: a Helm hook is annotated on
    the Job) carry every wanted key with a value matching its glob."""
    if wanted is None:
        return True
    metadata = obj.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    if not isinstance(annotations, Mapping):
        return False
    return all(
        isinstance(annotations.get(key), str) and fnmatchcase(annotations[key], glob)
        for key, glob in wanted
    )


def _annotation_rules(obj: Mapping[str, Any], metadata_pointer: str) -> set[str]:
    node: Any = obj
    for token in jp.split(metadata_pointer):
        node = node.get(token) if isinstance(node, Mapping) else None
    annotations = node.get("annotations") if isinstance(node, Mapping) else None
    value = annotations.get(EXEMPT_ANNOTATION) if isinstance(annotations, Mapping) else None
    if not isinstance(value, str):
        return set()
    parts = {part.strip(SPACE) for part in value.split(",") if part.strip(SPACE)}
    return {ALL if part in ANNOTATION_ALL else part for part in parts}


def exempted_rules(
    obj: Mapping[str, Any], ref: ObjectRef, policy: Policy, template_metadata: str | None
) -> set[str]:
    """Rule ids (or `*`) this object is exempt from: policy exemptions, then the annotation
    on the object and on its pod template (Pods made from it carry the same annotation)."""
    exempt: set[str] = set()
    for exemption in policy.exemptions:
        if _exemption_applies(exemption, ref, obj):
            exempt |= {ALL} if exemption.rules is None else set(exemption.rules)
    if policy.annotation_exemptions:  # off: an object's author cannot exempt it
        exempt |= _annotation_rules(obj, "/metadata")
        if template_metadata and template_metadata != "/metadata":
            exempt |= _annotation_rules(obj, template_metadata)
    return exempt
