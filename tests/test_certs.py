"""certs: real keys and certificates from `cryptography`, checked by a real TLS handshake
(`ssl`, loopback only), and inject-ca on real multi-document YAML."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import os
import socket
import ssl
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from evictguard.certs.generate import (
    CertFiles,
    _ca_cert,
    _cert_pem,
    _key_pem,
    ca_bundle,
    generate,
    renew,
)
from evictguard.certs.inspect import check_pair, not_after
from evictguard.lint.inject_ca import InjectError, inject_files, inject_text

from tests.conftest import ROOT, run_cli

SERVICE, NAMESPACE = "evictguard", "evictguard-system"
DNS_SANS = [
    SERVICE,
    f"{SERVICE}.{NAMESPACE}",
    f"{SERVICE}.{NAMESPACE}.svc",
    f"{SERVICE}.{NAMESPACE}.svc.cluster.local",
]
TIMEOUT = 10.0


@pytest.fixture(scope="module", params=["ecdsa", "rsa"])
def issued(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> CertFiles:
    out = tmp_path_factory.mktemp(f"certs-{request.param}")
    return generate(
        out,
        SERVICE,
        NAMESPACE,
        extra_sans=["127.0.0.1", "localhost"],
        key_type=request.param,
    )


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def ext(cert: x509.Certificate, kind: type) -> x509.Extension:
    return cert.extensions.get_extension_for_class(kind)


# --- a real TLS handshake -------------------------------------------------------------------


def handshake(files: CertFiles, server_hostname: str, ca_file: Path | None = None) -> bytes:
    """Serve tls.crt/tls.key for exactly one connection on 127.0.0.1; connect, verifying
    against ca.crt with `server_hostname`; return what the server sent after the handshake.

    The server thread accepts once (with a timeout) and ends by itself either way.
    """
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(files.cert, files.key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(TIMEOUT)
    port = listener.getsockname()[1]

    def serve() -> None:
        with listener:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(TIMEOUT)
                try:
                    with server_ctx.wrap_socket(conn, server_side=True) as tls:
                        tls.sendall(b"ok")
                except OSError:  # ssl.SSLError included: the client refused us
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client_ctx.load_verify_locations(ca_file or files.ca_cert)
        with (
            socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw,
            client_ctx.wrap_socket(raw, server_hostname=server_hostname) as tls,
        ):
            return tls.recv(2)
    finally:
        thread.join(TIMEOUT + 5)
        assert not thread.is_alive()


def test_handshake_succeeds_for_every_san(issued: CertFiles) -> None:
    for name in [*DNS_SANS, "localhost", "127.0.0.1"]:
        assert handshake(issued, name) == b"ok", name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("other.example.com", "Hostname mismatch"),
        (f"{SERVICE}.default.svc", "Hostname mismatch"),
        ("127.0.0.2", "IP address mismatch"),
    ],
)
def test_handshake_fails_for_a_name_not_in_the_sans(
    issued: CertFiles, name: str, message: str
) -> None:
    with pytest.raises(ssl.SSLCertVerificationError) as caught:
        handshake(issued, name)
    assert message in caught.value.verify_message


def test_handshake_fails_against_another_ca(issued: CertFiles, tmp_path: Path) -> None:
    other = generate(tmp_path, SERVICE, NAMESPACE, extra_sans=["127.0.0.1"])
    with pytest.raises(ssl.SSLCertVerificationError) as caught:
        handshake(issued, "127.0.0.1", ca_file=other.ca_cert)
    assert "local issuer" in caught.value.verify_message


# --- what the certificates say ---------------------------------------------------------------


def test_san_list_is_exact(issued: CertFiles) -> None:
    san = ext(load(issued.cert), x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [*DNS_SANS, "localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert len(list(san)) == 6


def test_serving_certificate_extensions(issued: CertFiles) -> None:
    cert, ca = load(issued.cert), load(issued.ca_cert)
    assert list(ext(cert, x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.SERVER_AUTH]
    basic = ext(cert, x509.BasicConstraints)
    assert basic.critical and basic.value.ca is False
    usage = ext(cert, x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature
    assert usage.value.key_encipherment is isinstance(cert.public_key(), rsa.RSAPublicKey)
    assert not usage.value.key_cert_sign
    ski = ext(cert, x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
    aki = ext(cert, x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ext(ca, x509.SubjectKeyIdentifier).value.digest
    assert cert.issuer == ca.subject
    cert.verify_directly_issued_by(ca)


def test_ca_extensions(issued: CertFiles) -> None:
    ca = load(issued.ca_cert)
    basic = ext(ca, x509.BasicConstraints)
    assert basic.critical and basic.value.ca is True and basic.value.path_length == 0
    usage = ext(ca, x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    assert ext(ca, x509.SubjectKeyIdentifier).value.digest
    ca.verify_directly_issued_by(ca)  # self-signed
    check_pair(issued.ca_cert, issued.ca_key)


def test_key_type_and_size(issued: CertFiles, request: pytest.FixtureRequest) -> None:
    key_type = request.node.callspec.params["issued"]
    for path in (issued.cert, issued.ca_cert):
        key = load(path).public_key()
        if key_type == "rsa":
            assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
        else:
            assert isinstance(key, ec.EllipticCurvePublicKey)
            assert isinstance(key.curve, ec.SECP256R1)


def test_validity_honours_days(tmp_path: Path) -> None:
    before = dt.datetime.now(dt.timezone.utc)
    files = generate(tmp_path, SERVICE, NAMESPACE, days=10)
    after = dt.datetime.now(dt.timezone.utc)
    cert, ca = load(files.cert), load(files.ca_cert)
    end = not_after(files.cert)
    assert end.tzinfo is not None and end.utcoffset() == dt.timedelta(0)
    assert end == cert.not_valid_after_utc
    day = dt.timedelta(days=10)
    assert before + day - dt.timedelta(seconds=1) <= end <= after + day
    # A few minutes back for clock skew, but not hours.
    start = cert.not_valid_before_utc
    assert before - dt.timedelta(hours=1) < start <= before - dt.timedelta(minutes=1)
    assert ca.not_valid_before_utc <= start
    assert ca.not_valid_after_utc > end


def test_key_files_are_private_and_no_temp_files_remain(issued: CertFiles) -> None:
    for path in (issued.key, issued.ca_key):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for path in (issued.cert, issued.ca_cert):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    assert sorted(p.name for p in issued.cert.parent.iterdir()) == [
        "ca.crt",
        "ca.key",
        "tls.crt",
        "tls.key",
    ]


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    (tmp_path / "tls.key").write_text("precious\n")
    os.chmod(tmp_path / "tls.key", 0o644)
    with pytest.raises(FileExistsError, match=r"tls\.key.*--force"):
        generate(tmp_path, SERVICE, NAMESPACE)
    assert (tmp_path / "tls.key").read_text() == "precious\n"
    assert [p.name for p in tmp_path.iterdir()] == ["tls.key"]

    files = generate(tmp_path, SERVICE, NAMESPACE, force=True)
    check_pair(files.cert, files.key)
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"service": "Evictguard"}, "service 'Evictguard' is not a valid name"),
        ({"namespace": "a.b"}, "namespace 'a.b' is not a valid name"),
        ({"extra_sans": ["bad name"]}, "SAN 'bad name' is neither"),
        ({"extra_sans": ["-x.example"]}, "SAN '-x.example' is neither"),
        ({"extra_sans": [""]}, "empty SAN"),
        ({"days": 0}, "days must be"),
        ({"key_type": "dsa"}, "unknown key type 'dsa'"),
    ],
)
def test_bad_inputs_write_nothing(tmp_path: Path, kwargs: dict, match: str) -> None:
    args = {"service": SERVICE, "namespace": NAMESPACE, **kwargs}
    with pytest.raises(ValueError, match=match):
        generate(tmp_path / "out", **args)
    assert not (tmp_path / "out").exists()


def test_extra_sans_dedupe_and_ipv6(tmp_path: Path) -> None:
    files = generate(
        tmp_path,
        SERVICE,
        NAMESPACE,
        extra_sans=[f"{SERVICE}.{NAMESPACE}.svc", "::1", "*.Example.COM", "::1"],
    )
    san = ext(load(files.cert), x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [*DNS_SANS, "*.example.com"]
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("::1")]


# --- ca_bundle and check_pair ----------------------------------------------------------------


def test_ca_bundle_is_base64_of_the_pem(issued: CertFiles) -> None:
    assert base64.b64decode(ca_bundle(issued.ca_cert)) == issued.ca_cert.read_bytes()


def test_ca_bundle_drops_anything_but_certificates(issued: CertFiles, tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.pem"
    mixed.write_bytes(
        b"subject=whatever\n" + issued.ca_cert.read_bytes() + issued.ca_key.read_bytes()
    )
    assert ca_bundle(mixed) == ca_bundle(issued.ca_cert)
    with pytest.raises(ValueError, match="not a PEM certificate"):
        ca_bundle(issued.ca_key)


def test_check_pair(issued: CertFiles, tmp_path: Path) -> None:
    check_pair(issued.cert, issued.key)
    with pytest.raises(ValueError, match="does not match certificate"):
        check_pair(issued.cert, issued.ca_key)
    later = not_after(issued.cert) + dt.timedelta(seconds=1)
    with pytest.raises(ValueError, match="expired on"):
        check_pair(issued.cert, issued.key, now=later)
    earlier = load(issued.cert).not_valid_before_utc - dt.timedelta(seconds=1)
    with pytest.raises(ValueError, match="not valid yet"):
        check_pair(issued.cert, issued.key, now=earlier)
    with pytest.raises(ValueError, match="does not exist"):
        check_pair(tmp_path / "missing.crt", issued.key)
    with pytest.raises(ValueError, match=r"private key .* does not exist"):
        check_pair(issued.cert, tmp_path / "missing.key")
    junk = tmp_path / "junk.pem"
    junk.write_text("not pem\n")
    with pytest.raises(ValueError, match="not a PEM certificate"):
        check_pair(junk, issued.key)
    with pytest.raises(ValueError, match="not a PEM private key"):
        check_pair(issued.cert, junk)
    with pytest.raises(ValueError, match="not a PEM certificate"):
        not_after(junk)


# --- inject-ca -------------------------------------------------------------------------------

MANIFEST = """\
# evictguard webhook: apply after `evictguard certs inject-ca`
apiVersion: v1
kind: ConfigMap
metadata:
  name: trust
data:
  caBundle: keep-me   # not a webhook: untouched
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: evictguard
  annotations:
    caBundle: "annotation stays"
webhooks:
  - name: validate.evictguard.io   # the main one
    clientConfig:
      # filled in by inject-ca
      caBundle: ""
      service: {name: evictguard, namespace: evictguard-system, path: /validate}
    admissionReviewVersions: ["v1"]
  - name: empty.evictguard.io
    clientConfig:
      caBundle:   # empty on purpose
      url: https://evictguard.example/validate
  - name: block.evictguard.io
    clientConfig:
      caBundle: |
        b2xkCg==

      url: https://evictguard.example/block
---
# a Service is not a webhook configuration, even with a clientConfig-like shape
apiVersion: v1
kind: Service
metadata:
  name: evictguard
spec:
  clientConfig:
    caBundle: leave-me
---
kind: MutatingWebhookConfiguration
apiVersion: admissionregistration.k8s.io/v1
metadata: {name: evictguard-mutate}
webhooks:
- name: mutate.evictguard.io
  clientConfig:
    service:
      name: evictguard
      namespace: evictguard-system
  sideEffects: None
"""


def expected_manifest(bundle: str) -> str:
    return (
        MANIFEST.replace('      caBundle: ""\n', f'      caBundle: "{bundle}"\n')
        .replace("caBundle:   # empty", f"caBundle: {bundle}   # empty")
        .replace("caBundle: |\n        b2xkCg==\n", f"caBundle: {bundle}\n")
        .replace(
            "  clientConfig:\n    service:\n",
            f"  clientConfig:\n    caBundle: {bundle}\n    service:\n",
        )
    )


def test_inject_text_keeps_everything_but_the_webhook_ca_bundles() -> None:
    bundle = "QUJD"
    new, configurations, fields = inject_text(MANIFEST, bundle)
    assert (configurations, fields) == (2, 4)
    assert new == expected_manifest(bundle)
    docs = list(yaml.safe_load_all(new))
    assert docs[0]["data"]["caBundle"] == "keep-me"
    assert docs[1]["metadata"]["annotations"]["caBundle"] == "annotation stays"
    assert [w["clientConfig"]["caBundle"] for w in docs[1]["webhooks"]] == [bundle] * 3
    assert docs[2]["spec"]["clientConfig"]["caBundle"] == "leave-me"
    assert docs[3]["webhooks"][0]["clientConfig"]["caBundle"] == bundle
    assert inject_text(new, bundle) == (new, 2, 4)  # idempotent


def test_inject_text_crlf_and_lists() -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- kind: ValidatingWebhookConfiguration\n"
        "  webhooks:\n  - name: a\n    clientConfig:\n      url: https://a\n"
    ).replace("\n", "\r\n")
    new, configurations, fields = inject_text(text, "QUJD")
    assert (configurations, fields) == (1, 1)
    assert new == text.replace(
        "    clientConfig:\r\n", "    clientConfig:\r\n      caBundle: QUJD\r\n"
    )


@pytest.mark.parametrize(
    ("text", "old", "new"),
    [
        # JSON stays JSON at its own indentation.
        (
            '{\n  "kind": "ValidatingWebhookConfiguration",\n  "webhooks": [\n    {\n'
            '      "name": "a",\n      "clientConfig": {\n        "caBundle": "",\n'
            '        "url": "https://a"\n      }\n    }\n  ]\n}\n',
            '"caBundle": ""',
            '"caBundle": "QUJD"',
        ),
        # A clientConfig two webhooks share through an alias is one field; a quoted value
        # keeps its quotes and the gap before its comment.
        (
            "kind: MutatingWebhookConfiguration\nwebhooks:\n- name: a\n  clientConfig: &cc\n"
            "    caBundle: 'old'  # rotated yearly\n    url: https://a\n"
            "- name: b\n  clientConfig: *cc\n",
            "'old'",
            "'QUJD'",
        ),
    ],
)
def test_inject_text_json_aliases_and_quoted_comments(text: str, old: str, new: str) -> None:
    assert inject_text(text, "QUJD") == (text.replace(old, new), 1, 1)


def test_inject_files_all_or_nothing(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(MANIFEST)
    flow = tmp_path / "flow.yaml"
    flow_text = (
        "kind: ValidatingWebhookConfiguration\nmetadata: {name: cfg}\n"
        "webhooks:\n- name: flow.evictguard.io\n  clientConfig: {url: 'https://x'}\n"
    )
    flow.write_text(flow_text)
    with pytest.raises(InjectError) as caught:
        inject_files([good, flow], "QUJD")
    message = str(caught.value)
    assert str(flow) in message and "'flow.evictguard.io'" in message and "cfg" in message
    assert good.read_text() == MANIFEST and flow.read_text() == flow_text


def test_inject_files_keeps_mode_and_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text(MANIFEST)
    os.chmod(real, 0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    [result] = inject_files([link], "QUJD")
    assert (result.configurations, result.fields) == (2, 4)
    assert link.is_symlink() and real.read_text() == expected_manifest("QUJD")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


# --- the command line, as a user runs it ---------------------------------------------------


def test_cli_generate_then_inject(tmp_path: Path) -> None:
    out = tmp_path / "tls"
    proc = run_cli(
        "certs", "generate", "--service", SERVICE, "--namespace", NAMESPACE, "--out", str(out),
        "--san", "127.0.0.1", "--san", "localhost", "--key-type", "rsa", "--days", "30",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    for name in ("ca.crt", "ca.key", "tls.crt", "tls.key"):
        assert f"wrote {out / name}" in proc.stdout
    bundle = ca_bundle(out / "ca.crt")
    assert f"caBundle: {bundle}\n" in proc.stdout
    assert isinstance(load(out / "tls.crt").public_key(), rsa.RSAPublicKey)
    assert (
        handshake(
            CertFiles(out / "ca.crt", out / "ca.key", out / "tls.crt", out / "tls.key"), "localhost"
        )
        == b"ok"
    )

    again = run_cli(
        "certs", "generate", "--service", SERVICE, "--namespace", NAMESPACE, "--out", str(out)
    )
    assert again.returncode == 2
    assert "refusing to overwrite" in again.stderr and "--force" in again.stderr
    assert ca_bundle(out / "ca.crt") == bundle

    forced = run_cli(
        "certs", "generate", "--service", SERVICE, "--namespace", NAMESPACE, "--out", str(out),
        "--force",
    )  # fmt: skip
    assert forced.returncode == 0, forced.stderr
    assert ca_bundle(out / "ca.crt") != bundle

    manifest = tmp_path / "webhook.yaml"
    manifest.write_text(MANIFEST)
    proc = run_cli("certs", "inject-ca", "--ca", str(out / "ca.crt"), str(manifest))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{manifest}: set 4 caBundle field(s) in 2 webhook configuration(s)\n"
    assert manifest.read_text() == expected_manifest(ca_bundle(out / "ca.crt"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--service", "Bad_Name"], "service 'Bad_Name' is not a valid name"),
        (["--san", "no spaces"], "SAN 'no spaces' is neither"),
        (["--days", "0"], "--days: must be at least 1"),
        (["--days", "soon"], "'soon' is not a whole number of days"),
        (["--key-type", "dsa"], "invalid choice: 'dsa'"),
    ],
)
def test_cli_generate_bad_inputs(tmp_path: Path, args: list[str], message: str) -> None:
    base = {"--service": SERVICE, "--namespace": NAMESPACE, "--out": str(tmp_path / "out")}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    proc = run_cli("certs", "generate", *(item for pair in base.items() for item in pair))
    assert proc.returncode == 2
    assert message in proc.stderr
    assert not (tmp_path / "out").exists()


def test_cli_generate_out_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    proc = run_cli(
        "certs", "generate", "--service", SERVICE, "--namespace", NAMESPACE, "--out", str(target)
    )
    assert proc.returncode == 2
    assert "is not a folder" in proc.stderr


@pytest.fixture(scope="module")
def ca_dir(tmp_path_factory: pytest.TempPathFactory) -> CertFiles:
    return generate(tmp_path_factory.mktemp("cli-ca"), SERVICE, NAMESPACE)


def test_cli_inject_ca_bad_inputs(ca_dir: CertFiles, tmp_path: Path) -> None:
    manifest = tmp_path / "webhook.yaml"
    manifest.write_text(MANIFEST)
    configmap = tmp_path / "configmap.yaml"
    configmap.write_text("kind: ConfigMap\ndata:\n  caBundle: x\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: ValidatingWebhookConfiguration\nwebhooks: [\n")
    no_client = tmp_path / "noclient.yaml"
    no_client.write_text("kind: MutatingWebhookConfiguration\nwebhooks:\n- name: w.example.io\n")
    ca, missing = str(ca_dir.ca_cert), str(tmp_path / "missing.yaml")
    cases = [
        (["--ca", str(tmp_path / "nope.crt"), str(manifest)], "CA file", "does not exist"),
        (["--ca", str(ca_dir.ca_key), str(manifest)], str(ca_dir.ca_key), "not a PEM certificate"),
        (["--ca", str(tmp_path), str(manifest)], "cannot read CA file", str(tmp_path)),
        (["--ca", ca, missing], missing, "no such file"),
        (["--ca", ca, str(broken)], str(broken), "not valid YAML"),
        (["--ca", ca, str(no_client)], "'w.example.io'", "no clientConfig"),
        (["--ca", ca, str(configmap)], "no ValidatingWebhookConfiguration", str(configmap)),
        (["--ca", ca], "the following arguments are required: MANIFEST", ""),
    ]  # fmt: skip
    for args, *messages in cases:
        proc = run_cli("certs", "inject-ca", *args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        for message in messages:
            assert message in proc.stderr, (args, proc.stderr)
    assert manifest.read_text() == MANIFEST
    assert configmap.read_text() == "kind: ConfigMap\ndata:\n  caBundle: x\n"


def test_cli_certs_needs_a_subcommand() -> None:
    proc = run_cli("certs")
    assert proc.returncode == 2
    assert "generate" in proc.stderr and "inject-ca" in proc.stderr


def test_cli_module_does_not_import_cryptography() -> None:
    code = (
        "import argparse, sys, evictguard.cli.certs as cli; "
        "cli.configure(argparse.ArgumentParser()); print('cryptography' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    assert proc.stdout.strip() == "False"


# --- renewing the serving certificate under the same CA ------------------------------------

CA_NAMES = ("ca.crt", "ca.key")


def snapshot(folder: Path, names: tuple[str, ...] = CA_NAMES) -> dict[str, tuple[bytes, int]]:
    """Bytes and mode of each file: what "left unchanged" means."""
    return {
        n: ((folder / n).read_bytes(), stat.S_IMODE((folder / n).stat().st_mode)) for n in names
    }


@pytest.mark.parametrize("key_type", ["ecdsa", "rsa"])
def test_renew_reissues_the_leaf_under_the_unchanged_ca(tmp_path: Path, key_type: str) -> None:
    first = generate(tmp_path, SERVICE, NAMESPACE, days=30, key_type=key_type)
    ca_before = snapshot(tmp_path)
    bundle = ca_bundle(first.ca_cert)
    old_leaf = load(first.cert)

    renewed = renew(tmp_path, SERVICE, NAMESPACE, extra_sans=["127.0.0.1", "localhost"], days=90)

    assert renewed == first
    assert snapshot(tmp_path) == ca_before  # byte for byte, modes too
    assert ca_bundle(renewed.ca_cert) == bundle  # so the webhooks' caBundle still holds
    leaf, ca = load(renewed.cert), load(renewed.ca_cert)
    assert leaf.serial_number != old_leaf.serial_number
    assert leaf.public_key() != old_leaf.public_key()  # a new key too
    leaf.verify_directly_issued_by(ca)
    assert leaf.issuer == ca.subject
    aki = ext(leaf, x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ext(ca, x509.SubjectKeyIdentifier).value.digest
    check_pair(renewed.cert, renewed.key)
    # The SANs asked for this time, not the old ones; the CA's key type by default.
    san = ext(leaf, x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [*DNS_SANS, "localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert isinstance(leaf.public_key(), rsa.RSAPublicKey) is (key_type == "rsa")
    assert leaf.not_valid_after_utc > old_leaf.not_valid_after_utc + dt.timedelta(days=59)
    assert stat.S_IMODE(renewed.key.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca.crt", "ca.key", "tls.crt", "tls.key"]
    # A client that trusts only the old ca.crt (the API server, through the caBundle) accepts
    # the renewed certificate in a real handshake.
    assert handshake(renewed, "localhost", ca_file=first.ca_cert) == b"ok"


def test_renew_with_another_key_type_and_without_a_leaf(tmp_path: Path) -> None:
    files = generate(tmp_path, SERVICE, NAMESPACE, key_type="rsa")
    files.cert.unlink()
    files.key.unlink()
    ca_before = snapshot(tmp_path)
    renew(tmp_path, SERVICE, NAMESPACE, extra_sans=["127.0.0.1"], key_type="ecdsa")
    assert snapshot(tmp_path) == ca_before
    assert isinstance(load(files.cert).public_key(), ec.EllipticCurvePublicKey)
    load(files.cert).verify_directly_issued_by(load(files.ca_cert))
    assert handshake(files, "127.0.0.1") == b"ok"


def test_generated_ca_outlives_the_leaf_by_years(tmp_path: Path) -> None:
    """Renewing is only worth having if the CA lasts: 10 years by default."""
    files = generate(tmp_path, SERVICE, NAMESPACE, days=365)
    ca_life = load(files.ca_cert).not_valid_after_utc - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(days=3649) < ca_life <= dt.timedelta(days=3650)
    long = generate(tmp_path / "long", SERVICE, NAMESPACE, days=5000)
    assert load(long.ca_cert).not_valid_after_utc >= not_after(long.cert) + dt.timedelta(days=30)
    short = generate(tmp_path / "short", SERVICE, NAMESPACE, days=10, ca_days=20)
    ca_life = load(short.ca_cert).not_valid_after_utc - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(days=19) < ca_life <= dt.timedelta(days=20)
    with pytest.raises(ValueError, match="the CA must outlive the serving certificate"):
        generate(tmp_path / "bad", SERVICE, NAMESPACE, days=30, ca_days=29)
    assert not (tmp_path / "bad").exists()


def _expired_ca(folder: Path) -> None:
    """A CA that was valid, and is no longer."""
    key = ec.generate_private_key(ec.SECP256R1())
    end = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    ca = _ca_cert(key, "old CA", end - dt.timedelta(days=365), end)
    (folder / "ca.key").write_bytes(_key_pem(key))
    (folder / "ca.crt").write_bytes(_cert_pem(ca))


@pytest.fixture
def renewable(tmp_path: Path) -> Path:
    folder = tmp_path / "tls"
    generate(folder, SERVICE, NAMESPACE, days=10, ca_days=60)
    return folder


@pytest.mark.parametrize(
    ("damage", "kwargs", "match"),
    [
        ("no-ca-crt", {}, r"cannot renew: CA certificate .*ca\.crt does not exist"),
        ("no-ca-key", {}, r"cannot renew: CA private key .*ca\.key does not exist"),
        ("other-ca-key", {}, r"ca\.key does not match the certificate in .*ca\.crt"),
        ("leaf-as-ca", {}, r"ca\.crt is not a CA certificate"),
        ("junk-ca-crt", {}, r"ca\.crt is not a PEM certificate"),
        ("junk-ca-key", {}, r"ca\.key is not a PEM private key"),
        ("expired-ca", {}, r"cannot renew: the CA in .*ca\.crt expired on"),
        ("none", {"days": 61}, r"cannot renew for 61 days: .* ask for (59|60) days or fewer"),
        ("none", {"days": 0}, "days must be"),
        ("none", {"key_type": "dsa"}, "unknown key type 'dsa'"),
        ("none", {"extra_sans": ["bad name"]}, "SAN 'bad name' is neither"),
    ],
)
def test_renew_refuses_and_writes_nothing(
    renewable: Path, tmp_path: Path, damage: str, kwargs: dict, match: str
) -> None:
    other = generate(tmp_path / "other", SERVICE, NAMESPACE)
    if damage == "no-ca-crt":
        (renewable / "ca.crt").unlink()
    elif damage == "no-ca-key":
        (renewable / "ca.key").unlink()
    elif damage == "other-ca-key":
        (renewable / "ca.key").write_bytes(other.ca_key.read_bytes())
    elif damage == "leaf-as-ca":
        (renewable / "ca.crt").write_bytes((renewable / "tls.crt").read_bytes())
        (renewable / "ca.key").write_bytes((renewable / "tls.key").read_bytes())
    elif damage == "junk-ca-crt":
        (renewable / "ca.crt").write_text("not pem\n")
    elif damage == "junk-ca-key":
        (renewable / "ca.key").write_text("not pem\n")
    elif damage == "expired-ca":
        _expired_ca(renewable)
    names = tuple(sorted(p.name for p in renewable.iterdir()))
    before = snapshot(renewable, names)
    with pytest.raises(ValueError, match=match):
        renew(renewable, SERVICE, NAMESPACE, **kwargs)
    assert snapshot(renewable, names) == before
    assert tuple(sorted(p.name for p in renewable.iterdir())) == names  # no temp files


def test_renew_an_encrypted_or_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"CA certificate .*ca\.crt does not exist"):
        renew(tmp_path / "nowhere", SERVICE, NAMESPACE)
    assert not (tmp_path / "nowhere").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is not a folder"):
        renew(tmp_path / "file", SERVICE, NAMESPACE)
    files = generate(tmp_path / "enc", SERVICE, NAMESPACE)
    key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    files.ca_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    with pytest.raises(ValueError, match=r"CA private key .*ca\.key is encrypted"):
        renew(files.ca_cert.parent, SERVICE, NAMESPACE)


def test_renew_from_a_rotation_bundle_uses_the_ca_the_key_belongs_to(tmp_path: Path) -> None:
    """ca.crt holding old + new CA (the rotation trick): the leaf is signed by the one
    ca.key matches."""
    old = generate(tmp_path / "old", SERVICE, NAMESPACE)
    new = generate(tmp_path / "new", SERVICE, NAMESPACE, extra_sans=["127.0.0.1"])
    bundle = old.ca_cert.read_bytes() + new.ca_cert.read_bytes()
    new.ca_cert.write_bytes(bundle)
    renew(new.ca_cert.parent, SERVICE, NAMESPACE, extra_sans=["127.0.0.1"])
    assert new.ca_cert.read_bytes() == bundle
    load(new.cert).verify_directly_issued_by(x509.load_pem_x509_certificates(bundle)[1])
    assert handshake(new, "127.0.0.1") == b"ok"


def test_cli_generate_renew(tmp_path: Path) -> None:
    out = tmp_path / "tls"
    common = ["certs", "generate", "--service", SERVICE, "--namespace", NAMESPACE]
    proc = run_cli(*common, "--out", str(out), "--key-type", "rsa")
    assert proc.returncode == 0, proc.stderr
    bundle_line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("caBundle: "))
    ca_before = snapshot(out)
    old_cert = (out / "tls.crt").read_bytes()

    proc = run_cli(*common, "--out", str(out), "--renew", "--days", "30", "--san", "localhost")
    assert proc.returncode == 0, proc.stderr
    assert f"kept {out / 'ca.crt'}" in proc.stdout and f"kept {out / 'ca.key'}" in proc.stdout
    assert f"wrote {out / 'ca.crt'}" not in proc.stdout
    assert f"wrote {out / 'tls.crt'}  (serving certificate, rsa)" in proc.stdout
    assert f"wrote {out / 'tls.key'}" in proc.stdout
    assert bundle_line in proc.stdout.splitlines()  # the caBundle printed is the same
    assert snapshot(out) == ca_before
    assert (out / "tls.crt").read_bytes() != old_cert
    load(out / "tls.crt").verify_directly_issued_by(load(out / "ca.crt"))
    files = CertFiles(out / "ca.crt", out / "ca.key", out / "tls.crt", out / "tls.key")
    assert handshake(files, "localhost") == b"ok"

    cases = [
        (["--out", str(tmp_path / "empty"), "--renew"], "cannot renew: CA certificate"),
        (["--out", str(out), "--renew", "--force"], "not allowed with argument"),
        (["--out", str(out), "--renew", "--ca-days", "90"], "--ca-days does not go with --renew"),
        (["--out", str(out), "--renew", "--days", "4000"], "cannot renew for 4000 days"),
    ]
    for args, message in cases:
        before = snapshot(out, (*CA_NAMES, "tls.crt", "tls.key"))
        proc = run_cli(*common, *args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert message in proc.stderr, (args, proc.stderr)
        assert snapshot(out, (*CA_NAMES, "tls.crt", "tls.key")) == before
    assert not (tmp_path / "empty").exists()
