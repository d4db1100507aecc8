"""`record()`: one request's Observation (webhook.review) as metrics and JSON log lines:
what happened and why, never the object's contents."""

from __future__ import annotations

import logging
from typing import Any

from . import admission, metrics
from .review import Observation

log = logging.getLogger("evictguard.webhook")


def _capped(value: Any, limit: int = 253) -> Any:
    """Request values in the log, cut to the longest name Kubernetes allows."""
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


def _object_name(obj: Any) -> str | None:
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    if not isinstance(metadata, dict):
        return None
    return metadata.get("name") or metadata.get("generateName")


def record(observation: Observation, elapsed: float) -> None:
    """Count and log a request; `elapsed` is its time from the first byte read."""
    endpoint = observation.endpoint
    refusal, review, decision = observation.refusal, observation.review, observation.decision
    if refusal is not None:
        metrics.MALFORMED.labels(endpoint, refusal.reason).inc()
        log.warning(refusal.event, extra={"endpoint": endpoint, "error": refusal.logged})
        return
    assert review is not None and decision is not None
    if decision.internal_error:  # the whole evaluation, or some rules, failed
        metrics.INTERNAL_ERRORS.labels(endpoint).inc()
        log.error(
            "evaluation failed",
            extra={
                "endpoint": endpoint,
                "uid": _capped(review.uid),
                "kind": _capped(review.kind),
                "error": decision.internal_error,  # type and place, no values
                "decision": "allowed" if decision.allowed else "denied",
            },
        )
    metrics.LATENCY.labels(endpoint).observe(elapsed)
    metrics.REQUESTS.labels(
        endpoint,
        metrics.bounded(review.operation, admission.OPERATIONS),
        metrics.bounded(review.kind, observation.checked_kinds),
        decision.outcome,
    ).inc()
    for rule, mode in observation.modes:
        metrics.FINDINGS.labels(endpoint, rule, mode).inc()
    log.info(
        "review",
        extra={
            "endpoint": endpoint,
            "uid": _capped(review.uid),
            "kind": _capped(review.kind),
            "namespace": _capped(review.namespace),
            "object_name": _capped(review.name or _object_name(review.obj)),
            "operation": _capped(review.operation),
            "user": _capped(review.username),
            "dry_run": review.dry_run,
            "decision": decision.outcome,
            "skipped": decision.skipped,
            "rules": sorted({f.rule for f in decision.findings}),
            "denied_by": sorted({f.rule for f in decision.denied_by}),
            "exempted": sorted(decision.exempted),
            "latency_ms": round(elapsed * 1000, 3),
        },
    )
