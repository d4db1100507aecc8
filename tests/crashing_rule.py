"""Test-only: a rule that raises, registered next to the real ones, to show that a bug in
one rule costs only that rule's verdict. In-process tests call `install(monkeypatch)`; the
real server and CLI get it from `tests/plugins/sitecustomize.py` (see `process_env`)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evictguard.engine.registry import RULES
from evictguard.model import Mode, Violation
from evictguard.policy import load
from evictguard.policy.model import Policy, RuleSettings
from evictguard.rules.base import Context, Rule

RULE_ID = "test-crashes"
TRIGGER = "test.evictguard.io/crash"  # the annotation that makes the rule raise
MODE_VARIABLE = "EVICTGUARD_TEST_CRASHING_RULE"  # its mode in processes started with it
PLUGINS = Path(__file__).resolve().parent / "plugins"
ROOT = Path(__file__).resolve().parent.parent


def _check(ctx: Context) -> Iterator[Violation]:
    metadata = ctx.obj.get("metadata") or {}
    if TRIGGER in (metadata.get("annotations") or {}):
        raise ZeroDivisionError("a bug in a rule")
    return iter(())


RULE = Rule(
    id=RULE_ID,
    summary="Test only: raises on objects annotated test.evictguard.io/crash.",
    why="Shows that one crashing rule does not discard the other rules' verdicts.",
    remediation="None: it is a test.",
    example="",
    check=_check,
)


def with_rule(policy: Policy, mode: Mode) -> Policy:
    return dataclasses.replace(policy, rules={**policy.rules, RULE_ID: RuleSettings(mode, {})})


def install(monkeypatch: Any, mode: Mode = Mode.ENFORCE) -> None:
    """Register the rule in this process, on in every policy loaded from now on."""
    monkeypatch.setitem(RULES, RULE_ID, RULE)
    real = load._freeze
    monkeypatch.setattr(load, "_freeze", lambda *a, **k: with_rule(real(*a, **k), mode))


def install_globally() -> None:
    """For sitecustomize: the same in a whole process (a server, the CLI), for good."""
    RULES[RULE_ID] = RULE
    real = load._freeze
    mode = Mode(os.environ[MODE_VARIABLE])
    load._freeze = lambda *a, **k: with_rule(real(*a, **k), mode)  # type: ignore[assignment]


def process_env(mode: str = "enforce") -> dict[str, str]:
    """The environment for a subprocess (server or CLI) that should carry the rule."""
    path = os.pathsep.join(p for p in (str(PLUGINS), str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {"PYTHONPATH": path, MODE_VARIABLE: mode}
