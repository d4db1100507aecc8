"""A soak's settings and its state while it runs: what the faults act on and the analysis
reads."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..servers import Server
from .generator import SoakGenerator
from .oracle import Oracle, PolicyTimeline
from .slow import SlowRequests


@dataclass(frozen=True)
class Settings:
    rate: float
    duration: float
    connections: int
    workers: int
    threads: int
    kill_while_invalid: bool
    smoke: bool


@dataclass
class Run:
    """Everything the faults need: the server, the load, the files they change."""

    server: Server
    generator: SoakGenerator
    oracle: Oracle
    cert_dir: Path
    policy_file: Path
    policy_texts: dict[str, str]
    timeline: PolicyTimeline
    workers: int
    grace: float
    slow: SlowRequests | None = None
    victims: dict[str, tuple[float, set[int]]] = field(default_factory=dict)  # key: (t, ports)
    term_at: float = math.nan
    exit_at: float = math.nan
    exit_code: int | None = None

    def now(self) -> float:
        """Seconds since the load started."""
        return time.perf_counter() - self.generator.start
