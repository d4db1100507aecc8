"""Every safe fix an object's findings offer, applied together as one patch.

Each finding's fix is written against the object as checked, so two fixes that both create
`resources` cannot be concatenated: the second `add` would replace what the first made.
Fixes are applied one at a time, re-checking in between, until no finding offers one; the
result is diffed against the original. A second pass over the result finds nothing to fix,
so a mutating webhook built on this is idempotent (`reinvocationPolicy: IfNeeded` is safe).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .config import Policy
from .engine import check_object
from .fixes import apply_patch, diff
from .model import Finding, JsonPatch

MAX_ROUNDS = 100  # a bound on fixes per object; each round removes at least one finding


@dataclass
class Remedy:
    fixed: Any
    patch: JsonPatch  # from the original object to `fixed`; empty when nothing changed
    applied: list[Finding] = field(default_factory=list)  # as found before each fix


def remedy(
    obj: Mapping[str, Any],
    policy: Policy,
    accept: Callable[[Finding], bool] = lambda finding: True,
) -> Remedy:
    """Apply the fixes of the findings `accept` allows (all by default) until none is left."""
    current: Any = obj
    applied: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for _ in range(MAX_ROUNDS):
        candidates = [
            f
            for f in check_object(current, policy).findings
            if f.fix and accept(f) and (f.rule, f.pointer) not in seen
        ]
        if not candidates:
            break
        finding = candidates[0]
        assert finding.fix is not None
        seen.add((finding.rule, finding.pointer))  # a fix that did not silence its rule
        current = apply_patch(current, finding.fix)
        applied.append(finding)
    return Remedy(current, diff(obj, current), applied)
