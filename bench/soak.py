"""Faults under load: the real `evictguard serve` (gunicorn, TLS, keep-alive, 2 workers),
driven over loopback at a fixed rate while, at fixed offsets, a worker is SIGKILLed, the
serving certificate is re-issued, the policy is replaced by an invalid one and then by a
valid, different one, the arbiter gets SIGHUP, and finally SIGTERM.

    python bench/soak.py               # 200 req/s for 60 s (~70 s in all)
    python bench/soak.py --smoke       # 50 req/s for 9 s (~12 s), for CI

Every answer is compared, field by field, with the AdmissionReview `webhook.admission` gives
in-process for the same body under the policy in force when it was sent (either policy in a
short window after a policy change, as each worker looks at the file once a second). A failed
request is explained only when it was on a connection the killed worker held, or was sent
after SIGTERM; requests in flight at SIGTERM must finish. Exit 1 on a wrong answer, an
unexplained failure, or a shutdown slower than the grace period; 2 when the server does not
start; 3 on the deadline. Loopback only; the server (its whole session) is killed at the
end, on Ctrl-C, on error and on the deadline.
"""

from __future__ import annotations

import argparse
import calendar
import contextlib
import errno
import hashlib
import importlib.util
import json
import math
import os
import selectors
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# ROOT first: bench/webhook.py would otherwise shadow the project's `webhook` package.
sys.path[:0] = [str(ROOT), str(HERE)]

import admission_corpus  # noqa: E402
import loadgen  # noqa: E402
from evictguard.policy.load import load_policy_file  # noqa: E402
from evictguard.policy.model import Policy  # noqa: E402
from evictguard.webhook import admission  # noqa: E402


def _bench_webhook() -> Any:
    """bench/webhook.py (server start/stop, /proc helpers, deadline), imported by path: its
    module name is the project's package's."""
    spec = importlib.util.spec_from_file_location("bench_webhook", HERE / "webhook.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_webhook"] = module
    spec.loader.exec_module(module)
    return module


bw = _bench_webhook()
log = bw.log

SERVICE, NAMESPACE = "evictguard", "evictguard"
DEV_SANS = ("localhost", "127.0.0.1", "::1")  # what `serve` puts in its development certificate
GRACE_DEFAULT = 20.0  # gunicorn.conf.py: EVICTGUARD_GRACEFUL_TIMEOUT
# A worker looks at the policy file once a second (policy_store.CHECK_INTERVAL): for this long
# after a change an answer may follow either policy.
TRANSITION = 2.5
SLOW_REQUESTS = 4  # sent on their own connections just before SIGTERM
SLOW_CONTAINERS = 500  # 60-200 ms of server time each: surely in flight at SIGTERM
PATHS = ("/validate", "/mutate")
# Fault offsets as fractions of the run: (key, what, fraction)
SCHEDULE = (
    ("kill", "SIGKILL a worker", 0.15),
    ("rotate", "rotate the serving certificate", 0.30),
    ("policy-invalid", "replace the policy with an invalid one", 0.45),
    ("policy-valid", "replace it with a valid, different one", 0.55),
    ("hup", "SIGHUP the arbiter", 0.70),
    ("term", "SIGTERM the arbiter", 0.90),
)
KILL_WHILE_INVALID = ("kill-invalid", "SIGKILL a worker while the policy is invalid", 0.47)
# loadgen.check's reasons (and a malformed HTTP answer): the server answered, wrongly.
WRONG = (
    "HTTP ",
    "response not JSON",
    "not an AdmissionReview",
    "wrong apiVersion",
    "uid mismatch",
    "allowed not a boolean",
    "bad HTTP",
)
POLICY_B = """\
# The default preset with two rules relaxed: a Pod without a memory limit is warned about
# instead of denied, and /mutate no longer adds a missing memory request.
apiVersion: evictguard.io/v1alpha1
kind: Policy
rules:
  memory-limit-missing:
    mode: warn
  memory-request-missing:
    mutate: false
"""
POLICY_INVALID = POLICY_B.replace("mode: warn", "mode: sometimes")  # a typo in a ConfigMap edit


# -- requests and connections ------------------------------------------------------------------


@dataclass(slots=True)
class Request:
    """One request and how it ended (times are perf_counter seconds)."""

    index: int
    path: str
    body: int  # index into Oracle.bodies
    uid: str
    scheduled: float
    sent: float = math.nan  # handed to a connection (which may still be opening)
    written: float = math.nan  # on the wire: from here on the server may have it
    done: float = math.nan
    conn: int = -1  # connection serial; -1: none, -2: a SIGTERM request's own
    new_conn: bool = False
    error: str | None = None
    payload: bytes | None = None
    verdict: str = ""  # correct, wrong, failed
    matched: str = ""  # the policies the answer agreed with
    why: str = ""


@dataclass(slots=True)
class Connection:
    serial: int
    port: int  # the client's port: how /proc tells which worker holds the other end
    opened: float
    cert: str = ""  # sha256 of the certificate the server presented
    ready: float = math.nan  # handshake done
    closed: float = math.nan


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
        connection.cert, connection.ready = _digest(der), time.perf_counter()
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


def _digest(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()[:16]


def file_certificate(path: Path) -> str:
    """The digest of the (first) certificate in a PEM file, as a TLS peer would present it."""
    text = path.read_text("ascii")
    end = text.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")
    return _digest(ssl.PEM_cert_to_DER_cert(text[text.index("-----BEGIN") : end]))


def peer_certificate(port: int, ca_file: Path, workers: Sequence[int] = ()) -> tuple[str, int]:
    """A fresh connection, verified as the API server verifies (the CA, the Service name):
    the digest of the certificate the server presented, and which of `workers` accepted it
    (0: none of them)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    context = loadgen.client_context(ca_file)
    with context.wrap_socket(raw, server_hostname=loadgen.SERVICE_HOST) as sock:
        mine = sock.getsockname()[1]
        holder = next((w for w in workers if mine in client_ports_of(w, port)), 0)
        return _digest(sock.getpeercert(binary_form=True) or b""), holder


# -- what the answer should be -----------------------------------------------------------------


class Oracle:
    """The AdmissionReview each body should get, per endpoint and policy, from
    `webhook.admission` in-process (the server's own logic, without gunicorn, TLS or reloads)."""

    def __init__(self, bodies: Sequence[admission_corpus.ReviewBody], policies: dict[str, Path]):
        self.bodies = list(bodies)
        self.policies: dict[str, Policy] = {
            n: load_policy_file(str(p)) for n, p in policies.items()
        }
        self._cache: dict[tuple[str, int, str], dict[str, Any]] = {}

    def expected(self, path: str, body: int, policy: str) -> dict[str, Any]:
        key = (path, body, policy)
        if key not in self._cache:
            data = json.loads(self.bodies[body].render(admission_corpus.UID_PLACEHOLDER))
            review = admission.parse_review(data)
            decide = admission.validate if path == "/validate" else admission.mutate
            answer = admission.respond(review, decide(review, self.policies[policy]))
            self._cache[key] = json.loads(json.dumps(answer))
        return self._cache[key]

    def differs(self, path: str, body: int, a: str, b: str) -> bool:
        return self.expected(path, body, a) != self.expected(path, body, b)

    def judge(self, request: Request, acceptable: Sequence[str]) -> None:
        """Set the request's verdict: failed (no answer), wrong, or correct (and under which
        of the acceptable policies)."""
        if request.error is not None:
            wrong = request.error.startswith(WRONG)
            request.verdict, request.why = ("wrong" if wrong else "failed"), request.error
            return
        try:
            got = json.loads(request.payload or b"")
        except ValueError:
            request.verdict, request.why = "wrong", "response not JSON"
            return
        matched = []
        for name in acceptable:
            want = self.expected(request.path, request.body, name)
            want = {**want, "response": {**want["response"], "uid": request.uid}}
            if got == want:
                matched.append(name)
        if matched:
            request.verdict, request.matched = "correct", "+".join(matched)
            return
        want = self.expected(request.path, request.body, acceptable[-1])["response"]
        fields = sorted(
            k
            for k in set(want) | set(got.get("response") or {})
            if k != "uid" and want.get(k) != (got.get("response") or {}).get(k)
        )
        request.verdict = "wrong"
        request.why = f"differs from policy {'/'.join(acceptable)} in {', '.join(fields) or '?'}"


@dataclass
class PolicyTimeline:
    """Which policy file was in place when; a request may follow any policy in place within
    TRANSITION seconds before it was sent, up to its answer."""

    first: str
    changes: list[tuple[float, str]] = field(default_factory=list)  # (time written, policy)

    def at(self, moment: float) -> str:
        current = self.first
        for when, name in self.changes:
            if when <= moment:
                current = name
        return current

    def acceptable(self, sent: float, done: float) -> list[str]:
        names = [self.at(sent - TRANSITION)]
        for when, name in self.changes:
            if sent - TRANSITION < when <= done and name not in names:
                names.append(name)
        return names


# -- the server and the faults -----------------------------------------------------------------


def client_ports_of(pid: int, port: int) -> set[int]:
    """Client ports of the established connections on `port` that process `pid` holds."""
    peers: dict[int, int] = {}  # server-side socket inode: client port
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                    peers[int(fields[9])] = int(fields[2].rsplit(":", 1)[1], 16)
    return {peers[i] for i in bw.socket_inodes(pid) if i in peers}


def session_members(sid: int) -> list[str]:
    """Processes still in the server's session (`pid (name) state`)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                fields = stat.rsplit(")", 1)[1].split()
                if int(fields[3]) == sid:  # field 6, session
                    found.append(
                        f"{entry} {stat[stat.index('(') : stat.rindex(')') + 1]} {fields[0]}"
                    )
    return found


def wait_for(predicate: Any, timeout: float, step: float = 0.05) -> float | None:
    """Seconds until `predicate()` held, or None if it did not within `timeout`."""
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        if predicate():
            return time.perf_counter() - began
        time.sleep(step)
    return None


def write_atomic(path: Path, text: str) -> None:
    """As a ConfigMap update does: a new file renamed over the old one."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@dataclass
class Fault:
    key: str
    what: str
    planned: float  # seconds from the start of the load
    at: float = math.nan  # when it was done, seconds from the start of the load
    took_s: float = math.nan  # how long doing it took (a command, a wait for workers)
    details: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


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


@dataclass
class Run:
    """Everything the faults need: the server, the load, the files they change."""

    server: Any  # bench/webhook.py's Server
    generator: SoakGenerator
    oracle: Oracle
    cert_dir: Path
    policy_file: Path
    policy_texts: dict[str, str]
    timeline: PolicyTimeline
    workers: int
    grace: float
    slow: SlowRequests | None = None
    victims: dict[str, tuple[float, set[int]]] = field(default_factory=dict)  # key: (t, ports)
    term_at: float = math.nan
    exit_at: float = math.nan
    exit_code: int | None = None

    def now(self) -> float:
        """Seconds since the load started."""
        return time.perf_counter() - self.generator.start


def fault_kill(run: Run, fault: Fault) -> None:
    """SIGKILL the worker holding the most of the generator's connections; wait for the
    arbiter to replace it."""
    port = run.server.port
    held = {w: client_ports_of(w, port) for w in run.server.workers()}
    if not held:
        fault.problems.append("no worker to kill")
        return
    victim = max(held, key=lambda w: len(held[w]))
    fault.at = run.now()
    os.kill(victim, signal.SIGKILL)
    run.victims[fault.key] = (run.generator.start + fault.at, held[victim])
    began = time.perf_counter()
    replaced = wait_for(
        lambda: (
            len(set(run.server.workers()) - set(held)) >= 1
            and len(run.server.workers()) == run.workers
        ),
        10.0,
    )
    fault.took_s = time.perf_counter() - began
    fault.details.update(
        victim=victim,
        connections_held={str(w): len(p) for w, p in held.items()},
        replacement=sorted(set(run.server.workers()) - set(held)),
        replaced_after_s=None if replaced is None else round(replaced, 2),
    )
    if replaced is None:
        fault.problems.append(f"worker {victim} not replaced within 10 s")


def fault_kill_invalid(run: Run, fault: Fault) -> None:
    """SIGKILL a worker while the file holds a refused policy: its replacement must boot on
    the last good policy, as the running workers serve it. Waits until the replacement is up
    (its CPU time settles) or the server has exited."""
    fault_kill(run, fault)
    new = fault.details.get("replacement") or [0]
    ticks: list[int] = []

    def settled() -> bool:
        ticks.append(bw.cpu_ticks(new[0]))
        return not run.server.alive() or (len(ticks) > 5 and 0 < ticks[-6] == ticks[-1])

    booted = wait_for(settled, 10.0, step=0.1)
    fault.details["server_alive_after"] = run.server.alive()
    fault.details["replacement_up_after_s"] = None if booted is None else round(booted, 2)
    if not run.server.alive():
        fault.problems.append(
            f"the server exited (code {run.server.process.returncode}): the replacement worker "
            "could not load the policy file, and gunicorn stops when a worker fails to boot"
        )


def fault_rotate(run: Run, fault: Fault) -> None:
    """Re-issue the serving certificate from the same CA (`certs generate --renew`); fresh
    connections must then get the new one, still verified against the unchanged CA."""
    ca_file = run.cert_dir / "ca.crt"
    ca_before, (old, _) = ca_file.read_bytes(), peer_certificate(run.server.port, ca_file)
    argv = [sys.executable, "-m", "evictguard", "certs", "generate", "--renew", "--out"]
    argv += [str(run.cert_dir), "--service", SERVICE, "--namespace", NAMESPACE]
    for san in DEV_SANS:
        argv += ["--san", san]
    fault.at = run.now()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    fault.took_s = run.now() - fault.at
    if done.returncode != 0:
        fault.problems.append(f"certs generate --renew failed: {done.stderr.strip()}")
        return
    new = file_certificate(run.cert_dir / "tls.crt")
    seen: list[tuple[str, int]] = []

    def all_new() -> bool:
        seen.append(peer_certificate(run.server.port, ca_file, run.server.workers()))
        return [cert for cert, _ in seen[-4:]] == [new] * 4

    # Several in a row; a fresh connection goes to the worker holding the fewest, so these
    # mostly test one worker: the pool's later connections test the others.
    switched = wait_for(all_new, 5.0, step=0.1)
    fault.details.update(
        old_certificate=old,
        new_certificate=new,
        renew_command_s=round(fault.took_s, 2),
        fresh_connections_probed=len(seen),
        fresh_connections_with_new=sum(cert == new for cert, _ in seen),
        probes_by_worker=dict(Counter(str(w) for _, w in seen)),
        all_new_after_s=None if switched is None else round(switched, 2),
        ca_unchanged=ca_file.read_bytes() == ca_before,
    )
    if new == old:
        fault.problems.append("the renewed certificate is the old one")
    if switched is None:
        fault.problems.append(f"fresh connections still got the old certificate: {seen[-4:]}")
    if ca_file.read_bytes() != ca_before:
        fault.problems.append("ca.crt changed")


def _policy_fault(run: Run, fault: Fault, text: str, name: str | None) -> None:
    """Replace the policy file; `name` is the policy that should then be in force (None: an
    invalid one, refused, so the previous one stays)."""
    fault.at = run.now()
    at = time.perf_counter()
    write_atomic(run.policy_file, text)
    if name is not None:
        run.timeline.changes.append((at, name))
    fault.details["in_force"] = run.timeline.at(at + TRANSITION)


def fault_policy_invalid(run: Run, fault: Fault) -> None:
    _policy_fault(run, fault, run.policy_texts["invalid"], None)


def fault_policy_valid(run: Run, fault: Fault) -> None:
    _policy_fault(run, fault, run.policy_texts["B"], "B")


def fault_hup(run: Run, fault: Fault) -> None:
    """SIGHUP: gunicorn starts new workers and stops the old ones gracefully."""
    old = set(run.server.workers())
    fault.at = run.now()
    os.kill(run.server.pid, signal.SIGHUP)
    began = time.perf_counter()
    renewed = wait_for(
        lambda: not (set(run.server.workers()) & old) and len(run.server.workers()) == run.workers,
        run.grace + 10,
        step=0.1,
    )
    fault.took_s = time.perf_counter() - began
    fault.details.update(
        old_workers=sorted(old),
        new_workers=run.server.workers(),
        all_replaced_after_s=None if renewed is None else round(renewed, 2),
    )
    if renewed is None:
        fault.problems.append("old workers still running after the grace period")


def fault_term(run: Run, fault: Fault) -> None:
    """SIGTERM to the arbiter (what the kubelet sends), with slow requests just sent on
    their own connections; then measure how long the server takes to exit."""
    assert run.slow is not None
    run.slow.send(SLOW_REQUESTS)
    time.sleep(0.03)  # they are read by now; the biggest take far longer to answer
    exited = threading.Event()

    def waiter() -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            run.exit_code = run.server.process.wait(run.grace + 10)
            run.exit_at = time.perf_counter()
            exited.set()

    fault.at = run.now()
    run.term_at = run.generator.start + fault.at
    fault.details["pool_in_flight_at_term"] = run.generator.in_flight()
    os.kill(run.server.pid, signal.SIGTERM)
    watcher = threading.Thread(target=waiter, daemon=True)
    watcher.start()
    run.slow.collect()
    exited.wait(run.grace + 10)
    fault.took_s = time.perf_counter() - run.term_at
    leftover = session_members(run.server.pid) if exited.is_set() else []
    exit_s = run.exit_at - run.term_at if exited.is_set() else None
    fault.details.update(
        exit_s=None if exit_s is None else round(exit_s, 2),
        exit_code=run.exit_code,
        grace_s=run.grace,
        processes_left=leftover,
    )
    if exit_s is None or exit_s > run.grace:
        fault.problems.append(f"did not exit within the grace period ({run.grace:g} s)")
    elif run.exit_code != 0:
        fault.problems.append(f"exit code {run.exit_code}")
    if leftover:
        fault.problems.append("processes of the server's session outlived the arbiter")


FAULTS = {
    "kill": fault_kill,
    "kill-invalid": fault_kill_invalid,
    "rotate": fault_rotate,
    "policy-invalid": fault_policy_invalid,
    "policy-valid": fault_policy_valid,
    "hup": fault_hup,
    "term": fault_term,
}


# -- analysis ----------------------------------------------------------------------------------


def judge_all(run: Run, requests: Sequence[Request]) -> None:
    for request in requests:
        sent = _began(request)
        done = sent if math.isnan(request.done) else request.done
        run.oracle.judge(request, run.timeline.acceptable(sent, done))


def _began(request: Request) -> float:
    return request.scheduled if math.isnan(request.sent) else request.sent


def killed_connections(run: Run, key: str) -> set[int]:
    """Serials of the generator's connections the killed worker held at the kill."""
    at, ports = run.victims.get(key, (math.nan, set()))
    return {
        c.serial
        for c in run.generator.connections
        if c.port in ports and c.opened < at and not c.closed < at
    }


def term_phase(request: Request, at: float) -> str:
    """Where a request stood when SIGTERM was sent: done before, in flight (on the wire),
    opening (its connection not yet accepted and handshaken), or sent after."""
    if math.isnan(at) or request.done < at:
        return "before"
    if math.isnan(request.sent):  # never sent: the generator gave up on it
        return "after" if request.scheduled > at else "before"
    if request.sent > at:
        return "after"
    return "in flight" if request.written <= at else "opening"


TERM_TAGS = {
    "after": "SIGTERM: sent after it",
    "opening": "SIGTERM: its connection not yet accepted",
    "in flight": "unexplained: in flight at SIGTERM",
    "before": "unexplained",
}


def explain(run: Run, requests: Sequence[Request]) -> dict[str, int]:
    """Put each failure down to the fault that explains it, if one does (the tag goes into
    `why`); count them by tag."""
    kills = {k: (t, killed_connections(run, k)) for k, (t, _) in run.victims.items()}
    counts: Counter[str] = Counter()
    for r in requests:
        if r.verdict != "failed":
            continue
        tag = TERM_TAGS[term_phase(r, run.term_at)]
        for key, (at, serials) in kills.items():
            if r.conn in serials and r.done >= at:
                how = "in flight on" if r.written <= at else "sent on a connection of"
                tag = f"{key}: {how} the killed worker"
                break
        r.why += f" [{tag}]"
        counts[tag] += 1
    return dict(counts)


def window_rows(run: Run, faults: Sequence[Fault], end: float) -> list[dict[str, Any]]:
    """Latency and outcomes before, during and after each fault (by scheduled time)."""
    rows = []
    times = [f.at for f in faults]
    for i, f in enumerate(faults):
        prev = times[i - 1] if i else 0.5
        nxt = times[i + 1] if i + 1 < len(faults) else end
        during = end - f.at if f.key == "term" else min(3.0, (nxt - f.at) / 2)
        spans = [("before", max(prev, f.at - 4.0), f.at), ("during", f.at, f.at + during)]
        if f.key != "term":
            spans.append(("after", f.at + during, min(nxt, f.at + during + 4.0)))
        for label, lo, hi in spans:
            rows.append({"fault": f.key, "window": label, **window(run, lo, hi)})
    return rows


def window(run: Run, lo: float, hi: float) -> dict[str, Any]:
    start = run.generator.start
    inside = [r for r in run.generator.requests if lo <= r.scheduled - start < hi]
    latencies = [r.done - r.scheduled for r in inside if r.verdict == "correct"]
    return {
        "from_s": round(lo, 2),
        "to_s": round(hi, 2),
        "requests": len(inside),
        "correct": len(latencies),
        "wrong": sum(r.verdict == "wrong" for r in inside),
        "failed": sum(r.verdict == "failed" for r in inside),
        "latency_ms": asdict(loadgen.Summary.of(latencies)),
    }


def policy_check(run: Run) -> dict[str, Any]:
    """Requests whose right answer differs between policies A and B: which policy each
    answer followed, before the change and once the transition window had passed."""
    change = next((t for t, name in run.timeline.changes if name == "B"), None)
    if change is None:
        return {}
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    for r in run.generator.requests:
        if r.verdict != "correct" or not run.oracle.differs(r.path, r.body, "A", "B"):
            continue
        if r.done < change:
            before[f"{r.path} {r.matched}"] += 1
        elif r.sent > change + TRANSITION:
            after[f"{r.path} {r.matched}"] += 1
    return {"before_change": dict(before), "after_window": dict(after)}


def term_check(run: Run) -> dict[str, Any]:
    """The generator's requests by where they stood at SIGTERM (and how they ended), and the
    slow requests sent just before it."""
    if math.isnan(run.term_at):
        return {}
    phases: dict[str, Counter[str]] = {}
    for r in run.generator.requests:
        phase = term_phase(r, run.term_at)
        if phase != "before":
            phases.setdefault(phase, Counter())[_outcome(r)] += 1
    slow = run.slow.requests if run.slow else []
    return {
        "pool": {phase: dict(c) for phase, c in phases.items()},
        "slow_outcomes": dict(Counter(_outcome(r) for r in slow)),
        "slow_ms": [round((r.done - r.sent) * 1000, 1) for r in slow if r.error is None],
    }


def _outcome(request: Request) -> str:
    return "correct" if request.verdict == "correct" else f"{request.verdict}: {request.why}"


def _log_time(stamp: str) -> float:
    """The server's JSON log time (UTC, milliseconds) as a Unix time."""
    return calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) + int(stamp[20:23]) / 1e3


def server_log(path: Path, wall_start: float) -> dict[str, Any]:
    """What the server logged besides reviews: reload events (seconds from the start of the
    load) and every warning or error, counted by message (numbers blanked)."""
    events: list[dict[str, Any]] = []
    notable: Counter[str] = Counter()
    with contextlib.suppress(OSError):
        for line in path.read_text("utf-8", "replace").splitlines():
            if line.startswith("{"):
                with contextlib.suppress(ValueError, KeyError):
                    entry = json.loads(line)
                    if entry.get("msg") == "review":
                        continue
                    if "event" in entry:
                        at = round(_log_time(entry["time"]) - wall_start, 3)
                        events.append(
                            {"at": at, "event": entry["event"], "result": entry["result"]}
                        )
                    if entry.get("level") in ("warning", "error", "critical"):
                        notable[f"{entry['level']}: {entry['msg']}"] += 1
            elif any(m in line for m in ("[WARNING]", "[ERROR]", "[CRITICAL]", "Traceback")):
                message = line.split("] ", 2)[-1] if line.startswith("[") else line
                notable["".join("N" if c.isdigit() else c for c in message)] += 1
    return {"events": events, "notable": dict(notable)}


def annotate(run: Run, faults: Sequence[Fault], events: Sequence[dict[str, Any]]) -> None:
    """Add to each fault what the server logged and what the load saw after it."""
    for i, f in enumerate(faults):
        nxt = faults[i + 1] if i + 1 < len(faults) else None
        until = nxt.at if nxt is not None else math.inf
        seen = [e for e in events if f.at <= e["at"] < min(until, f.at + 10)]
        wanted = "certificate_reload" if f.key == "rotate" else "policy_reload"
        if f.key == "rotate" or f.key.startswith("policy"):
            f.details["reloads"] = [
                f"{e['result']} +{e['at'] - f.at:.2f} s" for e in seen if e["event"] == wanted
            ]
        if f.key == "rotate" and "new_certificate" in f.details:
            _later_certificates(run, f)
        if f.key in ("hup", "kill") and nxt is not None:
            _reconnections(run, f, min(until, f.at + 5))
            held = nxt.details.get("connections_per_worker_before", {})
            counts = sorted((n for w, n in held.items() if w != "other"), reverse=True)
            f.details["next_balance"] = "/".join(map(str, counts)) or "-"


def _later_certificates(run: Run, f: Fault) -> None:
    """Pool connections opened once every worker must have seen the new files: all of them
    must have been given the new certificate."""
    settled = run.generator.start + f.at + f.took_s + 1.5  # a worker looks once a second
    later = [c.cert for c in run.generator.connections if c.opened > settled and c.cert]
    new = f.details["new_certificate"]
    f.details["pool_connections_opened_after"] = len(later)
    f.details["pool_connections_with_new"] = later.count(new)
    if later.count(new) != len(later):
        f.problems.append(f"{len(later) - later.count(new)} later connections got the old one")


def _reconnections(run: Run, f: Fault, until: float) -> None:
    """Connections opened after the fault, and how long the longest waited to be accepted
    and handshaken (a new worker accepts only once it has imported the app)."""
    start = run.generator.start
    waits = [
        c.ready - c.opened
        for c in run.generator.connections
        if f.at <= c.opened - start < until and c.cert
    ]
    f.details["pool_reconnections"] = len(waits)
    f.details["longest_handshake_ms"] = round(max(waits, default=0) * 1000, 1)


# -- the run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    rate: float
    duration: float
    connections: int
    workers: int
    threads: int
    kill_while_invalid: bool
    smoke: bool


def write_policies(workdir: Path) -> tuple[Path, dict[str, str], dict[str, Path]]:
    """The served file (a copy of the packaged default preset, so it can be replaced), the
    texts the faults write into it, and a file per valid policy for the oracle."""
    folder = workdir / "policy"
    folder.mkdir()
    default = ROOT / "policies" / "policy" / "presets" / "default.yaml"
    served = folder / "policy.yaml"
    shutil.copyfile(default, served)
    texts = {"A": default.read_text(), "B": POLICY_B, "invalid": POLICY_INVALID}
    files = {"A": workdir / "A.yaml", "B": workdir / "B.yaml"}
    for name, path in files.items():
        path.write_text(texts[name])
    invalid = workdir / "invalid.yaml"
    invalid.write_text(POLICY_INVALID)
    try:
        load_policy_file(str(invalid))
    except Exception:  # ConfigError: as intended
        pass
    else:
        raise bw.ServerFailed("the 'invalid' policy loads: the soak would not test a refusal")
    return served, texts, files


def start_server(settings: Settings, workdir: Path, policy: Path, body: Any, started: list) -> Any:
    cert_dir = workdir / "certs"  # empty: `evictguard serve` makes a development CA there
    port = bw.free_port()
    argv = [sys.executable, "-m", "evictguard", "serve", "--bind", f"127.0.0.1:{port}"]
    argv += ["--cert-dir", str(cert_dir), "--policy", str(policy)]
    argv += ["--workers", str(settings.workers), "--threads", str(settings.threads)]
    server = bw.Server("evictguard", argv, dict(os.environ), port, workdir / "server.log")
    started.append(server)
    server.start(cert_dir / "ca.crt", body, settings.workers)
    return server


def schedule(settings: Settings) -> list[Fault]:
    """The faults at their offsets; with --kill-while-invalid, one more SIGKILL just after
    the invalid policy is written (the valid one follows once the replacement is up)."""
    plan = list(SCHEDULE)
    if settings.kill_while_invalid:
        plan.insert(3, KILL_WHILE_INVALID)
    return [Fault(key, what, round(frac * settings.duration, 2)) for key, what, frac in plan]


def drive(run: Run, settings: Settings, faults: Sequence[Fault]) -> None:
    """The load in a thread, the faults on this one at their offsets."""
    failure: list[BaseException] = []

    def load() -> None:
        try:
            run.generator.run_for(settings.rate, settings.duration)
        except Aborted:
            pass
        except BaseException as exc:
            failure.append(exc)
            run.generator.started.set()

    thread = threading.Thread(target=load, name="load", daemon=True)
    thread.start()
    try:
        if not run.generator.started.wait(60) or failure:
            raise bw.ServerFailed(f"the load did not start: {failure}")
        log(f"load started: {settings.rate:g} req/s for {settings.duration:g} s")
        for fault in faults:
            while run.now() < fault.planned and thread.is_alive():
                time.sleep(min(0.05, max(0.0, fault.planned - run.now())))
            if not run.server.alive():
                fault.problems.append("the server was not running")
                continue
            held = bw.connection_balance(run.server.workers(), run.server.port)
            fault.details["connections_per_worker_before"] = held
            FAULTS[fault.key](run, fault)
            log(f"{fault.what} at +{fault.at:.2f} s: {fault.details} {fault.problems or ''}")
        thread.join(settings.duration + loadgen.REQUEST_TIMEOUT + 15)
    finally:
        run.generator.abort.set()
        thread.join(10)
        run.generator.close()
    if failure:
        raise failure[0]


def soak(settings: Settings, corpus_dir: Path, workdir: Path, started: list) -> dict[str, Any]:
    corpus = admission_corpus.load(corpus_dir, limit_files=150 if settings.smoke else None)
    if not corpus.bodies:
        raise bw.ServerFailed("no AdmissionReview bodies: neither the corpus nor examples/")
    log(f"{len(corpus.bodies)} review bodies from {corpus.origin}")
    bodies = [*corpus.bodies, admission_corpus.pod_with_containers(SLOW_CONTAINERS)]
    served, texts, files = write_policies(workdir)
    server = start_server(settings, workdir, served, corpus.bodies[0], started)
    log(f"server ready on 127.0.0.1:{server.port}, workers {server.workers()}")
    cert_dir = workdir / "certs"
    generator = SoakGenerator(server.port, cert_dir / "ca.crt", corpus.bodies, settings.connections)
    run = Run(
        server=server,
        generator=generator,
        oracle=Oracle(bodies, files),
        cert_dir=cert_dir,
        policy_file=served,
        policy_texts=texts,
        timeline=PolicyTimeline("A"),
        workers=settings.workers,
        grace=float(os.environ.get("EVICTGUARD_GRACEFUL_TIMEOUT", GRACE_DEFAULT)),
        slow=SlowRequests(server.port, cert_dir / "ca.crt", len(bodies) - 1, bodies),
    )
    faults = schedule(settings)
    began = time.strftime("%Y-%m-%d %H:%M:%S")
    drive(run, settings, faults)
    wall_start = time.time() - (time.perf_counter() - generator.start)
    log("load done: checking every answer against the policy in force")
    return analyse(run, settings, faults, corpus, began, wall_start)


def analyse(
    run: Run, settings: Settings, faults: Sequence[Fault], corpus: Any, began: str, wall: float
) -> dict[str, Any]:
    """Judge every answer, explain every failure, and gather the figures."""
    requests = run.generator.requests
    slow = run.slow.requests if run.slow else []
    everything = [*requests, *slow]
    judge_all(run, everything)
    explained = explain(run, everything)
    logged = server_log(run.server.log, wall)
    annotate(run, faults, logged["events"])
    check = policy_check(run)
    for f in faults:
        if f.key == "policy-valid":
            f.details["answers_differing_between_A_and_B"] = check
            if not check.get("after_window"):
                f.problems.append("no answer after the change differed between A and B")
    start = run.generator.start
    end = max((r.done for r in requests if not math.isnan(r.done)), default=start) - start
    verdicts = Counter(r.verdict for r in everything)
    failed = [r for r in everything if r.verdict == "failed"]
    return {
        "started": began,
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        "settings": asdict(settings),
        "grace_s": run.grace,
        "transition_s": TRANSITION,
        "corpus": {"origin": corpus.origin, "sizes": corpus.size_summary()},
        "totals": {
            "scheduled": len(everything),
            "sent": sum(1 for r in everything if not math.isnan(r.sent)),
            "correct": verdicts["correct"],
            "correct_by_path": dict(Counter(r.path for r in everything if r.verdict == "correct")),
            "wrong": verdicts["wrong"],
            "failed": verdicts["failed"],
            "failures_explained_by": explained,
            "failures_by_reason": dict(Counter(r.why for r in failed)),
            "reconnects": len(run.generator.connections) - settings.connections,
        },
        "wrong_examples": [
            {"index": r.index, "path": r.path, "body": run.oracle.bodies[r.body].source}
            | {"why": r.why}
            for r in everything
            if r.verdict == "wrong"
        ][:20],
        "failures": [_failure(run, r) for r in failed][:300],
        "connections": [
            [
                c.serial,
                c.port,
                *(round(t - start, 3) for t in (c.opened, c.ready, c.closed)),
                c.cert,
            ]
            for c in run.generator.connections
        ],
        "faults": [asdict(f) for f in faults],
        "windows": window_rows(run, [f for f in faults if not math.isnan(f.at)], end),
        "sigterm": term_check(run),
        "server_log": logged,
    }


def _failure(run: Run, request: Request) -> dict[str, Any]:
    """One failed request: its times from the start of the load, and its connection."""
    start = run.generator.start
    conn = run.generator.connections[request.conn] if request.conn >= 0 else None
    return {
        "index": request.index,
        "path": request.path,
        **{
            name: round(getattr(request, name) - start, 3)
            for name in ("scheduled", "sent", "written", "done")
        },
        "why": request.why,
        "conn": request.conn,
        "new_conn": request.new_conn,
        "conn_opened": None if conn is None else round(conn.opened - start, 3),
        "conn_closed": None if conn is None else round(conn.closed - start, 3),
    }


def unexplained(results: dict[str, Any]) -> int:
    explained = results["totals"]["failures_explained_by"]
    return sum(n for tag, n in explained.items() if tag.startswith("unexplained"))


def problems(results: dict[str, Any]) -> list[str]:
    """What makes the run fail: wrong answers, unexplained failures, and each fault's own."""
    found = []
    totals = results["totals"]
    if totals["wrong"]:
        found.append(f"{totals['wrong']} wrong answer(s): {results['wrong_examples'][:3]}")
    if unexplained(results):
        found.append(f"{unexplained(results)} failed request(s) no fault explains")
    slow = results["sigterm"].get("slow_outcomes", {})
    if any(outcome != "correct" for outcome in slow):
        found.append(f"slow requests in flight at SIGTERM: {slow}")
    for f in results["faults"]:
        found += [f"{f['what']}: {p}" for p in f["problems"]]
    return found


# -- report ------------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """A markdown table; columns holding only numbers are aligned right."""

    def numeric(column: int) -> bool:
        return all(isinstance(row[column], int | float) for row in rows)

    align = ["--:" if rows and numeric(i) else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value).replace("|", "\\|")


def _fault_text(f: dict[str, Any]) -> str:
    """One line on what a fault did and what followed."""
    d, key = f["details"], f["key"]
    if math.isnan(f["at"]):
        return "not done"
    if key.startswith("kill"):
        held = d.get("connections_held", {})
        victim = d.get("victim")
        return (
            f"worker held {held.get(str(victim), '?')} of {sum(held.values())} connections; "
            f"replacement forked after {d.get('replaced_after_s')} s; "
            f"{d.get('pool_reconnections')} pool reconnections (longest handshake "
            f"{d.get('longest_handshake_ms')} ms); connections per worker before the next fault: "
            f"{d.get('next_balance', '-')}"
        )
    if key == "rotate":
        return (
            f"`certs generate --renew` took {d.get('renew_command_s')} s; fresh connections all "
            f"on the new certificate {d.get('all_new_after_s')} s later "
            f"({d.get('fresh_connections_probed')} probed, by worker {d.get('probes_by_worker')}),"
            f" all verified against the unchanged CA: {d.get('ca_unchanged')};"
            f" pool connections opened later with the new one: "
            f"{d.get('pool_connections_with_new')} of {d.get('pool_connections_opened_after')}; "
            f"server log: {', '.join(d.get('reloads', [])) or '-'}"
        )
    if key.startswith("policy"):
        reloads = ", ".join(d.get("reloads", [])) or "nothing logged"
        text = f"in force: {d['in_force']}; server log: {reloads}"
        check = d.get("answers_differing_between_A_and_B")
        if check:
            text += (
                f"; answers that differ between A and B: before the change "
                f"{_counts(check['before_change'])}, after the window "
                f"{_counts(check['after_window'])}"
            )
        return text
    if key == "hup":
        return (
            f"old workers gone after {d.get('all_replaced_after_s')} s; "
            f"{d.get('pool_reconnections')} pool reconnections (longest handshake "
            f"{d.get('longest_handshake_ms')} ms); connections per worker before the next fault: "
            f"{d.get('next_balance', '-')}"
        )
    return (
        f"exit after {d.get('exit_s')} s (grace {d.get('grace_s'):g} s), code {d.get('exit_code')};"
        f" processes left: {d.get('processes_left') or 'none'}"
    )


def _at(seconds: float) -> float | str:
    return "-" if math.isnan(seconds) else seconds


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{k} {n}" for k, n in sorted(counter.items())) or "none"


def report(results: dict[str, Any]) -> str:
    s, t = results["settings"], results["totals"]
    lines = [
        f"Soak, {results['started']}: {s['rate']:g} req/s for {s['duration']:g} s, "
        f"{s['connections']} keep-alive connections, {s['workers']} workers x {s['threads']} "
        f"threads, /validate and /mutate alternately; bodies: {results['corpus']['origin']}",
        "",
    ]
    by_path = ", ".join(f"{p} {n}" for p, n in sorted(t["correct_by_path"].items()))
    rows: list[tuple[str, Any]] = [
        ("scheduled", t["scheduled"]),
        ("sent", t["sent"]),
        ("answered correctly", f"{t['correct']} ({by_path})"),
        ("**wrong answers**", f"**{t['wrong']}**"),
    ]
    rows += [(f"failed: {tag}", n) for tag, n in sorted(t["failures_explained_by"].items())]
    rows += [
        ("**failed, unexplained (total)**", f"**{unexplained(results)}**"),
        (f"connections opened after the first {s['connections']}", t["reconnects"]),
    ]
    lines += _table(["requests", "count"], rows)
    if t["failures_by_reason"]:
        lines += _table(
            ["failure [explained by]", "count"], sorted(t["failures_by_reason"].items())
        )
    lines += _table(
        ["fault", "at s", "what happened", "problems"],
        [
            (f["what"], _at(f["at"]), _fault_text(f), "; ".join(f["problems"]) or "none")
            for f in results["faults"]
        ],
    )
    rows = []
    for w in results["windows"]:
        lat = w["latency_ms"]
        span = f"{w['from_s']:.1f}-{w['to_s']:.1f}"
        counts = (w["requests"], w["correct"], w["wrong"], w["failed"])
        rows.append((w["fault"], w["window"], span, *counts, *_latencies(lat)))
    header = ["fault", "window", "s", "requests", "correct", "wrong", "failed"]
    lines += _table([*header, "p50 ms", "p90 ms", "p99 ms", "max ms"], rows)
    term = results["sigterm"]
    if term:
        rows = [(f"pool requests {phase}", _counts(c)) for phase, c in term["pool"].items()]
        rows.append(
            (
                f"{SLOW_REQUESTS} slow requests ({SLOW_CONTAINERS} containers) sent just before",
                f"{_counts(term['slow_outcomes'])}; {term['slow_ms']} ms",
            )
        )
        lines += _table(["at SIGTERM", "outcome"], rows)
    notable = results["server_log"]["notable"]
    if notable:
        lines += _table(["server log: warnings and errors", "count"], sorted(notable.items()))
    return "\n".join(lines)


def _latencies(summary: dict[str, Any]) -> tuple[Any, ...]:
    if not summary["count"]:
        return ("-",) * 4
    return tuple(round(summary[k], 1) for k in ("p50", "p90", "p99", "max"))


def targets(results: dict[str, Any]) -> str:
    t, term = results["totals"], results["sigterm"]
    killed = sum(n for tag, n in t["failures_explained_by"].items() if "killed worker" in tag)
    term_fault = next((f for f in results["faults"] if f["key"] == "term"), {"details": {}})
    exit_s = term_fault["details"].get("exit_s")
    in_flight = Counter(term.get("pool", {}).get("in flight", {}))
    in_flight.update(term.get("slow_outcomes", {}))
    finished = in_flight["correct"]
    grace = results["grace_s"]
    rows = [
        ("zero wrong answers", t["wrong"], "yes" if not t["wrong"] else "**no**"),
        (
            "zero failed requests except those on a killed worker",
            f"{unexplained(results)} unexplained; {killed} on the killed worker",
            "yes" if not unexplained(results) else "**no**",
        ),
        (
            "SIGTERM: in-flight requests finish",
            f"{finished} of {in_flight.total()} (pool and slow)" if term else "not measured",
            "yes" if term and finished == in_flight.total() else "**no**",
        ),
        (
            "SIGTERM: exit within the grace period",
            f"{exit_s} s (grace {grace:g} s)",
            "yes" if exit_s is not None and exit_s <= grace else "**no**",
        ),
    ]
    return "\n".join(_table(["target", "measured", "met?"], rows))


# -- main --------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    defaults = bw.serve_defaults()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--rate", type=float, help="req/s (default 200; --smoke 50)")
    parser.add_argument("--duration", type=float, help="seconds (default 60; --smoke 9)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=defaults.workers)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument("--smoke", action="store_true", help="a few seconds, for CI")
    parser.add_argument(
        "--kill-while-invalid",
        action="store_true",
        help="also SIGKILL a worker while the invalid policy is in the file",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="save every figure")
    parser.add_argument("--deadline", type=float, help="give up after this many seconds")
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="work in DIR and keep it (the server's log)"
    )
    admission_corpus.add_corpus_argument(parser)
    return parser.parse_args(argv)


def settings_for(args: argparse.Namespace) -> Settings:
    rate = args.rate or (50.0 if args.smoke else 200.0)
    duration = args.duration or (9.0 if args.smoke else 60.0)
    return Settings(
        rate,
        duration,
        args.connections,
        args.workers,
        args.threads,
        args.kill_while_invalid,
        args.smoke,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = settings_for(args)
    deadline = args.deadline or (settings.duration * 2 + 120)
    started: list[Any] = []
    began = time.monotonic()
    with contextlib.ExitStack() as stack:
        if args.keep:
            args.keep.mkdir(parents=True)  # fresh: the certificate and policy start anew
            workdir = args.keep
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="soak-")))
        try:
            with bw.bounded(deadline):
                results = soak(settings, args.corpus, workdir, started)
        except bw.ServerFailed as exc:
            print(f"soak: {exc}", file=sys.stderr)
            return 2
        except TimeoutError as exc:
            print(f"soak: {exc}: server stopped, no results", file=sys.stderr)
            return 3
        finally:
            for server in started:
                server.stop()
    results["wall_s"] = round(time.monotonic() - began, 1)
    found = problems(results)
    results["problems"] = found
    print(report(results))
    print(targets(results))
    print(f"Total wall time: {results['wall_s']:g} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    for problem in found:
        print(f"soak: error: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
