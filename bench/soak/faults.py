"""The faults, each done to the running server and measured: SIGKILL of a worker,
certificate rotation, policy replacement, SIGHUP, SIGTERM; and when each is due."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..servers import ROOT, client_ports_of, cpu_ticks, session_members
from .certificates import file_certificate, peer_certificate
from .oracle import TRANSITION
from .run import Run, Settings
from .slow import SLOW_REQUESTS

SERVICE, NAMESPACE = "evictguard", "evictguard"
DEV_SANS = ("localhost", "127.0.0.1", "::1")  # what `serve` puts in its development certificate
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
        ticks.append(cpu_ticks(new[0]))
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


def schedule(settings: Settings) -> list[Fault]:
    """The faults at their offsets; with --kill-while-invalid, one more SIGKILL just after
    the invalid policy is written (the valid one follows once the replacement is up)."""
    plan = list(SCHEDULE)
    if settings.kill_while_invalid:
        plan.insert(3, KILL_WHILE_INVALID)
    return [Fault(key, what, round(frac * settings.duration, 2)) for key, what, frac in plan]
