"""A private CA and a serving certificate for the webhook Service, written as Kubernetes
TLS secrets name them (`tls.crt`, `tls.key`), plus `ca.crt` for the caBundle and `ca.key`
so the same CA can re-issue (`renew`) without touching the webhook configuration."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .files import CERT_MODE, KEY_MODE, write_atomic
from .names import SubjectNames, subject_names

KEY_TYPES = ("ecdsa", "rsa")
RSA_BITS = 2048
# Clocks in a cluster drift; a certificate that starts "now" fails on a node a minute behind.
CLOCK_SKEW = dt.timedelta(minutes=5)
# The CA outlives the leaf by far, so the leaf can be re-issued (`renew`) many times under the
# same caBundle; 10 years, as the cert-manager overlay's CA. At least a month past the leaf.
CA_DAYS = 3650
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
    try:
        ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:  # a CA from another tool, renewed from
        ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca.public_key())
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


def _check_days(days: object, what: str = "days") -> int:
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"{what} must be a whole number of at least 1, not {days!r}")
    return days


def _check_key_type(key_type: str) -> str:
    if key_type not in KEY_TYPES:
        raise ValueError(f"unknown key type {key_type!r} (choose from {', '.join(KEY_TYPES)})")
    return key_type


def _check_out_dir(out_dir: str | Path) -> None:
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise ValueError(f"{out_dir} exists and is not a folder")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _write_leaf(files: CertFiles, key: PrivateKey, cert: x509.Certificate) -> None:
    # The key first, the certificate last: a server that reloads when tls.crt changes then
    # finds the matching tls.key already in place.
    write_atomic(files.key, _key_pem(key), KEY_MODE)
    write_atomic(files.cert, _cert_pem(cert), CERT_MODE)


def generate(
    out_dir: str | Path,
    service: str,
    namespace: str,
    *,
    extra_sans: Sequence[str] = (),
    days: int = 365,
    key_type: str = "ecdsa",
    force: bool = False,
    ca_days: int | None = None,
) -> CertFiles:
    """Make a CA and a serving certificate for `service`.`namespace` and write them.

    The CA is valid for `ca_days` (default: CA_DAYS, or `days` + 30 if that is longer), so
    `renew` can re-issue the serving certificate under the same caBundle until then.
    Raises ValueError for bad names, days or key type (or a CA that would not outlive the
    serving certificate), FileExistsError if any of the four files exists and not `force`.
    Nothing is written until every input has been checked.
    """
    _check_key_type(key_type)
    _check_days(days)
    if ca_days is not None and _check_days(ca_days, "ca_days") < days:
        raise ValueError(
            f"the CA must outlive the serving certificate: ca_days {ca_days} < days {days}"
        )
    names = subject_names(service, namespace, extra_sans)
    files = paths_in(out_dir)
    _check_out_dir(out_dir)
    existing = [p for p in (files.ca_cert, files.ca_key, files.cert, files.key) if p.exists()]
    if existing and not force:
        listed = ", ".join(str(p) for p in existing)
        raise FileExistsError(f"refusing to overwrite {listed} (use --force to replace)")

    now = _now()
    start = now - CLOCK_SKEW
    leaf_end = now + dt.timedelta(days=days)
    if ca_days is None:
        ca_end = max(now + dt.timedelta(days=CA_DAYS), leaf_end + CA_EXTRA)
    else:
        ca_end = now + dt.timedelta(days=ca_days)
    ca_key = _new_key(key_type)
    ca = _ca_cert(ca_key, f"evictguard webhook CA ({service}.{namespace})", start, ca_end)
    key = _new_key(key_type)
    cert = _leaf_cert(key, ca, ca_key, names, start, leaf_end)

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    # Keys before certificates, the serving certificate last (_write_leaf).
    write_atomic(files.ca_key, _key_pem(ca_key), KEY_MODE)
    write_atomic(files.ca_cert, _cert_pem(ca), CERT_MODE)
    _write_leaf(files, key, cert)
    return files


def spki_der(public_key: object) -> bytes:
    """A public key's DER SubjectPublicKeyInfo: equal bytes mean the same key, whatever type."""
    return public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _read_for_renew(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ValueError(
            f"cannot renew: {what} {path} does not exist (renewing re-issues tls.crt from the "
            "CA that an earlier `certs generate` left there; without --renew a new CA is made, "
            "and with it a new caBundle)"
        ) from None
    except OSError as exc:
        raise ValueError(
            f"cannot renew: cannot read {what} {path}: {exc.strerror or exc}"
        ) from None


def load_ca(files: CertFiles) -> tuple[x509.Certificate, PrivateKey]:
    """The CA certificate and key from `files`, checked for signing serving certificates.

    ca.crt may hold several certificates (a rotation bundle): the one ca.key belongs to is
    used. Raises ValueError, saying why, if either file is missing or unreadable, the key
    is encrypted or of an unsupported type, it matches no certificate in ca.crt, or that
    certificate is not a CA.
    """
    cert_data = _read_for_renew(files.ca_cert, "CA certificate")
    key_data = _read_for_renew(files.ca_key, "CA private key")
    certificates = load_pem_certificates(cert_data, str(files.ca_cert))
    try:
        key = serialization.load_pem_private_key(key_data, password=None)
    except TypeError:
        raise ValueError(f"cannot renew: CA private key {files.ca_key} is encrypted") from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ValueError(f"cannot renew: {files.ca_key} is not a PEM private key: {exc}") from None
    if not isinstance(key, PrivateKey):
        raise ValueError(
            f"cannot renew: CA private key {files.ca_key} is {type(key).__name__}; "
            "only ECDSA and RSA CA keys are supported"
        )
    matching = [c for c in certificates if spki_der(c.public_key()) == spki_der(key.public_key())]
    if not matching:
        raise ValueError(
            f"cannot renew: CA private key {files.ca_key} does not match the certificate in "
            f"{files.ca_cert} (the two files come from different CAs)"
        )
    ca = matching[0]
    try:
        basic = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        basic = None
    try:
        usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if basic is None or not basic.ca or (usage is not None and not usage.key_cert_sign):
        raise ValueError(
            f"cannot renew: {files.ca_cert} is not a CA certificate (no CA basic constraint "
            "or certificate-signing key usage)"
        )
    return ca, key


def _key_type_of(key: PrivateKey) -> str:
    return "rsa" if isinstance(key, rsa.RSAPrivateKey) else "ecdsa"


def renew(
    out_dir: str | Path,
    service: str,
    namespace: str,
    *,
    extra_sans: Sequence[str] = (),
    days: int = 365,
    key_type: str | None = None,
) -> CertFiles:
    """Re-issue only the serving certificate (tls.crt, tls.key) in `out_dir` for
    `service`.`namespace` and `extra_sans`, signed by the CA already there (ca.crt, ca.key),
    which is left as it is: the webhooks' caBundle stays valid.

    `key_type` defaults to the CA key's type. Raises ValueError for bad names, days or key
    type, a missing, mismatched or unusable CA (load_ca), or a CA that expires within
    `days`. Nothing is written until every input has been checked.
    """
    if key_type is not None:
        _check_key_type(key_type)
    _check_days(days)
    names = subject_names(service, namespace, extra_sans)
    _check_out_dir(out_dir)
    files = paths_in(out_dir)
    ca, ca_key = load_ca(files)

    now = _now()
    ca_end = ca.not_valid_after_utc
    leaf_end = now + dt.timedelta(days=days)
    if ca_end <= now + dt.timedelta(days=1):
        raise ValueError(
            f"cannot renew: the CA in {files.ca_cert} "
            f"{'expired' if ca_end <= now else 'expires'} on {ca_end:%Y-%m-%d %H:%M:%S} UTC; "
            "make a new CA and switch the caBundle over (manifests/README.md, rotating the CA)"
        )
    if leaf_end > ca_end:
        most = (ca_end - now).days
        raise ValueError(
            f"cannot renew for {days} days: the CA in {files.ca_cert} expires on "
            f"{ca_end:%Y-%m-%d %H:%M:%S} UTC, and a certificate must not outlive its CA; "
            f"ask for {most} days or fewer, or rotate the CA (manifests/README.md)"
        )
    start = max(now - CLOCK_SKEW, ca.not_valid_before_utc)
    key = _new_key(key_type or _key_type_of(ca_key))
    cert = _leaf_cert(key, ca, ca_key, names, start, leaf_end)
    _write_leaf(files, key, cert)
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
