"""Helpers shared by the bench scripts: measured subprocesses, robust statistics, tables.

Every contender runs as its own child process so that its peak RSS and CPU time are its
own (read from `os.wait4`'s rusage), not the harness's.
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

KIB_PER_MIB = 1024  # Linux reports ru_maxrss in KiB


@dataclass(frozen=True)
class RunResult:
    """One measured child: wall and CPU seconds, peak RSS, exit code, captured stderr."""

    argv: tuple[str, ...]
    returncode: int
    wall_s: float
    cpu_s: float  # user + system, the child and the descendants it waited for
    # ru_maxrss of the child: the largest *single* process among it and the descendants it
    # waited for (Linux keeps a max, not a sum), so a process pool's total is not shown.
    peak_rss_mib: float
    stderr: str


def run_measured(
    argv: Sequence[str],
    stdout: str | None = None,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
) -> RunResult:
    """Run `argv` to completion; stdout goes to the file `stdout` (or /dev/null).

    stderr goes to a temporary file rather than a pipe: nothing has to drain it while we
    block in wait4, and wait4 (not Popen.wait) is what hands back the child's rusage.
    """
    with tempfile.TemporaryFile() as err, open(stdout or os.devnull, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=out, stderr=err, cwd=cwd, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return RunResult(
        argv=tuple(argv),
        returncode=proc.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mib=usage.ru_maxrss / KIB_PER_MIB,
        stderr=stderr,
    )


def interleaved(
    contenders: Mapping[str, Callable[[], RunResult]], rounds: int
) -> dict[str, list[RunResult]]:
    """A B C A B C ...: a noisy neighbour then slows every contender alike, so ratios taken
    within one run stay meaningful even when absolute times drift."""
    results: dict[str, list[RunResult]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            results[name].append(run())
    return results


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), pct in [0, 100]."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def spread_pct(values: Sequence[float]) -> float:
    """(max - min) / median in percent: how much to trust a median of a few runs."""
    mid = median(values)
    return 100 * (max(values) - min(values)) / mid if mid else 0.0


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table; columns whose cells all look numeric are right-aligned."""
    cells = [[str(c) for c in row] for row in rows]
    numeric = [
        bool(cells) and all(_looks_numeric(row[i]) for row in cells) for i in range(len(headers))
    ]
    rule = ["--:" if num else "---" for num in numeric]
    lines = [headers, rule, *cells]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def _looks_numeric(cell: str) -> bool:
    text = cell.strip().rstrip("×%x").replace(",", "").replace("±", "")
    try:
        float(text)
    except ValueError:
        return cell.strip() in ("", "-", "n/a")
    return True
