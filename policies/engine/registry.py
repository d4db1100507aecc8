"""Rule lookup by id. Built once from the explicit list in `rules/`; a duplicate id is an
error at import time, not a silent shadowing."""

from __future__ import annotations

from collections.abc import Iterable

from ..rules import ALL_RULES
from ..rules.base import Rule


def build_registry(rules: Iterable[Rule]) -> dict[str, Rule]:
    registry: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in registry:
            raise ValueError(f"duplicate rule id {rule.id!r}")
        registry[rule.id] = rule
    return registry


RULES: dict[str, Rule] = build_registry(ALL_RULES)
