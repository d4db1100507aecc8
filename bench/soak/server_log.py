"""What the server logged besides reviews: reloads and every warning or error."""

from __future__ import annotations

import calendar
import contextlib
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any


def _log_time(stamp: str) -> float:
    """The server's JSON log time (UTC, milliseconds) as a Unix time."""
    return calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) + int(stamp[20:23]) / 1e3


def server_log(path: Path, wall_start: float) -> dict[str, Any]:
    """What the server logged besides reviews: reload events (seconds from the start of the
    load) and every warning or error, counted by message (numbers blanked)."""
    events: list[dict[str, Any]] = []
    notable: Counter[str] = Counter()
    with contextlib.suppress(OSError):
        for line in path.read_text("utf-8", "replace").splitlines():
            if line.startswith("{"):
                with contextlib.suppress(ValueError, KeyError):
                    entry = json.loads(line)
                    if entry.get("msg") == "review":
                        continue
                    if "event" in entry:
                        at = round(_log_time(entry["time"]) - wall_start, 3)
                        events.append(
                            {"at": at, "event": entry["event"], "result": entry["result"]}
                        )
                    if entry.get("level") in ("warning", "error", "critical"):
                        notable[f"{entry['level']}: {entry['msg']}"] += 1
            elif any(m in line for m in ("[WARNING]", "[ERROR]", "[CRITICAL]", "Traceback")):
                message = line.split("] ", 2)[-1] if line.startswith("[") else line
                notable["".join("N" if c.isdigit() else c for c in message)] += 1
    return {"events": events, "notable": dict(notable)}
