"""gunicorn settings for `evictguard serve` (plain Python, as gunicorn reads it).

TLS only (1.2 and up), gthread workers with keep-alive (the API server reuses connections),
graceful shutdown: on SIGTERM the workers stop accepting and finish in-flight reviews
within `graceful_timeout`. Everything comes from the environment `serve` prepares.
"""

import os
import shutil
import sys
import tempfile

# gunicorn changes to `chdir` and puts it first on sys.path before loading the app; it did
# so with the folder serve was started in before reading this file. A `yaml/`, `flask/` or
# `evictguard/` there would shadow the real package (even the import below), so that entry
# goes first, and `chdir` is the filesystem root. Every path serve hands over is absolute.
sys.path[:] = [entry for entry in sys.path if entry not in ("", os.getcwd())]

from evictguard.webhook import balance, tls  # noqa: E402  (after the sys.path repair)

_cert_dir = os.environ["EVICTGUARD_CERT_DIR"]

bind = os.environ.get("EVICTGUARD_BIND", "0.0.0.0:8443").split(",")
workers = int(os.environ.get("EVICTGUARD_WORKERS", "2"))
worker_class = "evictguard.webhook.worker.BoundedThreadWorker"  # gthread with bounded blocking I/O
# 4 per worker: the work is CPU-bound under the GIL, more threads only queue (README: Sizing).
threads = int(os.environ.get("EVICTGUARD_THREADS", "4"))
# Longer than the API server's idle-connection timeout (client-go's 90 s), so that the
# client closes idle connections first: a POST on a connection the server just closed is not
# retried by Go's transport and would fail the review.
keepalive = 120
timeout = 30
graceful_timeout = int(os.environ.get("EVICTGUARD_GRACEFUL_TIMEOUT", "20"))
certfile = os.path.join(_cert_dir, tls.CERT_FILE)
keyfile = os.path.join(_cert_dir, tls.KEY_FILE)
accesslog = None  # the app logs one JSON line per review instead
errorlog = "-"
loglevel = os.environ.get("EVICTGUARD_LOG_LEVEL", "info")
proc_name = "evictguard"
control_socket_disable = True  # gunicorn 27's control socket: not needed, and $HOME is read-only
wsgi_app = "evictguard.webhook.app:create_app()"
chdir = "/"


def ssl_context(config, default_ssl_context_factory):
    """Called for every accepted connection: the cached context, rebuilt when the
    certificate files change."""
    return tls.CONTEXTS.get(_cert_dir, os.environ.get("EVICTGUARD_CLIENT_CA") or None)


def on_starting(server):
    # Shared by the workers forked after this: how many connections each holds.
    balance.create()
    # prometheus-client's multiprocess mode: each worker writes its samples under this
    # directory and /metrics sums them. It must exist before the workers start.
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        created = tempfile.mkdtemp(prefix="evictguard-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = created
        server._evictguard_metrics_dir = created  # ours to remove at exit
    # Where workers keep the last good policy for their replacements (webhook.policy_store).
    if not os.environ.get("EVICTGUARD_STATE_DIR"):
        state = tempfile.mkdtemp(prefix="evictguard-state-")
        os.environ["EVICTGUARD_STATE_DIR"] = state
        server._evictguard_state_dir = state


def pre_fork(server, worker):
    # In the arbiter, one fork at a time: the worker's slot in the connection table.
    if balance.TABLE is not None:
        worker.balance_slot = balance.TABLE.reserve()


def post_worker_init(worker):
    # gunicorn's "Booting worker" comes before the app is loaded: say when it can serve.
    worker.log.info("Worker ready (pid: %s)", worker.pid)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    if balance.TABLE is not None:
        balance.TABLE.release(getattr(worker, "balance_slot", -1), worker.pid)

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    for name in ("_evictguard_metrics_dir", "_evictguard_state_dir"):
        directory = getattr(server, name, None)
        if directory:
            shutil.rmtree(directory, ignore_errors=True)
