"""Hostile clients on the real server: connections that finish the TLS handshake and then
say nothing must not hold the worker threads the API server's requests need."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from evictguard.certs.generate import generate

from tests.webhook_client import (
    SERVICE_HOST,
    Server,
    admission_review,
    client_context,
    running_server,
)

SANS = ["localhost", "127.0.0.1"]
THREADS = 2


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    generate(tmp_path / "tls", "evictguard", "evictguard", extra_sans=SANS)
    with running_server(
        tmp_path / "tls", tmp_path / "server.log", workers=1, extra=("--threads", str(THREADS))
    ) as running:
        yield running


def _quiet_client(server: Server) -> ssl.SSLSocket:
    """Connects, completes the handshake, and sends nothing."""
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    context = client_context(server.cert_dir / "ca.crt")
    return context.wrap_socket(raw, server_hostname=SERVICE_HOST)


def test_silent_clients_after_the_handshake_do_not_hold_the_threads(server: Server) -> None:
    started = time.monotonic()
    quiet = [_quiet_client(server) for _ in range(THREADS * 5)]
    try:
        answer = server.request("GET", "/healthz", conn=server.connection())
        took = time.monotonic() - started
        assert answer.status == 200
        # Before: each silent client held one of the 2 threads for the 5 s I/O timeout, so
        # the handshakes queued behind them and this took some 25 s.
        assert took < 4.0, f"10 handshakes and a request took {took:.1f}s"
    finally:
        for sock in quiet:
            sock.close()


def test_a_silent_client_is_dropped_after_the_io_timeout(server: Server) -> None:
    quiet = _quiet_client(server)
    try:
        quiet.settimeout(15)
        started = time.monotonic()
        assert quiet.recv(1) == b""  # closed by the server, not answered
        assert 4.0 <= time.monotonic() - started < 12.0
    finally:
        quiet.close()


def test_a_client_that_sends_its_request_later_is_still_answered(server: Server) -> None:
    conn = _quiet_client(server)
    try:
        time.sleep(1.0)  # parked in the poller after the handshake
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := conn.recv(4096):
            reply += chunk
        assert reply.startswith(b"HTTP/1.1 200")
    finally:
        conn.close()


POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"containers": [{"name": "app", "image": "nginx"}]},  # no memory limit: denied
}


@pytest.mark.parametrize("on_error", ["allow", "deny"])
def test_an_object_over_its_time_budget_is_answered_as_on_internal_error_says(
    tmp_path: Path, on_error: str
) -> None:
    """No hook in the server: a budget too small for any Pod makes every evaluation fail."""
    generate(tmp_path / "tls", "evictguard", "evictguard", extra_sans=SANS)
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        f"admission:\n  onInternalError: {on_error}\n  evaluationBudgetSeconds: 0.000001\n"
    )
    with running_server(tmp_path / "tls", tmp_path / "server.log", policy=policy) as server:
        validated = server.review("/validate", admission_review(POD))
        mutated = server.review("/mutate", admission_review(POD))
        metrics = server.request("GET", "/metrics").body.decode()
        log = server.log_lines()
    response = validated.response
    # Denied whatever onInternalError says: else a big enough Pod would be a way past.
    assert response["allowed"] is False
    assert "too large to evaluate within its time budget" in response["status"]["message"]
    assert mutated.response["allowed"] is True and "patch" not in mutated.response
    assert 'evictguard_internal_errors_total{endpoint="validate"} 1.0' in metrics
    failures = [line for line in log if line.get("msg") == "evaluation failed"]
    assert len(failures) == 2 and all("EvaluationTimeout" in f["error"] for f in failures)
    assert all("nginx" not in str(f) for f in failures)  # no object contents in the log


def _client_pki(directory: Path, name: str) -> tuple[Path, Path, Path]:
    """A CA and a client certificate it signs (clientAuth), as PEM files."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} client CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.crt", directory / "client.crt", directory / "client.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def test_client_ca_requires_the_api_servers_certificate_for_reviews(tmp_path: Path) -> None:
    import http.client

    generate(tmp_path / "tls", "evictguard", "evictguard", extra_sans=SANS)
    trusted_ca, cert, key = _client_pki(tmp_path / "client", "trusted")
    _, stranger_cert, stranger_key = _client_pki(tmp_path / "stranger", "stranger")
    extra = ("--client-ca", str(trusted_ca))
    with running_server(tmp_path / "tls", tmp_path / "server.log", extra=extra) as server:

        def connect(cert_file: Path | None, key_file: Path | None) -> http.client.HTTPSConnection:
            conn = server.connection()
            if cert_file is not None:
                conn._context.load_cert_chain(cert_file, key_file)  # type: ignore[attr-defined]
            return conn

        review = admission_review(POD)
        assert server.request("GET", "/healthz", conn=connect(None, None)).status == 200
        refused = server.request(
            "POST", "/validate", json.dumps(review).encode(), conn=connect(None, None)
        )
        assert refused.status == 401 and "client certificate" in refused.body["error"]
        answered = server.review("/validate", review, conn=connect(cert, key))
        assert answered.response["allowed"] is False  # judged: no memory limit
        with pytest.raises((ssl.SSLError, OSError)):
            server.request("GET", "/healthz", conn=connect(stranger_cert, stranger_key))


@pytest.mark.parametrize(
    "version, ciphers, accepted",
    [
        (ssl.TLSVersion.TLSv1_3, None, True),
        (ssl.TLSVersion.TLSv1_2, "ECDHE+AESGCM", True),
        (ssl.TLSVersion.TLSv1_2, "AES128-SHA:AES256-SHA", False),  # RSA key exchange, CBC
        (ssl.TLSVersion.TLSv1_2, "ECDHE+AES+SHA1:!AESGCM", False),  # CBC with SHA-1
    ],
)
def test_only_modern_tls(server: Server, version: ssl.TLSVersion, ciphers: str, accepted: bool):
    context = client_context(server.cert_dir / "ca.crt")
    context.minimum_version = context.maximum_version = version
    if ciphers:
        context.set_ciphers(ciphers)
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        if accepted:
            with context.wrap_socket(raw, server_hostname=SERVICE_HOST) as tls:
                assert tls.version() == version.name.replace("_", ".")  # TLSv1_3 -> TLSv1.3
        else:
            with pytest.raises(ssl.SSLError):
                context.wrap_socket(raw, server_hostname=SERVICE_HOST)
    finally:
        raw.close()


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated")
def test_old_tls_versions_are_refused(server: Server) -> None:
    context = client_context(server.cert_dir / "ca.crt")
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        with pytest.raises(ssl.SSLError):
            context.wrap_socket(raw, server_hostname=SERVICE_HOST)
    finally:
        raw.close()


def test_a_certificate_that_cannot_be_loaded_is_logged_not_just_reset(tmp_path: Path) -> None:
    """The worker logs failed handshakes at debug (clients cause them): a server-side cause,
    a certificate gone bad before any good one was loaded, must reach the log."""
    from evictguard.webhook.tls import CERT_FILE, ServingContexts

    generate(tmp_path / "tls", "evictguard", "evictguard", extra_sans=SANS)
    (tmp_path / "tls" / CERT_FILE).write_text("not a certificate")
    contexts = ServingContexts()
    with pytest.raises(ssl.SSLError), _captured("evictguard.tls") as records:
        contexts.get(str(tmp_path / "tls"))
    assert [r.getMessage() for r in records] == [
        "no usable certificate: connections fail until there is one"
    ]


@contextlib.contextmanager
def _captured(logger: str) -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    target = logging.getLogger(logger)
    target.addHandler(handler)
    try:
        yield records
    finally:
        target.removeHandler(handler)


def test_a_client_that_does_not_close_does_not_freeze_the_worker(server: Server) -> None:
    """After an answer that closes the connection the server drains what the client still
    sends until it closes; gthread did that on the worker's main thread, for up to 2 s."""
    keep_alive = server.connection()
    assert server.request("GET", "/healthz", conn=keep_alive).status == 200
    lingering = _quiet_client(server)
    try:
        lingering.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := lingering.recv(4096):  # the server half-closes after its answer
            reply += chunk
        assert reply.startswith(b"HTTP/1.1 200")
        started = time.monotonic()  # the lingering client keeps its end open meanwhile
        assert server.request("GET", "/healthz", conn=keep_alive).status == 200
        assert time.monotonic() - started < 0.5
    finally:
        lingering.close()
