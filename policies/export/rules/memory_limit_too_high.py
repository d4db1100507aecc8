"""memory-limit-too-high in CEL: a memory limit (container or pod-level) above the policy's
`max`, inlined; values above 2^63-1 bytes are memory-quantity-invalid's."""

from __future__ import annotations

from ..cel import literal
from ..memory import ABSENT, places, quantity_literal, readable
from ..subject import Subject
from .base import CelRule, ExportContext


def findings(subject: Subject, ctx: ExportContext) -> str:
    maximum = ctx.params["max"]
    return (
        f"{places(subject)}.filter(p, p.limit != {ABSENT} && {readable('p.limit')}"
        f" && quantity(p.limit).isGreaterThan({quantity_literal(maximum)}))"
        ".map(p, p.what + ' has a memory limit of ' + p.limit + ', above the policy maximum '"
        f" + {literal(str(maximum))})"
    )


RULE = CelRule("memory-limit-too-high", findings)
