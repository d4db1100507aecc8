"""pdb-no-disruptions in CEL: a budget that selects pods and allows no voluntary
disruption at any replica count (`k8s.drain.never_allows`). On a budget the API server
accepts that is maxUnavailable 0 or a zero percentage (`0%`, `00%`: a percentage of any
count rounds up to at least 1 above 0%), or, maxUnavailable unset, minAvailable `100%`
(leading zeros too; 99% of 100 pods allows one). An integer minAvailable depends on the
replicas (lint's cross-object rules)."""

from __future__ import annotations

from ...k8s.drain import MAX_UNAVAILABLE, MIN_AVAILABLE
from ..budgets import selects_pods, spec
from ..subject import Subject
from .base import BUDGETS, CelRule, ExportContext


def _field(subject: Subject, name: str) -> str:
    return f"{spec(subject.obj)}.?{name}.orValue(null)"


def never_allows(subject: Subject) -> str:
    most = _field(subject, MAX_UNAVAILABLE)
    least = _field(subject, MIN_AVAILABLE)
    return (
        f"({most} != null ? (type({most}) == int ? {most} == 0 : {most}.matches('^0+%$'))"
        f" : (type({least}) == string && {least}.matches('^0*100%$')))"
    )


def findings(subject: Subject, ctx: ExportContext) -> str:
    most = _field(subject, MAX_UNAVAILABLE)
    least = _field(subject, MIN_AVAILABLE)
    shown = (
        f"({most} != null ? '{MAX_UNAVAILABLE} ' + (type({most}) == string"
        f" ? '\"' + {most} + '\"' : string({most}))"
        f" : '{MIN_AVAILABLE} \"' + string({least}) + '\"')"
    )
    return (
        f"{selects_pods(subject.obj)} && {never_allows(subject)}"
        f" ? [{shown} + ' allows no voluntary disruption at any replica count'] : []"
    )


RULE = CelRule("pdb-no-disruptions", findings, judges=BUDGETS)
