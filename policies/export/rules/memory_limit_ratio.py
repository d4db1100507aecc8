"""memory-limit-ratio in CEL: a memory limit above `max` times its request (container or
pod-level; a request of 0 is left alone). The engine divides Fractions; here the policy's
`max` is the exact fraction p/q of its decimal text and the test is limit * q > request * p,
multiplied with `quantity.add` alone (`memory.times`): exact for any quantity, no floats."""

from __future__ import annotations

from ..cel import literal
from ..memory import ZERO, both, places, ratio_above
from ..subject import Subject
from .base import CelRule, ExportContext


def findings(subject: Subject, ctx: ExportContext) -> str:
    maximum = ctx.params["max"]
    return (
        f"{places(subject)}.filter(p, {both('p')} && quantity(p.request).isGreaterThan({ZERO})"
        f" && {ratio_above('p.limit', 'p.request', maximum)})"
        ".map(p, p.what + ': memory limit ' + p.limit + ' is more than '"
        f" + {literal(str(maximum))} + 'x its request ' + p.request)"
    )


RULE = CelRule("memory-limit-ratio", findings)
