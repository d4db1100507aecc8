"""The one list of rules (`rules/__init__.py`) holds every rule module, and the README's
Rules table and "Out of the box" table every rule with its declared default mode: the
places a new rule must reach that nothing derives."""

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


# "Out of the box" (README, Admission webhook): what each default mode does at admission.
AT_ADMISSION = {"deny": "enforce", "warn": "warn", "audit": "audit", "off": "off"}


def test_the_readme_admission_table_has_every_rule_with_its_default_mode() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    table = readme.split("\nOut of the box (the default preset):\n", 1)[1].strip().split("\n\n")[0]
    placed: dict[str, str] = {}
    named_anywhere = set(re.findall(r"^\| [^|]*", table, re.M))
    named_ids = {i for cell in named_anywhere for i in re.findall(r"`([a-z0-9-]+)`", cell)}
    for row in table.splitlines()[2:]:
        named, cell = (part.strip() for part in row.strip("|").split("|")[:2])
        at_admission = cell.split(",")[0]  # "warn, and the mutating webhook sets ..."
        ids = re.findall(r"`([a-z0-9-]+)`", named)
        if named.startswith("the other toleration rules"):
            ids += [r for r in RULES if r.startswith("toleration-") and r not in named_ids]
        if at_admission == "lint only":
            for rule_id in ids:
                assert RULES[rule_id].check_input is not None, rule_id
                placed[rule_id] = at_admission
        elif at_admission in AT_ADMISSION:
            for rule_id in ids:
                assert RULES[rule_id].default_mode.value == AT_ADMISSION[at_admission], rule_id
                placed.setdefault(rule_id, at_admission)
    assert set(RULES) - set(placed) == set(), "rules missing from the admission table"
