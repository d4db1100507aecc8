"""`review()`: an admission request's body in; the HTTP status, the JSON answer and what
happened (an Observation, for metrics and logs) out. No web framework inside (kopf's
`serve_admission_request` is the model), so every answer the webhook gives to a body can
be tested in-process; app.py does the HTTP around it: routing, body limits, framing,
metrics and logs. Every malformed request is a 400 with a JSON error, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from ..policy.model import Policy
from . import admission

# orjson refuses nesting past 1,024 levels so; no AdmissionReview comes near that.
_ORJSON_DEPTH = "depth limit exceeded"

DECIDERS: Mapping[str, Callable[[admission.Review, Policy], admission.Decision]] = {
    "validate": admission.validate,
    "mutate": admission.mutate,
}
ENDPOINTS = tuple(DECIDERS)


@dataclass(frozen=True)
class Refusal:
    """A request refused before review: the metric's reason label, the log event, and what
    was wrong for the log (never the body)."""

    reason: str
    logged: str
    event: str = "malformed request"


@dataclass(frozen=True)
class Observation:
    """What metrics and logs need of one request: either a refusal, or the review and its
    decision with the policy's facts that bound the metric labels."""

    endpoint: str
    refusal: Refusal | None = None
    review: admission.Review | None = None
    decision: admission.Decision | None = None
    checked_kinds: frozenset[str] = frozenset()  # the kinds the policy judges
    modes: tuple[tuple[str, str], ...] = ()  # (rule, mode) of every finding


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    observation: Observation
    close: bool = False  # the connection is closed after (the request was not read whole)


def refused(
    endpoint: str,
    reason: str,
    status: int,
    message: str,
    logged: str | None = None,
    event: str = "malformed request",
    close: bool = False,
) -> Answer:
    """The JSON error for a request refused before review (`logged`, else the message)."""
    refusal = Refusal(reason, logged or message, event)
    body = {"error": message, "code": status}
    return Answer(status, body, Observation(endpoint, refusal=refusal), close)


def too_large(endpoint: str, limit: int) -> Answer:
    message = f"request body larger than {limit} bytes"
    return refused(endpoint, "too_large", 413, message, close=True)


def incomplete(endpoint: str) -> Answer:
    """The client stalled past the worker's I/O timeout, or went away."""
    message = "request body not received in time"
    return refused(endpoint, "incomplete", 408, message, close=True)


def check_peer(endpoint: str, required: bool, peer_cert: Mapping[str, Any] | None) -> Answer | None:
    """The refusal of a caller without a client certificate when --client-ca asks for one
    (the TLS layer already checked that one sent chains to it); None when it may go on.
    Called before the body is read: an unauthenticated caller gets nothing read."""
    if not required or peer_cert:
        return None
    message = "a client certificate is required (--client-ca)"
    return refused(
        endpoint, "no_client_certificate", 401, message, "no client cert", "review refused"
    )


def _not_a_review(endpoint: str, exc: Exception) -> Answer:
    if isinstance(exc, orjson.JSONDecodeError) and _ORJSON_DEPTH in str(exc).lower():
        message = "not an AdmissionReview: JSON nested too deeply"
        return refused(endpoint, "too_deep", 400, message, "too deep")
    reason = "not_json" if isinstance(exc, orjson.JSONDecodeError) else "not_a_review"
    return refused(endpoint, reason, 400, f"not an AdmissionReview: {exc}", str(exc))


def review(body: bytes, endpoint: str, policy: Policy) -> Answer:
    """Parse, decide and answer one AdmissionReview for `endpoint` (validate or mutate).
    A bug or the time budget is answered as admission.onInternalError says, never a 500."""
    try:
        request = admission.parse_review(orjson.loads(body))
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError and ReviewError
        return _not_a_review(endpoint, exc)
    try:
        decision = DECIDERS[endpoint](request, policy)
    except admission.ReviewError as exc:
        return refused(endpoint, "not_a_review", 400, f"not an AdmissionReview: {exc}", str(exc))
    except RecursionError:  # no built-in kind nests this deep; the API would refuse it
        message = "not an AdmissionReview: request.object nested too deeply"
        return refused(endpoint, "too_deep", 400, message, "too deep")
    except Exception as exc:  # a bug, or the time budget: answered, never a 500
        decision = admission.on_internal_error(request, policy, exc, endpoint == "mutate")
    observation = Observation(
        endpoint,
        review=request,
        decision=decision,
        checked_kinds=admission.checked_kinds(policy),
        modes=tuple(
            (rule, mode.value) for rule, mode in admission.modes_of(decision.findings, policy)
        ),
    )
    return Answer(200, admission.respond(request, decision), observation)
