"""memory-critical-overcommit in CEL: in a pod the kubelet never evicts (`k8s.critical
.why_critical`: spec.priority at least 2000000000 where set, else a system-*-critical
class, or a mirror pod's annotation), a memory limit above its request by more than `max`
times (any limit above a request of 0). Exact, as memory-limit-ratio's test."""

from __future__ import annotations

from ...k8s.critical import CRITICAL_CLASSES, MIRROR_ANNOTATION, SYSTEM_CRITICAL_PRIORITY
from ..cel import literal, strings
from ..memory import ZERO, both, places, ratio_above
from ..subject import Subject, template_metadata
from .base import CelRule, ExportContext


def critical(subject: Subject) -> str:
    spec = subject.spec
    return (
        f"({spec}.?priority.hasValue() ? {spec}.priority >= {SYSTEM_CRITICAL_PRIORITY}"
        f" : {spec}.?priorityClassName.orValue('') in {strings(sorted(CRITICAL_CLASSES))})"
        f" || ({template_metadata(subject.obj)}).?annotations[{literal(MIRROR_ANNOTATION)}]"
        ".hasValue()"
    )


def findings(subject: Subject, ctx: ExportContext) -> str:
    maximum = ctx.params["max"]
    gap = (
        "quantity(p.limit).isGreaterThan(quantity(p.request))"
        f" && (quantity(p.request).compareTo({ZERO}) == 0"
        f" || {ratio_above('p.limit', 'p.request', maximum)})"
    )
    return (
        f"!({critical(subject)}) ? [] : {places(subject)}.filter(p, {both('p')} && {gap})"
        ".map(p, p.what + ': memory limit ' + p.limit + ' on a request of ' + p.request"
        f" + ' (more than ' + {literal(str(maximum))} + 'x) in a pod the kubelet never evicts')"
    )


RULE = CelRule("memory-critical-overcommit", findings)
