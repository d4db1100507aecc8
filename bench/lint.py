"""Lint throughput: `evictguard lint` against a bare libyaml parse of the same files (the
floor any YAML linter in Python pays), optionally Checkov, and growth with corpus size.

Run from the project root: `python -m bench.lint` (children run under the project's .venv
when there is one, whatever interpreter runs this script; `--python` to choose).
Every figure that is compared is measured in the same run, interleaved (A B C A B C ...),
because the machine is shared and noisy: ratios survive a slow neighbour, seconds do not.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .common import RunResult, interleaved, markdown_table, median, run_measured, spread_pct

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"
CHECKOV_VENV = Path.home() / ".cache" / "evictguard-bench" / "checkov-venv"
CHECKOV_CHECKS = "CKV_K8S_12,CKV_K8S_13"  # memory requests and memory limits: our ground
LINT_OK = (0, 1)  # 1 = findings, which is success here; 2 = input errors
MB = 1_000_000 / 2**20  # one MB (10^6 bytes) in MiB: the RSS target is in MB
TARGETS = {"vs_bare": 2.0, "vs_checkov": 40.0, "jobs2_speedup": 1.7, "rss_mb": 100.0}

# The floor: the linter's own file selection and reading (evictguard.yaml.sources), then libyaml
# and PyYAML's safe constructor on each text; nothing else. Prints what it counted.
BARE_PARSE = """\
import json, sys, yaml
from evictguard.yaml.sources import read_sources
files = documents = errors = 0
for source in read_sources(sys.argv[1:]):
    files += source.is_file
    if source.text is None:
        errors += 1
        continue
    docs = list(yaml.load_all(source.text, Loader=yaml.CSafeLoader))
    documents += sum(doc is not None for doc in docs)
print(json.dumps({"files": files, "documents": documents, "errors": errors}))
"""


@dataclass
class Contender:
    """A command measured as a child process, and what its output says it processed."""

    name: str
    argv: list[str]
    out: str  # stdout is written here, then read back by `count`
    count: Callable[[str, RunResult], dict[str, Any]]
    ok_codes: tuple[int, ...] = (0,)
    runs: list[RunResult] = field(default_factory=list)
    counted: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def wall(self) -> float:
        return median([r.wall_s for r in self.runs])

    @property
    def documents(self) -> int | None:
        value = self.counted.get("documents")
        return int(value) if value is not None else None

    def to_json(self) -> dict[str, Any]:
        return {
            "argv": self.argv,
            "note": self.note,
            "wall_s_median": self.wall,
            "wall_s": [r.wall_s for r in self.runs],
            "cpu_s": [r.cpu_s for r in self.runs],
            "peak_rss_mib": [r.peak_rss_mib for r in self.runs],
            "returncodes": [r.returncode for r in self.runs],
            "counted": self.counted,
        }


# --- locating the tools -------------------------------------------------------------------


def default_python() -> str:
    """The project's venv when there is one: `python -m bench.lint` from any interpreter then
    measures the installed tool and its PyYAML, not whatever the shell's python holds."""
    venv = PROJECT_ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def evictguard_argv(python: str) -> list[str]:
    """The console script beside that interpreter, as users run it; else `-m evictguard`."""
    beside = Path(python).parent / "evictguard"
    return [str(beside)] if beside.exists() else [python, "-m", "evictguard"]


def child_env() -> dict[str, str]:
    """The project root first on PYTHONPATH: children import this checkout's `policies`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


ENV = child_env()


# --- reading what each contender says it did ----------------------------------------------


def count_lint(out: str, result: RunResult) -> dict[str, Any]:
    """The JSON report's summary; its first input errors when the exit code says 2."""
    with open(out, encoding="utf-8") as handle:
        report = json.load(handle)
    counted: dict[str, Any] = dict(report["summary"])
    if report["errors"]:
        counted["first_errors"] = report["errors"][:3]
    return counted


def count_bare(out: str, result: RunResult) -> dict[str, Any]:
    with open(out, encoding="utf-8") as handle:
        return dict(json.load(handle))


def count_checkov(out: str, result: RunResult) -> dict[str, Any]:
    """Checkov prints one report per framework (a list when several): sum their summaries."""
    with open(out, encoding="utf-8") as handle:
        text = handle.read().strip()
    data = json.loads(text) if text else []
    reports = data if isinstance(data, list) else [data]
    keys = ("passed", "failed", "skipped", "parsing_errors", "resource_count")
    counted: dict[str, Any] = {key: 0 for key in keys}
    for report in reports:
        summary = report.get("summary", {})
        for key in keys:
            counted[key] += int(summary.get(key, 0))
        counted["checkov_version"] = summary.get("checkov_version")
    return counted


# --- measuring ----------------------------------------------------------------------------


def measure(contender: Contender, problems: list[str]) -> RunResult:
    """One run; a crash, an unexpected exit code or unreadable output becomes a problem."""
    result = run_measured(contender.argv, stdout=contender.out, cwd=str(PROJECT_ROOT), env=ENV)
    contender.runs.append(result)
    print(
        f"  {contender.name}: {result.wall_s:.2f} s, {result.peak_rss_mib:.0f} MiB, "
        f"exit {result.returncode}",
        file=sys.stderr,
    )
    if result.returncode not in contender.ok_codes:
        tail = result.stderr.strip().splitlines()[-3:]
        problems.append(f"{contender.name}: exit code {result.returncode}: {' | '.join(tail)}")
    try:
        counted = contender.count(contender.out, result)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        problems.append(f"{contender.name}: output unreadable: {exc!r}")
        return result
    if contender.counted and counted.get("documents") != contender.counted.get("documents"):
        problems.append(f"{contender.name}: document count changed between runs")
    contender.counted = counted
    if counted.get("first_errors"):
        problems.append(f"{contender.name}: input errors: {counted['first_errors']}")
    return result


def core_contenders(corpus: Path, workdir: Path, python: str) -> list[Contender]:
    """(a) lint --jobs 1, (b) lint --jobs 2, (c) the bare parse floor, on the same folder."""
    lint = [*evictguard_argv(python), "lint", "--format", "json"]
    return [
        Contender(
            "lint --jobs 1",
            [*lint, "--jobs", "1", str(corpus)],
            str(workdir / "lint-j1.json"),
            count_lint,
            LINT_OK,
        ),
        Contender(
            "lint --jobs 2",
            [*lint, "--jobs", "2", str(corpus)],
            str(workdir / "lint-j2.json"),
            count_lint,
            LINT_OK,
        ),
        Contender(
            "bare parse (CSafeLoader)",
            [python, "-c", BARE_PARSE, str(corpus)],
            str(workdir / "bare.json"),
            count_bare,
        ),
    ]


KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def has_kustomizations(corpus: Path) -> bool:
    return any(next(corpus.rglob(name), None) is not None for name in KUSTOMIZATION_NAMES)


def check_counts(
    contenders: Sequence[Contender], problems: list[str], corpus: Path | None = None
) -> str:
    """Every contender of ours must have seen the same documents, or the ratios lie. Lint
    builds kustomize roots and reads their output instead of the patches and bases (README:
    kustomize): over kustomize trees its count differs from the bare parse's by design, so
    there only the lint runs must agree, and the note says what the ratio then compares."""
    counts = {c.name: c.documents for c in contenders}
    lint = {name: n for name, n in counts.items() if name.startswith("lint")}
    if corpus is None or not has_kustomizations(corpus):
        if len(set(counts.values())) != 1:
            problems.append(f"document counts differ: {counts}")
        return ""
    if len(set(lint.values())) != 1:
        problems.append(f"document counts differ between lint runs: {lint}")
    return (
        f"documents: {counts}. The input holds kustomizations: lint reads each root's "
        "`kubectl kustomize` output (patch files and generator input are not objects) where "
        "the bare parse reads every file, so the ratios compare lint's whole job, builds "
        "included, with a parse of the files as they are."
    )


# --- Checkov ------------------------------------------------------------------------------


def checkov_executable(venv: Path, problems: list[str]) -> Path | None:
    """Checkov in its own throwaway venv (its pins must not touch ours); reused when there."""
    exe = venv / "bin" / "checkov"
    if exe.exists():
        return exe
    print(f"installing checkov into {venv} (once; takes a minute or two)", file=sys.stderr)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    try:  # output kept for a failure only: pip's warnings would bury the results
        for argv in ([sys.executable, "-m", "venv", str(venv)], [*pip, "checkov"]):
            subprocess.run(argv, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        tail = (getattr(exc, "stderr", None) or "").strip().splitlines()[-5:]
        problems.append(f"checkov: install failed: {exc}: {' | '.join(tail)}")
        shutil.rmtree(venv, ignore_errors=True)  # a half-made venv would be "reused" next time
        return None
    return exe if exe.exists() else None


def checkov_contender(exe: Path, corpus: Path, workdir: Path) -> Contender:
    """The brief's command; `--skip-download` when accepted keeps network calls out of it."""
    argv = [str(exe), "-d", str(corpus), "--framework", "kubernetes", "--check", CHECKOV_CHECKS]
    argv += ["--quiet", "-o", "json"]
    helptext = subprocess.run([str(exe), "--help"], capture_output=True, text=True).stdout
    missing = [flag for flag in ("--framework", "--check", "--quiet") if flag not in helptext]
    if "--skip-download" in helptext:
        argv.append("--skip-download")
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    note = f"checkov {version.stdout.strip()}, 1 run"
    if missing:
        note += f"; flags not in --help: {missing}"
    # Checkov exits 1 when a check fails, which is expected here.
    return Contender(
        "checkov", argv, str(workdir / "checkov.json"), count_checkov, (0, 1), note=note
    )


# --- scaling ------------------------------------------------------------------------------


def _link_or_copy(src: str, dst: str) -> str:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst


def build_copies(corpus: Path, root: Path, count: int) -> Path:
    """`count` copies side by side (copy-0/, copy-1/, ...): the same files, more of them."""
    target = root / f"x{count}"
    for index in range(count):
        shutil.copytree(corpus, target / f"copy-{index}", copy_function=_link_or_copy)
    return target


def run_scaling(
    args: argparse.Namespace, sizes: Sequence[int], workdir: Path, problems: list[str]
) -> list[dict[str, Any]]:
    """lint --jobs 1 on 1x, 4x, 16x the corpus; time per document should stay flat. Sizes up
    to 4x run `rounds` times interleaved; 16x once (about a minute per run)."""
    corpus, rounds = args.corpus, args.repeat
    lint = [*evictguard_argv(args.python), "lint", "--format", "json", "--jobs", "1"]
    contenders: dict[int, Contender] = {}
    for size in sizes:
        folder = build_copies(corpus, workdir, size)
        out = str(workdir / f"lint-x{size}.json")
        contenders[size] = Contender(
            f"lint x{size}", [*lint, str(folder)], out, count_lint, LINT_OK
        )
    small = {s: c for s, c in contenders.items() if s < 16}
    interleaved({c.name: lambda c=c: measure(c, problems) for c in small.values()}, rounds)
    for contender in contenders.values():
        if not contender.runs:
            measure(contender, problems)
    rows = []
    base = contenders[sizes[0]]
    base_per_doc = base.wall / (base.documents or 1)
    for size, contender in contenders.items():
        per_doc = contender.wall / (contender.documents or 1)
        rows.append(
            {
                "size": size,
                "runs": len(contender.runs),
                "files": contender.counted.get("files"),
                "documents": contender.documents,
                "wall_s": contender.wall,
                "ms_per_doc": 1000 * per_doc,
                "relative_per_doc": per_doc / base_per_doc,
                "peak_rss_mib": max(r.peak_rss_mib for r in contender.runs),
            }
        )
    return rows


# --- reporting ----------------------------------------------------------------------------


INTERPRETER_INFO = """\
import json, platform, yaml
print(json.dumps([platform.python_version(), yaml.__version__, bool(yaml.__with_libyaml__)]))
"""


def machine(python: str) -> dict[str, Any]:
    """Enough to tell two result files apart: hardware, the interpreter measured and its
    parser (asked of that interpreter, not of this one), the code, the time."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next(
                (ln.split(":", 1)[1].strip() for ln in handle if ln.startswith("model name")),
                model,
            )
    except OSError:
        pass
    asked = subprocess.run([python, "-c", INTERPRETER_INFO], capture_output=True, text=True)
    version, pyyaml, libyaml = json.loads(asked.stdout) if asked.returncode == 0 else ("?",) * 3
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "loadavg_start": os.getloadavg(),
        "interpreter": python,
        "python": version,
        "pyyaml": pyyaml,
        "libyaml": libyaml,
        "code": code_version(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def code_version() -> str:
    """The commit measured, and whether the working tree differed from it (read-only git)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes" if dirty else "")


def machine_line(info: dict[str, Any]) -> str:
    yaml_text = f"PyYAML {info['pyyaml']} ({'libyaml' if info['libyaml'] else 'no libyaml'})"
    load = "/".join(f"{x:.1f}" for x in info["loadavg_start"])
    load_end = "/".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"machine: {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), "
        f"Python {info['python']} ({info['interpreter']}), {yaml_text}, code {info['code']}, "
        f"load avg 1/5/15 min {load} at start, {load_end} at end, {info['date']}"
    ) + (" (busy machine: medians noisier)" if _busy(info) else "")


def _busy(info: dict[str, Any]) -> bool:
    """Other work on more than half the cores while we measured, judged by the 1-min load."""
    cores = info["usable_cores"] or info["cores"] or 1
    return max(info["loadavg_start"][0], os.getloadavg()[0]) > cores / 2


def contender_table(contenders: Sequence[Contender], reference: Contender) -> str:
    """Medians, with the spread that says how far to trust them; ratio = time / reference.
    Checkov counts resources, not documents: its docs/s uses the reference's count (the same
    folder), which is what a user waiting for it gets."""
    rows = []
    for c in contenders:
        if not c.runs:
            continue
        walls = [r.wall_s for r in c.runs]
        docs = c.documents if c.documents is not None else reference.documents
        rows.append(
            [
                c.name,
                len(c.runs),
                f"{c.wall:.2f}",
                f"{spread_pct(walls):.0f}%" if len(walls) > 1 else "-",
                f"{median([r.cpu_s for r in c.runs]):.2f}",
                f"{docs / c.wall:,.0f}" if docs else "n/a",
                f"{max(r.peak_rss_mib for r in c.runs):.1f}",
                f"{c.wall / reference.wall:.2f}",
            ]
        )
    headers = ["contender", "runs", "wall s", "spread", "CPU s", "docs/s", "peak RSS MiB"]
    return markdown_table([*headers, f"ratio (time / {reference.name})"], rows)


def ratios(named: dict[str, Contender]) -> dict[str, dict[str, Any]]:
    """The project's targets, from medians of the same interleaved run; per-round ratios
    (the two contenders of one round ran back to back) show how stable each is."""
    j1, j2, bare = named["lint --jobs 1"], named["lint --jobs 2"], named["bare parse (CSafeLoader)"]
    out: dict[str, dict[str, Any]] = {}
    if not j1.runs:
        return out
    if bare.runs:
        out["vs_bare"] = _ratio("vs_bare", bare, j1)
    if j2.runs:
        out["jobs2_speedup"] = _ratio("jobs2_speedup", j1, j2)
    checkov = named.get("checkov")
    if checkov is not None and checkov.runs:
        out["vs_checkov"] = _ratio("vs_checkov", checkov, j1)
        cpu = median([r.cpu_s for r in checkov.runs]) / median([r.cpu_s for r in j1.runs])
        out["vs_checkov"]["cpu_ratio"] = cpu
    rss_mb = max(r.peak_rss_mib for r in j1.runs) / MB
    target = TARGETS["rss_mb"]
    out["rss_mb"] = {"value": rss_mb, "target": target, "op": "<=", "met": rss_mb <= target}
    return out


def _ratio(key: str, slow: Contender, fast: Contender) -> dict[str, Any]:
    value, target = slow.wall / fast.wall, TARGETS[key]
    paired = len(slow.runs) == len(fast.runs)  # Checkov runs once: no rounds to pair
    per_round = (
        [s.wall_s / f.wall_s for s, f in zip(slow.runs, fast.runs, strict=True)] if paired else []
    )
    return {
        "value": value,
        "target": target,
        "op": ">=",
        "met": value >= target,
        "per_round": per_round,
    }


RATIO_LABELS = {
    "vs_bare": "lint --jobs 1 vs bare parse (bare time / lint time)",
    "vs_checkov": "lint --jobs 1 vs Checkov (checkov time / lint time)",
    "jobs2_speedup": "--jobs 2 speed-up (jobs 1 time / jobs 2 time)",
    "rss_mb": "peak RSS of lint --jobs 1, MB (10^6 bytes)",
}


def ratio_lines(found: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for key, label in RATIO_LABELS.items():
        item = found.get(key)
        if item is None:
            lines.append(f"- {label}: not measured")
            continue
        extra = ""
        if len(item.get("per_round", [])) > 1:
            extra = f" (per round {min(item['per_round']):.2f}-{max(item['per_round']):.2f})"
        if "cpu_ratio" in item:
            extra += f"; CPU-time ratio {item['cpu_ratio']:.1f}"
        verdict = "met" if item["met"] else "NOT met"
        target = f"target {item['op']} {item['target']}"
        lines.append(f"- {label}: **{item['value']:.2f}**{extra}, {target}: {verdict}")
    return lines


def scaling_table(rows: Sequence[dict[str, Any]]) -> str:
    headers = ["size", "runs", "files", "documents", "wall s", "ms/doc", "per doc vs 1x"]
    body = [
        [
            f"{r['size']}x",
            r["runs"],
            r["files"],
            r["documents"],
            f"{r['wall_s']:.2f}",
            f"{r['ms_per_doc']:.3f}",
            f"{r['relative_per_doc']:.2f}",
            f"{r['peak_rss_mib']:.0f}",
        ]
        for r in rows
    ]
    return markdown_table([*headers, "peak RSS MiB"], body)


# --- the two modes ------------------------------------------------------------------------


def full_run(args: argparse.Namespace, workdir: Path, problems: list[str]) -> dict[str, Any]:
    corpus: Path = args.corpus
    contenders = core_contenders(corpus, workdir, args.python)
    checkov_exe, install_s = None, 0.0
    if args.checkov:  # installed first, so pip is not competing with the timed runs
        start = time.perf_counter()
        checkov_exe = checkov_executable(args.checkov_venv, problems)
        install_s = time.perf_counter() - start
    print(f"{args.repeat} interleaved rounds on {corpus}", file=sys.stderr)
    interleaved({c.name: lambda c=c: measure(c, problems) for c in contenders}, args.repeat)
    counts_note = check_counts(contenders, problems, corpus)
    if checkov_exe is not None:
        checkov = checkov_contender(checkov_exe, corpus, workdir)
        print("checkov, once (slow)", file=sys.stderr)
        measure(checkov, problems)
        contenders.append(checkov)
    named = {c.name: c for c in contenders}
    results: dict[str, Any] = {
        "corpus": str(corpus),
        "repeat": args.repeat,
        "contenders": {c.name: c.to_json() for c in contenders},
        "checkov_setup_s": install_s,
        "counts_note": counts_note,
    }
    print()
    print(contender_table(contenders, named["lint --jobs 1"]))
    print()
    found = ratios(named)
    print("\n".join(ratio_lines(found)))
    if counts_note:
        print(f"\n{counts_note}")
    results["ratios"] = found
    checkov = named.get("checkov")
    if checkov is not None and checkov.runs:
        print(f"\n{checkov.note}; Checkov counted: {checkov.counted}")
    if args.scaling:
        sizes = [1, 4] if args.quick else [1, 4, 16]
        print(f"scaling: sizes {sizes}", file=sys.stderr)
        rows = run_scaling(args, sizes, workdir / "scaling", problems)
        results["scaling"] = rows
        print("\nscaling (lint --jobs 1; 1x and 4x: median of interleaved rounds, 16x: 1 run)")
        print(scaling_table(rows))
    return results


def smoke_run(args: argparse.Namespace, workdir: Path, problems: list[str]) -> dict[str, Any]:
    """A few seconds for CI: every contender runs and agrees on what it read; no timings
    are judged (on a dozen documents they are all start-up)."""
    examples = PROJECT_ROOT / "examples"
    contenders = core_contenders(examples, workdir, args.python)
    for contender in contenders:
        measure(contender, problems)
    check_counts(contenders, problems)  # examples/: no kustomization, every count must agree
    print()
    print(contender_table(contenders, contenders[0]))
    print(f"\ndocuments counted: { {c.name: c.documents for c in contenders} }")
    return {"corpus": str(examples), "contenders": {c.name: c.to_json() for c in contenders}}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, metavar="DIR")
    parser.add_argument("--repeat", type=int, default=3, metavar="N", help="rounds (default 3)")
    parser.add_argument("--checkov", action="store_true", help="also time Checkov (installs it)")
    parser.add_argument("--checkov-venv", type=Path, default=CHECKOV_VENV, metavar="DIR")
    parser.add_argument(
        "--scaling", action=argparse.BooleanOptionalAction, default=True, help="1x/4x/16x"
    )
    parser.add_argument("--quick", action="store_true", help="scaling stops at 4x")
    parser.add_argument("--smoke", action="store_true", help="CI: tiny input, correctness only")
    parser.add_argument("--json", type=Path, metavar="FILE", help="save every figure here")
    parser.add_argument(
        "--python", default=default_python(), help="interpreter measured (default: .venv's)"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.smoke and not args.corpus.is_dir():
        print(f"corpus not found, skipping: {args.corpus}")
        return 0
    started = time.perf_counter()
    info = machine(args.python)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="evictguard-bench-") as tmp:
        mode = smoke_run if args.smoke else full_run
        results = mode(args, Path(tmp), problems)
    elapsed = time.perf_counter() - started
    print()
    print(machine_line(info))
    print(f"total {elapsed:.1f} s")
    problems = list(dict.fromkeys(problems))  # one line per problem, not one per round
    for problem in problems:
        print(f"PROBLEM: {problem}")
    results.update(machine=info, elapsed_s=elapsed, problems=problems)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
