"""One soak from start to results: the policies and the server, the load in a thread and the
faults at their offsets on this one, then the analysis."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import admission_corpus, loadgen
from ..servers import Server, ServerFailed, connection_balance, free_port, log
from .faults import FAULTS, Fault, schedule
from .figures import analyse
from .generator import Aborted, SoakGenerator
from .oracle import Oracle, PolicyTimeline
from .policy_files import write_policies
from .run import Run, Settings
from .slow import SLOW_CONTAINERS, SlowRequests

GRACE_DEFAULT = 20.0  # gunicorn.conf.py: EVICTGUARD_GRACEFUL_TIMEOUT


def start_server(
    settings: Settings, workdir: Path, policy: Path, body: Any, started: list[Server]
) -> Server:
    """`evictguard serve` on a free loopback port with the replaceable policy file."""
    cert_dir = workdir / "certs"  # empty: `evictguard serve` makes a development CA there
    port = free_port()
    argv = [sys.executable, "-m", "evictguard", "serve", "--bind", f"127.0.0.1:{port}"]
    argv += ["--cert-dir", str(cert_dir), "--policy", str(policy)]
    argv += ["--workers", str(settings.workers), "--threads", str(settings.threads)]
    server = Server("evictguard", argv, dict(os.environ), port, workdir / "server.log")
    started.append(server)
    server.start(cert_dir / "ca.crt", body, settings.workers)
    return server


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
            raise ServerFailed(f"the load did not start: {failure}")
        log(f"load started: {settings.rate:g} req/s for {settings.duration:g} s")
        for fault in faults:
            while run.now() < fault.planned and thread.is_alive():
                time.sleep(min(0.05, max(0.0, fault.planned - run.now())))
            if not run.server.alive():
                fault.problems.append("the server was not running")
                continue
            held = connection_balance(run.server.workers(), run.server.port)
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


def soak(
    settings: Settings, corpus_dir: Path, workdir: Path, started: list[Server]
) -> dict[str, Any]:
    corpus = admission_corpus.load(corpus_dir, limit_files=150 if settings.smoke else None)
    if not corpus.bodies:
        raise ServerFailed("no AdmissionReview bodies: neither the corpus nor examples/")
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
