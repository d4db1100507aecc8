"""Human output: `file:line:col: severity rule-id message`, grouped by file and coloured on
a terminal, plain when piped; a one-line summary last."""

from __future__ import annotations

from collections import Counter
from itertools import groupby
from typing import Any

from ..k8s.podspec import api_group
from ..model import (
    KIND_NOT_KNOWN,
    KUSTOMIZE_PATCH_NOT_BUILT,
    NAMESPACE_IGNORED,
    Finding,
    InputError,
    Report,
    Severity,
)

COLOURS = {
    Severity.ERROR: "\033[31m",
    Severity.WARNING: "\033[33m",
    Severity.INFO: "\033[36m",
    "error-input": "\033[35m",
    "notice": "\033[36m",
}
BOLD, DIM, RESET = "\033[1m", "\033[2m", "\033[0m"


def location(file: str | None, line: int | None, column: int | None) -> str:
    """`file:line:col`, as far as they are known."""
    parts = [file or "<unknown>"]
    if line is not None:
        parts.append(str(line))
        if column is not None:
            parts.append(str(column))
    return ":".join(parts)


def from_template(finding: Finding) -> str:
    """` (from CHART/templates/X.yaml)` for a finding in `helm template` output, else ""."""
    return f" (from {finding.template})" if finding.template else ""


def _finding_line(finding: Finding, colour: bool) -> str:
    where = location(finding.file, finding.line, finding.column)
    severity = finding.severity.value
    message = finding.message + from_template(finding)
    if colour:
        severity = f"{COLOURS[finding.severity]}{severity}{RESET}"
        return f"{DIM}{where}:{RESET} {severity} {BOLD}{finding.rule}{RESET} {message}"
    return f"{where}: {severity} {finding.rule} {message}"


def _error_line(error: InputError, colour: bool) -> str:
    where = location(error.file, error.line, error.column)
    label = f"{COLOURS['error-input']}input-error{RESET}" if colour else "input-error"
    return f"{where}: {label} {error.message}"


def _notice_line(notice: InputError, colour: bool) -> str:
    where = location(notice.file, notice.line, notice.column)
    label = f"{COLOURS['notice']}notice{RESET}" if colour else "notice"
    return f"{where}: {label} {notice.message}"


def _sort_key(item: tuple[str, int, int, int, str]) -> tuple[str, int, int, int]:
    return item[0], item[1], item[2], item[3]


def summary_line(report: Report) -> str:
    counts = {s: 0 for s in Severity}
    for finding in report.findings:
        counts[finding.severity] += 1
    return (
        f"{report.files} file(s), {report.objects} object(s): "
        f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s), "
        f"{counts[Severity.INFO]} info, {len(report.errors)} input error(s)"
        + (f", {len(report.notices)} not linted (see the notices)" if report.notices else "")
    ) + not_checked_summary(report)


def not_checked_summary(report: Report) -> str:
    """`; 3 object(s) with pods not checked, of kinds evictguard does not know (...):
    Notebook (kubeflow.org) x2, ...` and `; 5 object(s) with pods not checked, in namespaces
    admission leaves out (admission.ignoredNamespaces): kube-system x5` and `; 1 object(s)
    with pods not checked, in kustomize patches whose builds failed (see the notes):
    app/bad.yaml`: objects holding pods that no rule judged (README: Custom resources,
    Policy, kustomize), by kind and API group, by namespace or by file; the JSON report
    lists each."""
    unknown = [item for item in report.not_checked if item.reason == KIND_NOT_KNOWN]
    ignored = [item for item in report.not_checked if item.reason == NAMESPACE_IGNORED]
    unbuilt = [item for item in report.not_checked if item.reason == KUSTOMIZE_PATCH_NOT_BUILT]
    text = ""
    if unknown:
        kinds = Counter((item.kind, api_group(item.api_version)) for item in unknown)
        named = ", ".join(
            f"{kind} ({group})" + (f" x{count}" if count > 1 else "")
            for (kind, group), count in sorted(kinds.items())
        )
        text += (
            f"; {len(unknown)} object(s) with pods not checked, of kinds evictguard "
            f"does not know (add them to podSpecKinds): {named}"
        )
    if ignored:
        namespaces = Counter(item.namespace or "" for item in ignored)
        named = ", ".join(
            namespace + (f" x{count}" if count > 1 else "")
            for namespace, count in sorted(namespaces.items())
        )
        text += (
            f"; {len(ignored)} object(s) with pods not checked, in namespaces admission "
            f"leaves out (admission.ignoredNamespaces): {named}"
        )
    if unbuilt:
        files = Counter(item.file for item in unbuilt)
        named = ", ".join(
            file + (f" x{count}" if count > 1 else "") for file, count in sorted(files.items())
        )
        text += (
            f"; {len(unbuilt)} object(s) with pods not checked, in kustomize patches whose "
            f"builds failed (see the notes): {named}"
        )
    return text


def render(report: Report, colour: bool = False, **_: Any) -> str:
    rows: list[tuple[str, int, int, int, str]] = []
    for error in report.errors:
        rows.append((error.file, error.line or 0, error.column or 0, 0, _error_line(error, colour)))
    for notice in report.notices:
        rows.append((notice.file, notice.line or 0, 0, 0, _notice_line(notice, colour)))
    for finding in report.findings:
        key = (finding.file or "", finding.line or 0, finding.column or 0, 1)
        rows.append((*key, _finding_line(finding, colour)))
    rows.sort(key=_sort_key)
    out: list[str] = []
    for file, group in groupby(rows, key=lambda r: r[0]):
        if colour:
            out.append(f"{BOLD}{file}{RESET}")
        out.extend(row[4] for row in group)
        if colour:
            out.append("")
    out.append(summary_line(report))
    return "\n".join(out) + "\n"
