"""The soak's load: loadgen's open loop, keeping every request and connection."""

from __future__ import annotations

import errno
import math
import os
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import loadgen
from .certificates import digest
from .records import PATHS, Connection, Request


class _Recorder:
    """Stands in for loadgen's tally: it receives (scheduled, done, error) and finds the
    request by its scheduled time, which is unique per request."""

    def __init__(self, generator: SoakGenerator) -> None:
        self.generator = generator

    def record(self, scheduled: float, done: float, error: str | None, outcome: str) -> None:
        self.generator.finish(scheduled, done, error)


class Aborted(Exception):
    """The orchestrator asked the generator to stop (Ctrl-C, deadline, server failure)."""


class SoakGenerator(loadgen.Generator):
    """loadgen's open loop, alternating /validate and /mutate, keeping every request (its
    connection, times, answer) and every connection (client port, certificate).

    Connections open without blocking (connect, then the TLS handshake, on the selector):
    loadgen's blocking `_open` stalls every other connection while a server is slow to
    accept, which is exactly when a soak needs them read (a stopping gunicorn worker waits
    for the client to close after `Connection: close`), and kube-apiserver dials on its own
    goroutine anyway. loadgen has no per-request hook, so this overrides its private
    `_start`, `_open`, `_write`, `_read`, `_close`, `_on_event` and `_poll`, and hands
    `_drive` a recorder in place of its tally."""

    def __init__(self, port: int, ca_file: Path, bodies: Sequence[loadgen.Body], conns: int):
        super().__init__(loadgen.Target(port, PATHS[0], ca_file), bodies, conns)
        self.heads = {
            p: self.request_head.replace(f"{PATHS[0]}?".encode(), f"{p}?".encode()) for p in PATHS
        }
        self.slot = {id(c): i for i, c in enumerate(self.conns)}
        self.serial_of = [-1] * len(self.conns)
        self.opening: dict[int, str] = {}  # slot: "connect" or "handshake"
        self.current: dict[int, Request] = {}  # slot: its request in flight
        self.connections: list[Connection] = []
        self.requests: list[Request] = []
        self.pending: dict[float, Request] = {}  # scheduled time: request in flight
        self.start = math.nan
        self.started = threading.Event()
        self.abort = threading.Event()

    # -- connections, without blocking -----------------------------------------------------

    def _open(self, conn: Any) -> None:
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setblocking(False)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        error = raw.connect_ex((self.target.host, self.target.port))
        if error not in (0, errno.EINPROGRESS):
            raw.close()
            raise OSError(error, os.strerror(error))
        slot = self.slot[id(conn)]
        conn.sock = raw
        self.selector.register(raw, selectors.EVENT_WRITE, conn)
        self.opened += 1
        self.opening[slot] = "connect"
        self.serial_of[slot] = len(self.connections)
        now = time.perf_counter()
        self.connections.append(Connection(len(self.connections), raw.getsockname()[1], now))

    def _progress(self, conn: Any, slot: int) -> bool:
        """Take an opening connection one step on; True once its handshake is done."""
        if self.opening[slot] == "connect":
            error = conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if error:
                raise OSError(error, os.strerror(error))
            self.selector.unregister(conn.sock)
            conn.sock = self.context.wrap_socket(
                conn.sock,
                server_hostname=self.target.server_hostname,
                do_handshake_on_connect=False,
            )
            self.selector.register(conn.sock, selectors.EVENT_READ, conn)
            self.opening[slot] = "handshake"
        try:
            conn.sock.do_handshake()
        except ssl.SSLWantReadError:
            self.selector.modify(conn.sock, selectors.EVENT_READ, conn)
            return False
        except ssl.SSLWantWriteError:
            self.selector.modify(conn.sock, selectors.EVENT_WRITE, conn)
            return False
        del self.opening[slot]
        der = conn.sock.getpeercert(binary_form=True) or b""
        connection = self.connections[self.serial_of[slot]]
        connection.cert, connection.ready = digest(der), time.perf_counter()
        return True

    def _on_event(self, conn: Any, tally: Any) -> None:
        slot = self.slot[id(conn)]
        if slot not in self.opening:
            super()._on_event(conn, tally)
            return
        try:
            if self._progress(conn, slot):
                self._write(conn)  # the request waiting for the handshake
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            self._close(conn)
            tally.record(
                conn.scheduled, time.perf_counter(), f"connection: {type(exc).__name__}", ""
            )
            self._release(conn)

    def _write(self, conn: Any) -> None:
        slot = self.slot[id(conn)]
        if slot in self.opening:
            return  # sent once the handshake is done
        super()._write(conn)
        request = self.current.get(slot)
        if request is not None and math.isnan(request.written):
            request.written = time.perf_counter()

    def _close(self, conn: Any) -> None:
        slot = self.slot[id(conn)]
        self.opening.pop(slot, None)
        if conn.sock is not None:
            self.connections[self.serial_of[slot]].closed = time.perf_counter()
        super()._close(conn)

    def _read(self, conn: Any) -> tuple[int, bytes] | None:
        try:
            answer = super()._read(conn)
        except ConnectionResetError:
            # loadgen reads until the socket would block and fails on end-of-file, even when
            # the whole answer came before it: a `Connection: close` answer read late.
            answer = self._buffered(conn)
            if answer is None:
                raise
            self._close(conn)
        request = self.current.get(self.slot[id(conn)])
        if answer is not None and request is not None:
            request.payload = answer[1]
        return answer

    def _buffered(self, conn: Any) -> tuple[int, bytes] | None:
        """A complete answer already read into the connection's buffer, if there is one."""
        if conn.head is None:
            end = conn.buf.find(b"\r\n\r\n")
            if end < 0:
                return None
            conn.head = loadgen._parse_head(bytes(conn.buf[:end]))
            del conn.buf[: end + 4]
        status, length, _ = conn.head
        if len(conn.buf) < length:
            return None
        self.responses += 1
        return status, bytes(conn.buf[:length])

    def _poll(self, timeout: float, tally: Any) -> None:
        if self.abort.is_set():
            raise Aborted
        super()._poll(timeout, tally)

    # -- requests ----------------------------------------------------------------------------

    def _start(self, index: int, scheduled: float, tally: Any) -> None:
        conn = self.idle.popleft()
        slot = self.slot[id(conn)]
        path = PATHS[index % len(PATHS)]
        body = (index // len(PATHS)) % len(self.bodies)
        uid = f"{os.getpid():08x}-0000-4000-8000-{index:012x}"
        request = Request(index, path, body, uid, scheduled, sent=time.perf_counter())
        request.new_conn = conn.sock is None
        self.requests.append(request)
        self.pending[scheduled] = self.current[slot] = request
        self.request_head = self.heads[path]
        opened = self.opened
        error = self._send(conn, scheduled, uid, self.bodies[body].render(uid))
        if not request.new_conn or self.opened > opened:
            request.conn = self.serial_of[slot]
        if error is not None:
            self.finish(scheduled, time.perf_counter(), error)
            self._release(conn)

    def finish(self, scheduled: float, done: float, error: str | None) -> None:
        request = self.pending.pop(scheduled, None)
        if request is not None:  # None: a priming request
            request.done, request.error = done, error

    def in_flight(self) -> int:
        return len(self.conns) - len(self.idle)

    def run_for(self, rate: float, duration: float) -> None:
        """Prime the pool, then the open loop; requests it gave up on are failures."""
        self.prime()
        self.request_head = self.heads[PATHS[0]]
        self.start = time.perf_counter() + 0.01
        self.started.set()
        unsent = self._drive(self.start, 1.0 / rate, int(duration * rate), _Recorder(self))
        for index in unsent:  # never started: the generator gave up (loadgen.MAX_LAG)
            path, body = PATHS[index % len(PATHS)], (index // len(PATHS)) % len(self.bodies)
            request = Request(index, path, body, "", self.start + index / rate)
            request.error = loadgen.SATURATED
            self.requests.append(request)
