"""The one list of rules (`rules/__init__.py`) holds every rule module, and the README's
Rules table every rule with its declared default mode: the places a new rule must reach
that nothing derives."""

from __future__ import annotations

import importlib
import pkgutil
import re

import evictguard.rules
from evictguard.engine.registry import RULES

from tests.conftest import ROOT


def test_every_rule_module_is_registered() -> None:
    """A module that declares a RULE but is left out of the list would never run."""
    declared = []
    for module in pkgutil.iter_modules(evictguard.rules.__path__):
        rule = getattr(importlib.import_module(f"evictguard.rules.{module.name}"), "RULE", None)
        if rule is not None:
            declared.append(rule.id)
    assert len(declared) >= 20
    assert sorted(declared) == sorted(RULES)


def test_the_readme_rules_table_has_every_rule_with_its_default_mode() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("\n## Rules\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| ([a-z]+) \|", section, re.M)
    assert rows == [(rule_id, rule.default_mode.value) for rule_id, rule in RULES.items()]
