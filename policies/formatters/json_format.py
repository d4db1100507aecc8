"""The JSON report: a stable contract other tools parse (documented in README.md).

{"findings": [{rule, severity, file, line, column, apiVersion, kind, namespace, name,
container, pointer, message, fix, fixApplicability, template}],
"errors": [{file, line, column, code, message}], "notices": [{file, line, column, code,
message}],
"summary": {files, documents, objects, findings, errors, notChecked: [{apiVersion, kind,
namespace, name, file, line, pointer, reason}]}}
"""

from __future__ import annotations

import json
from typing import Any

from ..model import Finding, InputError, NotChecked, Report


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "file": finding.file,
        "line": finding.line,
        "column": finding.column,
        "apiVersion": finding.ref.api_version,
        "kind": finding.ref.kind,
        "namespace": finding.ref.namespace,
        "name": finding.ref.name,
        "container": finding.container,
        "pointer": finding.pointer,
        "message": finding.message,
        "fix": finding.fix,
        # "safe" (`evictguard fix` applies it), "unsafe" (only with --unsafe-fixes), or
        # null when there is no fix
        "fixApplicability": (
            finding.fix_applicability.value if finding.fix_applicability is not None else None
        ),
        "template": finding.template,
    }


def error_to_dict(error: InputError) -> dict[str, Any]:
    # `code`: the kind of error (model.ErrorCode), for tools that act on it without
    # reading the message.
    return {
        "file": error.file,
        "line": error.line,
        "column": error.column,
        "code": error.code.value,
        "message": error.message,
    }


def not_checked_to_dict(item: NotChecked) -> dict[str, Any]:
    return {
        "apiVersion": item.api_version,
        "kind": item.kind,
        "namespace": item.namespace,
        "name": item.name,
        "file": item.file,
        "line": item.line,
        "pointer": item.pointer,
        # "kind not known", "namespace left out of admission" or "kustomize patch not built"
        "reason": item.reason,
        # kind not known (also in a patch not built): "containers", "container resources",
        # "tolerations"
        "seen": item.seen,
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    return {
        "findings": [finding_to_dict(f) for f in report.findings],
        "errors": [error_to_dict(e) for e in report.errors],
        # What was not linted and why (a Helm chart), with how to lint it: no error.
        "notices": [error_to_dict(n) for n in report.notices],
        "summary": {
            "files": report.files,
            "documents": report.documents,
            "objects": report.objects,
            "findings": len(report.findings),
            "errors": len(report.errors),
            "notChecked": [not_checked_to_dict(item) for item in report.not_checked],
        },
    }


def render(report: Report, **_: Any) -> str:
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False, default=str) + "\n"
