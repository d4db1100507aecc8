"""A private CA and a serving certificate for the webhook Service, written as Kubernetes
TLS secrets name them (`tls.crt`, `tls.key`), plus `ca.crt` for the caBundle and `ca.key`
so the same CA can re-issue without touching the webhook configuration."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .files import CERT_MODE, KEY_MODE, write_atomic
from .names import SubjectNames, subject_names

KEY_TYPES = ("ecdsa", "rsa")
RSA_BITS = 2048
# Clocks in a cluster drift; a certificate that starts "now" fails on a node a minute behind.
CLOCK_SKEW = dt.timedelta(minutes=5)
# The CA outlives the leaf, so re-issuing the leaf near its end needs no new caBundle.
CA_EXTRA = dt.timedelta(days=30)

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class CertFiles:
    """Where `generate` wrote each file."""

    ca_cert: Path
    ca_key: Path
    cert: Path
    key: Path


def paths_in(out_dir: str | Path) -> CertFiles:
    """The four file names in `out_dir`; the names a Kubernetes TLS Secret mounts."""
    out = Path(out_dir)
    return CertFiles(out / "ca.crt", out / "ca.key", out / "tls.crt", out / "tls.key")


def _new_key(key_type: str) -> PrivateKey:
    if key_type == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    raise ValueError(f"unknown key type {key_type!r} (choose from {', '.join(KEY_TYPES)})")


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "evictguard"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_cert(
    key: PrivateKey, common_name: str, start: dt.datetime, end: dt.datetime
) -> x509.Certificate:
    name = _name(common_name)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )


def _leaf_cert(
    key: PrivateKey,
    ca: x509.Certificate,
    ca_key: PrivateKey,
    names: SubjectNames,
    start: dt.datetime,
    end: dt.datetime,
) -> x509.Certificate:
    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in names.dns]
    sans += [x509.IPAddress(ip) for ip in names.ips]
    return (
        x509.CertificateBuilder()
        .subject_name(_name(names.dns[2]))  # NAME.NS.svc: the name the API server dials
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                # RSA key exchange (TLS 1.2 without ECDHE) encrypts to the key; ECDSA never.
                key_encipherment=isinstance(key, rsa.RSAPrivateKey),
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def generate(
    out_dir: str | Path,
    service: str,
    namespace: str,
    *,
    extra_sans: Sequence[str] = (),
    days: int = 365,
    key_type: str = "ecdsa",
    force: bool = False,
) -> CertFiles:
    """Make a CA and a serving certificate for `service`.`namespace` and write them.

    Raises ValueError for bad names, days or key type, FileExistsError if any of the four
    files exists and not `force`. Nothing is written until every input has been checked.
    """
    if key_type not in KEY_TYPES:
        raise ValueError(f"unknown key type {key_type!r} (choose from {', '.join(KEY_TYPES)})")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"days must be a whole number of at least 1, not {days!r}")
    names = subject_names(service, namespace, extra_sans)
    files = paths_in(out_dir)
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise ValueError(f"{out_dir} exists and is not a folder")
    existing = [p for p in (files.ca_cert, files.ca_key, files.cert, files.key) if p.exists()]
    if existing and not force:
        listed = ", ".join(str(p) for p in existing)
        raise FileExistsError(f"refusing to overwrite {listed} (use --force to replace)")

    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    start = now - CLOCK_SKEW
    leaf_end = now + dt.timedelta(days=days)
    ca_key = _new_key(key_type)
    ca = _ca_cert(
        ca_key, f"evictguard webhook CA ({service}.{namespace})", start, leaf_end + CA_EXTRA
    )
    key = _new_key(key_type)
    cert = _leaf_cert(key, ca, ca_key, names, start, leaf_end)

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    # Keys before certificates, the serving certificate last: a server that reloads when
    # tls.crt changes then finds the matching tls.key already in place.
    write_atomic(files.ca_key, _key_pem(ca_key), KEY_MODE)
    write_atomic(files.ca_cert, _cert_pem(ca), CERT_MODE)
    write_atomic(files.key, _key_pem(key), KEY_MODE)
    write_atomic(files.cert, _cert_pem(cert), CERT_MODE)
    return files


def load_pem_certificates(data: bytes, source: str) -> list[x509.Certificate]:
    """Every certificate in a PEM file; ValueError naming `source` if there is none."""
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        certs = []
    if not certs:
        raise ValueError(f"{source} is not a PEM certificate (no valid CERTIFICATE block)")
    return certs


def ca_bundle(ca_cert: str | Path) -> str:
    """base64 of the CA's PEM, the form a webhook's clientConfig.caBundle takes.

    The certificates are re-encoded from what was parsed: a stray private key or text around
    the PEM blocks never ends up in the cluster. Raises OSError if the file cannot be read,
    ValueError if it holds no PEM certificate.
    """
    path = Path(ca_cert)
    certs = load_pem_certificates(path.read_bytes(), str(path))
    pem = b"".join(_cert_pem(c) for c in certs)
    return base64.b64encode(pem).decode("ascii")
