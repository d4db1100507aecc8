"""Keep-alive connections are spread over the workers (webhook.balance), not left to
whichever worker wakes first: measured on the real server, over /proc."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from certs.generate import generate
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
