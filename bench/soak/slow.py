"""Slow requests on their own connections: what must still be answered after SIGTERM."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import admission_corpus, loadgen
from .records import PATHS, Request

SLOW_REQUESTS = 4  # sent on their own connections just before SIGTERM
SLOW_CONTAINERS = 500  # 60-200 ms of server time each: surely in flight at SIGTERM


@dataclass
class SlowRequests:
    """Requests on their own blocking connections, sent just before SIGTERM: big Pods that
    keep a worker busy long enough to be surely in flight when the signal lands."""

    port: int
    ca_file: Path
    body: int
    bodies: Sequence[admission_corpus.ReviewBody]
    requests: list[Request] = field(default_factory=list)
    sockets: list[Any] = field(default_factory=list)

    def send(self, count: int) -> None:
        context = loadgen.client_context(self.ca_file)
        for n in range(count):
            path = PATHS[n % len(PATHS)]
            uid = f"{os.getpid():08x}-0000-4000-9000-{n:012x}"
            request = Request(-1 - n, path, self.body, uid, time.perf_counter(), conn=-2)
            self.requests.append(request)
            data = self.bodies[self.body].render(uid)
            try:
                raw = socket.create_connection(("127.0.0.1", self.port), timeout=10)
                sock = context.wrap_socket(raw, server_hostname=loadgen.SERVICE_HOST)
                sock.sendall(
                    b"POST %s?timeout=10s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json"
                    b"\r\nContent-Length: %d\r\n\r\n%s"
                    % (path.encode(), loadgen.SERVICE_HOST.encode(), len(data), data)
                )
            except OSError as exc:
                request.done, request.error = time.perf_counter(), f"connection: {exc}"
                self.sockets.append(None)
                continue
            request.sent = request.written = time.perf_counter()
            self.sockets.append(sock)

    def collect(self) -> None:
        for request, sock in zip(self.requests, self.sockets, strict=True):
            if sock is None:
                continue
            with sock:
                try:
                    status, payload = _read_answer(sock)
                except (OSError, ValueError, loadgen.HttpError) as exc:
                    request.done, request.error = time.perf_counter(), f"connection: {exc!r}"
                    continue
            request.done = time.perf_counter()
            request.error = loadgen.check(status, payload, request.uid)[0]
            request.payload = payload


def _read_answer(sock: Any) -> tuple[int, bytes]:
    buf = bytearray()
    while (end := buf.find(b"\r\n\r\n")) < 0:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("closed by the server")
        buf += chunk
    status, length, _ = loadgen._parse_head(bytes(buf[:end]))
    while len(buf) < end + 4 + length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("closed by the server")
        buf += chunk
    return status, bytes(buf[end + 4 : end + 4 + length])
