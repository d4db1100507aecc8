"""JUnit XML, the dialect Jenkins and GitLab read: one test case per object and rule.

<testsuites> holds one <testsuite name="evictguard">. Each object a rule found something on
is a <testcase classname="Kind/namespace/name" name="rule-id" file=... line=...>: findings
of error or warning severity make it a <failure> (every finding of that rule on that object
in its body, one `file:line:col message` line each), info findings (audit mode) go to its
<system-out> and leave it passing. Each input error is a <testcase name="input-error"> with
an <error>. The report does not list the objects nothing was found on (only counts them), so
a run without findings gets one passing <testcase name="all objects" classname="evictguard">
carrying the counts.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from ..model import Finding, InputError, ObjectRef, Report, Severity
from .sarif import object_path
from .text import from_template, location, summary_line

SUITE = "evictguard"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
FAILING = (Severity.ERROR, Severity.WARNING)

# Characters XML 1.0 cannot carry at all, even escaped (ElementTree writes them as they are).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value: str) -> str:
    """`value` with the characters XML 1.0 forbids shown as `\\xNN` / `\\uNNNN` escapes."""
    return _NOT_XML.sub(lambda m: ascii(m.group())[1:-1], value)


def _finding_line(finding: Finding) -> str:
    where = location(finding.file, finding.line, finding.column)
    return f"{where} {finding.message}{from_template(finding)}"


def _element(tag: str, attrs: dict[str, Any], text: str | None = None) -> ET.Element:
    element = ET.Element(tag, {k: xml_safe(str(v)) for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = xml_safe(text)
    return element


def _location_attrs(file: str | None, line: int | None) -> dict[str, Any]:
    return {"file": file, "line": line}


def _findings_case(findings: list[Finding]) -> tuple[ET.Element, bool]:
    first = findings[0]
    case = _element(
        "testcase",
        {
            "classname": object_path(first.ref),
            "name": first.rule,
            **_location_attrs(first.file, first.line),
        },
    )
    failing = [f for f in findings if f.severity in FAILING]
    passing = [f for f in findings if f.severity not in FAILING]
    if failing:
        message = failing[0].message + from_template(failing[0])
        if len(failing) > 1:
            message = f"{len(failing)} findings; the first: {message}"
        body = "\n".join(_finding_line(f) for f in failing)
        case.append(_element("failure", {"message": message, "type": first.rule}, body))
    if passing:
        body = "\n".join(f"{f.severity.value}: {_finding_line(f)}" for f in passing)
        case.append(_element("system-out", {}, body))
    return case, bool(failing)


def _error_case(error: InputError) -> ET.Element:
    case = _element(
        "testcase",
        {"classname": error.file, "name": "input-error", **_location_attrs(error.file, error.line)},
    )
    where = location(error.file, error.line, error.column)
    case.append(
        _element(
            "error", {"message": error.message, "type": "input-error"}, f"{where} {error.message}"
        )
    )
    return case


def _notice_case(notice: InputError) -> ET.Element:
    """Not linted (a Helm chart): a skipped test case, which CI shows without failing."""
    case = _element(
        "testcase",
        {
            "classname": notice.file,
            "name": "not-linted",
            **_location_attrs(notice.file, notice.line),
        },
    )
    case.append(_element("skipped", {"message": notice.message}))
    return case


def _group(findings: list[Finding]) -> list[list[Finding]]:
    """Findings by (file, object, rule), in the order each group first appears."""
    groups: dict[tuple[str | None, ObjectRef, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.file, finding.ref, finding.rule), []).append(finding)
    return list(groups.values())


def report_to_xml(report: Report) -> ET.Element:
    cases: list[ET.Element] = []
    failures = 0
    for group in _group(report.findings):
        case, failed = _findings_case(group)
        cases.append(case)
        failures += failed
    if not report.findings:
        case = _element("testcase", {"classname": SUITE, "name": "all objects"})
        case.append(_element("system-out", {}, summary_line(report)))
        cases.append(case)
    cases.extend(_error_case(e) for e in report.errors)
    cases.extend(_notice_case(n) for n in report.notices)
    counts = {"tests": len(cases), "failures": failures, "errors": len(report.errors)}
    root = _element("testsuites", {"name": SUITE, **counts})
    suite = _element("testsuite", {"name": SUITE, **counts, "skipped": len(report.notices)})
    properties = ET.SubElement(suite, "properties")
    for name in ("files", "documents", "objects"):
        properties.append(_element("property", {"name": name, "value": getattr(report, name)}))
    suite.extend(cases)
    root.append(suite)
    return root


def render(report: Report, **_: Any) -> str:
    root = report_to_xml(report)
    ET.indent(root, space="  ")
    return XML_DECLARATION + ET.tostring(root, encoding="unicode") + "\n"
