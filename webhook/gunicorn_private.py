"""Every part of gunicorn evictguard relies on that gunicorn does not document as API, in
one place, so that a gunicorn release that changes one fails a test that names it
(tests/test_gunicorn_private.py) instead of a webhook that hangs or lets clients hold
threads. pyproject pins gunicorn>=26.0,<28; the test is what a new range must pass.

From `gunicorn.workers.gthread` (webhook/worker.py subclasses its worker):
- `_DEFER`: the sentinel `ThreadWorker.handle` returns to park a connection that has sent
  nothing in the poller instead of a thread;
- `DEFAULT_WORKER_DATA_TIMEOUT`: a module constant `handle` reads on every call, how long a
  thread waits for a new connection's first byte (set here to worker.DATA_WAIT);
- `ThreadWorker`: the methods in METHODS (overridden or called) and the attributes in
  WORKER_ATTRIBUTES (`nr_conns`, the connections it holds; `poller`, its selector);
- `TConn`: the methods in METHODS and the attributes in CONN_ATTRIBUTES.
From `gunicorn.config.Config`: `is_ssl` (whether the worker wraps connections in TLS).
From the WSGI environ: `gunicorn.socket`, the client's socket (its `getpeercert()`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gunicorn
from gunicorn.workers import gthread


class GunicornChanged(ImportError):
    """The installed gunicorn lacks something listed here."""


def _require(name: str) -> Any:
    if not hasattr(gthread, name):
        raise GunicornChanged(
            f"gunicorn {gunicorn.__version__}: gunicorn.workers.gthread.{name} is gone; "
            "evictguard.webhook.worker relies on it (see webhook/gunicorn_private.py)"
        )
    return getattr(gthread, name)


ThreadWorker: type = _require("ThreadWorker")
TConn: type = _require("TConn")
DEFER: object = _require("_DEFER")
_require("DEFAULT_WORKER_DATA_TIMEOUT")
SOCKET_KEY = "gunicorn.socket"

# (class, method, its parameters): what worker.py overrides or calls.
METHODS: tuple[tuple[type, str, tuple[str, ...]], ...] = (
    (ThreadWorker, "init_process", ("self",)),
    (ThreadWorker, "wait_for_and_dispatch_events", ("self", "timeout")),
    (ThreadWorker, "accept", ("self", "listener")),
    (ThreadWorker, "enqueue_req", ("self", "conn")),
    (ThreadWorker, "handle", ("self", "conn")),
    (ThreadWorker, "finish_request", ("self", "conn", "fs")),
    (TConn, "__init__", ("self", "cfg", "sock", "client", "server")),
    (TConn, "init", ("self",)),
    (TConn, "wait_for_data", ("self", "timeout")),
    (TConn, "close", ("self", "graceful")),
)
# Instance attributes worker.py reads or writes, set in __init__.
WORKER_ATTRIBUTES = ("nr_conns", "poller", "cfg", "log")
CONN_ATTRIBUTES = ("sock", "initialized", "data_ready", "timeout")
CONFIG_ATTRIBUTES = ("is_ssl",)


def set_data_wait(seconds: float) -> None:
    """How long a gthread thread waits for a new connection's first byte (gthread: 5 s)."""
    gthread.DEFAULT_WORKER_DATA_TIMEOUT = seconds


def peer_certificate(environ: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The client certificate the TLS layer accepted (it chains to --client-ca, or the
    handshake failed), or None when the caller sent none."""
    getpeercert = getattr(environ.get(SOCKET_KEY), "getpeercert", None)
    return (getpeercert() or None) if getpeercert else None
