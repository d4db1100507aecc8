"""A bug in evictguard costs one object's verdict, never the run: the linter reports an
internal error for that object and goes on; the webhook answers as onInternalError says
(the real server's side is in test_webhook_hardening)."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from evictguard.certs.generate import generate
from evictguard.engine import check as engine
from evictguard.engine.registry import RULES
from evictguard.lint.files import lint_text
from evictguard.patch import apply_patch
from evictguard.policy.load import load_preset
from evictguard.rules.base import Rule
from evictguard.webhook import admission

from tests import crashing_rule
from tests.conftest import run_cli
from tests.crashing_rule import RULE_ID, TRIGGER
from tests.webhook_client import Server, admission_review, running_server
from tests.webhook_client import apply_patch as answer_patch

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
    """memory-limit-missing raises on the Pod named `first`."""
    rule_id = "memory-limit-missing"
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
    # The other rules still ran: the request rule's finding, which the limit rule's would
    # have covered, is not left out for a rule that said nothing.
    assert ("first", "memory-request-missing") in by_pod
    assert ("second", broken_rule) in by_pod  # and the rule itself on the other Pod
    assert ("second", "memory-request-missing") not in by_pod  # covered by it there


def test_lint_reports_an_engine_crash_for_that_object_and_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = engine.extract_pod_specs

    def extract(obj: Any, *args: Any) -> Any:
        if obj["metadata"]["name"] == "first":
            raise RuntimeError("engine bug")
        return real(obj, *args)

    monkeypatch.setattr(engine, "extract_pod_specs", extract)
    report = lint_text(TWO_PODS, load_preset(), name="pods.yaml")
    [error] = report.errors
    assert error.file == "pods.yaml" and error.line == 1
    assert "Pod first" in error.message or "first" in error.message
    assert "internal error (RuntimeError: engine bug)" in error.message
    assert {f.ref.name for f in report.findings} == {"second"}


# --- one crashing rule next to the real ones ---------------------------------------------

CRASHING_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "first", "namespace": "shop", "annotations": {TRIGGER: "yes"}},
    # memory-limit-missing (enforce) denies this Pod whatever the crashing rule does
    "spec": {"containers": [{"name": "app", "image": "nginx"}]},
}
CRASHING_BUT_CLEAN = {
    **CRASHING_POD,
    "spec": {
        "containers": [
            {"name": "app", "image": "nginx", "resources": {"limits": {"memory": "1Gi"}}}
        ]
    },
}


@pytest.mark.parametrize("on_error", ["allow", "deny"])
def test_a_crashing_rule_never_lets_another_rules_denial_through(
    monkeypatch: pytest.MonkeyPatch, on_error: str
) -> None:
    crashing_rule.install(monkeypatch)
    policy = dataclasses.replace(load_preset(), on_internal_error=on_error)
    decision = admission.validate(admission.parse_review(admission_review(CRASHING_POD)), policy)
    assert decision.allowed is False  # before: InternalError for the whole Pod, then allowed
    assert [f.rule for f in decision.denied_by] == ["memory-limit-missing"]
    assert decision.outcome == "denied"
    assert decision.internal_error is not None
    assert decision.internal_error.startswith(f"{RULE_ID}: ZeroDivisionError at crashing_rule.py:")
    assert decision.message is not None and "[memory-limit-missing]" in decision.message
    assert (RULE_ID in decision.message) is (on_error == "deny")


@pytest.mark.parametrize("on_error, allowed", [("allow", True), ("deny", False)])
def test_the_crashed_rules_silence_is_what_on_internal_error_says(
    monkeypatch: pytest.MonkeyPatch, on_error: str, allowed: bool
) -> None:
    crashing_rule.install(monkeypatch)
    policy = dataclasses.replace(load_preset(), on_internal_error=on_error)
    review = admission.parse_review(admission_review(CRASHING_BUT_CLEAN))
    decision = admission.validate(review, policy)
    assert decision.allowed is allowed and decision.outcome == "internal_error"
    assert decision.denied_by == []
    if allowed:
        assert decision.warnings and RULE_ID in decision.warnings[0]
        assert "onInternalError: allow" in decision.warnings[0]
    else:
        assert decision.message is not None and RULE_ID in decision.message
    assert (
        admission.validate(
            admission.parse_review(
                admission_review(
                    CRASHING_BUT_CLEAN | {"metadata": {"name": "calm", "namespace": "shop"}}
                )
            ),
            policy,
        ).internal_error
        is None
    )


def test_mutation_still_applies_the_other_rules_fixes(monkeypatch: pytest.MonkeyPatch) -> None:
    crashing_rule.install(monkeypatch)
    decision = admission.mutate(
        admission.parse_review(admission_review(CRASHING_POD)), load_preset()
    )
    patched = apply_patch(CRASHING_POD, decision.patch)
    assert patched["spec"]["containers"][0]["resources"] == {"requests": {"memory": "256Mi"}}
    assert decision.internal_error is not None and RULE_ID in decision.internal_error


def test_an_engine_crash_is_answered_as_on_internal_error_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Outside any rule (here extracting the pod spec) there is no verdict at all."""

    def extract(*args: Any) -> Any:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(engine, "extract_pod_specs", extract)
    review = admission.parse_review(admission_review(CRASHING_POD))
    for on_error, allowed in (("allow", True), ("deny", False)):
        policy = dataclasses.replace(load_preset(), on_internal_error=on_error)
        with pytest.raises(RuntimeError) as failure:
            admission.validate(review, policy)
        decision = admission.on_internal_error(review, policy, failure.value, mutating=False)
        assert decision.allowed is allowed and decision.outcome == "internal_error"
        assert decision.internal_error is not None
        assert decision.internal_error.startswith("RuntimeError at test_internal_errors.py:")
        text = decision.message if not allowed else decision.warnings[0]
        assert text is not None and "could not evaluate this Pod" in text
        mutation = admission.on_internal_error(review, policy, failure.value, mutating=True)
        assert mutation.allowed is True and mutation.patch is None


# --- the same through the real CLI and the real server ------------------------------------


def test_lint_keeps_the_other_verdicts_of_an_object_a_rule_crashed_on(tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(json.dumps(CRASHING_POD))
    proc = run_cli(
        "lint", "--format", "json", str(manifest), env={**os.environ, **crashing_rule.process_env()}
    )
    report = json.loads(proc.stdout)
    assert proc.returncode == 2, proc.stderr
    assert [f["rule"] for f in report["findings"]] == ["memory-limit-missing"]
    [error] = report["errors"]
    assert f"internal error in rule {RULE_ID}: ZeroDivisionError" in error["message"]


@pytest.fixture(scope="module")
def crashing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("crash")
    generate(tmp / "tls", "evictguard", "evictguard", extra_sans=["localhost", "127.0.0.1"])
    with running_server(
        tmp / "tls", tmp / "server.log", workers=1, env=crashing_rule.process_env()
    ) as server:
        yield server


def test_the_real_server_denies_what_a_rule_that_ran_denies(crashing_server: Server) -> None:
    answer = crashing_server.review("/validate", admission_review(CRASHING_POD))
    response = answer.response
    assert answer.status == 200 and response["allowed"] is False
    assert "[memory-limit-missing]" in response["status"]["message"]
    clean = crashing_server.review("/validate", admission_review(CRASHING_BUT_CLEAN))
    assert clean.response["allowed"] is True  # onInternalError: allow (the default)
    assert any(RULE_ID in w for w in clean.response.get("warnings", []))
    mutated = crashing_server.review("/mutate", admission_review(CRASHING_POD))
    patched = answer_patch(CRASHING_POD, mutated)
    assert patched["spec"]["containers"][0]["resources"]["requests"]["memory"] == "256Mi"
    crashing_server.wait_until(
        lambda: (
            sum(1 for line in crashing_server.log_lines() if line.get("msg") == "evaluation failed")
            >= 3
        )
    )
    failures = [
        line for line in crashing_server.log_lines() if line.get("msg") == "evaluation failed"
    ]
    assert {line["endpoint"] for line in failures} == {"validate", "mutate"}
    assert all(line["error"].startswith(f"{RULE_ID}: ZeroDivisionError at ") for line in failures)
    assert all("a bug in a rule" not in line["error"] for line in failures)  # no values


def _raising_on_trigger(monkeypatch: pytest.MonkeyPatch, rule_id: str) -> None:
    """The real rule, except that it raises on objects carrying the trigger annotation."""
    real = RULES[rule_id]

    def check(ctx: Any) -> Any:
        if TRIGGER in ((ctx.obj.get("metadata") or {}).get("annotations") or {}):
            raise ZeroDivisionError("a bug in a rule")
        return real.check(ctx)

    monkeypatch.setitem(RULES, rule_id, Rule(**{**real.__dict__, "check": check}))


@pytest.mark.parametrize("on_error, allowed", [("allow", True), ("deny", False)])
def test_a_rule_that_raised_on_the_old_object_reads_as_on_internal_error_says(
    monkeypatch: pytest.MonkeyPatch, on_error: str, allowed: bool
) -> None:
    """Found by review: its findings on the new object could not be compared, so all of
    them counted as new and an image bump of a Deployment that predates the policy was
    denied, whatever onInternalError said."""
    _raising_on_trigger(monkeypatch, "memory-limit-missing")
    old = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "annotations": {TRIGGER: "yes"}},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": "web:1"}]},
            },
        },
    }
    new = json.loads(json.dumps(old))
    del new["metadata"]["annotations"]
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "web:2"
    policy = dataclasses.replace(load_preset(), on_internal_error=on_error)
    review = admission.parse_review(admission_review(new, operation="UPDATE", old=old))
    decision = admission.validate(review, policy)
    assert decision.allowed is allowed
    assert decision.internal_error is not None
    assert decision.internal_error.startswith("memory-limit-missing: ZeroDivisionError at ")
    if allowed:
        assert decision.denied_by == []  # not judged new
        assert "memory-limit-missing" in decision.warnings[0]
        assert any(w.startswith("pre-existing [memory-limit-missing]") for w in decision.warnings)
    else:
        assert decision.message is not None and "onInternalError: deny" in decision.message
