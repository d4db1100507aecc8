"""`evictguard`: a thin command line over the engine (lint, rules, explain).

Exit codes: 0 nothing at or above --fail-on; 1 findings; 2 usage, policy or input errors.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import textwrap
from collections.abc import Iterable, Sequence
from typing import TextIO

from ..engine.registry import RULES
from ..formatters import FORMATS
from ..lint import across, kustomize
from ..lint.files import (
    PROGRESS_THRESHOLD,
    LintOptions,
    count_at_or_above,
    lint_parallel,
    sort_report,
)
from ..model import InputError
from ..policy.load import load_preset, resolve_policy
from ..policy.model import ConfigError
from ..rules.base import explain_sections, fix_availability
from ..webhook import serve as serve_command
from ..yaml.loader import SourceText, load_text
from ..yaml.sources import expand_paths, read_expanded
from . import certs as certs_command
from . import export as export_command
from . import fix as fix_command
from .selection import UsageError, select_rules, warn_selected_but_off

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _use_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or (hasattr(stream, "isatty") and stream.isatty())


def _format(args: argparse.Namespace) -> str:
    """--format, else `github` inside GitHub Actions (annotations on the diff), else text."""
    if args.format:
        return str(args.format)
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def _lint_options(
    args: argparse.Namespace, sources: list[SourceText]
) -> tuple[LintOptions, list[InputError]]:
    """The options, and the input errors found in the cluster context of the input (a bad
    LimitRange is reported where it stands and left out; the rest is still linted)."""
    options = LintOptions(skip_non_kubernetes=args.skip_non_kubernetes)
    if not (args.as_admitted or args.cluster_context):
        return options, []
    from ..lint.as_admitted import build_admitter  # LimitRange, defaulting, admission plugins

    if args.cluster_context:
        build_admitter([], args.cluster_context)  # a bad --cluster-context is a usage error
    context = [
        item
        for source in sources
        # Only LimitRanges and Namespaces matter: don't parse every file twice to find them.
        if source.text is not None and ("LimitRange" in source.text or "Namespace" in source.text)
        for item in load_text(source.text, source.name).objects
    ]
    errors: list[InputError] = []
    admit = build_admitter(context, args.cluster_context, problems_out=errors)
    return dataclasses.replace(options, admit=admit), errors


def cmd_lint(args: argparse.Namespace) -> int:
    base = resolve_policy(args.config)
    warn_selected_but_off(base, args.select)
    policy = select_rules(base, args.select, args.ignore)
    # Files are read as they are linted; only --as-admitted reads them all first (for the
    # LimitRanges and Namespaces among them).
    expanded = list(expand_paths(args.paths))  # names only: the folders are walked once
    plan, claimed = kustomize.plan_inputs(args.paths)  # kustomize roots, the files they use
    builds = kustomize.build_roots(plan, args.kustomize_binary)
    for note in builds.notes:
        print(f"evictguard: note: {note}", file=sys.stderr)
    expanded = kustomize.remaining(expanded, claimed, builds)
    total = len(expanded)
    sources: Iterable[SourceText] = read_expanded(expanded)
    context_errors: list[InputError] = []
    options = LintOptions(skip_non_kubernetes=args.skip_non_kubernetes)
    if args.as_admitted or args.cluster_context:
        sources = list(sources)
        options, context_errors = _lint_options(args, [*sources, *kustomize.built_sources(builds)])
    progress = sys.stderr if sys.stderr.isatty() and total > PROGRESS_THRESHOLD else None
    report = lint_parallel(sources, policy, options, args.jobs, progress, total)
    kustomize.lint_builds(builds, policy, options.admit, into=report)
    across.judge(report, policy)  # budgets with the workloads of the whole input
    report.errors.extend(context_errors)
    sort_report(report)  # one order in every format
    chosen = _format(args)
    out = sys.stdout
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(FORMATS[chosen](report, colour=False))
        chosen = "text" if chosen != "github" else chosen  # the terminal still gets text
    out.write(FORMATS[chosen](report, colour=_use_colour(out)))
    out.flush()
    if report.errors:
        return EXIT_ERROR
    if report.notices and not report.files and not args.skip_non_kubernetes:
        # Only Helm charts or templates: nothing was checked, which must not pass as clean.
        # (The pre-commit hook's mode skips what is not a manifest: it passes with the note.)
        print(
            "evictguard: nothing was linted (see the notices): lint the rendered output",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_FINDINGS if count_at_or_above(report, args.fail_on) else EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    policy = resolve_policy(args.config)
    width = max(len(rule_id) for rule_id in RULES)
    for rule_id, rule in RULES.items():
        # Its fix: safe (`fix` applies it), unsafe (only `fix --unsafe-fixes`), or none.
        fix = fix_availability(rule).replace(" or ", "/")
        print(f"{rule_id:<{width}}  {policy.mode(rule_id).value:<7}  {fix:<6}  {rule.summary}")
    return EXIT_OK


def _paragraph(text: str) -> str:
    return textwrap.fill(
        text, width=88, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False
    )


def cmd_explain(args: argparse.Namespace) -> int:
    rule = RULES.get(args.rule)
    if rule is None:
        raise UsageError(f"unknown rule {args.rule!r} (see `evictguard rules`)")
    mode = load_preset("default").mode(rule.id)
    print("\n\n".join([rule.id, *explain_sections(rule, mode, _paragraph)]))
    return EXIT_OK


class _Version(argparse.Action):
    """`--version`: the installed distribution's version (looked up only when asked)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from ..formatters.sarif import tool_version  # metadata, else the package's own

        print(f"evictguard {tool_version()}")
        parser.exit(EXIT_OK)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evictguard",
        description="Keep Kubernetes workloads from being OOM-killed, evicted, or stranded.",
    )
    parser.add_argument(
        "--version", action=_Version, nargs=0, help="print evictguard's version and exit"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    lint = commands.add_parser("lint", help="lint manifest files, folders, or - (stdin)")
    lint.add_argument("paths", nargs="+", metavar="PATH", help="file, folder, or - for stdin")
    lint.add_argument(
        "--format",
        choices=sorted(FORMATS),
        help="output format (default: github inside GitHub Actions, else text)",
    )
    lint.add_argument(
        "--output",
        metavar="FILE",
        help="write the --format report to FILE; the terminal still gets text (workflow "
        "commands inside GitHub Actions)",
    )
    lint.add_argument(
        "--config",
        metavar="FILE",
        help="policy file (default: .evictguard.yaml found upwards, else the packaged default)",
    )
    lint.add_argument(
        "--select",
        action="append",
        metavar="RULES",
        help="only these rules (comma-separated ids or globs); modes stay the policy's",
    )
    lint.add_argument(
        "--ignore",
        action="append",
        metavar="RULES",
        help="skip these rules (comma-separated ids or globs)",
    )
    lint.add_argument(
        "--fail-on",
        choices=("error", "warning", "never"),
        default="error",
        help="lowest severity that makes the exit code 1 (default: error)",
    )
    lint.add_argument(
        "--skip-non-kubernetes",
        action="store_true",
        help="skip documents that are not Kubernetes objects quietly (the pre-commit hook's "
        "mode: other YAML in a repository) instead of reporting them",
    )
    lint.add_argument(
        "--as-admitted",
        action="store_true",
        help="lint objects as the cluster would admit them: LimitRange defaults, API "
        "defaulting, DefaultTolerationSeconds, namespace default tolerations (from "
        "LimitRange and Namespace objects in the input or in --cluster-context)",
    )
    lint.add_argument(
        "--cluster-context",
        metavar="DIR",
        help="LimitRange and Namespace manifests describing the target cluster (implies "
        "--as-admitted)",
    )
    lint.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="lint files in N processes (default: the number of cores); output is the same",
    )
    lint.add_argument(
        "--kustomize-binary",
        metavar="PATH",
        help="build kustomizations with this binary (kustomize, or kubectl for `kubectl "
        "kustomize`; default: kustomize, else kubectl, whichever is installed)",
    )
    lint.set_defaults(handler=cmd_lint)

    fix = commands.add_parser(
        "fix", help="apply the safe fixes to manifest files in place, keeping their layout"
    )
    fix_command.configure(fix)

    rules = commands.add_parser(
        "rules", help="list every rule with its mode and its fix (safe, unsafe or none)"
    )
    rules.add_argument(
        "--config", metavar="FILE", help="show modes from this policy (default: as lint finds it)"
    )
    rules.set_defaults(handler=cmd_rules)

    explain = commands.add_parser("explain", help="what a rule checks, why, and how to fix it")
    explain.add_argument("rule", metavar="RULE")
    explain.set_defaults(handler=cmd_explain)

    # The webhook's door lives in its own package, the certs tools' in cli.certs; each module
    # adds its own arguments and handler, and imports its heavy dependencies only when run.
    serve = commands.add_parser("serve", help="run the admission webhook (gunicorn, TLS)")
    serve_command.configure(serve)
    certs = commands.add_parser("certs", help="TLS material for the webhook")
    certs_command.configure(certs)
    export = commands.add_parser(
        "export", help="the policy as Kubernetes native admission policies (CEL, no webhook)"
    )
    export_command.configure(export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_ERROR
    except UsageError as exc:
        print(f"evictguard: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
