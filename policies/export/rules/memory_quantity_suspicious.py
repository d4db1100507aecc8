"""memory-quantity-suspicious in CEL: a non-zero value (at most 2^63-1 bytes) written with a
sub-byte suffix (m, u, n), a fraction of a byte, or below the policy's floor or above its
ceiling (both inlined, compared exactly)."""

from __future__ import annotations

from ..cel import literal
from ..memory import ABSENT, ZERO, places, quantity_literal, readable
from ..subject import Subject
from .base import CelRule, ExportContext

# `rules.memory_quantity_suspicious._suffix` in {m, u, n}: after the leading run of signs,
# digits and dots, the text is one sub-byte suffix. Admission sees quantities in canonical
# form (`Quantity.String()`), where a fraction of a byte is written with one of those
# suffixes or, in exponent form, with a negative exponent (`1500e-3`): so a fraction is
# told by its text. Not by `isInteger()`, which in Go is `AsInt64()`: false for any value
# Go keeps as an inf.Dec (`1Pi`, 19-digit values), whole or not.
SUB_BYTE = literal("^[-+0-9.]*[mun]$")


def findings(subject: Subject, ctx: ExportContext) -> str:
    floor, ceiling = ctx.params["floor"], ctx.params["ceiling"]
    parts = []
    for label, key in (("limit", "p.limit"), ("request", "p.request")):
        value = f"quantity({key})"
        why = (
            f"{key}.matches({SUB_BYTE}) ? 'has a sub-byte suffix'"
            f" : {key}.contains('e-') ? 'is a fractional number of bytes'"
            f" : {value}.isLessThan({quantity_literal(floor)})"
            f" ? {literal('is below the policy floor of ' + str(floor))}"
            f" : {value}.isGreaterThan({quantity_literal(ceiling)})"
            f" ? {literal('is above the policy ceiling of ' + str(ceiling))} : ''"
        )
        parts.append(
            f"{places(subject)}.filter(p, {key} != {ABSENT} && {readable(key)}"
            f" && {value}.isGreaterThan({ZERO}) && ({why}) != '')"
            f".map(p, p.what + ': memory {label} \"' + {key} + '\" ' + ({why}))"
        )
    return " + ".join(parts)


RULE = CelRule("memory-quantity-suspicious", findings)
