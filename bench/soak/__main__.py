"""Faults under load: the real `evictguard serve` (gunicorn, TLS, keep-alive, 2 workers),
driven over loopback at a fixed rate while, at fixed offsets, a worker is SIGKILLed, the
serving certificate is re-issued, the policy is replaced by an invalid one and then by a
valid, different one, the arbiter gets SIGHUP, and finally SIGTERM.

    python -m bench.soak               # 200 req/s for 60 s (~70 s in all)
    python -m bench.soak --smoke       # 50 req/s for 9 s (~12 s), for CI

Every answer is compared, field by field, with the AdmissionReview `webhook.admission` gives
in-process for the same body under the policy in force when it was sent (either policy in a
short window after a policy change, as each worker looks at the file once a second). A failed
request is explained only when it was on a connection the killed worker held, or was sent
after SIGTERM; requests in flight at SIGTERM must finish. Exit 1 on a wrong answer, an
unexplained failure, or a shutdown slower than the grace period; 2 when the server does not
start; 3 on the deadline. Loopback only; the server (its whole session) is killed at the
end, on Ctrl-C, on error and on the deadline.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from .. import admission_corpus
from ..servers import run_stopping_servers, serve_defaults
from .report import problems, report, targets
from .run import Settings
from .session import soak


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    defaults = serve_defaults()
    description = __doc__.split("\n\n")[0].replace("\n", " ")
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=description)
    parser.add_argument("--rate", type=float, help="req/s (default 200; --smoke 50)")
    parser.add_argument("--duration", type=float, help="seconds (default 60; --smoke 9)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=defaults.workers)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument("--smoke", action="store_true", help="a few seconds, for CI")
    parser.add_argument(
        "--kill-while-invalid",
        action="store_true",
        help="also SIGKILL a worker while the invalid policy is in the file",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="save every figure")
    parser.add_argument("--deadline", type=float, help="give up after this many seconds")
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="work in DIR and keep it (the server's log)"
    )
    admission_corpus.add_corpus_argument(parser)
    return parser.parse_args(argv)


def settings_for(args: argparse.Namespace) -> Settings:
    rate = args.rate or (50.0 if args.smoke else 200.0)
    duration = args.duration or (9.0 if args.smoke else 60.0)
    return Settings(
        rate,
        duration,
        args.connections,
        args.workers,
        args.threads,
        args.kill_while_invalid,
        args.smoke,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = settings_for(args)
    deadline = args.deadline or (settings.duration * 2 + 120)
    began = time.monotonic()
    with contextlib.ExitStack() as stack:
        if args.keep:
            args.keep.mkdir(parents=True)  # fresh: the certificate and policy start anew
            workdir = args.keep
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="soak-")))
        results = run_stopping_servers(
            "soak",
            deadline,
            lambda started: soak(settings, args.corpus, workdir, started),
            "server stopped",
        )
    if isinstance(results, int):
        return results
    results["wall_s"] = round(time.monotonic() - began, 1)
    found = problems(results)
    results["problems"] = found
    print(report(results))
    print(targets(results))
    print(f"Total wall time: {results['wall_s']:g} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    for problem in found:
        print(f"soak: error: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
