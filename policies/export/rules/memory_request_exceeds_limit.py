"""memory-request-exceeds-limit in CEL: a container or the pod-level resources request more
memory than their limit (values compared exactly, as validateResourceRequirements does)."""

from __future__ import annotations

from ..memory import both, places
from ..subject import Subject
from .base import CelRule, ExportContext


def findings(subject: Subject, ctx: ExportContext) -> str:
    return (
        f"{places(subject)}.filter(p, {both('p')}"
        " && quantity(p.request).isGreaterThan(quantity(p.limit)))"
        ".map(p, p.what + ' requests ' + p.request + ' of memory, more than its limit '"
        " + p.limit)"
    )


RULE = CelRule("memory-request-exceeds-limit", findings)
