"""One request and one connection of the soak, as the generator records them and the
analysis reads them."""

from __future__ import annotations

import math
from dataclasses import dataclass

PATHS = ("/validate", "/mutate")


@dataclass(slots=True)
class Request:
    """One request and how it ended (times are perf_counter seconds)."""

    index: int
    path: str
    body: int  # index into Oracle.bodies
    uid: str
    scheduled: float
    sent: float = math.nan  # handed to a connection (which may still be opening)
    written: float = math.nan  # on the wire: from here on the server may have it
    done: float = math.nan
    conn: int = -1  # connection serial; -1: none, -2: a SIGTERM request's own
    new_conn: bool = False
    error: str | None = None
    payload: bytes | None = None
    verdict: str = ""  # correct, wrong, failed
    matched: str = ""  # the policies the answer agreed with
    why: str = ""


@dataclass(slots=True)
class Connection:
    serial: int
    port: int  # the client's port: how /proc tells which worker holds the other end
    opened: float
    cert: str = ""  # sha256 of the certificate the server presented
    ready: float = math.nan  # handshake done
    closed: float = math.nan
