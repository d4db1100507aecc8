"""The figures of a finished soak: verdicts, windows around each fault, what the policy
change and SIGTERM did, and what each fault saw afterwards."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .. import loadgen
from .faults import Fault
from .judging import explain, judge_all, term_phase
from .oracle import TRANSITION
from .records import Request
from .run import Run, Settings
from .server_log import server_log


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
