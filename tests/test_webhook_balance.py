"""Keep-alive connections are spread over the workers (webhook.balance), not left to
whichever worker wakes first: measured on the real server, over /proc."""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from evictguard.certs.generate import generate
from evictguard.webhook import balance

from tests.webhook_client import (
    Server,
    connections_per_worker,
    running_server,
    wait_for_workers,
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

CONNECTIONS = 16
SANS = ["localhost", "127.0.0.1"]


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    generate(tmp_path / "tls", "evictguard", "evictguard", extra_sans=SANS)
    with running_server(tmp_path / "tls", tmp_path / "server.log", workers=2) as running:
        wait_for_workers(running, 2)  # a worker still booting would take no connection
        yield running


def _held_after(server: Server, concurrently: bool) -> list[int]:
    """Open CONNECTIONS keep-alive connections, one request on each, and keep them open."""
    connections = [server.connection() for _ in range(CONNECTIONS)]
    baseline = sum(connections_per_worker(server).values())  # the readiness probe's, if kept

    def call(index: int) -> None:
        answer = server.request("GET", "/healthz", conn=connections[index])
        assert answer.status == 200

    if concurrently:
        threads = [threading.Thread(target=call, args=(i,)) for i in range(CONNECTIONS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    else:
        for index in range(CONNECTIONS):
            call(index)
    server.wait_until(
        lambda: sum(connections_per_worker(server).values()) >= baseline + CONNECTIONS
    )
    return sorted(connections_per_worker(server).values())


@pytest.mark.parametrize("concurrently", [False, True], ids=["one-by-one", "in-a-burst"])
def test_keep_alive_connections_are_spread_over_the_workers(
    server: Server, concurrently: bool
) -> None:
    held = _held_after(server, concurrently)
    assert len(held) == 2, held
    # Without balancing one worker typically holds all 16 (seen: [0, 16] and [1, 15]).
    assert held[-1] - held[0] <= 4, held


# --- the table itself: slots outlive any number of spawns ---------------------------------


class Arbiter:
    """What gunicorn's arbiter and its workers do with the table, through the hooks of
    webhook/gunicorn.conf.py (pre_fork, child_exit) and the worker's init_process."""

    def __init__(self) -> None:
        self.running: set[int] = set()  # pids of processes that exist
        self.table = balance.ConnectionTable(alive=lambda pid: pid in self.running)
        self.slots: dict[int, int] = {}  # live worker pid -> its slot

    def spawn(self, age: int) -> int:
        pid = 10_000 + age  # gunicorn numbers workers by age, 1, 2, 3... without bound
        slot = self.table.reserve()  # pre_fork, in the arbiter
        self.running.add(pid)
        self.table.register(slot, pid)  # init_process, in the worker
        self.table.publish(slot, 5)
        self.slots[pid] = slot
        return pid

    def exit(self, pid: int, reported: bool = True) -> None:
        slot = self.slots.pop(pid)
        self.running.discard(pid)
        if reported:  # child_exit; a worker gone with no report leaves its pid behind
            self.table.release(slot, pid)

    def assert_every_live_worker_keeps_its_slot(self) -> None:
        rows = self.table.rows()
        for pid, slot in self.slots.items():
            assert slot >= 0 and rows[slot][0] == pid, (pid, slot, rows[slot])
        assert len(set(self.slots.values())) == len(self.slots)


def test_live_workers_keep_their_slots_through_200_spawns() -> None:
    """Slots were `age % 64`: the 65th worker spawned took the slot of the first, still
    alive, and the balancer no longer saw it (nor the new one, once the first exited)."""
    rng = random.Random(2)
    arbiter = Arbiter()
    first = arbiter.spawn(0)  # lives throughout
    arbiter.table.publish(arbiter.slots[first], 0)  # and holds the fewest connections
    for age in range(1, 201):
        pid = arbiter.spawn(age)
        if len(arbiter.slots) > 3:  # replacements come and go, some unreported (SIGKILL)
            gone = rng.choice(sorted(set(arbiter.slots) - {first}))
            arbiter.exit(gone, reported=rng.random() < 0.8)
        arbiter.assert_every_live_worker_keeps_its_slot()
        if pid in arbiter.slots:
            assert arbiter.table.least_elsewhere(arbiter.slots[pid]) == 0  # the first one
    assert max(arbiter.slots.values()) < 8  # slots are reused, not spent


def test_a_full_table_and_stale_releases_take_no_live_slot() -> None:
    arbiter = Arbiter()
    workers = [arbiter.spawn(age) for age in range(balance.SLOTS)]
    assert arbiter.table.reserve() == -1  # full: that worker neither publishes nor yields
    arbiter.table.publish(-1, 7)
    arbiter.table.register(-1, 99)
    arbiter.assert_every_live_worker_keeps_its_slot()
    arbiter.exit(workers[3])
    again = arbiter.spawn(balance.SLOTS)
    assert arbiter.slots[again] == 3
    arbiter.table.release(3, workers[3])  # a late second report of the old worker
    arbiter.assert_every_live_worker_keeps_its_slot()
    arbiter.exit(workers[5])
    reserved = arbiter.table.reserve()  # forked, died before registering: child_exit
    assert reserved == 5
    arbiter.table.release(reserved, 12_345)
    assert arbiter.table.rows()[reserved] == (balance.FREE, 0)
    arbiter.assert_every_live_worker_keeps_its_slot()
