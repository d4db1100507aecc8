"""Linting files: load, evaluate each object with the engine, place findings on lines.

Positions are looked up only for findings and errors, from the node tree the parse built
anyway; inline `# evictguard:` comments are applied here because only files have them.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..engine.check import check_object, object_ref
from ..engine.registry import judged_whole
from ..k8s.podspec import may_hold_unknown_pods, pod_shapes, pod_spec_path, pods_at, unchecked_pods
from ..model import (
    KIND_NOT_KNOWN,
    NAMESPACE_IGNORED,
    ErrorCode,
    Finding,
    InputError,
    NotChecked,
    Notice,
    Report,
    Severity,
)
from ..patch import compose
from ..policy.model import Policy
from ..yaml.helm import SourceComments, bare_action_line, helm_line, template_notice
from ..yaml.loader import LoadedSource, SourceText, load_text
from . import across
from .directives import parse_directives

# --as-admitted: (object, policy) -> (the object as the cluster would admit it, a function
# that says in a finding's message when a default supplied the value it is about).
Admit = Callable[[dict[str, Any], Policy], tuple[dict[str, Any], Callable[[Finding], Finding]]]


@dataclass(frozen=True)
class LintOptions:
    # Documents that are not Kubernetes objects (no apiVersion/kind: other YAML in a
    # repository) are skipped quietly instead of reported (the pre-commit hook's mode).
    skip_non_kubernetes: bool = False
    admit: Admit | None = None


NAMESPACE_POINTER = "/metadata/namespace"  # where an object left out by namespace says so


def lint_source(
    loaded: LoadedSource, policy: Policy, report: Report, options: LintOptions = LintOptions()
) -> None:
    directives = parse_directives(
        loaded.text, lambda line, column: any(d.holds_text_at(line, column) for d in loaded.parsed)
    )
    report.documents += loaded.documents
    errors = loaded.errors
    if options.skip_non_kubernetes:
        errors = [e for e in errors if e.code is not ErrorCode.NOT_AN_OBJECT]
    report.errors.extend(errors)
    sources: SourceComments | None = None  # `# Source:` comments, read for findings only
    for item in loaded.objects:
        report.objects += 1
        if item.skimmed:
            continue  # a kind without a pod spec: no rule reads it

        def locate(rule: str, pointer: str, item: Any = item) -> Any:
            line, column = item.position(pointer)
            document = item.document
            if directives and directives.silences(
                rule, line, document.first_line, document.last_line
            ):
                return None
            return loaded.name, line, column

        report.facts.extend(across.facts(item.obj, "", loaded.name, policy, locate))
        if note_not_checked(item.obj, policy, loaded.name, report, item.position):
            continue
        obj, explain = item.obj, (lambda finding: finding)
        try:
            if options.admit is not None:
                obj, explain = options.admit(item.obj, policy)
            result = check_object(obj, policy)
        except Exception as exc:  # a bug of ours: said for this object, the rest goes on
            line, column = item.position("")
            report.errors.append(
                InputError(
                    loaded.name,
                    line,
                    f"{object_ref(item.obj).describe()}: internal error "
                    f"({type(exc).__name__}: {exc}); please report it",
                    column,
                    code=ErrorCode.INTERNAL,
                )
            )
            continue
        for problem in result.problems:
            line, column = item.position(problem.pointer)
            message = f"{result.ref.describe()}: {problem.message}"
            code = ErrorCode.INTERNAL if problem.internal else ErrorCode.INVALID_OBJECT
            report.errors.append(InputError(loaded.name, line, message, column, code=code))

        def place(finding: Finding, item: Any = item, explain: Any = explain) -> Finding | None:
            nonlocal sources
            finding = explain(finding)  # pointers back in the file's terms
            line, column = item.position(finding.pointer)
            document = item.document
            if directives and directives.silences(
                finding.rule, line, document.first_line, document.last_line
            ):
                return None
            if sources is None:
                sources = SourceComments(loaded.text)
            template = None
            if sources.lines:
                template = sources.template(document.first_line, item.position("")[0])
            return dataclasses.replace(
                finding, file=loaded.name, line=line, column=column, template=template
            )

        located = result.placed(place)
        report.findings.extend(_composed(item.obj, located))


def _composed(obj: Any, findings: list[Finding]) -> list[Finding]:
    """One object's findings in report order (sort_report's, which is stable), their fixes
    rewritten to apply one after another to the object as written (`patch.compose`)."""
    if sum(f.fix is not None for f in findings) < 2:
        return findings
    findings.sort(key=lambda f: (f.line or 0, f.column or 0, f.rule))
    fixes = compose(obj, [f.fix for f in findings])
    return [
        f if fix is f.fix else dataclasses.replace(f, fix=fix)
        for f, fix in zip(findings, fixes, strict=True)
    ]


def note_not_checked(
    obj: dict[str, Any],
    policy: Policy,
    file: str,
    report: Report,
    position: Callable[[str], tuple[int, int]] | None = None,
) -> bool:
    """Whether no rule is to judge the object: it is in a namespace admission leaves out
    (`admission.ignoredNamespaces`), or of a kind no table knows. If it holds pods, it is
    named in the report as not checked, with the reason (the namespace first: knowing the
    kind would change nothing). `position(pointer)`: its line and column in `file`, where
    they are known."""
    api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
    ref = object_ref(obj)
    ignored = policy.is_ignored_namespace(ref.namespace)
    if judged_whole(api_version, kind):  # no pods in it: left out quietly where ignored
        return ignored
    shapes = pod_shapes(api_version, kind, policy.extra_kinds)
    reason, seen = KIND_NOT_KNOWN, None
    if shapes:
        if not ignored:
            return False
        if pods_at(obj, policy.extra_kinds) is None:
            return True  # no pod spec (a kustomize patch): nothing to name, as elsewhere
        where = NAMESPACE_POINTER
    else:
        found = unchecked_pods(obj)
        if found is None:
            return True
        where, seen = found
    if ignored:
        reason, where, seen = NAMESPACE_IGNORED, NAMESPACE_POINTER, None
    line = position(where)[0] if position is not None else None
    report.not_checked.append(
        NotChecked(api_version, kind, ref.namespace, ref.name, file, line, where, reason, seen)
    )
    return True


def lint_sources(
    sources: Iterable[SourceText], policy: Policy, options: LintOptions = LintOptions()
) -> Report:
    report = Report()
    for source in sources:
        if isinstance(source.error, Notice):
            report.notices.append(source.error)
            continue
        if source.error is not None:
            report.files += source.is_file
            report.errors.append(source.error)
            continue
        assert source.text is not None
        line = helm_line(source.text)
        if line is not None:  # a chart template: one notice instead of parser errors
            report.notices.append(template_notice(source.name, line, source.is_file))
            continue
        loaded = load_text(source.text, source.name, partial(_read_by_rules, policy))
        if loaded.errors and any(e.code is ErrorCode.INVALID_YAML for e in loaded.errors):
            line = bare_action_line(source.text)
            if line is not None:  # not broken YAML: a Go template
                report.notices.append(template_notice(source.name, line, source.is_file))
                continue
        report.files += source.is_file
        lint_source(loaded, policy, report, options)
    return report


def _read_by_rules(policy: Policy, api_version: str, kind: str) -> bool:
    """Kinds with a pod spec, kinds some rule judges whole, kinds the input-wide rules
    compare (HPAs) when one is on, and custom resources (a kind no table knows may hold
    pods: read to say so)."""
    if may_hold_unknown_pods(api_version) or judged_whole(api_version, kind):
        return True
    if across.summarised(api_version, kind) and across.input_rules(policy):
        return True
    return pod_spec_path(api_version, kind, policy.extra_kinds) is not None


def lint_text(text: str, policy: Policy, name: str = "<text>") -> Report:
    report = lint_sources([SourceText(name, text)], policy)
    across.judge(report, policy)  # the text is the whole input
    return report


def count_at_or_above(report: Report, threshold: str) -> int:
    """Findings that fail a run with `--fail-on threshold` (error, warning or never)."""
    if threshold == "never":
        return 0
    rank = Severity(threshold).rank
    return sum(1 for f in report.findings if f.severity.rank >= rank)


def sort_report(report: Report) -> None:
    """Findings by (file, line, column, rule) and errors by (file, line, column): the order
    every output format lists them in, whatever the order of the paths or the jobs. Notices
    are sorted too, and said once each."""
    report.findings.sort(key=lambda f: (f.file or "", f.line or 0, f.column or 0, f.rule))
    report.errors.sort(key=lambda e: (e.file, e.line or 0, e.column or 0))
    # One notice per chart, however many of its templates were named.
    notices = {(n.file, n.line, n.message): n for n in report.notices}
    report.notices[:] = sorted(notices.values(), key=lambda n: (n.file, n.line or 0))


PROGRESS_THRESHOLD = 300  # files; fewer finish before a progress line would help
PARALLEL_THRESHOLD = 24  # files per process below which processes cost more than they save


# A worker process's policy and options, sent once when it starts rather than with every
# file (pickling a policy per file costs more than linting a small file).
_WORKER_SETUP: tuple[Policy, LintOptions] | None = None


def _start_worker(policy: Policy, options: LintOptions) -> None:
    global _WORKER_SETUP
    _WORKER_SETUP = (policy, options)


def _lint_batch(batch: list[SourceText]) -> list[Report]:
    assert _WORKER_SETUP is not None
    policy, options = _WORKER_SETUP
    return [lint_sources([source], policy, options) for source in batch]


def _merge(into: Report, part: Report) -> None:
    into.findings.extend(part.findings)
    into.errors.extend(part.errors)
    into.notices.extend(part.notices)
    into.files += part.files
    into.documents += part.documents
    into.objects += part.objects
    into.not_checked.extend(part.not_checked)
    into.facts.extend(part.facts)


def lint_parallel(
    sources: Iterable[SourceText],
    policy: Policy,
    options: LintOptions = LintOptions(),
    jobs: int = 1,
    progress: Any = None,
    total: int | None = None,
) -> Report:
    """`lint_sources` over processes, files in batches, merged in input order: the report
    is the same whatever the number of jobs. Sources are read as they are needed (at most
    a few batches ahead), so memory does not grow with the size of the tree.

    `total`: how many sources there are, when `sources` is an iterator (for progress and to
    decide whether processes pay off)."""
    if total is None:
        sources = list(sources)
        total = len(sources)
    report = Report()
    if jobs <= 1 or total < PARALLEL_THRESHOLD * 2:
        parts: Iterable[Report] = (lint_sources([source], policy, options) for source in sources)
        return _collect(parts, report, total, progress)
    from concurrent.futures import ProcessPoolExecutor

    batch = max(1, min(64, total // (jobs * 8)))
    with ProcessPoolExecutor(
        max_workers=jobs, initializer=_start_worker, initargs=(policy, options)
    ) as pool:
        parts = _in_order(pool, _batches(sources, batch), jobs * 4)
        return _collect(parts, report, total, progress)


def _batches(sources: Iterable[SourceText], size: int) -> Iterator[list[SourceText]]:
    batch: list[SourceText] = []
    for source in sources:
        batch.append(source)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _in_order(pool: Any, batches: Iterator[list[SourceText]], ahead: int) -> Iterator[Report]:
    """Each source's report, in input order, with at most `ahead` batches in flight
    (`Executor.map` would read every file before the first result)."""
    pending: deque[Any] = deque()
    for batch in batches:
        pending.append(pool.submit(_lint_batch, batch))
        while len(pending) >= ahead:
            yield from pending.popleft().result()
    while pending:
        yield from pending.popleft().result()


def _collect(parts: Iterable[Report], report: Report, total: int, progress: Any) -> Report:
    for done, part in enumerate(parts, start=1):
        _merge(report, part)
        if progress is not None and (done % 50 == 0 or done == total):
            progress.write(f"\revictguard: {done}/{total} files")
            if done == total:
                progress.write("\n")
            progress.flush()
    return report
