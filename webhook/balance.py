"""Spread keep-alive connections evenly over gunicorn's worker processes.

All workers poll one listening socket and whichever wakes first accepts. The API server
opens its pool of keep-alive connections in a burst and then reuses them for minutes, so
one worker routinely ends up holding every connection (and doing all the work on one
core) while the others idle. Each worker therefore publishes how many connections it holds
in a small table shared by all of them (anonymous shared memory the arbiter creates before
forking), and a worker holding more than the least-loaded live worker lets it take a new
connection first: it waits YIELD_SECONDS (10 ms) before accepting, and the other worker, woken by
the same connection, accepts meanwhile. If nobody does (the other worker is busy or full),
it accepts anyway: balance is preferred, never required.
"""

from __future__ import annotations

import mmap
import struct

SLOTS = 64  # live workers at any time, replacements included, stay far below this
YIELD_SECONDS = 0.01  # a woken worker accepts in well under this, even on a busy machine
_ENTRY = struct.Struct("=ii")  # pid (0: free), connections held


class ConnectionTable:
    def __init__(self) -> None:
        self._memory = mmap.mmap(-1, SLOTS * _ENTRY.size)  # MAP_SHARED: forked workers see it

    def claim(self, age: int, pid: int) -> int:
        """The slot of the worker gunicorn numbered `age` (unique among live workers)."""
        slot = age % SLOTS
        _ENTRY.pack_into(self._memory, slot * _ENTRY.size, pid, 0)
        return slot

    def release(self, age: int) -> None:
        _ENTRY.pack_into(self._memory, (age % SLOTS) * _ENTRY.size, 0, 0)

    def publish(self, slot: int, connections: int) -> None:
        struct.pack_into("=i", self._memory, slot * _ENTRY.size + 4, connections)

    def least_elsewhere(self, slot: int) -> int | None:
        """The fewest connections any other live worker holds (None: no other worker)."""
        fewest: int | None = None
        for other, (pid, held) in enumerate(_ENTRY.iter_unpack(self._memory)):
            if pid and other != slot and (fewest is None or held < fewest):
                fewest = held
        return fewest


TABLE: ConnectionTable | None = None  # created in the arbiter (gunicorn.conf.py on_starting)


def create() -> ConnectionTable:
    global TABLE
    TABLE = ConnectionTable()
    return TABLE
