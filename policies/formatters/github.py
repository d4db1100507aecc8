"""GitHub Actions workflow commands: each finding an annotation on the pull request's diff.

`::error file=F,line=L,col=C,title=RULE::MESSAGE` (warning severity `::warning`, info
`::notice`); input errors `::error ...,title=input-error::MESSAGE`; a plain summary line
last, as the text format ends. Values are escaped as the runner unescapes them
(actions/toolkit `command.ts`): data `%` `\\r` `\\n`; properties also `:` and `,`.
"""

from __future__ import annotations

import os
from typing import Any

from ..model import Finding, InputError, Report, Severity
from .sarif import has_file, relative_path
from .text import from_template, summary_line

COMMAND_OF_SEVERITY = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "notice",
}


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: dict[str, Any], message: str) -> str:
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return (
        f"::{name} {props}::{escape_data(message)}"
        if props
        else f"::{name}::{escape_data(message)}"
    )


def annotation_path(file: str | None) -> str | None:
    """The path GitHub matches against the repository: relative to the current folder (the
    workspace), POSIX separators; None for stdin."""
    if not has_file(file):
        return None
    assert file is not None
    return relative_path(file) or file


def _location(file: str | None, line: int | None, column: int | None) -> dict[str, Any]:
    path = annotation_path(file)
    if path is None:
        return {}
    return {"file": path, "line": line, "col": column if line is not None else None}


def finding_command(finding: Finding) -> str:
    properties = {
        **_location(finding.file, finding.line, finding.column),
        "title": finding.rule,
    }
    message = finding.message + from_template(finding)
    return command(COMMAND_OF_SEVERITY[finding.severity], properties, message)


def error_command(error: InputError) -> str:
    properties = {**_location(error.file, error.line, error.column), "title": "input-error"}
    message = error.message if has_file(error.file) else f"{error.file}: {error.message}"
    return command("error", properties, message)


def notice_command(notice: InputError) -> str:
    if os.path.isfile(notice.file):
        properties = {**_location(notice.file, notice.line, notice.column), "title": "not-linted"}
        return command("notice", properties, notice.message)
    return command("notice", {"title": "not-linted"}, f"{notice.file}: {notice.message}")


def render(report: Report, **_: Any) -> str:
    lines = [error_command(e) for e in report.errors]
    lines.extend(notice_command(n) for n in report.notices)
    lines.extend(finding_command(f) for f in report.findings)
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
