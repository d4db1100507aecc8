"""Webhook latency and throughput: `evictguard serve` (/validate, /mutate) against a bare
Flask echo served by the same gunicorn settings, on loopback, with an open-loop generator.

    python -m bench.webhook_load            # the full run (~4 minutes)
    python -m bench.webhook_load --smoke    # a few seconds, for CI: non-zero exit on any error

Both servers run side by side and every phase visits the targets in turn (A B C A B C), so a
noisy neighbour slows them alike: on a shared 2-core machine only the ratios measured within
one run mean much. Also measured: peak RSS per worker, how the generator's keep-alive
connections spread over gunicorn's workers (read from /proc, the server is not touched),
latency against object size, and the generator's own ceiling (against a null server).
Every server started here is killed at the end, on Ctrl-C, on error and on the deadline.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import admission_corpus, echo_app, loadgen
from .servers import (
    CLK_TCK,
    Server,
    ServerFailed,
    connection_balance,
    cpu_ticks,
    free_port,
    log,
    peak_rss_mib,
    run_stopping_servers,
    serve_defaults,
)

P99_LIMIT_MS = 50.0
ACHIEVED_MIN = 0.95
SCALING_SIZES = (1, 10, 50, 100, 250, 500)
GENERATOR_RATES = (2000.0, 4000.0, 6000.0, 8000.0, 10000.0)


# -- the servers compared --------------------------------------------------------------------


def evictguard_server(workdir: Path, cert_dir: Path, workers: int, threads: int) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "evictguard", "serve", "--bind", f"127.0.0.1:{port}"]
    argv += ["--cert-dir", str(cert_dir), "--workers", str(workers), "--threads", str(threads)]
    return Server("evictguard", argv, dict(os.environ), port, workdir / "evictguard.log")


def echo_server(workdir: Path, cert_dir: Path, workers: int, threads: int) -> Server:
    port = free_port()
    max_body = serve_defaults().max_body
    argv, env = echo_app.command(f"127.0.0.1:{port}", str(cert_dir), workers, threads, max_body)
    return Server("echo", argv, env, port, workdir / "echo.log")


def null_server(workdir: Path, cert_dir: Path) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "bench.loadgen", "--null-server", "--port", str(port)]
    argv += ["--cert-dir", str(cert_dir)]
    return Server("null", argv, dict(os.environ), port, workdir / "null.log")


# -- runs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    label: str  # "evictguard /validate"
    server: Server
    path: str


@dataclass
class Settings:
    rates: list[float]
    duration: float
    warmup: float
    connections: int
    workers: int
    step_duration: float  # per max-rate search step
    scaling_sizes: tuple[int, ...]
    scaling_max_duration: float
    max_steps: int


@dataclass
class Bench:
    settings: Settings
    bodies: list[admission_corpus.ReviewBody]
    ca_file: Path
    notes: list[str] = field(default_factory=list)

    def run(
        self,
        endpoint: Endpoint,
        rate: float,
        duration: float,
        warmup: float,
        bodies: Sequence[loadgen.Body] | None = None,
        connections: int | None = None,
        retry: bool = True,
    ) -> dict[str, Any]:
        """One open-loop run, with the server's side of it (balance, CPU per request)."""
        server = endpoint.server
        target = loadgen.Target(server.port, endpoint.path, self.ca_file)
        before: dict[int, int] = {}

        def on_pool_open() -> dict[str, int]:
            workers = server.workers()
            before.update({w: cpu_ticks(w) for w in workers})
            return connection_balance(workers, server.port)

        result = loadgen.run_load(
            target,
            bodies or self.bodies,
            rate,
            duration,
            warmup,
            connections or self.settings.connections,
            on_pool_open,
        )
        if not server.alive() and retry:
            self.notes.append(f"{server.name} died during {endpoint.label} @ {rate:g}/s: retried")
            log(f"{server.name} died: restarting and retrying once\n{server.tail()}")
            server.restarts += 1
            server.start(self.ca_file, self.bodies[0], self.settings.workers)
            return self.run(endpoint, rate, duration, warmup, bodies, connections, retry=False)
        row = result.to_dict()
        row["endpoint"] = endpoint.label
        row["balance"] = result.pool_note
        row["worker_cpu_share"] = _cpu_shares(before)
        spent = sum(cpu_ticks(w) - t for w, t in before.items()) / CLK_TCK
        row["server_cpu_ms_per_request"] = round(spent / max(1, result.responses) * 1000, 3)
        row["sustainable"] = sustainable(row)
        if before and set(server.workers()) != set(before):
            self.notes.append(f"{server.name}: a worker was replaced during {_one_line(row)}")
        log(_one_line(row))
        return row


def _cpu_shares(before: dict[int, int]) -> dict[str, float]:
    spent = {w: cpu_ticks(w) - t for w, t in before.items()}
    total = sum(spent.values()) or 1
    return {str(w): round(s / total, 3) for w, s in spent.items()}


def sustainable(row: dict[str, Any]) -> bool:
    return (
        not row["errors"]
        and not row["saturated"]
        and row["achieved_rate"] >= ACHIEVED_MIN * row["target_rate"]
        and row["latency_ms"]["p99"] <= P99_LIMIT_MS
    )


def _one_line(row: dict[str, Any]) -> str:
    lat = row["latency_ms"]
    return (
        f"{row['endpoint']} @ {row['target_rate']:g}/s: achieved {row['achieved_rate']:g}/s, "
        f"p50 {lat['p50']:.1f} ms, p99 {lat['p99']:.1f} ms, errors {row['errors'] or 0}, "
        f"conns {_balance_text(row['balance'])}"
    )


def _balance_text(balance: dict[str, int] | None) -> str:
    if not balance:
        return "-"
    counts = [n for w, n in balance.items() if w != "other"]
    text = "/".join(str(n) for n in sorted(counts, reverse=True))
    return text + (f" (+{balance['other']} unmatched)" if balance.get("other") else "")


def fixed_rates(bench: Bench, endpoints: Sequence[Endpoint]) -> list[dict[str, Any]]:
    """Every configured rate, the endpoints visited in turn at each."""
    s = bench.settings
    return [bench.run(e, rate, s.duration, s.warmup) for rate in s.rates for e in endpoints]


def search_max(
    bench: Bench, endpoints: Sequence[Endpoint], fixed: Sequence[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Highest sustainable rate per endpoint: step up by 1.4x from the best fixed rate until
    a step fails, then bisect (geometrically) to within 10%; endpoints take turns."""
    state = {}
    for e in endpoints:
        rows = [r for r in fixed if r["endpoint"] == e.label]
        good = max((r["target_rate"] for r in rows if r["sustainable"]), default=0.0)
        bad = min((r["target_rate"] for r in rows if not r["sustainable"]), default=None)
        state[e.label] = {"good": good, "bad": bad, "steps": []}
    for _ in range(bench.settings.max_steps):
        pending = [e for e in endpoints if _next_rate(state[e.label]) is not None]
        if not pending:
            break
        for e in pending:
            entry = state[e.label]
            rate = _next_rate(entry)
            assert rate is not None
            row = bench.run(e, rate, bench.settings.step_duration, bench.settings.warmup)
            entry["steps"].append(row)
            if row["sustainable"]:
                entry["good"] = max(entry["good"], rate)
            else:
                entry["bad"] = rate if entry["bad"] is None else min(entry["bad"], rate)
    return state


def _next_rate(entry: dict[str, Any]) -> float | None:
    good, bad = entry["good"], entry["bad"]
    if bad is None:
        return round(max(good, 50.0) * 1.4, -1)
    low = max(good, 10.0)
    if bad <= low * 1.1:
        return None
    return round((low * bad) ** 0.5, -1 if low >= 100 else 0)


def scaling(bench: Bench, endpoints: Sequence[Endpoint]) -> list[dict[str, Any]]:
    """p50/p99 against the number of containers, at a rate low enough for the server to stay
    mostly idle (at most 50/s, and at most half of one core by a calibration request)."""
    rows = []
    for size in bench.settings.scaling_sizes:
        body = admission_corpus.pod_with_containers(size)
        for e in endpoints:
            service = _calibrate(bench, e, body)
            rate = round(min(50.0, max(0.5, 0.5 / service)), 1)
            duration = min(bench.settings.scaling_max_duration, max(2.0, 20 / rate))
            if bench.settings.scaling_max_duration < 2:
                duration = bench.settings.scaling_max_duration
            row = bench.run(e, rate, duration, 0.0, bodies=[body], connections=2)
            row.update(containers=size, body_bytes=body.size, calibration_ms=service * 1000)
            rows.append(row)
    return rows


def _calibrate(bench: Bench, endpoint: Endpoint, body: admission_corpus.ReviewBody) -> float:
    """Seconds of one request (the fastest of two, connection set-up included)."""
    target = loadgen.Target(endpoint.server.port, endpoint.path, bench.ca_file)
    times = []
    for _ in range(2):
        started = time.perf_counter()
        error = loadgen.probe(target, body, timeout=loadgen.REQUEST_TIMEOUT)
        if error is not None:
            raise ServerFailed(f"{endpoint.label}: calibration request failed: {error}")
        times.append(time.perf_counter() - started)
    return min(times)


def linear_fit(points: Sequence[tuple[float, float]]) -> dict[str, float]:
    """Least squares y = a + b x, and r² (how straight the line is)."""
    n = len(points)
    if n < 2:
        return {}
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    sxy = sum((x - mx) * (y - my) for x, y in points)
    syy = sum((y - my) ** 2 for _, y in points)
    slope = sxy / sxx if sxx else 0.0
    r2 = sxy * sxy / (sxx * syy) if sxx and syy else 1.0
    return {"ms_per_container": slope, "intercept_ms": my - slope * mx, "r2": r2}


def generator_ceiling(bench: Bench, endpoint: Endpoint, rates: Sequence[float]) -> dict[str, Any]:
    """The generator against the null server: the highest rate it sustains, and its CPU."""
    steps = []
    for rate in rates:
        row = bench.run(endpoint, rate, 2.0, 0.5, retry=False)
        steps.append(row)
        if not row["sustainable"]:
            break
    good = [r for r in steps if r["sustainable"]]
    return {
        "sustained_rate": max((r["target_rate"] for r in good), default=0.0),
        "steps": steps,
    }


def rss(server: Server) -> dict[str, float | None]:
    return {str(w): peak_rss_mib(w) for w in server.workers()}


# -- the report ------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = [headers, ["---"] * len(headers), *rows]
    return "\n".join("| " + " | ".join(str(c) for c in line) + " |" for line in lines)


def _errors_text(row: dict[str, Any]) -> str:
    errors = row["errors"]
    return ", ".join(f"{n} {reason}" for reason, n in errors.items()) if errors else "0"


def _share_text(shares: dict[str, float]) -> str:
    return "/".join(f"{v * 100:.0f}%" for v in sorted(shares.values(), reverse=True)) or "-"


def results_table(rows: Sequence[dict[str, Any]]) -> str:
    headers = ["target", "rate/s", "achieved/s", "p50 ms", "p90 ms", "p99 ms", "max ms"]
    headers += ["errors", "server CPU ms/req", "conns per worker", "CPU per worker"]
    body = []
    for r in rows:
        lat = r["latency_ms"]
        body.append(
            [r["endpoint"], f"{r['target_rate']:g}", f"{r['achieved_rate']:g}"]
            + [f"{lat[k]:.1f}" if lat["count"] else "-" for k in ("p50", "p90", "p99", "max")]
            + [_errors_text(r), f"{r['server_cpu_ms_per_request']:.2f}"]
            + [_balance_text(r["balance"]), _share_text(r["worker_cpu_share"])]
        )
    return table(headers, body)


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "n/a"


def report(results: dict[str, Any]) -> str:
    """Markdown: setup, the table, the ratios, RSS, balance, scaling, generator."""
    out = [f"## Webhook benchmark ({results['started']})", ""]
    s = results["settings"]
    out.append(
        f"{os.cpu_count()} cores, load average at start {results['loadavg']}; gunicorn "
        f"{s['workers']} workers x {s['threads']} threads, TLS, keep-alive; generator: "
        f"open loop, {s['connections']} keep-alive connections, {s['duration']:g} s per "
        f"rate after {s['warmup']:g} s warm-up."
    )
    corpus = results["corpus"]
    out += ["", f"Bodies: {corpus['origin']}: {json.dumps(corpus['sizes'])} bytes", ""]
    out += [results_table(results["fixed"]), ""]
    out += _max_section(results) + _ratio_section(results) + _memory_section(results)
    out += _scaling_section(results) + _generator_section(results)
    if results["notes"]:
        out += ["", "Notes: " + "; ".join(results["notes"])]
    return "\n".join(out)


def _max_section(results: dict[str, Any]) -> list[str]:
    search = results.get("max_search")
    if not search:
        return []
    rows = []
    for label, entry in search.items():
        steps = ", ".join(
            f"{r['target_rate']:g}{'✓' if r['sustainable'] else '✗'}" for r in entry["steps"]
        )
        rows.append([label, f"{entry['good']:g}", steps or "-"])
    criteria = f"achieved >= {ACHIEVED_MIN:.0%} of target, p99 <= {P99_LIMIT_MS:g} ms, no errors"
    return [
        f"### Max sustainable rate ({criteria})",
        "",
        table(["target", "max rate/s", "steps (✓ sustained)"], rows),
        "",
    ]


def _at(results: dict[str, Any], label: str, rate: float) -> dict[str, Any] | None:
    return next(
        (r for r in results["fixed"] if r["endpoint"] == label and r["target_rate"] == rate),
        None,
    )


def _ratio_section(results: dict[str, Any]) -> list[str]:
    lines = ["### Ratios (within this run)", ""]
    search = results.get("max_search") or {}
    echo_max = search.get("echo /validate", {}).get("good")
    for path in ("/validate", "/mutate"):
        mine = search.get(f"evictguard {path}", {}).get("good")
        if search:
            lines.append(
                f"- max sustainable rate, evictguard {path} / echo: {mine:g} / {echo_max:g} "
                f"= {_ratio(mine, echo_max)}"
            )
    for rate in results["settings"]["rates"]:
        echo = _at(results, "echo /validate", rate)
        for path in ("/validate", "/mutate"):
            mine = _at(results, f"evictguard {path}", rate)
            if mine and echo:
                lines.append(f"- at {rate:g}/s, evictguard {path} / echo: {_compare(mine, echo)}")
    return [*lines, ""]


def _compare(mine: dict[str, Any], echo: dict[str, Any]) -> str:
    p99, ep99 = mine["latency_ms"]["p99"], echo["latency_ms"]["p99"]
    cpu, ecpu = mine["server_cpu_ms_per_request"], echo["server_cpu_ms_per_request"]
    text = f"p99 {p99:.1f} / {ep99:.1f} ms = {_ratio(p99, ep99)}"
    if mine["saturated"] or not mine["latency_ms"]["count"]:
        text += " (evictguard saturated: latencies of what it answered)"
    return f"{text}; server CPU per request {cpu:.2f} / {ecpu:.2f} ms = {_ratio(cpu, ecpu)}"


def _memory_section(results: dict[str, Any]) -> list[str]:
    lines = ["### Peak RSS per worker (VmHWM) and connection balance", ""]
    for name, workers in results["rss_mib"].items():
        text = ", ".join(f"pid {w}: {m} MiB" for w, m in workers.items())
        lines.append(f"- {name}: {text}")
    balance: dict[str, list[str]] = {}
    for row in results["fixed"] + [
        r for e in (results.get("max_search") or {}).values() for r in e["steps"]
    ]:
        balance.setdefault(row["endpoint"], []).append(
            f"{row['target_rate']:g}/s: {_balance_text(row['balance'])}"
        )
    conns = results["settings"]["connections"]
    lines += ["", f"Connections per worker right after the pool of {conns} opened, each run:"]
    lines += [f"- {label}: {'; '.join(items)}" for label, items in balance.items()]
    return [*lines, ""]


def _scaling_section(results: dict[str, Any]) -> list[str]:
    rows = results.get("scaling") or []
    if not rows:
        return []
    by_size: dict[int, dict[str, dict[str, Any]]] = {}
    for r in rows:
        by_size.setdefault(r["containers"], {})[r["endpoint"]] = r
    headers = ["containers", "body KB"]
    labels = list(dict.fromkeys(r["endpoint"] for r in rows))
    for label in labels:
        headers += [f"{label} rate/s", "p50 ms", "p99 ms", "n"]
    body = []
    for size, cells in sorted(by_size.items()):
        line: list[object] = [size, f"{next(iter(cells.values()))['body_bytes'] / 1024:.0f}"]
        for label in labels:
            r = cells.get(label)
            lat = r["latency_ms"] if r else {}
            line += (
                [f"{r['target_rate']:g}", f"{lat['p50']:.1f}", f"{lat['p99']:.1f}", lat["count"]]
                if r
                else ["-"] * 4
            )
        body.append(line)
    lines = ["### Object size (Pod with N containers)", "", table(headers, body), ""]
    for label, fit in results["scaling_fit"].items():
        if fit:
            lines.append(
                f"- {label}: p50 ≈ {fit['intercept_ms']:.1f} ms + {fit['ms_per_container']:.3f} "
                f"ms x containers (r² {fit['r2']:.3f})"
            )
    return [*lines, ""]


def _generator_section(results: dict[str, Any]) -> list[str]:
    ceiling = results.get("generator")
    lines = ["### Load generator", ""]
    if ceiling:
        steps = ", ".join(
            f"{r['target_rate']:g}/s → {r['achieved_rate']:g}/s p99 {r['latency_ms']['p99']:.1f}"
            f" ms ({r['generator_cpu_us_per_request']:.0f} µs CPU/req, "
            f"{r['generator_core_share']:.0%} of a core)"
            for r in ceiling["steps"]
        )
        lines.append(
            f"- against a null TLS server: sustained {ceiling['sustained_rate']:g}/s; {steps}"
        )
    busiest = max(results["fixed"], key=lambda r: r["achieved_rate"], default=None)
    for r in [busiest] if busiest else []:
        lines.append(
            f"- busiest benchmark run ({r['endpoint']} @ {r['target_rate']:g}/s): generator "
            f"{r['generator_cpu_us_per_request']:.0f} µs CPU/req, "
            f"{r['generator_core_share']:.0%} of a core"
        )
    return lines


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    defaults = serve_defaults()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--workers", type=int, default=defaults.workers)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per rate")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds, not measured")
    parser.add_argument("--rates", default="100,500,1000", help="comma-separated req/s")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--json", type=Path, metavar="FILE", help="save every result")
    parser.add_argument("--smoke", action="store_true", help="a few seconds, for CI")
    parser.add_argument("--skip-max", action="store_true", help="no max-rate search")
    parser.add_argument("--deadline", type=float, help="give up after this many seconds")
    admission_corpus.add_corpus_argument(parser)
    return parser.parse_args(argv)


def settings_for(args: argparse.Namespace) -> Settings:
    if args.smoke:
        return Settings(
            [20.0], 1.0, 0.3, min(args.connections, 4), args.workers, 1.0, (1, 50), 1.0, 0
        )
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    step = max(2.0, args.duration * 0.4)
    return Settings(
        rates,
        args.duration,
        args.warmup,
        args.connections,
        args.workers,
        step,
        SCALING_SIZES,
        10.0,
        0 if args.skip_max else 8,
    )


def benchmark(args: argparse.Namespace, workdir: Path, started: list[Server]) -> dict[str, Any]:
    settings = settings_for(args)
    corpus = admission_corpus.load(args.corpus, limit_files=150 if args.smoke else None)
    if not corpus.bodies:
        raise ServerFailed("no AdmissionReview bodies: neither the corpus nor examples/")
    log(f"{len(corpus.bodies)} review bodies from {corpus.origin}: {corpus.size_summary()}")
    cert_dir = workdir / "certs"  # empty: `evictguard serve` makes a development CA
    bench = Bench(settings, corpus.bodies, cert_dir / "ca.crt")
    mine = evictguard_server(workdir, cert_dir, args.workers, args.threads)
    echo = echo_server(workdir, cert_dir, args.workers, args.threads)
    for server in (mine, echo):  # evictguard first: it writes the certificate
        started.append(server)
        server.start(bench.ca_file, corpus.bodies[0], args.workers)
        log(f"{server.name} ready on 127.0.0.1:{server.port}, workers {server.workers()}")
    endpoints = [
        Endpoint("evictguard /validate", mine, "/validate"),
        Endpoint("evictguard /mutate", mine, "/mutate"),
        Endpoint("echo /validate", echo, "/validate"),
    ]
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        "settings": {**vars(settings), "threads": args.threads, "smoke": args.smoke},
        "corpus": {"origin": corpus.origin, "sizes": corpus.size_summary()},
        "notes": bench.notes,
    }
    results["fixed"] = fixed_rates(bench, endpoints)
    if settings.max_steps:
        results["max_search"] = search_max(bench, endpoints, results["fixed"])
    rates_rss = {"evictguard": rss(mine), "echo": rss(echo)}
    results["scaling"] = scaling(bench, endpoints[:2])
    results["scaling_fit"] = {
        e.label: linear_fit(
            [
                (r["containers"], r["latency_ms"]["p50"])
                for r in results["scaling"]
                if r["endpoint"] == e.label
            ]
        )
        for e in endpoints[:2]
    }
    results["rss_mib"] = {
        "evictguard, after the rate runs": rates_rss["evictguard"],
        "evictguard, after the object-size runs (up to 500 containers)": rss(mine),
        "echo, after the rate runs": rates_rss["echo"],
    }
    for server in (mine, echo):
        server.stop()
    if not args.smoke:
        null = null_server(workdir, cert_dir)
        started.append(null)
        null.start(bench.ca_file, corpus.bodies[0], 0)
        endpoint = Endpoint("null /validate", null, "/validate")
        results["generator"] = generator_ceiling(bench, endpoint, GENERATOR_RATES)
    return results


def problems(results: dict[str, Any], strict: bool) -> list[str]:
    """Wrong answers always count; in smoke (strict) mode any error or no answer at all."""
    wrong = (
        "HTTP",
        "response not JSON",
        "not an AdmissionReview",
        "wrong apiVersion",
        "uid",
        "allowed",
        "bad HTTP",
    )
    found = []
    rows = results["fixed"] + results.get("scaling", [])
    for r in rows:
        for reason, n in {**r["warmup_errors"], **r["errors"]}.items():
            if strict or reason.startswith(wrong):
                found.append(f"{r['endpoint']} @ {r['target_rate']:g}/s: {n} x {reason}")
        if strict and not r["latency_ms"]["count"]:
            found.append(f"{r['endpoint']} @ {r['target_rate']:g}/s: no answer measured")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    deadline = args.deadline or (120.0 if args.smoke else 900.0)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="evictguard-bench-") as tmp:
        results = run_stopping_servers(
            "bench",
            deadline,
            lambda started: benchmark(args, Path(tmp), started),
            "servers stopped",
        )
    if isinstance(results, int):
        return results
    results["wall_s"] = round(time.monotonic() - began, 1)
    print(report(results))
    print(f"\nTotal wall time: {results['wall_s']:g} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    found = problems(results, strict=args.smoke)
    for problem in found:
        print(f"bench: error: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
