"""A bug in evictguard costs one object's verdict, never the run: the linter reports an
internal error for that object and goes on; the webhook answers as onInternalError says
(the real server's side is in test_webhook_hardening)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from policies import engine
from policies.config import load_preset
from policies.lint import lint_text
from policies.registry import RULES
from policies.rules.base import Rule
from tests.webhook_client import admission_review
from webhook import admission

TWO_PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: first}
spec:
  containers: [{name: app, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: second}
spec:
  containers: [{name: app, image: nginx}]
"""


@pytest.fixture()
def broken_rule(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """memory-request-missing raises on the Pod named `first`."""
    rule_id = "memory-request-missing"
    real = RULES[rule_id]

    def check(ctx: Any) -> Any:
        if ctx.obj["metadata"]["name"] == "first":
            raise KeyError("boom")
        return real.check(ctx)

    broken = Rule(**{**real.__dict__, "check": check})
    monkeypatch.setitem(RULES, rule_id, broken)
    yield rule_id


def test_lint_reports_a_rule_that_raised_and_keeps_every_other_verdict(broken_rule: str) -> None:
    report = lint_text(TWO_PODS, load_preset())
    errors = [e.message for e in report.errors]
    assert any(f"internal error in rule {broken_rule}: KeyError" in m for m in errors), errors
    by_pod = {(f.ref.name, f.rule) for f in report.findings}
    assert ("first", "memory-limit-missing") in by_pod  # the other rules still ran
    assert ("second", broken_rule) in by_pod  # and the rule itself on the other Pod


def test_lint_reports_an_engine_crash_for_that_object_and_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = engine.extract_pod_spec

    def extract(obj: Any, extra: Any = ()) -> Any:
        if obj["metadata"]["name"] == "first":
            raise RuntimeError("engine bug")
        return real(obj, extra)

    monkeypatch.setattr(engine, "extract_pod_spec", extract)
    report = lint_text(TWO_PODS, load_preset(), name="pods.yaml")
    [error] = report.errors
    assert error.file == "pods.yaml" and error.line == 1
    assert "Pod first" in error.message or "first" in error.message
    assert "internal error (RuntimeError: engine bug)" in error.message
    assert {f.ref.name for f in report.findings} == {"second"}


@pytest.mark.parametrize("on_error, allowed", [("allow", True), ("deny", False)])
def test_the_webhook_decision_for_a_rule_that_raised(
    broken_rule: str, on_error: str, allowed: bool
) -> None:
    import dataclasses

    policy = dataclasses.replace(load_preset(), on_internal_error=on_error)
    review = admission.parse_review(
        admission_review(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "first", "namespace": "shop"},
                "spec": {"containers": [{"name": "app", "image": "nginx"}]},
            }
        )
    )
    with pytest.raises(admission.InternalError) as failure:
        admission.validate(review, policy)
    decision = admission.on_internal_error(review, policy, failure.value, mutating=False)
    assert decision.allowed is allowed and decision.outcome == "internal_error"
    assert decision.internal_error is not None and "InternalError at" in decision.internal_error
    text = decision.message if not allowed else decision.warnings[0]
    assert text is not None and "could not evaluate this Pod" in text
    mutation = admission.on_internal_error(review, policy, failure.value, mutating=True)
    assert mutation.allowed is True and mutation.patch is None
