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
import os
import struct
from collections.abc import Callable

SLOTS = 64  # live workers at any time, replacements included, stay far below this
YIELD_SECONDS = 0.01  # a woken worker accepts in well under this, even on a busy machine
_ENTRY = struct.Struct("=ii")  # pid (0: free, -1: reserved for a worker being forked), held
FREE = 0
RESERVED = -1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process now has that pid: not ours, but taken
        return True
    return True


class ConnectionTable:
    """One slot per worker: the arbiter reserves a free one before each fork (`reserve`,
    gunicorn's pre_fork), the worker writes its pid there (`register`) and then how many
    connections it holds (`publish`), and the arbiter frees it when the worker has exited
    (`release`, child_exit). A slot is free when never used, released, or held by a pid
    that no longer exists (an exit the arbiter did not report). gunicorn numbers workers
    by age, without bound: slots are not derived from it."""

    def __init__(self, alive: Callable[[int], bool] = _alive) -> None:
        self._memory = mmap.mmap(-1, SLOTS * _ENTRY.size)  # MAP_SHARED: forked workers see it
        self._alive = alive

    def reserve(self) -> int:
        """A free slot, marked reserved until its worker registers; -1 when all SLOTS are
        taken (that worker then neither publishes nor yields). Called by the arbiter only,
        one fork at a time, so two workers never get the same slot."""
        for slot, (pid, _) in enumerate(self.rows()):
            if pid == FREE or (pid > 0 and not self._alive(pid)):
                _ENTRY.pack_into(self._memory, slot * _ENTRY.size, RESERVED, 0)
                return slot
        return -1

    def register(self, slot: int, pid: int) -> None:
        if slot >= 0:
            _ENTRY.pack_into(self._memory, slot * _ENTRY.size, pid, 0)

    def release(self, slot: int, pid: int) -> None:
        """Free the slot of the worker `pid`, unless another worker holds it by now."""
        if slot >= 0 and self.rows()[slot][0] in (pid, RESERVED):
            _ENTRY.pack_into(self._memory, slot * _ENTRY.size, FREE, 0)

    def publish(self, slot: int, connections: int) -> None:
        if slot >= 0:
            struct.pack_into("=i", self._memory, slot * _ENTRY.size + 4, connections)

    def rows(self) -> list[tuple[int, int]]:
        """(pid, connections held) of every slot."""
        return list(_ENTRY.iter_unpack(self._memory))

    def least_elsewhere(self, slot: int) -> int | None:
        """The fewest connections any other live worker holds (None: no other worker)."""
        fewest: int | None = None
        for other, (pid, held) in enumerate(_ENTRY.iter_unpack(self._memory)):
            if pid > 0 and other != slot and (fewest is None or held < fewest):
                fewest = held
        return fewest


TABLE: ConnectionTable | None = None  # created in the arbiter (gunicorn.conf.py on_starting)


def create() -> ConnectionTable:
    global TABLE
    TABLE = ConnectionTable()
    return TABLE
