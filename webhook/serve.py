"""`evictguard serve`: check the policy, make a development certificate if there is none,
then hand the process over to gunicorn (exec, so SIGTERM reaches its master directly and
shutdown is graceful)."""

from __future__ import annotations

import argparse
import os
import sys
from importlib import resources
from pathlib import Path

DEFAULT_BIND = "0.0.0.0:8443"
DEFAULT_THREADS = 4  # per worker: CPU-bound under the GIL, more threads only queue
DEV_SERVICE, DEV_NAMESPACE = "evictguard", "evictguard"
DEV_SANS = ("localhost", "127.0.0.1", "::1")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bind",
        default=DEFAULT_BIND,
        metavar="HOST:PORT",
        help=f"address to listen on, TLS only (default {DEFAULT_BIND}; [::1]:8443 for IPv6)",
    )
    parser.add_argument(
        "--cert-dir",
        default="certs/dev",
        metavar="DIR",
        help="tls.crt and tls.key (and ca.crt); a development CA and certificate are "
        "generated there when it holds none (default certs/dev)",
    )
    parser.add_argument(
        "--policy",
        metavar="FILE",
        help="policy file, re-read when it changes (default: the packaged default preset)",
    )
    parser.add_argument(
        "--client-ca",
        metavar="FILE",
        help="CA bundle the API server's client certificate must chain to (see the "
        "AdmissionConfiguration's kubeConfigFile); /validate and /mutate then refuse "
        "callers without one, while the probes on /healthz and /readyz need none",
    )
    parser.add_argument("--workers", type=int, default=2, metavar="N")
    parser.add_argument(
        "--threads", type=int, default=DEFAULT_THREADS, metavar="N", help="per worker (default 4)"
    )
    parser.add_argument(
        "--max-body",
        type=int,
        default=4 * 1024 * 1024,
        metavar="BYTES",
        help="larger requests are refused with 413 (default 4 MiB)",
    )
    parser.set_defaults(handler=run)


def _ensure_certificate(cert_dir: Path) -> None:
    from ..certs.generate import ca_bundle, generate
    from .tls import CERT_FILE, KEY_FILE

    if (cert_dir / CERT_FILE).exists() and (cert_dir / KEY_FILE).exists():
        return
    files = generate(cert_dir, DEV_SERVICE, DEV_NAMESPACE, extra_sans=DEV_SANS)
    print(
        f"evictguard: no certificate in {cert_dir}: generated a development CA and serving "
        f"certificate ({files.cert}) for {DEV_SERVICE}.{DEV_NAMESPACE}.svc, "
        f"{', '.join(DEV_SANS)}",
        file=sys.stderr,
    )
    print(f"evictguard: caBundle: {ca_bundle(files.ca_cert)}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from ..policy.load import load_policy_file
    from ..policy.model import ConfigError

    if args.policy:
        try:
            load_policy_file(args.policy)  # refuse to start on a bad policy
        except ConfigError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            return 2
    # abspath, not resolve(): a mounted ConfigMap or Secret is a chain of symlinks
    # (policy.yaml -> ..data/policy.yaml -> ..2026_11_29.../policy.yaml) that the kubelet
    # swaps on update; resolving it would pin the server to one version's directory.
    cert_dir = Path(os.path.abspath(args.cert_dir))
    try:
        _ensure_certificate(cert_dir)
    except (OSError, ValueError) as exc:
        print(f"evictguard: {cert_dir}: {exc}", file=sys.stderr)
        return 2
    client_ca = os.path.abspath(args.client_ca) if args.client_ca else ""
    if client_ca:
        import ssl

        try:  # refused now rather than on every connection
            ssl.create_default_context(cafile=client_ca)
        except (OSError, ssl.SSLError) as exc:
            print(f"evictguard: --client-ca {args.client_ca}: {exc}", file=sys.stderr)
            return 2
    env = dict(os.environ)
    env.update(
        EVICTGUARD_BIND=args.bind,
        EVICTGUARD_CERT_DIR=str(cert_dir),
        EVICTGUARD_WORKERS=str(args.workers),
        EVICTGUARD_THREADS=str(args.threads),
        EVICTGUARD_MAX_BODY=str(args.max_body),
        EVICTGUARD_POLICY=os.path.abspath(args.policy) if args.policy else "",
        EVICTGUARD_CLIENT_CA=client_ca,
    )
    config = str(resources.files(__package__).joinpath("gunicorn.conf.py"))
    # -P (Python 3.11+): `-m` would put the working directory first on sys.path, where a
    # folder named like a dependency (`yaml/` in a GitOps repository) would be imported
    # instead of it; gunicorn.conf.py's `chdir` keeps gunicorn from putting it back.
    safe_path = ["-P"] if sys.version_info >= (3, 11) else []
    argv = [sys.executable, *safe_path, "-m", "gunicorn", "--config", config]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)
    return 0  # not reached
