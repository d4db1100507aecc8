"""`create_app()`: the Flask adapter. Routes read the body within its limits, hand it to
`review.review` (which holds what the webhook answers, with no Flask inside), record what
happened (`observe`) and frame the answer; no rule logic lives here. Every malformed
request is answered 400/408/413 with a JSON error, never 500.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from . import gunicorn_private, logs, metrics, observe, review
from .policy_store import PolicyStore

log = logging.getLogger("evictguard.webhook")

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


def _error(status: int, message: str) -> Response:
    return _json({"error": message, "code": status}, status)


def _answer(answer: review.Answer, started: float) -> Response:
    """Count and log the answer, then frame it."""
    observe.record(answer.observation, time.perf_counter() - started)
    response = _json(answer.body, answer.status)
    if answer.close:
        response.headers["Connection"] = "close"
    return response


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


def _read_body(stream: Any, length: int | None, limit: int) -> bytes | None:
    """The body, or None when it is larger than `limit` (then drained, up to a bound, so
    the client gets to read the 413 instead of a reset connection halfway through).
    OSError: the client stalled past the worker's I/O timeout, or went away."""
    if length is not None and length > limit:
        _drain(stream, min(length, DRAIN_LIMIT))
        return None
    # Read one byte past the cap: a chunked body (no Content-Length) that is too large is
    # refused, not cut short and parsed.
    body: bytes = stream.read(limit + 1)
    if len(body) > limit:
        _drain(stream, DRAIN_LIMIT)
        return None
    return body


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
    limit = settings.max_body

    def review_endpoint(endpoint: str) -> Response:
        started = time.perf_counter()
        peer = gunicorn_private.peer_certificate(request.environ)
        refusal = review.check_peer(endpoint, bool(settings.client_ca), peer)
        if refusal is not None:
            return _answer(refusal, started)
        try:
            body = _read_body(request.environ["wsgi.input"], request.content_length, limit)
        except OSError:
            return _answer(review.incomplete(endpoint), started)
        if body is None:
            return _answer(review.too_large(endpoint, limit), started)
        return _answer(review.review(body, endpoint, store.current()), started)

    @app.post("/validate")
    def validate() -> Response:
        return review_endpoint("validate")

    @app.post("/mutate")
    def mutate() -> Response:
        return review_endpoint("mutate")

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
            endpoint = metrics.bounded(request.path.strip("/"), review.ENDPOINTS)
            return _answer(review.too_large(endpoint, limit), time.perf_counter())
        return _error(exc.code or 400, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:  # a bug must not take the worker down
        log.exception("unexpected error", extra={"path": request.path})
        return _error(500, f"internal error: {type(exc).__name__}")

    return app
