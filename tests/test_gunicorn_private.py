"""gunicorn's undocumented parts the webhook relies on (webhook/gunicorn_private.py) are
still there, with the signatures and behaviour webhook/worker.py expects, on the installed
gunicorn: a release that changes one fails here, naming it, rather than in production."""

from __future__ import annotations

import ast
import inspect
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gunicorn
import pytest
from evictguard.webhook import gunicorn_private as private
from gunicorn.config import Config

from tests.conftest import ROOT

VERSION = f"gunicorn {gunicorn.__version__}"


@pytest.mark.parametrize(
    ("owner", "name", "parameters"),
    private.METHODS,
    ids=[f"{owner.__name__}.{name}" for owner, name, _ in private.METHODS],
)
def test_the_methods_the_worker_overrides_or_calls_keep_their_signature(
    owner: type, name: str, parameters: tuple[str, ...]
) -> None:
    method = getattr(owner, name, None)
    assert callable(method), f"{VERSION}: {owner.__qualname__}.{name} is gone"
    actual = tuple(inspect.signature(method).parameters)
    assert actual == parameters, (
        f"{VERSION}: {owner.__qualname__}.{name}{actual} changed: evictguard's worker "
        f"expects {parameters} (webhook/gunicorn_private.py)"
    )


@pytest.fixture
def worker() -> Iterator[Any]:
    cfg = Config()
    made = private.ThreadWorker(1, os.getpid(), [], None, 30, cfg, None)
    yield made
    made.tmp.close()


def test_the_attributes_the_worker_reads_exist(worker: Any) -> None:
    for name in private.WORKER_ATTRIBUTES:
        assert hasattr(worker, name), f"{VERSION}: ThreadWorker has no attribute {name} now"
    assert worker.nr_conns == 0, f"{VERSION}: ThreadWorker.nr_conns no longer counts from 0"
    for name in private.CONFIG_ATTRIBUTES:
        assert hasattr(worker.cfg, name), f"{VERSION}: gunicorn's Config has no {name} now"
    client, server = socket.socketpair()
    with client, server:
        conn = private.TConn(worker.cfg, server, ("127.0.0.1", 1), ("127.0.0.1", 2))
        for name in private.CONN_ATTRIBUTES:
            assert hasattr(conn, name), f"{VERSION}: TConn has no attribute {name} now"
        assert (conn.sock, conn.initialized, conn.data_ready) == (server, False, False)


def test_a_silent_connection_is_deferred_after_the_data_wait_we_set(worker: Any) -> None:
    """gthread's handle() reads DEFAULT_WORKER_DATA_TIMEOUT when called (so setting it
    works) and returns _DEFER for a connection that sent nothing (so worker.py can tell)."""
    from evictguard.webhook import worker as _  # noqa: F401  (sets the data wait)
    from evictguard.webhook.worker import DATA_WAIT

    client, server = socket.socketpair()
    with client, server:
        conn = private.TConn(worker.cfg, server, ("127.0.0.1", 1), ("127.0.0.1", 2))
        started = time.monotonic()
        result = private.ThreadWorker.handle(worker, conn)
        waited = time.monotonic() - started
    assert result is private.DEFER, f"{VERSION}: handle() no longer returns _DEFER: {result!r}"
    assert DATA_WAIT <= waited < 2.0, (
        f"{VERSION}: handle() waited {waited:.2f}s for data, not DATA_WAIT ({DATA_WAIT}s): "
        "gthread.DEFAULT_WORKER_DATA_TIMEOUT is no longer read at call time"
    )


def test_peer_certificate_is_none_without_a_tls_socket_in_the_environ() -> None:
    """With one, the real server's client-CA tests (test_webhook_hardening) cover it."""
    with socket.socket() as plain:
        assert private.peer_certificate({private.SOCKET_KEY: plain}) is None
    assert private.peer_certificate({}) is None


def test_only_gunicorn_private_imports_gunicorn() -> None:
    """The list in its docstring stays the whole list (gunicorn.conf.py is gunicorn's own
    settings file and uses only documented hooks)."""
    importers = []
    for path in sorted((ROOT / "webhook").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            if any(n == "gunicorn" or n.startswith("gunicorn.") for n in names):
                importers.append(Path(path).name)
    assert importers == ["gunicorn_private.py", "gunicorn_private.py"]
