"""The policy in force, re-read when its file changes (a ConfigMap update swaps the mounted
file atomically). A new policy is validated before it is swapped in; an invalid one is
refused and the last good policy stays in force, with the error kept for /readyz."""

from __future__ import annotations

import logging
import os
import pickle
import threading
import time
from dataclasses import dataclass

from ..certs.files import write_atomic
from ..policy.load import load_policy_file, load_preset
from ..policy.model import ConfigError, Policy

log = logging.getLogger("evictguard.policy")

CHECK_INTERVAL = 1.0  # seconds between looks at the file: a stat, not a read
# The last good policy, shared by the workers (a private directory gunicorn.conf.py makes
# before forking them): a worker started while the file is invalid (one replaced after a
# crash, or by SIGHUP) serves it instead of failing to boot, which would stop the server.
STATE_DIR_ENV = "EVICTGUARD_STATE_DIR"
_LAST_GOOD = "last-good-policy.pickle"


def _remember(policy: Policy) -> None:
    directory = os.environ.get(STATE_DIR_ENV)
    if not directory:
        return
    try:
        write_atomic(os.path.join(directory, _LAST_GOOD), pickle.dumps(policy), 0o600)
    except OSError as exc:
        log.warning("could not keep the last good policy", extra={"error": str(exc)})


def _last_good() -> Policy | None:
    directory = os.environ.get(STATE_DIR_ENV)
    if not directory:
        return None
    try:  # written by our own workers into a directory only this server can write
        with open(os.path.join(directory, _LAST_GOOD), "rb") as handle:
            policy = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError):
        return None
    return policy if isinstance(policy, Policy) else None


@dataclass(frozen=True)
class PolicyStatus:
    source: str
    loaded_at: float
    error: str | None  # the last refused policy's problems, until a good one loads


def _signature(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)  # follows the ConfigMap's ..data symlink to the current file
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class PolicyStore:
    def __init__(self, path: str | None, on_reload: object = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._checked = 0.0
        self._on_reload = on_reload
        error: str | None = None
        if path is None:
            self._policy = load_preset("default")
            self._signature = None
        else:
            self._signature = _signature(path)
            try:
                self._policy = load_policy_file(path)
            except (ConfigError, OSError) as exc:
                fallback = _last_good()
                if fallback is None:
                    raise  # no good policy was ever loaded (serve checks it first): fatal
                problems = exc.problems if isinstance(exc, ConfigError) else [str(exc)]
                error = "; ".join(problems)
                self._policy = fallback
                log.error(
                    "policy refused at worker start, serving the last good one",
                    extra={"event": "policy_reload", "result": "refused", "problems": problems},
                )
            else:
                _remember(self._policy)
        self._status = PolicyStatus(self._policy.source, time.time(), error)
        self._watcher: threading.Thread | None = None

    def _watch(self) -> None:
        """Look at the file every CHECK_INTERVAL even without traffic, so that every worker
        process adopts each good policy, not only those that happen to get a request."""
        while True:
            time.sleep(CHECK_INTERVAL)
            try:
                self.current()
            except Exception:  # never let the watcher die
                log.exception("policy watcher error")

    @property
    def status(self) -> PolicyStatus:
        self.current()
        return self._status

    def current(self) -> Policy:
        """The policy in force, after a look at the file at most once a second."""
        if self.path is None:
            return self._policy
        if self._watcher is None:  # started in the worker process, after gunicorn's fork
            self._watcher = threading.Thread(target=self._watch, name="policy-watch", daemon=True)
            self._watcher.start()
        if time.monotonic() - self._checked < CHECK_INTERVAL:
            return self._policy
        with self._lock:
            if time.monotonic() - self._checked < CHECK_INTERVAL:
                return self._policy
            self._checked = time.monotonic()
            signature = _signature(self.path)
            if signature != self._signature:
                self._signature = signature
                self._reload()
        return self._policy

    def _reload(self) -> None:
        assert self.path is not None
        try:
            policy = load_policy_file(self.path)
        except (ConfigError, OSError) as exc:
            problems = exc.problems if isinstance(exc, ConfigError) else [str(exc)]
            self._status = PolicyStatus(
                self._policy.source, self._status.loaded_at, "; ".join(problems)
            )
            log.error(
                "policy refused, the last good one stays in force",
                extra={"event": "policy_reload", "result": "refused", "problems": problems},
            )
            self._notify("refused")
            return
        self._policy = policy
        self._status = PolicyStatus(policy.source, time.time(), None)
        _remember(policy)
        log.info("policy reloaded", extra={"event": "policy_reload", "result": "loaded"})
        self._notify("loaded")

    def _notify(self, result: str) -> None:
        if callable(self._on_reload):
            self._on_reload(result)
