"""`evictguard certs generate|inject-ca`: TLS material for the webhook, and the caBundle in
its configuration.

Nothing heavy is imported here at import time: every `evictguard` command builds this
parser, and `lint` must not pay for loading `cryptography`.
"""

from __future__ import annotations

import argparse
import sys

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
    from .generate import ca_bundle, generate
    from .inspect import not_after
    from .names import subject_names

    try:
        files = generate(
            args.out,
            args.service,
            args.namespace,
            extra_sans=args.san or (),
            days=args.days,
            key_type=args.key_type,
            force=args.force,
        )
    except (ValueError, FileExistsError) as exc:
        return _fail("generate", str(exc))
    except OSError as exc:
        return _fail("generate", f"cannot write to {args.out}: {exc.strerror or exc}")
    names = subject_names(args.service, args.namespace, args.san or ())
    sans = [*names.dns, *(str(ip) for ip in names.ips)]
    print(f"wrote {files.ca_cert}  (CA certificate)")
    print(f"wrote {files.ca_key}  (CA private key: keep it secret; it re-issues tls.crt)")
    print(f"wrote {files.cert}  (serving certificate, {args.key_type})")
    print(f"wrote {files.key}  (serving private key)")
    print(f"names: {', '.join(sans)}")
    print(f"valid until: {not_after(files.cert):%Y-%m-%d %H:%M:%S} UTC")
    print(f"caBundle: {ca_bundle(files.ca_cert)}")
    return EXIT_OK


def cmd_inject_ca(args: argparse.Namespace) -> int:
    from .generate import ca_bundle
    from .inject import InjectError, inject_files

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
        help="a CA and a serving certificate for the webhook Service",
        description="Write ca.crt, ca.key, tls.crt and tls.key for SERVICE in NAMESPACE, "
        "and print the caBundle.",
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
        help="serving certificate validity in days (default: 365; the CA lasts 30 days longer)",
    )
    generate.add_argument(
        "--key-type", choices=("ecdsa", "rsa"), default="ecdsa", help="ECDSA P-256 or RSA 2048"
    )
    generate.add_argument("--force", action="store_true", help="replace existing files")
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
