"""Linting files: load, evaluate each object with the engine, place findings on lines.

Positions are looked up only for findings and errors, from the node tree the parse built
anyway; inline `# evictguard:` comments are applied here because only files have them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from .config import Policy
from .engine import check_object
from .loader import LoadedSource, SourceText, load_text
from .model import InputError, Report, Severity
from .suppress import parse_directives


def lint_source(loaded: LoadedSource, policy: Policy, report: Report) -> None:
    directives = parse_directives(
        loaded.text, lambda line, column: any(d.holds_text_at(line, column) for d in loaded.parsed)
    )
    report.documents += loaded.documents
    report.errors.extend(loaded.errors)
    for item in loaded.objects:
        report.objects += 1
        result = check_object(item.obj, policy)
        for problem in result.problems:
            line, column = item.position(problem.pointer)
            report.errors.append(
                InputError(loaded.name, line, f"{result.ref.describe()}: {problem.message}", column)
            )
        for finding in result.findings:
            line, column = item.position(finding.pointer)
            document = item.document
            if directives and directives.silences(
                finding.rule, line, document.first_line, document.last_line
            ):
                continue
            report.findings.append(
                dataclasses.replace(finding, file=loaded.name, line=line, column=column)
            )


def lint_sources(sources: Iterable[SourceText], policy: Policy) -> Report:
    report = Report()
    for source in sources:
        report.files += source.is_file
        if source.error is not None:
            report.errors.append(source.error)
            continue
        assert source.text is not None
        lint_source(load_text(source.text, source.name), policy, report)
    return report


def lint_text(text: str, policy: Policy, name: str = "<text>") -> Report:
    return lint_sources([SourceText(name, text)], policy)


def count_at_or_above(report: Report, threshold: str) -> int:
    """Findings that fail a run with `--fail-on threshold` (error, warning or never)."""
    if threshold == "never":
        return 0
    rank = Severity(threshold).rank
    return sum(1 for f in report.findings if f.severity.rank >= rank)
