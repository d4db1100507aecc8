"""Every exported expression passes Kubernetes' homogeneous-aggregate-literal validation
(tests/k8s_cel/literals.py): a list or map literal mixing `string` and `dyn` would make the
API server refuse the policy (1.29+), which cel-expr-python would not show."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from evictguard.export.map import export_map
from evictguard.export.vap import export_vap
from evictguard.policy.load import load_preset
from evictguard.policy.model import Exemption

from tests.k8s_cel.literals import Checker
from tests.k8s_cel.parse import parse


def _exports() -> list[tuple[str, dict[str, Any]]]:
    exempting = dataclasses.replace(
        load_preset("strict"),
        exemptions=(Exemption(None, ("team-*",), ("web-?",), ("Job",), (("a", "b*"),)),),
    )
    out = []
    for label, policy in (
        ("default", load_preset("default")),
        ("strict", load_preset("strict")),
        ("exemptions", exempting),
    ):
        out += [(f"vap {label}", o) for o in export_vap(policy).objects]
        out += [(f"map {label}", o) for o in export_map(policy).objects]
    return [(label, o) for label, o in out if o["kind"].endswith("Policy")]


def _expressions(spec: Any, where: str = "") -> list[tuple[str, str]]:
    found = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key in ("expression", "messageExpression", "valueExpression") and isinstance(
                value, str
            ):
                found.append((f"{where}.{key}", value))
            elif key != "variables":
                found += _expressions(value, f"{where}.{key}")
    elif isinstance(spec, list):
        for index, item in enumerate(spec):
            found += _expressions(item, f"{where}[{index}]")
    return found


@pytest.mark.parametrize(
    ("label", "policy"),
    _exports(),
    ids=lambda x: x if isinstance(x, str) else x["metadata"]["name"],
)
def test_no_literal_mixes_types(label: str, policy: dict[str, Any]) -> None:
    checker = Checker()
    mixed = []
    for variable in policy["spec"].get("variables", []):
        checker.variables[variable["name"]] = checker.check(variable["expression"])
        mixed += [f"variables.{variable['name']}: {m}" for m in checker.mixed]
        checker.mixed.clear()
    for where, text in _expressions(policy["spec"]):
        checker.check(text)
        mixed += [f"{where}: {m}" for m in checker.mixed]
        checker.mixed.clear()
    assert not mixed, "\n".join(mixed)


def test_the_checker_finds_what_the_validator_refuses() -> None:
    """Cases of cel-go's validator_test.go (homogeneous aggregate literals), as written."""
    refused = [
        "[1, 'hello']",
        "{'a': 1, 'b': 'two'}",
        "['a', object.x]",
        "[object.x, 'a' + 'b']",
        "true ? 'a' : 1",  # no A unifies string and int
        "'a' == 1",
    ]
    accepted = [
        "[1, 2]",
        "['a', object.x + 'b']",
        "[object.a, object.b]",
        "[dyn(1), dyn('a')]",
        "true ? 'a' : object.x",
        "1 == 1.0",
        "object.x == 'a'",
    ]
    for text in refused:
        checker = Checker()
        checker.check(text)
        assert checker.mixed, text
    for text in accepted:
        checker = Checker()
        checker.check(text)
        assert not checker.mixed, text
    assert parse("{?'k': object.?k, 'e': dyn('x')}")
