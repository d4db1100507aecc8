"""gunicorn's gthread worker, hardened against clients that never finish a request.

gthread reads a connection on a thread in blocking mode with no timeout, parks connections
that have sent nothing yet for the whole keep-alive time, and has a fixed number of threads
(workers x threads). A few clients that send a request slowly, or a few thousand that send
nothing, would hold every thread or connection slot; with `failurePolicy: Fail` that stops
Pod creation cluster-wide. Bounds:

- every blocking read and write on the socket (raw and TLS) times out after IO_TIMEOUT;
- every request, from the first byte (TLS handshake included) to the response, must be done
  within REQUEST_DEADLINE, or a watchdog shuts the socket down (dripping one byte a second
  resets a timeout, not a deadline);
- a new connection holds a thread for DATA_WAIT at most while it has sent nothing (gthread
  waits 5 s), then waits in the poller, and is dropped after IO_TIMEOUT, not after keep-alive.

Timeouts surface to gthread as connection resets, which it logs at debug level, so a client
cannot fill the log with tracebacks either.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import ssl
import threading
import time
from typing import Any

from . import balance
from .gunicorn_private import DEFER, TConn, ThreadWorker, set_data_wait

IO_TIMEOUT = 5.0  # as the webhook configurations' timeoutSeconds: a stalled client gets no longer
REQUEST_DEADLINE = 6.0  # the API server gives up after timeoutSeconds (5 s here) anyway
DATA_WAIT = 0.25  # a real client's ClientHello follows its connect at once

# gthread's own wait, on a thread, for a new connection's first byte (a module constant).
set_data_wait(DATA_WAIT)


def _reset(exc: BaseException) -> ConnectionResetError:
    return ConnectionResetError(errno.ECONNRESET, f"client too slow: {exc}")


class _Bounded:
    """Blocking mode means a timeout; a timeout is reported as a connection reset."""

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(IO_TIMEOUT)  # type: ignore[attr-defined]
        else:
            super().setblocking(False)  # type: ignore[misc]

    def recv(self, *args: Any) -> Any:
        try:
            return super().recv(*args)  # type: ignore[misc]
        except TimeoutError as exc:
            raise _reset(exc) from exc

    def recv_into(self, *args: Any) -> Any:
        try:
            return super().recv_into(*args)  # type: ignore[misc]
        except TimeoutError as exc:
            raise _reset(exc) from exc

    def sendall(self, *args: Any) -> Any:
        try:
            return super().sendall(*args)  # type: ignore[misc]
        except TimeoutError as exc:
            raise _reset(exc) from exc


class BoundedSocket(_Bounded, socket.socket):
    pass


class BoundedSSLSocket(_Bounded, ssl.SSLSocket):
    def do_handshake(self, *args: Any) -> Any:
        try:
            return super().do_handshake(*args)
        except TimeoutError as exc:
            raise _reset(exc) from exc


class _Watchdog:
    """Shuts down the sockets of requests that overrun REQUEST_DEADLINE (one thread per
    worker process, waking twice a second)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deadlines: dict[Any, float] = {}
        self._thread: threading.Thread | None = None

    def start(self, conn: Any) -> None:
        with self._lock:
            self._deadlines[conn] = time.monotonic() + REQUEST_DEADLINE
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="deadline", daemon=True)
                self._thread.start()

    def done(self, conn: Any) -> None:
        with self._lock:
            self._deadlines.pop(conn, None)

    def _run(self) -> None:
        while True:
            time.sleep(0.5)
            now = time.monotonic()
            with self._lock:
                late = [c for c, deadline in self._deadlines.items() if deadline <= now]
                for conn in late:
                    del self._deadlines[conn]
            for conn in late:
                with contextlib.suppress(OSError):  # already closed
                    conn.sock.shutdown(socket.SHUT_RDWR)


DRAIN_SECONDS = 2.0  # as gunicorn's close_graceful: how long a closing client may linger
DRAIN_BYTES = 65536


class _Conn(TConn):
    """gthread's connection, whose graceful close drains in the worker's poller: gthread
    drained on the main thread for up to 2 s, so one client that kept its end open after
    `Connection: close` froze every other connection of the worker (found by bench.soak)."""

    def __init__(self, worker: BoundedThreadWorker, *args: Any) -> None:
        super().__init__(worker.cfg, *args)
        self.worker = worker

    def close(self, graceful: bool = False) -> None:
        if graceful:
            self.worker.drain_and_close(self.sock)
        else:
            super().close(graceful)


class BoundedThreadWorker(ThreadWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._watchdog = _Watchdog()
        self._table = balance.TABLE
        self._slot = -1
        self._draining: dict[Any, float] = {}  # half-closed sockets -> when to give up

    def init_process(self) -> None:
        if self._table is not None:
            # reserved by the arbiter before the fork (gunicorn.conf.py pre_fork)
            self._slot = getattr(self, "balance_slot", -1)
            self._table.register(self._slot, os.getpid())
        super().init_process()

    def _publish(self) -> None:
        if self._table is not None:
            self._table.publish(self._slot, self.nr_conns)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        super().wait_for_and_dispatch_events(timeout)
        self._publish()  # connections opened and closed in this round
        if self._draining:
            now = time.monotonic()
            for sock in [s for s, deadline in self._draining.items() if deadline <= now]:
                self._closed(sock)

    def drain_and_close(self, sock: Any) -> None:
        """RFC 9112 9.6, as gunicorn's close_graceful: send FIN, read what the client still
        sends until it closes (or DRAIN_SECONDS/DRAIN_BYTES), then close, so unread data
        does not turn the close into a reset that truncates the answer. Without blocking."""
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.setblocking(False)
            self.poller.register(sock, selectors.EVENT_READ, self._drain)
        except (OSError, ValueError, KeyError):
            with contextlib.suppress(OSError):
                sock.close()
            return
        self._draining[sock] = time.monotonic() + DRAIN_SECONDS

    def _drain(self, sock: Any) -> None:
        try:
            data = sock.recv(DRAIN_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data or len(data) >= DRAIN_BYTES:
            self._closed(sock)

    def _closed(self, sock: Any) -> None:
        self._draining.pop(sock, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(sock)
        with contextlib.suppress(OSError):
            sock.close()

    def _should_yield(self) -> bool:
        if self._table is None:
            return False
        fewest = self._table.least_elsewhere(self._slot)
        return fewest is not None and self.nr_conns > fewest

    def accept(self, listener: socket.socket) -> None:
        """gthread's accept, with the client socket made a BoundedSocket, after giving a
        less-loaded worker the first chance at the connection (see webhook.balance)."""
        if self._should_yield():
            time.sleep(balance.YIELD_SECONDS)
        try:
            client_sock, client_addr = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self._publish()
        bounded = BoundedSocket(
            client_sock.family, client_sock.type, client_sock.proto, fileno=client_sock.detach()
        )
        bounded.setblocking(True)
        conn = _Conn(self, bounded, client_addr, listener.getsockname())
        self.enqueue_req(conn)

    def handle(self, conn: Any) -> Any:
        self._watchdog.start(conn)
        try:
            if not conn.initialized and self.cfg.is_ssl:
                # gthread would read the request right after the TLS handshake, holding
                # this thread for IO_TIMEOUT if the client then sends nothing (a few
                # such clients would hold them all): wait in the poller instead.
                if not conn.data_ready and not conn.wait_for_data(DATA_WAIT):
                    return DEFER
                conn.sock.setblocking(True)
                conn.init()  # the handshake, bounded by IO_TIMEOUT like any read
                conn.data_ready = False  # the ClientHello was the data waited for
                if not conn.sock.pending() and not conn.wait_for_data(DATA_WAIT):
                    return DEFER
            return super().handle(conn)
        except (OSError, ValueError) as exc:  # a failed handshake: as gthread, not logged
            self.log.debug("TLS handshake failed: %s", exc)
            return False
        finally:
            self._watchdog.done(conn)

    def finish_request(self, conn: Any, fs: Any) -> None:
        deferred = not fs.cancelled() and fs.exception() is None and fs.result() is DEFER
        super().finish_request(conn, fs)
        if deferred:  # parked having sent no request: not for the whole keep-alive
            conn.timeout = min(conn.timeout, time.monotonic() + IO_TIMEOUT)
