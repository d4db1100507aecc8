"""The soak's report: markdown tables of requests, faults, windows and targets, and the
problems that fail the run."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from .slow import SLOW_CONTAINERS, SLOW_REQUESTS


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
