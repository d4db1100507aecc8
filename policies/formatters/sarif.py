"""SARIF 2.1.0 (OASIS): what GitHub code scanning, GitLab and IDE viewers read.

One run: `tool.driver` describes every registered rule (the `explain` text as help, the
default preset's mode as default level); one result per finding, in the report's order,
located by a file URI relative to `%SRCROOT%` (the current folder) and by the object as a
logical location; input errors are tool execution notifications of the invocation.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from ..engine.registry import RULES
from ..model import Finding, InputError, Mode, ObjectRef, Report, Severity
from ..rules.base import Rule, explain_sections, fix_availability, fix_sentence
from ..yaml.sources import STDIN_NAME

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SARIF_VERSION = "2.1.0"
TOOL_NAME = "evictguard"
INFORMATION_URI = "https://github.com/evictguard/evictguard"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "evictguard/v1"

LEVEL_OF_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
LEVEL_OF_MODE = {Mode.ENFORCE: "error", Mode.WARN: "warning", Mode.AUDIT: "note", Mode.OFF: "none"}


def tool_version() -> str:
    """The installed distribution's version; the package's own when run from a checkout."""
    try:
        return metadata.version("evictguard")
    except metadata.PackageNotFoundError:
        from .. import __version__

        return __version__


# --- paths ---------------------------------------------------------------------------------


def has_file(file: str | None) -> bool:
    """Whether findings and errors from `file` can point at a file (not stdin)."""
    return bool(file) and file != STDIN_NAME


def relative_path(file: str, cwd: str | None = None) -> str | None:
    """`file` relative to `cwd` (default: the current folder) with POSIX separators, or None
    when it lies outside it."""
    base = os.path.abspath(cwd or os.getcwd())
    try:
        rel = os.path.relpath(os.path.abspath(file), base)
    except ValueError:  # another drive (Windows)
        return None
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return None
    return PurePath(rel).as_posix()


def artifact_location(file: str) -> dict[str, Any]:
    rel = relative_path(file)
    if rel is None:
        return {"uri": Path(os.path.abspath(file)).as_uri()}
    return {"uri": quote(rel, safe="/"), "uriBaseId": SRCROOT}


def srcroot_uri() -> str:
    uri = Path(os.path.abspath(os.getcwd())).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _region(line: int | None, column: int | None) -> dict[str, int] | None:
    if line is None:
        return None
    region = {"startLine": line}
    if column is not None:
        region["startColumn"] = column
    return region


def _physical_location(file: str, line: int | None, column: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact_location(file)}
    region = _region(line, column)
    if region is not None:
        physical["region"] = region
    return physical


# --- rules ---------------------------------------------------------------------------------


def camel_case(rule_id: str) -> str:
    """`memory-limit-missing` -> `MemoryLimitMissing` (SARIF's reportingDescriptor.name)."""
    return "".join(part[:1].upper() + part[1:] for part in rule_id.split("-"))


def help_text(rule: Rule, mode: Mode) -> str:
    """The `evictguard explain` sections, as plain text."""
    return "\n\n".join(explain_sections(rule, mode))


def help_markdown(rule: Rule, mode: Mode) -> str:
    """The `evictguard explain` sections, as Markdown (what code scanning shows)."""
    sections = [
        f"## {rule.id}",
        rule.summary,
        "### Why it matters",
        rule.why,
        "### Example (fails)",
        "```yaml\n" + rule.example.rstrip() + "\n```",
        "### Fix",
        rule.remediation,
        "Automatic fix: " + fix_sentence(rule).rstrip(".") + ".",
        f"Default mode: `{mode.value}`.",
    ]
    return "\n\n".join(sections)


def _tags(rule: Rule) -> list[str]:
    tags = ["kubernetes", "reliability", rule.id.split("-", 1)[0]]
    if rule.fixable:
        tags.append("fixable")
    return tags


def rule_descriptor(rule: Rule, mode: Mode) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": camel_case(rule.id),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why},
        "help": {"text": help_text(rule, mode), "markdown": help_markdown(rule, mode)},
        "defaultConfiguration": {"level": LEVEL_OF_MODE[mode]},
        # safe, unsafe, "safe or unsafe" (per finding) or none: which `fix` applies
        "properties": {"tags": _tags(rule), "fixApplicability": fix_availability(rule)},
    }


# --- results -------------------------------------------------------------------------------


def object_name(ref: ObjectRef) -> str:
    if ref.name:
        return ref.name
    return f"{ref.generate_name}*" if ref.generate_name else "<unnamed>"


def object_path(ref: ObjectRef) -> str:
    """`Kind/namespace/name`, or `Kind/name` for an object that names no namespace."""
    parts = [ref.kind, ref.namespace, object_name(ref)]
    return "/".join(p for p in parts if p)


def fingerprint(finding: Finding) -> str:
    """Stable across runs, line moves and checkouts: rule, file, object and pointer."""
    file = finding.file or ""
    if has_file(file):
        file = relative_path(file) or os.path.abspath(file)
    ref = finding.ref
    parts = [finding.rule, file, ref.kind, ref.namespace or "", object_name(ref), finding.pointer]
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _result(finding: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    location: dict[str, Any] = {}
    if has_file(finding.file):
        assert finding.file is not None
        location["physicalLocation"] = _physical_location(
            finding.file, finding.line, finding.column
        )
    location["logicalLocations"] = [
        {
            "name": object_name(finding.ref),
            "fullyQualifiedName": object_path(finding.ref),
            "kind": "resource",
        }
    ]
    result: dict[str, Any] = {"ruleId": finding.rule}
    if finding.rule in rule_index:
        result["ruleIndex"] = rule_index[finding.rule]
    result.update(
        {
            "level": LEVEL_OF_SEVERITY[finding.severity],
            "message": {"text": finding.message},
            "locations": [location],
            "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
            "properties": {
                "kind": finding.ref.kind,
                "namespace": finding.ref.namespace,
                "name": finding.ref.name,
                "pointer": finding.pointer,
                "container": finding.container,
                # safe: `evictguard fix` applies it; unsafe: only with --unsafe-fixes
                "fixApplicability": _applicability(finding),
            },
        }
    )
    if finding.template:  # the chart template of a `helm template` document
        result["properties"]["template"] = finding.template
    return result


def _applicability(finding: Finding) -> str | None:
    applicability = finding.fix_applicability
    return applicability.value if applicability is not None else None


def _notification(error: InputError, notice: bool = False) -> dict[str, Any]:
    notification: dict[str, Any] = {
        "level": "note" if notice else "error",
        "message": {"text": error.message},
        "descriptor": {"id": "not-linted" if notice else "input-error"},
    }
    if notice and not os.path.isfile(error.file):  # a chart folder: no artifact to point at
        notification["message"] = {"text": f"{error.file}: {error.message}"}
    elif has_file(error.file):
        physical = _physical_location(error.file, error.line, error.column)
        notification["locations"] = [{"physicalLocation": physical}]
    notification["properties"] = {"code": error.code.value}  # as JSON's `errors[].code`
    return notification


def report_to_sarif(report: Report) -> dict[str, Any]:
    from ..policy.load import load_preset  # the policy machinery only when SARIF is asked for

    default = load_preset("default")
    rule_index = {rule_id: index for index, rule_id in enumerate(RULES)}
    invocation: dict[str, Any] = {"executionSuccessful": not report.errors}
    notifications = [_notification(e) for e in report.errors]
    notifications += [_notification(n, notice=True) for n in report.notices]
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "informationUri": INFORMATION_URI,
                "version": tool_version(),
                "rules": [rule_descriptor(r, default.mode(r.id)) for r in RULES.values()],
            }
        },
        "invocations": [invocation],
        "originalUriBaseIds": {SRCROOT: {"uri": srcroot_uri()}},
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, rule_index) for f in report.findings],
    }
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render(report: Report, **_: Any) -> str:
    return json.dumps(report_to_sarif(report), indent=2, ensure_ascii=False) + "\n"
