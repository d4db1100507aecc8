"""The API server's side of the webhook contract, for tests: start the real server
(`evictguard serve`: gunicorn, TLS), connect the way kube-apiserver does (verify the
certificate against the caBundle and the hostname against the Service's DNS name), send
AdmissionReview v1, and check the response as `VerifyAdmissionResponse` does.

Loopback only; every server started here is stopped by the fixture that started it.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonpatch

SERVICE_HOST = "evictguard.evictguard.svc"  # the name the API server verifies
STARTUP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def client_context(ca_file: Path | str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_file))
    context.check_hostname = True
    return context


class VerificationError(AssertionError):
    """The API server would reject this response (a webhook call error)."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any  # parsed JSON, or raw bytes when not JSON

    @property
    def response(self) -> dict[str, Any]:
        return self.body["response"]

    @property
    def patch(self) -> list[dict[str, Any]] | None:
        raw = self.response.get("patch")
        return None if raw is None else json.loads(base64.b64decode(raw))


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    cert_dir: Path
    policy: Path | None
    log: Path
    host: str = "127.0.0.1"
    connections: list[http.client.HTTPSConnection] = field(default_factory=list)

    def connection(
        self, ca_file: Path | None = None, server_hostname: str = SERVICE_HOST
    ) -> http.client.HTTPSConnection:
        """A keep-alive HTTPS connection to the loopback address, verified as the API
        server verifies: against the CA bundle and the Service's DNS name."""
        context = client_context(ca_file or self.cert_dir / "ca.crt")
        conn = http.client.HTTPSConnection(server_hostname, self.port, context=context, timeout=10)
        address = (self.host, self.port)
        conn._create_connection = lambda *args, **kwargs: socket.create_connection(  # type: ignore[attr-defined]
            address, timeout=10
        )
        self.connections.append(conn)
        return conn

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        conn: http.client.HTTPSConnection | None = None,
    ) -> Answer:
        conn = conn or self.connection()
        conn.request(method, path, body=body, headers=dict(headers or {}))
        reply = conn.getresponse()
        raw = reply.read()
        try:
            parsed: Any = json.loads(raw)
        except ValueError:
            parsed = raw
        return Answer(reply.status, {k.lower(): v for k, v in reply.getheaders()}, parsed)

    def review(
        self, path: str, review: Mapping[str, Any], conn: http.client.HTTPSConnection | None = None
    ) -> Answer:
        body = json.dumps(review).encode()
        answer = self.request(
            "POST",
            f"{path}?timeout=10s",
            body,
            {"Content-Type": "application/json", "Accept": "application/json"},
            conn,
        )
        verify(review, answer, mutating=path.startswith("/mutate"))
        return answer

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.log.read_text("utf-8", "replace").splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    continue
        return lines

    def wait_until(self, predicate: Any, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.1)
        raise AssertionError(f"condition not met within {timeout}s")

    def stop(self, timeout: float = 30.0) -> int:
        for conn in self.connections:
            conn.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return int(self.process.returncode)


def verify(review: Mapping[str, Any], answer: Answer, mutating: bool) -> None:
    """`VerifyAdmissionResponse`, and what the API server does with the response."""
    if answer.status != 200:
        raise VerificationError(f"webhook answered HTTP {answer.status}: {answer.body!r}")
    body = answer.body
    if not isinstance(body, dict):
        raise VerificationError("response is not JSON")
    if (body.get("apiVersion"), body.get("kind")) != (review["apiVersion"], "AdmissionReview"):
        raise VerificationError(
            f"expected webhook response of {review['apiVersion']}, Kind=AdmissionReview, got "
            f"{body.get('apiVersion')}, Kind={body.get('kind')}"
        )
    response = body.get("response")
    if not isinstance(response, dict):
        raise VerificationError("webhook response was absent")
    if response.get("uid") != review["request"]["uid"]:
        raise VerificationError(
            f"expected response.uid={review['request']['uid']!r}, got {response.get('uid')!r}"
        )
    if not isinstance(response.get("allowed"), bool):
        raise VerificationError("response.allowed must be a boolean")
    has_patch, has_type = "patch" in response, "patchType" in response
    if not mutating and (has_patch or has_type):
        raise VerificationError("validating webhook may not return a patch")
    if has_patch != has_type:
        raise VerificationError("webhook returned response.patch but not response.patchType")
    if has_type and response["patchType"] != "JSONPatch":
        raise VerificationError(f"unsupported patch type {response['patchType']!r}")
    if has_patch and review["request"]["operation"] == "DELETE":
        raise VerificationError("a patch on DELETE")
    for warning in response.get("warnings") or ():
        if any(not c.isprintable() for c in warning):
            raise VerificationError(f"warning with control characters is dropped: {warning!r}")
    if not response["allowed"]:
        status = response.get("status") or {}
        if not isinstance(status.get("code"), int) or status["code"] < 400:
            raise VerificationError(f"a denial needs a status code >= 400: {status}")


def apply_patch(obj: Mapping[str, Any], answer: Answer) -> dict[str, Any]:
    """Apply the webhook's patch with an independent RFC 6902 library, as the API server
    applies it (evanphx/json-patch)."""
    patch = answer.patch
    if not patch:
        return copy.deepcopy(dict(obj))
    return jsonpatch.JsonPatch(patch).apply(copy.deepcopy(dict(obj)))


def admission_review(
    obj: Mapping[str, Any] | None,
    operation: str = "CREATE",
    old: Mapping[str, Any] | None = None,
    namespace: str | None = None,
    version: str = "admission.k8s.io/v1",
    dry_run: bool = False,
    sub_resource: str | None = None,
    username: str = "alice",
) -> dict[str, Any]:
    """An AdmissionReview as kube-apiserver builds it (`CreateV1AdmissionReview`)."""
    subject = obj if obj is not None else old or {}
    api_version = str(subject.get("apiVersion", "v1"))
    group, _, ver = api_version.rpartition("/")
    kind = str(subject.get("kind", "Pod"))
    resource = kind.lower() + "s"
    metadata = subject.get("metadata") or {}
    request: dict[str, Any] = {
        "uid": str(uuid.uuid4()),
        "kind": {"group": group, "version": ver, "kind": kind},
        "resource": {"group": group, "version": ver, "resource": resource},
        "requestKind": {"group": group, "version": ver, "kind": kind},
        "requestResource": {"group": group, "version": ver, "resource": resource},
        "name": metadata.get("name", ""),
        "namespace": namespace if namespace is not None else metadata.get("namespace", ""),
        "operation": operation,
        "userInfo": {"username": username, "groups": ["system:authenticated"]},
        "object": obj,
        "oldObject": old,
        "dryRun": dry_run,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": f"{operation.title()}Options"},
    }
    if sub_resource:
        request["subResource"] = sub_resource
        request["requestSubResource"] = sub_resource
    return {"apiVersion": version, "kind": "AdmissionReview", "request": request}


def _ready(server: Server) -> bool:
    try:
        answer = server.request("GET", "/readyz")
    except (OSError, ssl.SSLError, http.client.HTTPException):
        return False
    return answer.status == 200


@contextmanager
def running_server(
    cert_dir: Path,
    log: Path,
    policy: Path | None = None,
    workers: int = 2,
    extra: tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    launcher: tuple[str, ...] = (sys.executable, "-m", "evictguard"),
) -> Iterator[Server]:
    """`launcher`: how evictguard is started (the console script, as the image's
    ENTRYPOINT does, or `python -m evictguard`)."""
    port = free_port()
    argv = [*launcher, "serve", "--bind", f"127.0.0.1:{port}"]
    argv += ["--cert-dir", str(cert_dir), "--workers", str(workers), *extra]
    if policy is not None:
        argv += ["--policy", str(policy)]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            argv,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
        )
    server = Server(process, port, cert_dir, policy, log)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _ready(server):
            if process.poll() is not None:
                raise AssertionError(f"server exited {process.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"server not ready in {STARTUP_TIMEOUT}s:\n{log.read_text()}")
            time.sleep(0.1)
        yield server
    finally:
        server.stop()


def worker_pids(server: Server) -> list[int]:
    """gunicorn's worker processes: the children of the arbiter (`serve` execs gunicorn)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == server.process.pid:  # field 4, ppid
            pids.append(int(entry))
    return sorted(pids)


def connections_per_worker(server: Server) -> dict[int, int]:
    """Established connections on the server's port held by each worker (Linux /proc)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                port = int(fields[1].rsplit(":", 1)[1], 16)
                if port == server.port and fields[3] == "01":  # ESTABLISHED
                    inodes.add(fields[9])
    held: dict[int, int] = {}
    for pid in worker_pids(server):
        count = 0
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if link.startswith("socket:[") and link[8:-1] in inodes:
                        count += 1
        held[pid] = count
    return held


def wait_for_workers(server: Server, count: int, timeout: float = 30.0) -> list[int]:
    """Until `count` workers have loaded the app and say so in the log (/readyz answers as
    soon as the first one is up)."""
    deadline = time.monotonic() + timeout
    while True:
        pids = worker_pids(server)
        log = server.log.read_text("utf-8", "replace")
        if len(pids) == count and all(f"Worker ready (pid: {pid})" in log for pid in pids):
            return pids
        if time.monotonic() > deadline:
            raise AssertionError(f"{count} workers not ready in {timeout}s: {pids}")
        time.sleep(0.05)
