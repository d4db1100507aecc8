"""`create_app()`: the Flask adapter. Routes parse, call `admission`, and answer; no rule
logic lives here. Every malformed request is answered 400/413 with a JSON error, never 500.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from . import admission, logs, metrics
from .policy_store import PolicyStore

log = logging.getLogger("evictguard.webhook")

ENDPOINTS = ("validate", "mutate")
DEFAULT_MAX_BODY = 4 * 1024 * 1024  # the API server caps objects at 3 MiB; reviews hold two


@dataclass(frozen=True)
class Settings:
    policy_path: str | None = None
    cert_dir: str | None = None
    max_body: int = DEFAULT_MAX_BODY
    client_ca: str | None = None  # reviews need a client certificate that chains to it

    @classmethod
    def from_env(cls) -> Settings:
        """What `evictguard serve` hands the gunicorn workers."""
        return cls(
            policy_path=os.environ.get("EVICTGUARD_POLICY") or None,
            cert_dir=os.environ.get("EVICTGUARD_CERT_DIR") or None,
            max_body=int(os.environ.get("EVICTGUARD_MAX_BODY", DEFAULT_MAX_BODY)),
            client_ca=os.environ.get("EVICTGUARD_CLIENT_CA") or None,
        )


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(body), status=status, mimetype="application/json")


# orjson refuses nesting past 1,024 levels so; no AdmissionReview comes near that.
_ORJSON_DEPTH = "depth limit exceeded"


def _error(status: int, message: str) -> Response:
    return _json({"error": message, "code": status}, status)


DRAIN_LIMIT = 64 * 1024 * 1024  # beyond this a client that will not stop sending is cut off


def _drain(stream: Any, length: int) -> None:
    remaining = length
    try:
        while remaining > 0:
            chunk = stream.read(min(remaining, 65536))
            if not chunk:
                break
            remaining -= len(chunk)
    except OSError:
        pass  # a client that stops sending: answer anyway (the connection is closed after)


def _refused(
    endpoint: str, reason: str, status: int, message: str, logged: str | None = None
) -> Response:
    """A request refused before review: counted by reason, logged (`logged`, else the
    message: what was wrong, never the body), answered with a JSON error."""
    metrics.MALFORMED.labels(endpoint, reason).inc()
    log.warning("malformed request", extra={"endpoint": endpoint, "error": logged or message})
    return _error(status, message)


def _too_large(limit: int, endpoint: str) -> Response:
    response = _refused(endpoint, "too_large", 413, f"request body larger than {limit} bytes")
    response.headers["Connection"] = "close"
    return response


class CertificateStatus:
    """Whether the serving certificate is valid now (for /readyz and the expiry metric),
    re-read at most every few seconds."""

    INTERVAL = 5.0

    def __init__(self, cert_dir: str | None) -> None:
        self.cert_dir = cert_dir
        self._checked = 0.0
        self._result: tuple[bool, str] = (True, "no certificate directory configured")

    def check(self) -> tuple[bool, str]:
        if self.cert_dir is None or time.monotonic() - self._checked < self.INTERVAL:
            return self._result
        self._checked = time.monotonic()
        from ..certs.inspect import check_pair, not_after
        from .tls import CERT_FILE, KEY_FILE

        cert = os.path.join(self.cert_dir, CERT_FILE)
        try:
            check_pair(cert, os.path.join(self.cert_dir, KEY_FILE))
            expiry = not_after(cert)
        except (ValueError, OSError) as exc:
            self._result = (False, f"certificate: {exc}")
            return self._result
        metrics.CERT_EXPIRY.set(expiry.timestamp())
        self._result = (True, f"certificate valid until {expiry.isoformat()}")
        return self._result


def _client_certificate(environ: dict[str, Any]) -> bool:
    """Whether the caller sent a certificate; the TLS layer already checked that it chains
    to --client-ca (an untrusted one fails the handshake)."""
    sock = environ.get("gunicorn.socket")
    getpeercert = getattr(sock, "getpeercert", None)
    return bool(getpeercert and getpeercert())


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


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    logs.configure()
    app = Flask("evictguard")  # the body limit is enforced in review_endpoint, chunked too

    def on_reload(result: str) -> None:
        metrics.RELOADS.labels(result).inc()
        metrics.POLICY_OK.set(1 if result == "loaded" else 0)

    store = PolicyStore(settings.policy_path, on_reload=on_reload)
    metrics.POLICY_OK.set(1)
    certificate = CertificateStatus(settings.cert_dir)
    certificate.check()

    def review_endpoint(endpoint: str, decide: Callable[..., admission.Decision]) -> Response:
        started = time.perf_counter()
        if settings.client_ca and not _client_certificate(request.environ):
            metrics.MALFORMED.labels(endpoint, "no_client_certificate").inc()
            log.warning("review refused", extra={"endpoint": endpoint, "error": "no client cert"})
            return _error(401, "a client certificate is required (--client-ca)")
        stream = request.environ["wsgi.input"]
        length = request.content_length
        try:
            if length is not None and length > settings.max_body:
                # Read (and drop) what the client is sending, up to a bound, so that it gets
                # to read the answer instead of a reset connection halfway through.
                _drain(stream, min(length, DRAIN_LIMIT))
                return _too_large(settings.max_body, endpoint)
            # Read one byte past the cap: a chunked body (no Content-Length) that is too
            # large is refused, not cut short and parsed.
            body = stream.read(settings.max_body + 1)
        except OSError:  # the client stalled past the worker's I/O timeout, or went away
            response = _refused(endpoint, "incomplete", 408, "request body not received in time")
            response.headers["Connection"] = "close"
            return response
        if len(body) > settings.max_body:
            _drain(stream, DRAIN_LIMIT)
            return _too_large(settings.max_body, endpoint)
        try:
            review = admission.parse_review(orjson.loads(body))
        except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError and ReviewError
            if isinstance(exc, orjson.JSONDecodeError) and _ORJSON_DEPTH in str(exc).lower():
                message = "not an AdmissionReview: JSON nested too deeply"
                return _refused(endpoint, "too_deep", 400, message, "too deep")
            reason = "not_json" if isinstance(exc, orjson.JSONDecodeError) else "not_a_review"
            return _refused(endpoint, reason, 400, f"not an AdmissionReview: {exc}", str(exc))
        policy = store.current()
        try:
            decision = decide(review, policy)
        except admission.ReviewError as exc:
            message = f"not an AdmissionReview: {exc}"
            return _refused(endpoint, "not_a_review", 400, message, str(exc))
        except RecursionError:  # no built-in kind nests this deep; the API would refuse it
            message = "not an AdmissionReview: request.object nested too deeply"
            return _refused(endpoint, "too_deep", 400, message, "too deep")
        except Exception as exc:  # a bug, or the time budget: answered, never a 500
            decision = admission.on_internal_error(review, policy, exc, endpoint == "mutate")
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
        elapsed = time.perf_counter() - started
        metrics.LATENCY.labels(endpoint).observe(elapsed)
        metrics.REQUESTS.labels(
            endpoint,
            metrics.bounded(review.operation, admission.OPERATIONS),
            metrics.bounded(review.kind, admission.checked_kinds(policy)),
            decision.outcome,
        ).inc()
        for rule, mode in admission.modes_of(decision.findings, policy):
            metrics.FINDINGS.labels(endpoint, rule, mode.value).inc()
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
        return _json(admission.respond(review, decision))

    @app.post("/validate")
    def validate() -> Response:
        return review_endpoint("validate", admission.validate)

    @app.post("/mutate")
    def mutate() -> Response:
        return review_endpoint("mutate", admission.mutate)

    @app.get("/healthz")
    def healthz() -> Response:
        return _json({"status": "ok"})

    @app.get("/readyz")
    def readyz() -> Response:
        status = store.status
        cert_ok, cert_detail = certificate.check()
        body = {
            "policy": status.source,
            "policyLoadedAt": datetime.fromtimestamp(status.loaded_at, timezone.utc).isoformat(),
            "policyError": status.error,
            "certificate": cert_detail,
        }
        # A refused policy change leaves the last good policy serving correctly: say so, but
        # stay ready, or one bad ConfigMap edit would pull every replica out of the Service.
        body["status"] = "ok" if status.error is None else "degraded"
        if not cert_ok:
            body["status"] = "not ready"
        return _json(body, 200 if cert_ok else 503)

    @app.get("/metrics")
    def metrics_endpoint() -> Response:
        certificate.check()
        store.current()
        payload, content_type = metrics.exposition()
        return Response(payload, status=200, content_type=content_type)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        if isinstance(exc, RequestEntityTooLarge):
            return _too_large(
                settings.max_body, metrics.bounded(request.path.strip("/"), ENDPOINTS)
            )
        return _error(exc.code or 400, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:  # a bug must not take the worker down
        log.exception("unexpected error", extra={"path": request.path})
        return _error(500, f"internal error: {type(exc).__name__}")

    return app
