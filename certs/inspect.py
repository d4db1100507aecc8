"""Checks the webhook server runs before (re)loading its TLS files, so a bad or half-rotated
pair is reported plainly instead of as an opaque OpenSSL error at handshake time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from .generate import load_pem_certificates, spki_der


def _read(path: str | Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise ValueError(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise ValueError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def load_certificate(cert_path: str | Path) -> x509.Certificate:
    """The first certificate in a PEM file (the leaf, when the file holds a chain)."""
    return load_pem_certificates(_read(cert_path, "certificate"), str(cert_path))[0]


def not_after(cert_path: str | Path) -> dt.datetime:
    """When the certificate expires, as an aware UTC datetime (for expiry metrics and logs)."""
    return load_certificate(cert_path).not_valid_after_utc


def check_pair(
    cert_path: str | Path, key_path: str | Path, *, now: dt.datetime | None = None
) -> None:
    """Raise ValueError unless both files parse, the key matches the certificate and the
    certificate is valid at `now` (an aware datetime; default: the current time)."""
    cert = load_certificate(cert_path)
    data = _read(key_path, "private key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise ValueError(
            f"private key {key_path} is encrypted; a server needs it unencrypted"
        ) from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ValueError(f"{key_path} is not a PEM private key: {exc}") from None
    if spki_der(key.public_key()) != spki_der(cert.public_key()):
        raise ValueError(f"private key {key_path} does not match certificate {cert_path}")
    moment = now or dt.datetime.now(dt.timezone.utc)
    if moment < cert.not_valid_before_utc:
        raise ValueError(
            f"certificate {cert_path} is not valid yet "
            f"(from {cert.not_valid_before_utc:%Y-%m-%d %H:%M:%S} UTC)"
        )
    if moment > cert.not_valid_after_utc:
        raise ValueError(
            f"certificate {cert_path} expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M:%S} UTC"
        )
