"""The webhook's core, `review(body, endpoint, policy)`, in-process with no web framework:
every answer a body gets, and what it reports for metrics and logs. The same requests
through the real server (gunicorn, TLS, Flask) are in test_webhook_server."""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

import jsonpatch
import orjson
import pytest
from evictguard.policy.load import load_preset
from evictguard.policy.model import Policy
from evictguard.webhook import review

from tests.webhook_client import admission_review

POLICY = load_preset("default")
UNBOUNDED = {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}


def pod(memory_limit: str | None = "256Mi", **spec: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "nginx:1.27"}
    if memory_limit:
        container["resources"] = {"limits": {"memory": memory_limit}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web"},
        "spec": {"containers": [container], **spec},
    }


def ask(
    obj: dict[str, Any], endpoint: str = "validate", policy: Policy = POLICY, **kw: Any
) -> review.Answer:
    body = orjson.dumps(admission_review(obj, namespace="shop", **kw))
    return review.review(body, endpoint, policy)


@pytest.mark.parametrize(
    ("body", "reason", "error"),
    [
        (b"not json", "not_json", "not an AdmissionReview: invalid literal"),
        (b"\xff\xfe garbage", "not_json", "not an AdmissionReview"),
        (b"[]", "not_a_review", "not an AdmissionReview: the body must be an object"),
        (
            b'{"apiVersion": "v1", "kind": "Pod"}',
            "not_a_review",
            "not an AdmissionReview: apiVersion must be one of",
        ),
        (b"[" * 2000 + b"]" * 2000, "too_deep", "not an AdmissionReview: JSON nested too deeply"),
    ],
)
@pytest.mark.parametrize("endpoint", review.ENDPOINTS)
def test_malformed_bodies_are_a_400_with_a_json_error(
    endpoint: str, body: bytes, reason: str, error: str
) -> None:
    answer = review.review(body, endpoint, POLICY)
    assert answer.status == 400 and answer.body["code"] == 400
    assert answer.body["error"].startswith(error)
    observed = answer.observation
    assert observed.refusal is not None and observed.refusal.reason == reason
    assert observed.refusal.event == "malformed request"
    assert body.decode("utf-8", "replace")[:20] not in observed.refusal.logged  # never the body
    assert (observed.endpoint, observed.review, observed.decision) == (endpoint, None, None)


def test_an_object_missing_on_create_is_not_a_review() -> None:
    data = admission_review(None)
    answer = review.review(orjson.dumps(data), "validate", POLICY)
    assert answer.status == 400
    assert answer.body["error"] == "not an AdmissionReview: request.object is required for CREATE"
    assert answer.observation.refusal == review.Refusal(
        "not_a_review", "request.object is required for CREATE"
    )


def test_a_clean_pod_is_allowed_and_the_review_echoed() -> None:
    answer = ask(pod(), version="admission.k8s.io/v1beta1")
    assert answer.status == 200 and not answer.close
    uid = answer.observation.review.uid if answer.observation.review else None
    assert answer.body == {
        "apiVersion": "admission.k8s.io/v1beta1",
        "kind": "AdmissionReview",
        "response": {"uid": uid, "allowed": True},
    }
    observed = answer.observation
    assert observed.refusal is None and observed.decision is not None
    assert observed.decision.outcome == "allowed" and observed.modes == ()
    assert "Pod" in observed.checked_kinds and "Deployment" in observed.checked_kinds


def test_a_pod_without_a_memory_limit_is_denied_with_403() -> None:
    answer = ask(pod(memory_limit=None, tolerations=[UNBOUNDED]))
    response = answer.body["response"]
    assert answer.status == 200 and response["allowed"] is False
    assert response["status"]["code"] == 403
    message = response["status"]["message"]
    assert message.startswith("evictguard: Pod shop/web violates 2 rule(s): ")
    assert "[memory-limit-missing]" in message and "[noexecute-unbounded]" in message
    observed = answer.observation
    assert observed.decision is not None and observed.decision.outcome == "denied"
    assert ("memory-limit-missing", "enforce") in observed.modes
    assert observed.review is not None and observed.review.namespace == "shop"


def test_mutate_answers_a_json_patch_that_fixes_the_pod_once() -> None:
    obj = pod(tolerations=[UNBOUNDED])
    answer = ask(obj, "mutate")
    response = answer.body["response"]
    assert response["allowed"] is True and response["patchType"] == "JSONPatch"
    patch = json.loads(base64.b64decode(response["patch"]))
    patched = jsonpatch.JsonPatch(patch).apply(obj)
    assert patched["spec"]["tolerations"][0]["tolerationSeconds"] == 300
    assert answer.observation.decision is not None
    assert answer.observation.decision.outcome == "patched"
    assert ask(patched, "validate").body["response"]["allowed"] is True
    again = ask(patched, "mutate").body["response"]
    assert "patch" not in again and again["allowed"] is True  # idempotent


@pytest.mark.parametrize(("endpoint", "allowed"), [("validate", False), ("mutate", True)])
def test_an_evaluation_over_its_budget_is_answered_never_a_500(
    endpoint: str, allowed: bool
) -> None:
    starved = dataclasses.replace(POLICY, evaluation_budget=0.0)
    answer = ask(pod(), endpoint, starved)
    response = answer.body["response"]
    assert answer.status == 200 and response["allowed"] is allowed and "patch" not in response
    decision = answer.observation.decision
    assert decision is not None and decision.internal_error is not None
    assert decision.internal_error.startswith("EvaluationTimeout")


def test_a_caller_without_a_client_certificate_is_refused_when_one_is_required() -> None:
    answer = review.check_peer("mutate", True, None)
    assert answer is not None and answer.status == 401
    assert answer.body == {"error": "a client certificate is required (--client-ca)", "code": 401}
    assert answer.observation.refusal == review.Refusal(
        "no_client_certificate", "no client cert", "review refused"
    )
    assert review.check_peer("mutate", True, {"subject": ((("commonName", "api"),),)}) is None
    assert review.check_peer("mutate", False, None) is None


def test_refusals_before_review_close_the_connection() -> None:
    large, late = review.too_large("validate", 10), review.incomplete("mutate")
    assert (large.status, large.close, large.body["error"]) == (
        413,
        True,
        "request body larger than 10 bytes",
    )
    assert (late.status, late.close) == (408, True)
    assert large.observation.refusal is not None and late.observation.refusal is not None
    assert (large.observation.refusal.reason, late.observation.refusal.reason) == (
        "too_large",
        "incomplete",
    )
