"""Every request judged against the oracle, and every failure put down to the fault that
explains it (or to none)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from .records import Request
from .run import Run


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
