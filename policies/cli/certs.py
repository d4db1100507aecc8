"""`evictguard certs generate [--renew]|inject-ca`: TLS material for the webhook (`certs`),
and the caBundle in its configuration (`lint.inject_ca`, which edits manifests as `fix`
does). The command lives here, in the CLI layer, because `certs` imports nothing else of
evictguard.

Nothing heavy is imported here at import time: every `evictguard` command builds this
parser, and `lint` must not pay for loading `cryptography`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

EXIT_OK, EXIT_ERROR = 0, 2


def _fail(command: str, message: str) -> int:
    print(f"evictguard: certs {command}: {message}", file=sys.stderr)
    return EXIT_ERROR


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of days") from None
    if days < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return days


def cmd_generate(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from ..certs.generate import ca_bundle, generate, renew
    from ..certs.inspect import load_certificate, not_after
    from ..certs.names import subject_names

    if args.renew and args.ca_days is not None:
        return _fail("generate", "--ca-days does not go with --renew: the CA is kept as it is")
    where = (args.out, args.service, args.namespace)
    common: dict[str, Any] = {"extra_sans": args.san or (), "days": args.days}
    try:
        if args.renew:
            files = renew(*where, key_type=args.key_type, **common)
        else:
            key_type = args.key_type or "ecdsa"
            files = generate(
                *where, key_type=key_type, force=args.force, ca_days=args.ca_days, **common
            )
    except (ValueError, FileExistsError) as exc:
        return _fail("generate", str(exc))
    except OSError as exc:
        return _fail("generate", f"cannot write to {args.out}: {exc.strerror or exc}")
    names = subject_names(args.service, args.namespace, args.san or ())
    sans = [*names.dns, *(str(ip) for ip in names.ips)]
    public_key = load_certificate(files.cert).public_key()
    key_type = "rsa" if isinstance(public_key, rsa.RSAPublicKey) else "ecdsa"
    ca_until = f"valid until {not_after(files.ca_cert):%Y-%m-%d}"
    if args.renew:
        print(f"kept {files.ca_cert}  (CA certificate, {ca_until}: unchanged, as is the caBundle)")
        print(f"kept {files.ca_key}  (CA private key)")
    else:
        print(f"wrote {files.ca_cert}  (CA certificate, {ca_until})")
        print(f"wrote {files.ca_key}  (CA private key: keep it secret; it re-issues tls.crt)")
    print(f"wrote {files.cert}  (serving certificate, {key_type})")
    print(f"wrote {files.key}  (serving private key)")
    print(f"names: {', '.join(sans)}")
    print(f"valid until: {not_after(files.cert):%Y-%m-%d %H:%M:%S} UTC")
    print(f"caBundle: {ca_bundle(files.ca_cert)}")
    return EXIT_OK


def cmd_inject_ca(args: argparse.Namespace) -> int:
    from ..certs.generate import ca_bundle
    from ..lint.inject_ca import InjectError, inject_files

    try:
        bundle = ca_bundle(args.ca)
    except FileNotFoundError:
        return _fail("inject-ca", f"CA file {args.ca} does not exist")
    except OSError as exc:
        return _fail("inject-ca", f"cannot read CA file {args.ca}: {exc.strerror or exc}")
    except ValueError as exc:
        return _fail("inject-ca", str(exc))
    try:
        results = inject_files(args.manifests, bundle)
    except InjectError as exc:
        return _fail("inject-ca", f"{exc} (no file was changed)")
    except OSError as exc:
        return _fail("inject-ca", f"cannot write {exc.filename}: {exc.strerror or exc}")
    for result in results:
        if result.configurations:
            print(
                f"{result.path}: set {result.fields} caBundle field(s) "
                f"in {result.configurations} webhook configuration(s)"
            )
        else:
            print(f"{result.path}: no webhook configurations, unchanged")
    if not any(result.configurations for result in results):
        return _fail(
            "inject-ca",
            "no ValidatingWebhookConfiguration or MutatingWebhookConfiguration in "
            + ", ".join(str(result.path) for result in results),
        )
    return EXIT_OK


def configure(parser: argparse.ArgumentParser) -> None:
    """Add `generate` and `inject-ca` under `evictguard certs`."""
    commands = parser.add_subparsers(dest="certs_command", required=True)

    generate = commands.add_parser(
        "generate",
        help="a CA and a serving certificate for the webhook Service (--renew: only the latter)",
        description="Write ca.crt, ca.key, tls.crt and tls.key for SERVICE in NAMESPACE, "
        "and print the caBundle. With --renew, re-issue only tls.crt and tls.key from the CA "
        "already in DIR, which stays as it is (and so does the caBundle).",
    )
    generate.add_argument("--service", required=True, metavar="NAME", help="Service name")
    generate.add_argument("--namespace", required=True, metavar="NS", help="Service namespace")
    generate.add_argument("--out", required=True, metavar="DIR", help="folder to write into")
    generate.add_argument(
        "--san",
        action="append",
        metavar="NAME_OR_IP",
        help="another DNS name or IP address for the certificate (repeatable)",
    )
    generate.add_argument(
        "--days",
        type=_days,
        default=365,
        help="serving certificate validity in days (default: 365)",
    )
    generate.add_argument(
        "--ca-days",
        type=_days,
        metavar="DAYS",
        help="CA validity in days, at least --days (default: 3650, or --days + 30 if longer); "
        "the serving certificate can be renewed under the same caBundle until then",
    )
    generate.add_argument(
        "--key-type",
        choices=("ecdsa", "rsa"),
        help="ECDSA P-256 or RSA 2048 (default: ecdsa; with --renew, the CA key's type)",
    )
    mode = generate.add_mutually_exclusive_group()
    mode.add_argument("--force", action="store_true", help="replace existing files")
    mode.add_argument(
        "--renew",
        action="store_true",
        help="re-issue only tls.crt and tls.key, signed by ca.crt and ca.key in DIR (which are "
        "left unchanged, so the webhooks' caBundle stays valid)",
    )
    generate.set_defaults(handler=cmd_generate)

    inject = commands.add_parser(
        "inject-ca",
        help="write the caBundle into webhook configurations, in place",
        description="Set clientConfig.caBundle of every Validating/MutatingWebhookConfiguration "
        "in MANIFEST files to the base64 of the CA certificate; comments and layout are kept.",
    )
    inject.add_argument("--ca", required=True, metavar="FILE", help="CA certificate (PEM)")
    inject.add_argument("manifests", nargs="+", metavar="MANIFEST", help="YAML file to edit")
    inject.set_defaults(handler=cmd_inject_ca)
