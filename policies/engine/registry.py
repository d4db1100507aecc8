"""Rule lookup by id. Built once from the explicit list in `rules/`; a duplicate id is an
error at import time, not a silent shadowing."""

from __future__ import annotations

from collections.abc import Iterable

from ..k8s.podspec import api_group
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


def object_rules(rules: Iterable[Rule]) -> dict[tuple[str, str], frozenset[str]]:
    """(API group, kind) -> the ids of the rules that judge objects of that kind whole."""
    by_kind: dict[tuple[str, str], set[str]] = {}
    for rule in rules:
        for kind in rule.kinds:
            by_kind.setdefault(kind, set()).add(rule.id)
    return {kind: frozenset(ids) for kind, ids in by_kind.items()}


OBJECT_RULES: dict[tuple[str, str], frozenset[str]] = object_rules(ALL_RULES)


def judged_whole(api_version: str, kind: str) -> bool:
    """Some rule judges objects of this kind whole (lint reads them; admission judges them)."""
    return (api_group(api_version), kind) in OBJECT_RULES
