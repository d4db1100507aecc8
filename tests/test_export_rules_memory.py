"""The memory family's exported CEL at the edges the rule data files miss: parameter bounds
(floor, ceiling, max, the ratio's exact fraction), 2^63-1 bytes, critical pods, UPDATE with
a pre-existing violation against a new one; each verdict through the VAP evaluator
(tests/k8s_cel) and held against the engine on the same object."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from evictguard.engine.check import check_object
from evictguard.export.rules import EXPORTS, WEBHOOK_ONLY
from evictguard.export.vap import PREFIX, RULE_LABEL, export_vap
from evictguard.policy.load import load_policy_file

pytest.importorskip("cel_expr_python", reason="cel-expr-python needs Python >= 3.11")
vap_eval = pytest.importorskip("tests.k8s_cel.vap", reason="tests/k8s_cel not there")

NAMESPACE = "shop"


def _policy(tmp_path: Path, rule: str, mode: str = "enforce", **params: Any):
    lines = ["apiVersion: evictguard.io/v1alpha1", "kind: Policy", "rules:", f"  {rule}:"]
    lines.append(f"    mode: {mode}")
    lines += [f"    {name}: {value!r}" for name, value in params.items()]
    path = tmp_path / "policy.yaml"
    path.write_text("\n".join(lines) + "\n")
    return load_policy_file(str(path))


def _deployment(limit: str | None, request: str | None, **spec: Any) -> dict[str, Any]:
    """A Deployment (no Pod defaulting: a limit is not copied into the request)."""
    resources: dict[str, Any] = {}
    if limit is not None:
        resources["limits"] = {"memory": limit}
    if request is not None:
        resources["requests"] = {"memory": request}
    container = {"name": "app", "image": "example/app:1.0", "resources": resources}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": NAMESPACE},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [container], **spec},
            },
        },
    }


def _cel(policy, obj, old=None) -> Any:
    """The outcome of the family's exported policies (memory-limit-missing, in the preset,
    left out: it is not this family's port)."""
    exported = [
        o
        for o in export_vap(policy).objects
        if o["metadata"]["labels"][RULE_LABEL].startswith("memory-")
        and o["metadata"]["labels"][RULE_LABEL] != "memory-limit-missing"
    ]
    policies = [o for o in exported if o["kind"] == "ValidatingAdmissionPolicy"]
    bindings = [o for o in exported if o["kind"] == "ValidatingAdmissionPolicyBinding"]
    request = vap_eval.admission_request(
        obj, old_object=old, operation="UPDATE" if old else "CREATE", namespace=NAMESPACE
    )
    outcome = vap_eval.evaluate(policies, bindings, request, vap_eval.namespace_object(NAMESPACE))
    assert not outcome.errors, outcome.errors
    return outcome


def _engine_reports(policy, rule: str, obj) -> bool:
    result = check_object(obj, policy)
    found = [f.rule for f in result.findings] + [f.rule for _, f in result.superseded]
    return rule in found


def _fired(outcome: Any, rule: str) -> bool:
    """The rule's own policy denied or warned (its name is in the message)."""
    said = [*outcome.messages, *outcome.warnings]
    return any(f"ValidatingAdmissionPolicy '{PREFIX}{rule}'" in text for text in said)


def _verdict(policy, rule: str, obj) -> bool:
    """Whether the rule's exported policy denies `obj` on CREATE, checked against the
    engine (findings, and those left out for another rule)."""
    outcome = _cel(policy, obj)
    denied = _fired(outcome, rule)
    assert denied == _engine_reports(policy, rule, obj), (rule, obj)
    return denied


@pytest.mark.parametrize(
    ("value", "reported"),
    [
        ("4194304", False),  # the floor, 4Mi, exactly
        ("4194303", True),
        ("1Ti", False),  # the ceiling exactly
        ("1099511627777", True),
        ("500m", True),  # a sub-byte suffix
        ("1500m", True),
        ("0", False),  # zero is no typo (no limit: memory-limit-missing's)
        ("9223372036854775807", True),  # 2^63-1: read as written, above the ceiling
    ],
)
def test_suspicious_at_floor_and_ceiling(tmp_path: Path, value: str, reported: bool) -> None:
    policy = _policy(tmp_path, "memory-quantity-suspicious", floor="4Mi", ceiling="1Ti")
    assert _verdict(policy, "memory-quantity-suspicious", _deployment(value, None)) is reported


@pytest.mark.parametrize(
    ("value", "reported"),
    [("9223372036854775807", False), ("9223372036854775808", True), ("10E", True)],
)
def test_invalid_above_int64(tmp_path: Path, value: str, reported: bool) -> None:
    policy = _policy(tmp_path, "memory-quantity-invalid")
    assert _verdict(policy, "memory-quantity-invalid", _deployment(None, value)) is reported


@pytest.mark.parametrize(
    ("limit", "reported"),
    [("64Gi", False), ("68719476737", True), ("10E", False)],  # 10E: invalid's, not this one
)
def test_too_high_at_max(tmp_path: Path, limit: str, reported: bool) -> None:
    policy = _policy(tmp_path, "memory-limit-too-high", max="64Gi")
    assert _verdict(policy, "memory-limit-too-high", _deployment(limit, None)) is reported


@pytest.mark.parametrize(
    ("maximum", "limit", "asked", "reported"),
    [
        (2.5, "320Mi", "128Mi", False),  # exactly 2.5x
        (2.5, "335544321", "128Mi", True),  # one byte above
        (1.1, "1100m", "1", False),  # 1.1 exactly, in thousandths of a byte
        (1.1, "1101m", "1", True),
        (4, "4Gi", "0", False),  # a request of 0 is left alone
        (4, "10E", "1", True),  # compared exactly above 2^63 bytes too
    ],
)
def test_ratio_exact_at_max(
    tmp_path: Path, maximum: float, limit: str, asked: str, reported: bool
) -> None:
    policy = _policy(tmp_path, "memory-limit-ratio", max=maximum)
    obj = _deployment(limit, asked)
    assert _verdict(policy, "memory-limit-ratio", obj) is reported


@pytest.mark.parametrize(
    ("spec", "limit", "asked", "reported"),
    [
        ({"priorityClassName": "system-node-critical"}, "512Mi", "128Mi", False),  # 4x
        ({"priorityClassName": "system-node-critical"}, "536870913", "128Mi", True),
        ({"priorityClassName": "system-node-critical"}, "1Mi", "0", True),  # all of it a gap
        ({"priorityClassName": "system-node-critical", "priority": 1999999999}, "1Gi", "0", False),
        ({"priority": 2000000000}, "1Gi", "1Mi", True),
        ({}, "1Gi", "1Mi", False),
    ],
)
def test_critical_overcommit(
    tmp_path: Path, spec: dict, limit: str, asked: str, reported: bool
) -> None:
    policy = _policy(tmp_path, "memory-critical-overcommit", mode="enforce", max=4)
    obj = _deployment(limit, asked, **spec)
    assert _verdict(policy, "memory-critical-overcommit", obj) is reported


def test_request_above_limit_on_update_pre_existing_or_new(tmp_path: Path) -> None:
    """On UPDATE a violation kept as it was only warns; one with new values denies."""
    policy = _policy(tmp_path, "memory-request-exceeds-limit")
    old = _deployment("1Gi", "2Gi")
    kept = _deployment("1Gi", "2Gi")
    kept["spec"]["replicas"] = 3
    outcome = _cel(policy, kept, old)
    assert not outcome.denied and outcome.warnings
    changed = _deployment("1Gi", "3Gi")
    assert _cel(policy, changed, old).denied
    assert _cel(policy, _deployment("1Gi", "1Gi"), old).warnings == []


def test_aggregate_rules_are_webhook_only() -> None:
    """The two rules that need the pod's aggregate request (a sum CEL cannot fold) say why."""
    for rule in ("memory-request-missing", "memory-pod-level-conflict"):
        assert rule not in EXPORTS
        assert "aggregate" in WEBHOOK_ONLY[rule]
