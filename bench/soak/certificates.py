"""Which certificate a TLS server presents (a short sha256 of the DER), from a file or a
fresh verified connection: how the soak tells whether a rotation reached every worker."""

from __future__ import annotations

import hashlib
import socket
import ssl
from collections.abc import Sequence
from pathlib import Path

from .. import loadgen
from ..servers import client_ports_of


def digest(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()[:16]


def file_certificate(path: Path) -> str:
    """The digest of the (first) certificate in a PEM file, as a TLS peer would present it."""
    text = path.read_text("ascii")
    end = text.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")
    return digest(ssl.PEM_cert_to_DER_cert(text[text.index("-----BEGIN") : end]))


def peer_certificate(port: int, ca_file: Path, workers: Sequence[int] = ()) -> tuple[str, int]:
    """A fresh connection, verified as the API server verifies (the CA, the Service name):
    the digest of the certificate the server presented, and which of `workers` accepted it
    (0: none of them)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    context = loadgen.client_context(ca_file)
    with context.wrap_socket(raw, server_hostname=loadgen.SERVICE_HOST) as sock:
        mine = sock.getsockname()[1]
        holder = next((w for w in workers if mine in client_ports_of(w, port)), 0)
        return digest(sock.getpeercert(binary_form=True) or b""), holder
