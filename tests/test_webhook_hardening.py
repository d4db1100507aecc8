"""Hostile clients on the real server: connections that finish the TLS handshake and then
say nothing must not hold the worker threads the API server's requests need."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from certs.generate import generate
from tests.webhook_client import SERVICE_HOST, Server, client_context, running_server

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
