"""Open-loop HTTPS load generator for AdmissionReview endpoints.

Requests are scheduled at a fixed rate whatever the server does, and each latency is measured
from the request's *scheduled* time, so a server that stalls cannot hide the wait behind a
slower sender (coordinated omission). Like kube-apiserver, it keeps a fixed pool of
persistent TLS connections, verifies the certificate against the CA and the Service's DNS
name, and checks each answer as `VerifyAdmissionResponse` would (HTTP 200, an AdmissionReview
with the request's uid and a boolean `allowed`); anything else is an error, by reason.

One thread, non-blocking `ssl` sockets on a selector, hand-rolled HTTP/1.1: asyncio's TLS
transport costs several times more CPU per request (measured: ~550 us of user time per
request here, against ~150 us for this loop), and on a 2-core machine every cycle the
generator spends is taken from the server it measures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import selectors
import socket
import ssl
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from . import admission_corpus

SERVICE_HOST = "evictguard.evictguard.svc"  # the name the API server verifies (tests do too)
REQUEST_TIMEOUT = 5.0  # the webhook configurations' timeoutSeconds
MAX_LAG = 2.0  # a request not sent this long after its time: the generator gives up (saturated)
SATURATED = f"saturated: not sent within {MAX_LAG:g}s of its time"
TIMEOUT = f"timeout (>{REQUEST_TIMEOUT:g}s)"


class Body(Protocol):
    def render(self, uid: str) -> bytes: ...


@dataclass(frozen=True)
class Target:
    port: int
    path: str  # /validate or /mutate
    ca_file: Path
    host: str = "127.0.0.1"
    server_hostname: str = SERVICE_HOST


def client_context(ca_file: Path) -> ssl.SSLContext:
    """Verify like the API server: the caBundle, and the Service's DNS name."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_file))
    context.check_hostname = True
    return context


class HttpError(Exception):
    """A response that is not HTTP/1.1 as expected (the reason is the message)."""


def _parse_head(head: bytes) -> tuple[int, int, bool]:
    """(status, content length, connection closes after) of a response head."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise HttpError("bad status line")
    length, close = -1, parts[0] == b"HTTP/1.0"
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            close = value.strip().lower() == b"close"
        elif name == b"transfer-encoding":
            raise HttpError("chunked response")
    if length < 0:
        raise HttpError("no content-length")
    return int(parts[1]), length, close


def check(status: int, payload: bytes, uid: str) -> tuple[str | None, str]:
    """(error reason or None, outcome) as the API server would judge the answer."""
    if status != 200:
        return f"HTTP {status}", ""
    try:
        body = json.loads(payload)
    except ValueError:
        return "response not JSON", ""
    if not isinstance(body, dict) or body.get("kind") != "AdmissionReview":
        return "not an AdmissionReview", ""
    if body.get("apiVersion") != "admission.k8s.io/v1":
        return "wrong apiVersion", ""
    response = body.get("response")
    if not isinstance(response, dict) or response.get("uid") != uid:
        return "uid mismatch", ""
    allowed = response.get("allowed")
    if not isinstance(allowed, bool):
        return "allowed not a boolean", ""
    if not allowed:
        return None, "denied"
    return None, "patched" if "patch" in response else "allowed"


@dataclass
class Summary:
    """Latency percentiles in milliseconds (nearest rank) over the measured requests."""

    count: int = 0
    p50: float = 0.0
    p90: float = 0.0
    p99: float = 0.0
    max: float = 0.0
    mean: float = 0.0

    @classmethod
    def of(cls, latencies: Sequence[float]) -> Summary:
        if not latencies:
            return cls()
        ordered = sorted(latencies)

        def rank(q: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)

        mean = round(sum(ordered) / len(ordered) * 1000, 3)
        return cls(len(ordered), rank(0.5), rank(0.9), rank(0.99), rank(1.0), mean)


@dataclass
class Result:
    target_rate: float
    duration: float
    warmup: float
    connections: int
    scheduled: int = 0  # measured requests (scheduled after the warm-up)
    achieved_rate: float = 0.0  # good answers completed per second inside the window
    latency_ms: Summary = field(default_factory=Summary)
    errors: dict[str, int] = field(default_factory=dict)  # measured requests only
    warmup_errors: dict[str, int] = field(default_factory=dict)  # and the priming requests
    outcomes: dict[str, int] = field(default_factory=dict)
    saturated: bool = False
    reconnects: int = 0  # connections opened after the pool was primed
    responses: int = 0  # complete HTTP responses read, priming included (the server's work)
    generator_cpu_s: float = 0.0  # this process's CPU time from priming to the end
    generator_cpu_us_per_request: float = 0.0
    generator_core_share: float = 0.0  # CPU time / wall time: 1.0 is a whole core
    wall_s: float = 0.0
    pool_note: Any = None  # whatever on_pool_open returned (the orchestrator's balance)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Tally:
    """What the run observed; requests scheduled in the warm-up are kept apart."""

    measure_from: float
    measure_to: float
    latencies: list[float] = field(default_factory=list)
    good_in_window: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    warmup_errors: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)

    def record(self, scheduled: float, done: float, error: str | None, outcome: str) -> None:
        measured = scheduled >= self.measure_from
        if error is not None:
            (self.errors if measured else self.warmup_errors)[error] += 1
            return
        if self.measure_from <= done <= self.measure_to:
            self.good_in_window += 1
        if measured:
            self.latencies.append(done - scheduled)
            self.outcomes[outcome] += 1


class _Conn:
    """One keep-alive connection and the one request it may have in flight."""

    __slots__ = ("buf", "head", "out", "scheduled", "sock", "uid")

    def __init__(self) -> None:
        self.sock: ssl.SSLSocket | None = None
        self.out = b""  # what is left to send (a TLS write is retried whole)
        self.buf = bytearray()
        self.head: tuple[int, int, bool] | None = None  # parsed status line and headers
        self.scheduled = -1.0  # < 0: idle
        self.uid = ""


class Generator:
    """A fixed pool of connections driven by one selector loop."""

    def __init__(self, target: Target, bodies: Sequence[Body], connections: int = 16) -> None:
        self.target, self.bodies = target, bodies
        self.context = client_context(target.ca_file)
        self.selector = selectors.DefaultSelector()
        self.conns = [_Conn() for _ in range(connections)]
        self.idle: deque[_Conn] = deque(self.conns)
        self.opened = 0
        self.responses = 0
        self.request_head = (
            f"POST {target.path}?timeout={REQUEST_TIMEOUT:g}s HTTP/1.1\r\n"
            f"Host: {target.server_hostname}:{target.port}\r\n"
            "User-Agent: kube-apiserver-admission\r\n"
            "Content-Type: application/json\r\nAccept: application/json, */*\r\n"
            "Content-Length: "
        ).encode()

    # -- connections ---------------------------------------------------------------------

    def _open(self, conn: _Conn) -> None:
        """Connect and handshake (blocking, bounded); only ever done to send a request at
        once, as Go's transport does: gthread holds a thread for a new connection that has
        not sent its request, so an idle fresh connection would be dropped."""
        raw = socket.create_connection(
            (self.target.host, self.target.port), timeout=REQUEST_TIMEOUT
        )
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock = self.context.wrap_socket(raw, server_hostname=self.target.server_hostname)
        except BaseException:
            raw.close()
            raise
        sock.setblocking(False)
        conn.sock = sock
        self.selector.register(sock, selectors.EVENT_READ, conn)
        self.opened += 1

    def _close(self, conn: _Conn) -> None:
        if conn.sock is not None:
            self.selector.unregister(conn.sock)
            conn.sock.close()
        conn.sock, conn.out, conn.head = None, b"", None
        conn.buf.clear()

    def _release(self, conn: _Conn) -> None:
        conn.scheduled = -1.0
        self.idle.append(conn)

    # -- one exchange ----------------------------------------------------------------------

    def _send(self, conn: _Conn, scheduled: float, uid: str, body: bytes) -> str | None:
        """Start a request on an idle connection; an error reason if it could not."""
        conn.scheduled, conn.uid = scheduled, uid
        try:
            if conn.sock is None:
                self._open(conn)
            conn.out = b"%s%d\r\n\r\n%s" % (self.request_head, len(body), body)
            self._write(conn)
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            self._close(conn)
            return f"connection: {type(exc).__name__}"
        return None

    def _write(self, conn: _Conn) -> None:
        assert conn.sock is not None
        try:
            conn.sock.send(conn.out)
            conn.out = b""
            self.selector.modify(conn.sock, selectors.EVENT_READ, conn)
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
            self.selector.modify(conn.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, conn)

    def _read(self, conn: _Conn) -> tuple[int, bytes] | None:
        """Whatever has arrived; (status, body) once the response is complete."""
        assert conn.sock is not None
        try:
            while True:
                chunk = conn.sock.recv(262144)
                if not chunk:
                    raise ConnectionResetError("closed by the server")
                conn.buf += chunk
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            pass
        if conn.head is None:
            end = conn.buf.find(b"\r\n\r\n")
            if end < 0:
                return None
            conn.head = _parse_head(bytes(conn.buf[:end]))
            del conn.buf[: end + 4]
        status, length, close = conn.head
        if len(conn.buf) < length:
            return None
        payload = bytes(conn.buf[:length])
        del conn.buf[:length]
        conn.head = None
        self.responses += 1
        if close:
            self._close(conn)
        return status, payload

    def _on_event(self, conn: _Conn, tally: _Tally) -> None:
        if conn.scheduled < 0:  # idle: the server closed it (keep-alive timeout, shutdown)
            self._close(conn)
            return
        error, outcome = None, ""
        try:
            if conn.out:
                self._write(conn)
            answer = self._read(conn)
            if answer is None:
                return
            error, outcome = check(answer[0], answer[1], conn.uid)
        except (OSError, ValueError, HttpError) as exc:
            error = f"connection: {type(exc).__name__}"
            if isinstance(exc, HttpError | ValueError):
                error = f"bad HTTP: {exc}"
            self._close(conn)
        tally.record(conn.scheduled, time.perf_counter(), error, outcome)
        self._release(conn)

    def _expire(self, now: float, tally: _Tally) -> None:
        for conn in self.conns:
            if 0 <= conn.scheduled < now - REQUEST_TIMEOUT:
                self._close(conn)
                tally.record(conn.scheduled, now, TIMEOUT, "")
                self._release(conn)

    def _poll(self, timeout: float, tally: _Tally) -> None:
        for key, _ in self.selector.select(timeout):
            self._on_event(key.data, tally)

    # -- runs ------------------------------------------------------------------------------

    def prime(self) -> Counter[str]:
        """Open every connection with one request on it, all at once (a burst); errors."""
        body = self.bodies[0]
        tally = _Tally(measure_from=float("inf"), measure_to=float("inf"))
        now = time.perf_counter()
        for index, conn in enumerate(list(self.idle)):
            self.idle.remove(conn)
            uid = f"00000000-0000-4000-8000-{index:012x}"
            error = self._send(conn, now, uid, body.render(uid))
            if error is not None:
                tally.record(now, now, f"priming: {error}", "")
                self._release(conn)
        deadline = now + REQUEST_TIMEOUT
        while len(self.idle) < len(self.conns) and time.perf_counter() < deadline:
            self._poll(0.05, tally)
        self._expire(float("inf"), tally)
        return tally.warmup_errors

    def run(
        self,
        rate: float,
        duration: float,
        warmup: float,
        on_pool_open: Callable[[], Any] | None = None,
    ) -> Result:
        """Prime the pool, call `on_pool_open` (nothing in flight), then send at `rate` for
        warmup + duration seconds; only requests scheduled after the warm-up are measured."""
        result = Result(rate, duration, warmup, len(self.conns))
        cpu0, wall0 = _cpu(), time.perf_counter()
        primed = self.prime()
        opened = self.opened
        if on_pool_open is not None:
            result.pool_note = on_pool_open()
        start = time.perf_counter() + 0.01
        tally = _Tally(measure_from=start + warmup, measure_to=start + warmup + duration)
        total = int((warmup + duration) * rate)
        interval = 1.0 / rate
        unsent = self._drive(start, interval, total, tally)
        if unsent:
            result.saturated = True
            measured = sum(1 for i in unsent if start + i * interval >= tally.measure_from)
            tally.errors[SATURATED] += measured
            if len(unsent) > measured:
                tally.warmup_errors[SATURATED] += len(unsent) - measured
        tally.warmup_errors.update(primed)
        result.reconnects = self.opened - opened
        result.responses = self.responses
        _fill(result, tally, total, start, interval, _cpu() - cpu0, time.perf_counter() - wall0)
        return result

    def _drive(self, start: float, interval: float, total: int, tally: _Tally) -> list[int]:
        """The open loop; the indices of the requests it gave up on (saturated)."""
        backlog: deque[int] = deque()  # due, waiting for an idle connection
        issued, unsent = 0, []
        hard_stop = start + total * interval + REQUEST_TIMEOUT + 1.0
        while issued < total or backlog or len(self.idle) < len(self.conns):
            now = time.perf_counter()
            if issued < total:
                due = min(total, int((now - start) / interval) + 1)
                if due > issued:
                    backlog.extend(range(issued, due))
                    issued = due
            if backlog and now - (start + backlog[0] * interval) > MAX_LAG:
                unsent = [*backlog, *range(issued, total)]  # in-flight ones still finish
                backlog.clear()
                issued = total
            if now > hard_stop:
                self._expire(float("inf"), tally)
                break
            while backlog and self.idle:
                index = backlog.popleft()
                self._start(index, start + index * interval, tally)
            self._expire(now, tally)
            wait = 0.01
            if issued < total:
                wait = max(0.0, start + issued * interval - time.perf_counter())
            self._poll(0.0 if backlog and self.idle else min(wait, 0.01), tally)
        return unsent

    def _start(self, index: int, scheduled: float, tally: _Tally) -> None:
        conn = self.idle.popleft()
        uid = f"{os.getpid():08x}-0000-4000-8000-{index:012x}"
        body = self.bodies[index % len(self.bodies)].render(uid)
        error = self._send(conn, scheduled, uid, body)
        if error is not None:
            tally.record(scheduled, time.perf_counter(), error, "")
            self._release(conn)

    def close(self) -> None:
        for conn in self.conns:
            self._close(conn)
        self.selector.close()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _fill(
    result: Result,
    tally: _Tally,
    total: int,
    start: float,
    interval: float,
    cpu: float,
    wall: float,
) -> None:
    result.scheduled = sum(1 for i in range(total) if start + i * interval >= tally.measure_from)
    result.achieved_rate = round(tally.good_in_window / result.duration, 1)
    result.latency_ms = Summary.of(tally.latencies)
    result.errors = dict(tally.errors)
    result.warmup_errors = dict(tally.warmup_errors)
    result.outcomes = dict(tally.outcomes)
    result.generator_cpu_s = round(cpu, 3)
    answered = total + result.connections  # and the priming requests
    result.generator_cpu_us_per_request = round(cpu / max(1, answered) * 1e6, 1)
    result.generator_core_share = round(cpu / wall, 3) if wall > 0 else 0.0
    result.wall_s = round(wall, 2)


def run_load(
    target: Target,
    bodies: Sequence[Body],
    rate: float,
    duration: float,
    warmup: float = 1.0,
    connections: int = 16,
    on_pool_open: Callable[[], Any] | None = None,
) -> Result:
    """One open-loop run on a fresh pool (closed at the end, whatever happens)."""
    generator = Generator(target, bodies, connections)
    try:
        return generator.run(rate, duration, warmup, on_pool_open)
    finally:
        generator.close()


def probe(target: Target, body: Body, timeout: float = 2.0) -> str | None:
    """One request on a fresh blocking connection (readiness); an error reason or None."""
    uid = "00000000-0000-4000-8000-0000000000ff"
    data = body.render(uid)
    try:
        raw = socket.create_connection((target.host, target.port), timeout=timeout)
        context = client_context(target.ca_file)
        with context.wrap_socket(raw, server_hostname=target.server_hostname) as sock:
            sock.sendall(
                b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s"
                % (target.path.encode(), target.server_hostname.encode(), len(data), data)
            )
            buf = bytearray()
            while (end := buf.find(b"\r\n\r\n")) < 0 or len(buf) < end + 4 + _length(buf, end):
                chunk = sock.recv(65536)
                if not chunk:
                    return "connection closed"
                buf += chunk
    except (OSError, HttpError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    status, length, _ = _parse_head(bytes(buf[:end]))
    return check(status, bytes(buf[end + 4 : end + 4 + length]), uid)[0]


def _length(buf: bytearray, end: int) -> int:
    """The Content-Length of the head (request or response) ending at `end`."""
    for line in bytes(buf[:end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise HttpError("no content-length")


def null_server(port: int, cert_dir: Path) -> None:
    """A minimal TLS HTTP/1.1 server that allows every review (thread per connection, no
    framework): only to measure the generator's own ceiling, not a webhook."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert_dir / "tls.crt"), str(cert_dir / "tls.key"))
    listener = socket.create_server(("127.0.0.1", port), backlog=128)
    while True:
        raw, _ = listener.accept()
        threading.Thread(target=_null_connection, args=(context, raw), daemon=True).start()


def _null_connection(context: ssl.SSLContext, raw: socket.socket) -> None:
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    answer = (
        b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",'
        b'"response":{"uid":"%s","allowed":true}}'
    )
    try:
        with context.wrap_socket(raw, server_side=True) as sock:
            buf = bytearray()
            while True:
                while (end := buf.find(b"\r\n\r\n")) < 0 or len(buf) < end + 4 + _length(buf, end):
                    chunk = sock.recv(262144)
                    if not chunk:
                        return
                    buf += chunk
                size = end + 4 + _length(buf, end)
                body = bytes(buf[end + 4 : size])
                del buf[:size]
                at = body.find(b'"uid":"') + 7
                payload = answer % body[at : body.find(b'"', at)]
                sock.sendall(head % len(payload) + payload)
    except (OSError, HttpError, ValueError):
        return


def main(argv: list[str] | None = None) -> int:
    """Run one load against an already running server (the benchmark drives it in-process),
    or serve as the null server."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert-dir", type=Path, required=True, help="ca.crt (and tls.*)")
    parser.add_argument("--path", default="/validate")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--null-server", action="store_true", help="serve, do not load")
    args = parser.parse_args(argv)
    if args.null_server:
        null_server(args.port, args.cert_dir)
        return 0
    bodies = admission_corpus.load().bodies
    target = Target(args.port, args.path, args.cert_dir / "ca.crt")
    result = run_load(target, bodies, args.rate, args.duration, args.warmup, args.connections)
    print(json.dumps(result.to_dict(), indent=2))
    return 1 if result.errors or result.warmup_errors else 0


if __name__ == "__main__":
    sys.exit(main())
