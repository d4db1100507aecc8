"""The server's life beyond single reviews: the policy file changing under it, the
certificate rotating under it, shutting down gracefully, and refusing a bad start."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from evictguard.certs.generate import generate
from evictguard.webhook.policy_store import CHECK_INTERVAL
from evictguard.webhook.serve import DEFAULT_THREADS

from tests.conftest import ROOT
from tests.test_webhook_server import NO_LIMIT, pod, rules_in
from tests.webhook_client import (
    Server,
    admission_review,
    connections_per_worker,
    running_server,
    wait_for_workers,
)

SANS = ("localhost", "127.0.0.1")
POLICY = "apiVersion: evictguard.io/v1alpha1\nkind: Policy\n"


def write_atomically(path: Path, text: str) -> None:
    """As a ConfigMap volume update does: the new file appears whole, never half written."""
    temp = path.with_suffix(".tmp")
    temp.write_text(text, "utf-8")
    os.replace(temp, path)


def denied_rules(server: Server) -> set[str]:
    answer = server.review("/validate", admission_review(pod(containers=NO_LIMIT), namespace="a"))
    return set() if answer.response["allowed"] else rules_in(answer.response["status"]["message"])


def metric(server: Server, name: str) -> str:
    body = server.request("GET", "/metrics").body
    text = body.decode() if isinstance(body, bytes) else str(body)
    return "\n".join(line for line in text.splitlines() if line.startswith(name))


def test_policy_changes_are_swapped_in_and_bad_ones_refused(tmp_path: Path) -> None:
    generate(tmp_path / "tls", "evictguard", "evictguard", extra_sans=SANS)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, "utf-8")
    with running_server(tmp_path / "tls", tmp_path / "log", policy=policy) as server:
        assert denied_rules(server) == {"memory-limit-missing"}
        # Turn the rule to warn: every worker picks it up within a couple of seconds.
        write_atomically(policy, POLICY + "rules:\n  memory-limit-missing: {mode: warn}\n")
        server.wait_until(lambda: all(denied_rules(server) == set() for _ in range(6)))
        time.sleep(3 * CHECK_INTERVAL)  # every worker's watcher has seen it by now
        # An invalid policy is refused: the last good one stays in force, /readyz says so.
        write_atomically(policy, POLICY + "rules:\n  memory-limit-missing: {mode: sometimes}\n")
        time.sleep(3 * CHECK_INTERVAL)  # every worker has looked at it
        ready = server.request("GET", "/readyz")
        assert ready.body["status"] == "degraded"
        assert ready.status == 200  # still serving with the last good policy
        assert (
            "rules.memory-limit-missing.mode: 'sometimes' is not one of"
            in ready.body["policyError"]
        )
        assert all(denied_rules(server) == set() for _ in range(6))
        assert 'evictguard_policy_reloads_total{result="refused"}' in metric(
            server, "evictguard_policy_reloads_total"
        )
        server.wait_until(
            lambda: any(
                line.get("event") == "policy_reload" and line.get("result") == "refused"
                for line in server.log_lines()
            )
        )
        # Fixed again: ready and back to enforcing.
        write_atomically(policy, POLICY)
        server.wait_until(lambda: server.request("GET", "/readyz").body["status"] == "ok")
        server.wait_until(lambda: all(denied_rules(server) for _ in range(6)))


def test_a_rotated_certificate_is_served_to_new_connections(tmp_path: Path) -> None:
    live = tmp_path / "tls"
    old = generate(live, "evictguard", "evictguard", extra_sans=SANS)
    old_ca = tmp_path / "old-ca.crt"
    shutil.copy(old.ca_cert, old_ca)
    with running_server(live, tmp_path / "log", workers=1) as server:
        kept = server.connection(ca_file=old_ca)  # a keep-alive connection from before
        assert server.request("GET", "/healthz", conn=kept).status == 200
        # Rotate: a new CA and serving pair written into the watched directory (keys first,
        # each file replaced atomically, as cert-manager and `certs generate` do).
        new = generate(tmp_path / "staging", "evictguard", "evictguard", extra_sans=SANS)
        for name in ("ca.key", "ca.crt", "tls.key", "tls.crt"):
            shutil.copy(new.ca_cert.parent / name, live / f".{name}.new")
            os.replace(live / f".{name}.new", live / name)

        def new_certificate_served() -> bool:
            try:
                conn = server.connection(ca_file=new.ca_cert)
                return server.request("GET", "/healthz", conn=conn).status == 200
            except OSError:
                return False

        server.wait_until(new_certificate_served)
        # The old CA no longer verifies new connections...
        import ssl

        with pytest.raises(ssl.SSLCertVerificationError):
            server.request("GET", "/healthz", conn=server.connection(ca_file=old_ca))
        # ...while the connection opened before the rotation is still served.
        assert server.request("GET", "/healthz", conn=kept).status == 200
        assert server.review(
            "/validate", admission_review(pod(), namespace="a"), conn=kept
        ).response["allowed"]


def test_a_refused_certificate_is_logged_once_per_worker_not_every_second(
    tmp_path: Path,
) -> None:
    """Each worker retries the files every second while connections come in (the API
    server's, the probes'): a refused pair was logged at error level each time, per worker.
    Now at most every LOG_INTERVAL for the same problem, at once for another or its end."""
    live = tmp_path / "tls"
    generate(live, "evictguard", "evictguard", extra_sans=SANS)
    other = generate(tmp_path / "other", "evictguard", "evictguard", extra_sans=SANS)
    good_cert, good_key = (live / "tls.crt").read_bytes(), (live / "tls.key").read_bytes()

    def replace(name: str, data: bytes) -> None:
        (live / f".{name}.new").write_bytes(data)
        os.replace(live / f".{name}.new", live / name)

    def refused() -> list[dict[str, object]]:
        return [
            line
            for line in server.log_lines()
            if line.get("event") == "certificate_reload" and line.get("level") == "error"
        ]

    def connect() -> None:  # a new connection: its worker asks for the serving context
        conn = server.connection()  # kept open: the workers share them out (webhook.balance)
        assert server.request("GET", "/healthz", conn=conn).status == 200  # the old pair

    with running_server(live, tmp_path / "log", workers=2) as server:
        workers = wait_for_workers(server, 2)
        # Every worker loads the good pair first (kept connections are spread over them).
        kept = []
        while len([n for n in connections_per_worker(server).values() if n]) < len(workers):
            kept.append(server.connection())
            assert server.request("GET", "/healthz", conn=kept[-1]).status == 200
            assert len(kept) < 40
        for conn in kept:
            conn.close()
        replace("tls.key", (other.ca_cert.parent / "tls.key").read_bytes())  # mismatched
        until = time.monotonic() + 3.5  # three retries or more in each worker
        while time.monotonic() < until:
            connect()
            time.sleep(0.1)
        lines = refused()
        assert Counter(line["pid"] for line in lines) == dict.fromkeys(workers, 1), lines
        assert all(line["result"] == "refused" for line in lines)
        assert "key values mismatch" in str(lines[0]["error"]).lower(), lines
        # Another problem (a certificate that is not one) is logged at once...
        replace("tls.crt", b"not a certificate")

        def another_problem() -> bool:
            connect()
            return len({str(line["error"]) for line in refused()}) >= 2

        server.wait_until(another_problem, timeout=5)
        # ...and so is its end.
        replace("tls.key", good_key)
        replace("tls.crt", good_cert)

        def reloaded() -> bool:
            try:
                connect()
            except (OSError, AssertionError):
                return False
            return any(
                line.get("event") == "certificate_reload" and line.get("result") == "loaded"
                for line in server.log_lines()
            )

        server.wait_until(reloaded, timeout=5)


def test_serve_runs_four_threads_per_worker_by_default(tmp_path: Path) -> None:
    """`serve --threads` defaulted to 8 while the README recommends 4 (more threads only
    queue CPU-bound work under the GIL): the default reaches gunicorn's own configuration."""
    generate(tmp_path / "tls", "evictguard", "evictguard", extra_sans=SANS)
    debug = {"EVICTGUARD_LOG_LEVEL": "debug"}  # gunicorn then logs its configuration
    with running_server(tmp_path / "tls", tmp_path / "log", workers=1, env=debug) as server:
        server.wait_until(lambda: "Current configuration" in server.log.read_text())
        settings = server.log.read_text().split("Current configuration", 1)[1]
        assert "\n  threads: 4\n" in settings
        assert "\n  workers: 1\n" in settings
    assert DEFAULT_THREADS == 4
    read = "import runpy, sys; print(runpy.run_path(sys.argv[1])['threads'])"
    conf = subprocess.run(  # gunicorn started on the configuration file alone
        [sys.executable, "-c", read, str(ROOT / "webhook" / "gunicorn.conf.py")],
        capture_output=True,
        text=True,
        env={**os.environ, "EVICTGUARD_CERT_DIR": str(tmp_path / "tls")},
        cwd=ROOT,
        check=True,
    )
    assert conf.stdout.strip() == "4"
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "by default 2 of 4 threads each" in readme and "**4 threads per worker**" in readme


def test_sigterm_shuts_down_gracefully(tmp_path: Path) -> None:
    generate(tmp_path / "tls", "evictguard", "evictguard", extra_sans=SANS)
    with running_server(tmp_path / "tls", tmp_path / "log") as server:
        assert server.request("GET", "/healthz").status == 200
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        code = server.process.wait(30)
        assert code == 0
        assert time.monotonic() - started < 25
        log = (tmp_path / "log").read_text()
        assert "Handling signal: term" in log and "Shutting down: Master" in log


def test_serve_refuses_a_bad_policy_and_makes_a_development_certificate(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text(POLICY + "rules: {nope: {mode: warn}}\n", "utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "evictguard", "serve", "--policy", str(bad), "--cert-dir", "x"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{bad}: rules.nope: unknown rule")
    # No certificate yet: one is generated (CA, serving pair, SANs for local use) and the
    # caBundle printed; the server then starts with it.
    cert_dir = tmp_path / "dev"
    with running_server(cert_dir, tmp_path / "log", workers=1) as server:
        assert server.request("GET", "/healthz").status == 200
        assert sorted(p.name for p in cert_dir.iterdir()) == [
            "ca.crt",
            "ca.key",
            "tls.crt",
            "tls.key",
        ]
    log = (tmp_path / "log").read_text()
    assert "generated a development CA and serving certificate" in log
    assert "caBundle: LS0t" in log


def test_slow_and_silent_clients_cannot_starve_the_server(tmp_path: Path) -> None:
    """Slowloris, bounded: more stalled and dripping requests than the worker has threads,
    plus idle connections that send nothing. Each is cut off (IO_TIMEOUT without data,
    REQUEST_DEADLINE in all, IO_TIMEOUT parked idle), and proper reviews are answered."""
    import socket
    import ssl
    import threading

    from evictguard.webhook.worker import IO_TIMEOUT, REQUEST_DEADLINE

    from tests.webhook_client import SERVICE_HOST, client_context

    generate(tmp_path / "tls", "evictguard", "evictguard", extra_sans=SANS)
    with running_server(tmp_path / "tls", tmp_path / "log", workers=1) as server:
        context = client_context(tmp_path / "tls" / "ca.crt")
        started = time.monotonic()
        header = b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"

        def open_tls() -> ssl.SSLSocket:
            raw = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            return context.wrap_socket(raw, server_hostname=SERVICE_HOST)

        stalled = [open_tls() for _ in range(3)]  # half a request, then silence
        for tls in stalled:
            tls.sendall(header + b"{")
        drippers = [open_tls() for _ in range(3)]  # a byte a second, for ever
        stop = threading.Event()

        def drip(tls: ssl.SSLSocket) -> None:
            for byte in header * 100:
                if stop.is_set():
                    return
                try:
                    tls.sendall(bytes([byte]))
                except OSError:
                    return  # cut off by the server: what this test wants
                time.sleep(1)

        threads = [threading.Thread(target=drip, args=(d,), daemon=True) for d in drippers]
        for thread in threads:
            thread.start()
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(20)]
        try:
            answer = server.review("/validate", admission_review(pod(), namespace="a"))
            assert answer.response["allowed"] is True
            assert time.monotonic() - started < REQUEST_DEADLINE + 3 * IO_TIMEOUT
            # Every one of them has been hung up on by now (a read returns EOF or fails).
            deadline = started + REQUEST_DEADLINE + 4 * IO_TIMEOUT
            for sock in [*stalled, *drippers, *idle]:
                sock.settimeout(max(0.1, deadline - time.monotonic()))
                try:
                    while sock.recv(65536):
                        pass
                except (OSError, ssl.SSLError) as exc:
                    assert not isinstance(exc, TimeoutError), "still connected"
        finally:
            stop.set()
            for sock in [*stalled, *drippers, *idle]:
                sock.close()
        log = (tmp_path / "log").read_text()
        assert "Traceback" not in log  # slow clients cost a debug line, not a traceback


def test_a_configmap_volume_update_is_picked_up(tmp_path: Path) -> None:
    """A ConfigMap volume is a chain of symlinks the kubelet swaps on update
    (policy.yaml -> ..data/policy.yaml, ..data -> ..2026_11_29_1; then ..data -> ..2026_11_29_2
    and the old directory deleted): the server must follow the name, not one version."""
    generate(tmp_path / "tls", "evictguard", "evictguard", extra_sans=SANS)
    volume = tmp_path / "policy"
    volume.mkdir()

    def publish(version: str, text: str) -> None:
        (volume / version).mkdir()
        (volume / version / "policy.yaml").write_text(text, "utf-8")
        (volume / "..data_tmp").symlink_to(version)
        os.replace(volume / "..data_tmp", volume / "..data")

    publish("..v1", POLICY)
    (volume / "policy.yaml").symlink_to("..data/policy.yaml")
    with running_server(
        tmp_path / "tls", tmp_path / "log", policy=volume / "policy.yaml"
    ) as server:
        assert denied_rules(server) == {"memory-limit-missing"}
        publish("..v2", POLICY + "rules:\n  memory-limit-missing: {mode: warn}\n")
        shutil.rmtree(volume / "..v1")
        time.sleep(3 * CHECK_INTERVAL)
        assert all(denied_rules(server) == set() for _ in range(6))
        assert server.request("GET", "/readyz").body["status"] == "ok"


def test_controller_objects_can_be_judged_on_their_own(tmp_path: Path) -> None:
    """With `controllerObjectsOnTemplate: false`, a ReplicaSet's Pod is denied like any
    other: for clusters whose sidecar injectors add containers that must still be denied."""
    generate(tmp_path / "tls", "evictguard", "evictguard", extra_sans=SANS)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY + "admission: {controllerObjectsOnTemplate: false}\n", "utf-8")
    owned = pod(containers=NO_LIMIT)
    owned["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "r", "uid": "u", "controller": True}
    ]
    review = admission_review(owned, namespace="shop")
    review["request"]["userInfo"] = {
        "username": "system:serviceaccount:kube-system:replicaset-controller"
    }
    with running_server(tmp_path / "tls", tmp_path / "log", policy=policy, workers=1) as server:
        assert server.review("/validate", review).response["allowed"] is False


@pytest.mark.parametrize("restart", ["sigkill-a-worker", "sighup"])
def test_workers_started_while_the_policy_is_invalid_serve_the_last_good_one(
    tmp_path: Path, restart: str
) -> None:
    """A replacement worker used to fail to boot on the invalid file, and gunicorn then
    stopped the whole server (found by bench.soak)."""
    from tests.webhook_client import wait_for_workers, worker_pids

    generate(tmp_path / "tls", "evictguard", "evictguard", extra_sans=SANS)
    policy = tmp_path / "policy.yaml"
    write_atomically(policy, POLICY + "rules:\n  memory-limit-missing: {mode: warn}\n")
    with running_server(tmp_path / "tls", tmp_path / "log", policy=policy) as server:
        before = wait_for_workers(server, 2)
        assert denied_rules(server) == set()  # the good policy: warn only
        write_atomically(policy, POLICY + "rules: {memory-limit-missing: {mode: sometimes}}\n")
        time.sleep(3 * CHECK_INTERVAL)
        if restart == "sighup":
            os.kill(server.process.pid, signal.SIGHUP)
        else:
            os.kill(before[0], signal.SIGKILL)
        server.wait_until(
            lambda: len(set(worker_pids(server)) - set(before)) >= (2 if restart == "sighup" else 1)
        )
        after = wait_for_workers(server, 2)
        assert server.process.poll() is None  # the server is still up
        assert set(after) != set(before)
        for _ in range(6):  # every worker, old or new, still serves the last good policy
            assert denied_rules(server) == set()
        ready = server.request("GET", "/readyz")
        assert ready.status == 200 and ready.body["status"] == "degraded"
