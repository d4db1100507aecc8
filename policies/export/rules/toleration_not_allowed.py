"""toleration-not-allowed in CEL: each toleration its author wrote is covered by an entry of
an allowlist whose namespaces match the request's (PodTolerationRestriction's `IsSuperset`);
the allowlists are read from the policy at export. With none defined, or none matching the
namespace, the rule reports nothing (the exported list is then `[]`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...k8s.taints import EQUAL, EXISTS, NO_EXECUTE
from ...k8s.tolerations import Toleration
from ..cel import all_of, any_of, literal, matches_any
from ..subject import Subject
from ..tolerations import describe, equals, field, written
from .base import CelRule, ExportContext

NAMESPACE = "request.?namespace.orValue('')"


def superset(entry: Toleration, t: str) -> str:
    """`entry` (from the policy) covers `t` (`k8s.tolerations.is_superset`)."""
    parts = []
    if not (entry.key == "" and entry.operator == EXISTS):
        parts.append(f"{field(t, 'key')} == {literal(entry.key)}")
    if entry.effect:
        parts.append(f"{field(t, 'effect')} == {literal(entry.effect)}")
    if entry.effect == NO_EXECUTE and entry.seconds is not None:
        parts.append(
            f"{t}.?tolerationSeconds.hasValue() && {t}.tolerationSeconds <= {entry.seconds}"
        )
    if entry.operator in ("", EQUAL):
        parts.append(
            f"{field(t, 'operator')} == 'Equal' && {field(t, 'value')} == {literal(entry.value)}"
        )
    elif entry.operator != EXISTS:
        parts.append("false")
    return any_of([equals(t, entry.as_dict()), all_of(parts)])


def allowed(entry: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(entry.get("tolerations") or [])


def findings(subject: Subject, ctx: ExportContext) -> str:
    entries: list[Mapping[str, Any]] = list(ctx.params.get("allowlists") or ())
    if not entries:
        return "[]"
    matched = [matches_any(NAMESPACE, entry["namespaces"]) for entry in entries]
    covered = any_of(
        f"{where} && ({any_of(superset(Toleration.of(a), 't') for a in allowed(entry))})"
        for where, entry in zip(matched, entries, strict=True)
    )
    return (
        f"{any_of(matched)} ? {written(subject)}.filter(t, !({covered})).map(t,"
        f" {describe('t')} + ' is not in the allowlist for namespace ' + {NAMESPACE}) : []"
    )


RULE = CelRule("toleration-not-allowed", findings)
