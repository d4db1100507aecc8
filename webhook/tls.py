"""The serving TLS context, rebuilt when the certificate files change.

gunicorn's gthread worker asks the `ssl_context` hook for a context on every accepted
connection, so returning a context rebuilt after a rotation (cert-manager renewing, a Secret
update swapping the mounted files) serves the new certificate to new connections while the
ones in flight finish on the old. A half-written or mismatched pair is refused and the last
good context stays in use until the files settle.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("evictguard.tls")

CERT_FILE, KEY_FILE, CA_FILE = "tls.crt", "tls.key", "ca.crt"
CHECK_INTERVAL = 1.0
LOG_INTERVAL = 10.0  # seconds between two error lines, per worker, about the same problem
# TLS 1.2: forward secrecy and AEAD only (what Go's client, the API server, prefers anyway):
# no RSA key exchange, no CBC, no SHA-1 MACs.
TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"


def _signature(*paths: Path) -> tuple[tuple[int, int, int], ...] | None:
    try:
        return tuple((s.st_ino, s.st_size, s.st_mtime_ns) for s in map(os.stat, paths))
    except OSError:
        return None


def new_context(cert: Path, key: Path, client_ca: str | None = None) -> ssl.SSLContext:
    """TLS 1.2 and up, modern ciphers only (TLS12_CIPHERS). With
    `client_ca`, a client certificate is asked for and must chain to it when sent; the
    app refuses reviews from callers that sent none (probes need none)."""
    from .worker import BoundedSSLSocket

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(TLS12_CIPHERS)  # TLS 1.3's suites are all modern already
    context.load_cert_chain(certfile=str(cert), keyfile=str(key))
    if client_ca:
        context.verify_mode = ssl.CERT_OPTIONAL
        context.load_verify_locations(cafile=client_ca)
    context.sslsocket_class = BoundedSSLSocket  # blocking I/O with a time limit
    return context


@dataclass
class _Cached:
    context: ssl.SSLContext
    signature: tuple[tuple[int, int, int], ...] | None
    checked: float


class ServingContexts:
    """One cached context per certificate directory, per process.

    A certificate that cannot be loaded is retried every CHECK_INTERVAL and logged at error
    level at most every LOG_INTERVAL while the problem (the error, and the files) stays the
    same: at once when it changes, and its end at once too."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: dict[str, _Cached] = {}
        self._complaints: dict[str, tuple[object, float]] = {}  # cert_dir -> (problem, when)

    def _should_log(self, cert_dir: str, problem: object, now: float) -> bool:
        last = self._complaints.get(cert_dir)
        if last is not None and last[0] == problem and now - last[1] < LOG_INTERVAL:
            return False
        self._complaints[cert_dir] = (problem, now)
        return True

    def get(self, cert_dir: str, client_ca: str | None = None) -> ssl.SSLContext:
        cert, key = Path(cert_dir) / CERT_FILE, Path(cert_dir) / KEY_FILE
        files = (cert, key, Path(client_ca)) if client_ca else (cert, key)
        with self._lock:
            cached = self._cached.get(cert_dir)
            now = time.monotonic()
            if cached is not None and now - cached.checked < CHECK_INTERVAL:
                return cached.context
            signature = _signature(*files)
            if cached is not None and signature == cached.signature:
                cached.checked = now
                return cached.context
            try:
                context = new_context(cert, key, client_ca)
            except (OSError, ssl.SSLError, ValueError) as exc:
                event = "certificate_load" if cached is None else "certificate_reload"
                logged = self._should_log(cert_dir, (event, str(exc), signature), now)
                extra = {"event": event, "error": str(exc), "pid": os.getpid()}
                if cached is None:
                    # Nothing to fall back on: this connection fails. Said at error level,
                    # since the worker counts a failed handshake as the client's doing and
                    # logs those at debug only.
                    if logged:
                        log.error(
                            "no usable certificate: connections fail until there is one",
                            extra=extra,
                        )
                    raise
                if logged:
                    log.error(
                        "new certificate refused, still serving the previous one",
                        extra={**extra, "result": "refused"},
                    )
                cached.checked = now  # retry after CHECK_INTERVAL; the files may settle
                return cached.context
            complained = self._complaints.pop(cert_dir, None) is not None
            if cached is not None or complained:
                log.info(
                    "certificate reloaded" if cached is not None else "certificate loaded",
                    extra={
                        "event": "certificate_reload" if cached is not None else "certificate_load",
                        "result": "loaded",
                        "pid": os.getpid(),
                    },
                )
            self._cached[cert_dir] = _Cached(context, signature, now)
            return context


CONTEXTS = ServingContexts()
