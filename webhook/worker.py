"""gunicorn's gthread worker with a time limit on every blocking read and write.

gthread hands a connection to a thread and then reads from it in blocking mode with no
timeout: a client that sends a TLS ClientHello or a request header and then nothing holds
the thread forever, and a handful of such clients (2 workers x 4 threads) stop the webhook,
which with `failurePolicy: Fail` stops pod creation cluster-wide. Here both the accepted
socket and the TLS socket wrapped around it turn gunicorn's `setblocking(True)` into a
timeout of IO_TIMEOUT seconds, so a stalled client costs a thread for that long at most.
Idle keep-alive connections are not affected: gthread parks them in its poller, not on a
thread.
"""

from __future__ import annotations

import errno
import socket
import ssl

from gunicorn.workers import gthread

IO_TIMEOUT = 5.0  # as the webhook configurations' timeoutSeconds: a stalled client gets no longer


class BoundedSocket(socket.socket):
    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(IO_TIMEOUT)
        else:
            super().setblocking(False)


class BoundedSSLSocket(ssl.SSLSocket):
    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(IO_TIMEOUT)
        else:
            super().setblocking(False)


class BoundedThreadWorker(gthread.ThreadWorker):
    def accept(self, listener: socket.socket) -> None:
        """gthread's accept, with the client socket made a BoundedSocket."""
        try:
            client_sock, client_addr = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        bounded = BoundedSocket(
            client_sock.family, client_sock.type, client_sock.proto, fileno=client_sock.detach()
        )
        bounded.setblocking(True)
        conn = gthread.TConn(self.cfg, bounded, client_addr, listener.getsockname())
        self.enqueue_req(conn)
