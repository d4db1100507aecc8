"""Prometheus metrics. Under gunicorn every worker is a process of its own, so the
collectors use prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set up by
gunicorn.conf.py) and /metrics sums what all live workers recorded."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "evictguard_admission_requests_total",
    "Admission reviews answered, by endpoint, operation, kind and outcome.",
    ["endpoint", "operation", "kind", "outcome"],
)
FINDINGS = Counter(
    "evictguard_admission_findings_total",
    "Findings in admission reviews, by endpoint, rule and mode (enforce, warn, audit).",
    ["endpoint", "rule", "mode"],
)
MALFORMED = Counter(
    "evictguard_malformed_requests_total",
    "Requests refused before review: not JSON, not an AdmissionReview, or too large.",
    ["endpoint", "reason"],
)
INTERNAL_ERRORS = Counter(
    "evictguard_internal_errors_total",
    "Reviews whose evaluation failed (a bug, or the time budget) and were answered as "
    "admission.onInternalError says",
    ["endpoint"],
)
LATENCY = Histogram(
    "evictguard_admission_duration_seconds",
    "Time to answer an admission review, by endpoint.",
    ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
RELOADS = Counter(
    "evictguard_policy_reloads_total",
    "Policy file changes seen, by result (loaded, refused).",
    ["result"],
)
POLICY_OK = Gauge(
    "evictguard_policy_ok",
    "1 when the policy file in force loaded cleanly, 0 when a change was refused.",
    multiprocess_mode="livemin",
)
CERT_EXPIRY = Gauge(
    "evictguard_certificate_expiry_timestamp_seconds",
    "When the serving certificate expires (Unix time).",
    multiprocess_mode="livemin",
)


def bounded(value: str, known: object) -> str:
    """A label value from a request, or `other`: labels a client chooses would let it grow
    the metrics (and the multiprocess files under /tmp) without bound."""
    return value if isinstance(value, str) and value in known else "other"  # type: ignore[operator]


def exposition() -> tuple[bytes, str]:
    """The text format, summed over the worker processes when there are several."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
