"""memory-quantity-invalid in CEL. What reaches admission has been decoded and validated:
a value that does not parse, a negative one and a `resources` that is no mapping were
refused by the API server. What is left is exact to state: a value above 2^63-1 bytes,
which Quantity.Value() overflows (compared exactly with `quantity.isGreaterThan`), and a
binary-suffixed value ParseQuantity capped at 2^63-1 (only on an object the API server has
not written back: its canonical form drops the suffix)."""

from __future__ import annotations

from ..memory import ABSENT, capped, overflows, places
from ..subject import Subject
from .base import CelRule, ExportContext


def findings(subject: Subject, ctx: ExportContext) -> str:
    parts = []
    for label, key in (("limit", "p.limit"), ("request", "p.request")):
        parts.append(
            f"{places(subject)}.filter(p, {key} != {ABSENT}"
            f" && ({overflows(key)} || {capped(key)}))"
            f".map(p, p.what + ': memory {label} \"' + {key} + '\" is '"
            f" + ({overflows(key)} ? 'above 2^63-1 bytes (Quantity.Value() overflows)'"
            " : '2^63 bytes or more, capped at 2^63-1'))"
        )
    return " + ".join(parts)


RULE = CelRule("memory-quantity-invalid", findings)
