"""`evictguard fix PATH...`: the command over `lint.fix` (which edits one text).

Output: the fixed text on stdout for `-` (stdin), a unified diff (`--- a/FILE`,
`+++ b/FILE`) with --diff, nothing otherwise; on stderr one `FILE:LINE:COL: fixed RULE` per
finding lint reported that the fixes settle (one fix may settle two: a limit and a request
set together), then `fixed N finding(s) in M file(s)` (`would fix` with --diff), and
`; K more with unsafe fixes (...): apply them with --unsafe-fixes` when some were left.

Exit codes: 0 nothing to fix; 1 files fixed (with --diff: files to fix), so a CI step or
pre-commit hook running `fix` fails when it changed something; 2 usage, policy or input
errors, which win over 1 (a file that cannot be read, decoded or parsed is reported with its
line and left alone; the other files are still fixed).
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from dataclasses import dataclass

from ..certs.files import write_atomic  # stdlib only: the one atomic write
from ..lint.fix import fix_text
from ..model import InputError, Notice
from ..policy.load import resolve_policy
from ..yaml.sources import STDIN_NAME, byte_order_mark, decode, expand_paths, read_file
from .selection import UsageError, select_rules, warn_selected_but_off

EXIT_OK, EXIT_FIXED, EXIT_ERROR = 0, 1, 2


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Apply the safe fixes (the mutating webhook's) to manifest files in place, keeping "
        "comments, key order, quoting and indentation; --unsafe-fixes applies the unsafe ones "
        "(guessed sizes, limits copied from requests) too. Exit codes: 0 nothing to fix, 1 "
        "fixes applied (or, with --diff, to apply), 2 errors."
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="file, folder, or - for stdin")
    parser.add_argument(
        "--diff",
        action="store_true",
        help="print a unified diff of the fixes instead of changing any file",
    )
    parser.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="apply the unsafe fixes too: the policy's default memory sizes (a guess) and "
        "memory limits copied from requests (see `evictguard rules`: which fix is which)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="policy file (default: .evictguard.yaml found upwards, else the packaged default)",
    )
    parser.add_argument(
        "--select",
        action="append",
        metavar="RULES",
        help="fix only these rules (comma-separated ids or globs); modes stay the policy's",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        metavar="RULES",
        help="do not fix these rules (comma-separated ids or globs)",
    )
    parser.add_argument(
        "--skip-non-kubernetes",
        action="store_true",
        help="leave documents that are not Kubernetes objects alone quietly instead of "
        "reporting them (and skipping their file)",
    )
    parser.set_defaults(handler=cmd_fix)


@dataclass
class _Input:
    name: str
    path: str | None  # None for stdin
    text: str | None
    prefix: bytes = b""  # a byte-order mark to write back
    encoding: str = "utf-8"
    error: InputError | None = None


def _inputs(paths: list[str]) -> list[_Input]:
    inputs: list[_Input] = []
    seen: set[str] = set()
    for path, error in expand_paths(paths):
        if error is not None:
            inputs.append(_Input(path, None, None, error=error))
            continue
        if path == "-":
            if "-" in seen:
                continue
            seen.add("-")
            raw, name, real = sys.stdin.buffer.read(), STDIN_NAME, None
        else:
            real = os.path.realpath(path)
            if real in seen:
                continue
            seen.add(real)
            name = path
            raw, unreadable = read_file(path)
            if unreadable is not None:
                inputs.append(_Input(name, real, None, error=unreadable))
                continue
        text, problem = decode(raw, name)
        prefix, encoding = byte_order_mark(raw)
        inputs.append(_Input(name, real, text, prefix, encoding, problem))
    return inputs


def _write(path: str, data: bytes) -> None:
    """Replace a file's content atomically, keeping its mode (and the link, for a symlink:
    `path` is already the real path)."""
    write_atomic(path, data, os.stat(path).st_mode & 0o7777)


def _label(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name.lstrip("/")


def unified_diff(name: str, before: str, after: str) -> str:
    """`--- a/FILE` / `+++ b/FILE` hunks, as `git diff` prints them (a last line without a
    line break is marked)."""
    from ..yaml.linediff import split_lines

    label = _label(name)
    out = []
    for line in difflib.unified_diff(
        split_lines(before), split_lines(after), f"a/{label}", f"b/{label}"
    ):
        if not line.endswith(("\n", "\r")):
            line += "\n\\ No newline at end of file\n"
        out.append(line)
    return "".join(out)


def _where(error: InputError) -> str:
    parts = [error.file]
    if error.line is not None:
        parts.append(str(error.line))
        if error.column is not None:
            parts.append(str(error.column))
    return ":".join(parts)


def _stdout_bytes(data: bytes) -> None:
    stream = getattr(sys.stdout, "buffer", None)
    if stream is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    sys.stdout.flush()
    stream.write(data)
    stream.flush()


def cmd_fix(args: argparse.Namespace) -> int:
    try:
        import ruamel.yaml  # noqa: F401  (the round trip; imported here to say so plainly)
    except ImportError:
        raise UsageError("fix needs ruamel.yaml: python3 -m pip install ruamel.yaml") from None
    base = resolve_policy(args.config)
    policy = select_rules(base, args.select, args.ignore)
    warn_selected_but_off(base, args.select)
    fixed_findings = fixed_files = errors = unsafe_left = 0
    from ..lint.kustomize import fix_notes, plan_inputs

    plan = plan_inputs(args.paths)[0]  # kustomize patches and generator inputs: never fixed
    used = {os.path.realpath(name) for name in plan.not_objects()}
    patches = {os.path.realpath(name): by for name, by in plan.patch_files().items()}
    inputs = _inputs(list(args.paths))
    given = {source.path for source in inputs if source.path is not None}
    placed = fix_notes(plan, policy, given - used, unsafe=args.unsafe_fixes)  # elsewhere
    for source in inputs:
        if source.path is not None and source.path in patches:
            user = plan.display(patches[source.path])
            print(
                f"{source.name}: left alone: a kustomize patch (used by {user})",
                file=sys.stderr,
            )
        if source.path is not None and source.path in used:
            continue
        if isinstance(source.error, Notice):  # a Helm chart: not YAML until rendered
            print(f"{_where(source.error)}: notice {source.error.message}", file=sys.stderr)
            continue
        if source.text is None or source.error is not None:
            assert source.error is not None
            print(f"{_where(source.error)}: input-error {source.error.message}", file=sys.stderr)
            errors += 1
            continue
        result = fix_text(
            source.text, source.name, policy, args.skip_non_kubernetes, args.unsafe_fixes
        )
        unsafe_left += result.unsafe_left
        for error in result.errors:
            print(f"{_where(error)}: input-error {error.message}", file=sys.stderr)
        for failure in result.failures:
            print(f"{_where(failure)}: fix-error {failure.message}", file=sys.stderr)
        if result.errors or result.failures:
            print(f"{source.name}: left unchanged", file=sys.stderr)
        errors += len(result.errors) + len(result.failures)
        verb = "would fix" if args.diff else "fixed"
        for finding in result.applied:
            where = f"{finding.file}:{finding.line}:{finding.column}"
            print(f"{where}: {verb} {finding.rule}", file=sys.stderr)
        for note in result.notes:
            print(note, file=sys.stderr)
        if result.changed:
            fixed_findings += len(result.applied)
            fixed_files += 1
        if args.diff:
            if result.changed:
                _stdout_bytes(unified_diff(source.name, result.text, result.fixed).encode())
        elif source.path is None:  # stdin: the text, fixed or not, to stdout
            _stdout_bytes(source.prefix + result.fixed.encode(source.encoding))
        elif result.changed:
            _write(source.path, source.prefix + result.fixed.encode(source.encoding))
    for note in placed:
        print(note, file=sys.stderr)
    verb = "would fix" if args.diff else "fixed"
    summary = f"{verb} {fixed_findings} finding(s) in {fixed_files} file(s)"
    if unsafe_left:
        summary += (
            f"; {unsafe_left} more with unsafe fixes (guessed sizes, limits copied from "
            "requests: review them): apply them with --unsafe-fixes"
        )
    if errors:
        summary += f"; {errors} error(s) (files with errors are left unchanged)"
    print(summary, file=sys.stderr)
    if errors:
        return EXIT_ERROR
    return EXIT_FIXED if fixed_files else EXIT_OK
