"""memory-limit-missing in CEL: every container (init, sidecar, regular) has a memory limit
above 0, unless the pod has a pod-level one (PodLevelResources on: with the gate off the
API server drops `spec.resources`). The API server has parsed every quantity by then."""

from __future__ import annotations

from ...k8s.features import POD_LEVEL_GATE
from ..subject import Subject
from .base import CelRule, ExportContext


def limit(resources: str) -> str:
    """The memory limit in `resources` (an optional)."""
    return f"{resources}.?limits.?memory"


def positive(value: str) -> str:
    """An optional quantity that is set and above 0 (a zero limit is no limit). `sign` is a
    global function of the quantity library (`cel.Overload`, not a member)."""
    return f"({value}.hasValue() && sign(quantity({value}.value())) > 0)"


def findings(subject: Subject, ctx: ExportContext) -> str:
    items = (
        f"{subject.containers}.filter(c, !{positive(limit('c.?resources'))})"
        f".map(c, {subject.label('c')} + ({limit('c.?resources')}.hasValue()"
        f" ? ' has a memory limit of ' + {limit('c.?resources')}.value() + ' (no limit)'"
        " : ' has no memory limit'))"
    )
    if not ctx.policy.feature(POD_LEVEL_GATE):
        return items
    return f"{positive(limit(subject.spec + '.?resources'))} ? [] : {items}"


RULE = CelRule("memory-limit-missing", findings)
