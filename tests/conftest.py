"""Shared helpers: the real CLI in a subprocess, and the engine on real files."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from evictguard.lint import across
from evictguard.lint.files import lint_sources
from evictguard.model import Mode, Report
from evictguard.policy.load import load_preset
from evictguard.policy.model import Policy, RuleSettings
from evictguard.yaml.loader import read_sources

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def default_policy() -> Policy:
    return load_preset("default")


def limits_not_required(policy: Policy) -> Policy:
    """`policy` with memory-limit-missing off: where memory-request-missing reports on its
    own (with the limit rule on, a container with neither value gets that rule's one
    finding, which covers the request)."""
    rules = dict(policy.rules)
    rules["memory-limit-missing"] = RuleSettings(Mode.OFF, policy.params("memory-limit-missing"))
    return dataclasses.replace(policy, rules=rules)


@pytest.fixture(scope="session")
def no_limit_policy(default_policy: Policy) -> Policy:
    """The default policy, memory limits not required."""
    return limits_not_required(default_policy)


def lint_paths(*paths: str | Path, policy: Policy | None = None) -> Report:
    """As `evictguard lint` lints files: the rules that compare objects run over them all."""
    policy = policy or load_preset("default")
    report = lint_sources(read_sources([str(p) for p in paths]), policy)
    across.judge(report, policy)
    return report


def run_cli(
    *args: str,
    stdin: str | bytes | None = None,
    cwd: str | Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `evictguard ...` as a user would (a separate process, real stdin/stdout)."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    proc = subprocess.run(
        [sys.executable, "-m", "evictguard", *args],
        input=data,
        capture_output=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=120,
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
    )


def run_json(*args: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    proc = run_cli("lint", "--format", "json", *args, **kwargs)
    return proc.returncode, json.loads(proc.stdout)


def list_items(node: Any) -> int:
    """How many list items a JSON value holds, at any depth."""
    if isinstance(node, dict):
        return sum(list_items(v) for v in node.values())
    if isinstance(node, list):
        return len(node) + sum(list_items(v) for v in node)
    return 0


def gained_findings(before: list[Any], after: list[Any], grew: bool) -> set[Any]:
    """The findings a fix created: by (rule, pointer); by count per rule when the fix added
    list items (splitting a toleration appends copies), whose findings then stand at new
    pointers without being new problems."""
    if grew:
        grown = Counter(f.rule for f in after) - Counter(f.rule for f in before)
        return set(grown)
    return {(f.rule, f.pointer) for f in after} - {(f.rule, f.pointer) for f in before}
