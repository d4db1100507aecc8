"""The servers the benchmarks run and what /proc says of them: a gunicorn tree in its own
session (started, probed until it answers, stopped with everything it forked), its workers,
their CPU, memory and connections, and a deadline that still lets every `finally` stop them.
Shared by `bench.webhook_load` and `bench.soak`, which measure the same `evictguard serve`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from . import admission_corpus, loadgen

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
T = TypeVar("T")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class ServerFailed(RuntimeError):
    """A server did not start, or died (exit code 2)."""


# -- /proc: workers, memory, CPU, connections -------------------------------------------------


def _stats() -> Iterator[tuple[int, str, list[str]]]:
    """Every process's pid, /proc stat line, and the fields after its `(name)`."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                yield int(entry), stat, stat.rsplit(")", 1)[1].split()


def children(pid: int) -> list[int]:
    """The direct children of `pid` (gunicorn's workers of its arbiter)."""
    return sorted(child for child, _, fields in _stats() if int(fields[1]) == pid)


def session_members(sid: int) -> list[str]:
    """Processes still in a server's session (`pid (name) state`)."""
    return [
        f"{pid} {stat[stat.index('(') : stat.rindex(')') + 1]} {fields[0]}"
        for pid, stat, fields in _stats()
        if len(fields) > 3 and int(fields[3]) == sid  # field 6, session
    ]


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def peak_rss_mib(pid: int) -> float | None:
    """VmHWM: the process's peak resident set."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def socket_inodes(pid: int) -> set[int]:
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:["):
                    inodes.add(int(link[8:-1]))
    return inodes


def established(port: int) -> dict[int, int]:
    """The server's ends of established TCP connections on `port`: socket inode, client port."""
    peers: dict[int, int] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == "01":  # 01: ESTABLISHED
                    peers[int(fields[9])] = int(fields[2].rsplit(":", 1)[1], 16)
    return peers


def connection_balance(workers: Sequence[int], port: int) -> dict[str, int]:
    """Established connections held by each worker ('other' for any held by none)."""
    inodes = set(established(port))
    counts = {str(w): len(socket_inodes(w) & inodes) for w in workers}
    counts["other"] = len(inodes) - sum(counts.values())
    return counts


def client_ports_of(pid: int, port: int) -> set[int]:
    """Client ports of the established connections on `port` that process `pid` holds."""
    peers = established(port)
    return {peers[i] for i in socket_inodes(pid) if i in peers}


# -- servers ---------------------------------------------------------------------------------


@dataclass
class Server:
    """One gunicorn tree in its own session (so that killpg reaches every process)."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    def start(self, ca_file: Path, body: admission_corpus.ReviewBody, workers: int) -> None:
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        target = loadgen.Target(self.port, "/validate", ca_file)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while (error := loadgen.probe(target, body)) is not None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ServerFailed(f"{self.name} did not start ({error}):\n{self.tail()}")
            time.sleep(0.2)
        self._settle(workers, deadline)

    def _settle(self, workers: int, deadline: float) -> None:
        """Wait until every worker is up and idle (done importing the app), so that no
        worker is handicapped when the connections are handed out."""
        last: list[int] = []
        while time.monotonic() < deadline:
            pids = self.workers()
            ticks = [cpu_ticks(p) for p in pids]
            if len(pids) == workers and ticks == last:
                return
            last = ticks
            time.sleep(0.5)
        raise ServerFailed(f"{self.name}: {workers} idle workers not seen:\n{self.tail()}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def workers(self) -> list[int]:
        return children(self.pid) if self.alive() else []

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM to the whole session (graceful), SIGKILL after STOP_TIMEOUT."""
        if self.process is None:
            return
        for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(wait)
                break
        with contextlib.suppress(ProcessLookupError):  # stragglers of the session
            os.killpg(self.process.pid, signal.SIGKILL)

    def tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            text = self.log.read_text("utf-8", "replace").splitlines()
            return "\n".join(line for line in text if '"msg": "review"' not in line)[-3000:]
        return ""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_defaults() -> argparse.Namespace:
    """`evictguard serve`'s own defaults (workers, threads, body limit)."""
    from evictguard.webhook import serve

    parser = argparse.ArgumentParser()
    serve.configure(parser)
    return parser.parse_args([])


@contextlib.contextmanager
def bounded(seconds: float) -> Iterator[None]:
    """Turn SIGTERM, SIGINT (even when started in the background, where it is ignored) and
    the deadline into exceptions, so every `finally` still runs."""

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"deadline of {seconds:g}s reached")

    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    handlers = {
        signal.SIGALRM: expire,
        signal.SIGTERM: terminate,
        signal.SIGINT: signal.default_int_handler,
    }
    previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_stopping_servers(
    prog: str, seconds: float, job: Callable[[list[Server]], T], stopped: str
) -> T | int:
    """`job`'s result, under the deadline, with every server it started (it appends them to
    the list it is given) stopped whatever happens; else the exit code, said on stderr:
    2 when a server failed, 3 on the deadline."""
    started: list[Server] = []
    try:
        with bounded(seconds):
            return job(started)
    except ServerFailed as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except TimeoutError as exc:
        print(f"{prog}: {exc}: {stopped}, no results", file=sys.stderr)
        return 3
    finally:
        for server in started:
            server.stop()
