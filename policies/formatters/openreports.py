"""OpenReports `Report` objects (and the older wgpolicyk8s.io PolicyReport): what Policy
Reporter and other cluster dashboards read, applied with `kubectl apply -f -`.

One Report per namespace of the objects with findings (named `evictguard-<namespace>`), one
for objects that name no namespace (`evictguard`, no namespace of its own: `kubectl apply`
puts it where it puts those manifests), and a cluster-wide report (`evictguard-cluster`) for
cluster-scoped objects and for input errors, which belong to no object. Findings: error ->
`fail` (scored), warning -> `warn`, info (audit mode) -> `warn` too (the CRD's warn is a
requirement not met that does not count against the score; leaving audit findings out would
hide what audit is for). Input errors are `error` results; objects no rule judged
(`notChecked`) and inputs not linted (Helm charts) are `skip` results. Objects without
findings are not listed (the lint report only counts them), so `pass` is 0.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from ..model import Finding, InputError, NotChecked, ObjectRef, Report, Severity
from ..yaml.sources import STDIN_NAME

SOURCE = "evictguard"
LABELS = {"app.kubernetes.io/managed-by": SOURCE}  # as Kyverno labels its reports
CLUSTER_REPORT_NAME = f"{SOURCE}-cluster"


@dataclass(frozen=True)
class Api:
    """One reports API: its group/version and the kinds of its two reports."""

    api_version: str
    namespaced: str
    cluster: str
    top_level_source: bool  # whether the report itself has a `source` field


OPENREPORTS = Api("openreports.io/v1alpha1", "Report", "ClusterReport", True)
WGPOLICY = Api("wgpolicyk8s.io/v1alpha2", "PolicyReport", "ClusterPolicyReport", False)

# (result, severity, scored) by our severity. Severities are the three both CRDs accept
# (wgpolicyk8s.io v1alpha2 has no `critical` or `info`): error is high, not critical, as a
# pod that may be evicted is a reliability risk, not a breach.
OUTCOME = {
    Severity.ERROR: ("fail", "high", True),
    Severity.WARNING: ("warn", "medium", False),
    Severity.INFO: ("warn", "low", False),
}
# Kinds with no namespace; anything else without one is a manifest left to kubectl's.
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "StorageClass",
        "PriorityClass",
        "RuntimeClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "APIService",
        "CSIDriver",
        "IngressClass",
    }
)
CLUSTER = ("cluster",)  # the grouping key of the cluster-wide report


def timestamp() -> dict[str, int]:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible output, golden tests)."""
    fixed = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if fixed.isdigit():
        return {"seconds": int(fixed), "nanos": 0}
    now = time.time_ns()
    return {"seconds": now // 1_000_000_000, "nanos": now % 1_000_000_000}


def _group(kind: str, namespace: str | None) -> tuple[str, ...]:
    if namespace:
        return ("namespace", namespace)
    return CLUSTER if kind in CLUSTER_SCOPED_KINDS else ("none",)


def _reference(ref: ObjectRef) -> dict[str, str]:
    reference = {"apiVersion": ref.api_version, "kind": ref.kind}
    if ref.namespace:
        reference["namespace"] = ref.namespace
    reference["name"] = ref.name or f"{ref.generate_name or ''}*"
    if ref.uid:
        reference["uid"] = ref.uid
    return reference


def _where(file: str | None, line: int | None, column: int | None) -> dict[str, str]:
    """File, line and column as properties (the CRDs' properties are strings)."""
    where: dict[str, str] = {}
    if file and file != STDIN_NAME:
        where["file"] = file
    if line is not None:
        where["line"] = str(line)
    if column is not None:
        where["column"] = str(column)
    return where


def _finding(finding: Finding, stamp: dict[str, int]) -> dict[str, Any]:
    result, severity, scored = OUTCOME[finding.severity]
    applicability = finding.fix_applicability
    properties = {
        **_where(finding.file, finding.line, finding.column),
        "pointer": finding.pointer,
        # safe: `evictguard fix` applies it; unsafe: only with --unsafe-fixes; none: no fix
        "fix": applicability.value if applicability is not None else "none",
    }
    if finding.container:
        properties["container"] = finding.container
    if finding.template:
        properties["template"] = finding.template
    return {
        "policy": finding.rule,
        "message": finding.message,
        "result": result,
        "severity": severity,
        "scored": scored,
        "source": SOURCE,
        "timestamp": dict(stamp),  # a copy: YAML would alias one shared mapping
        "resources": [_reference(finding.ref)],
        "properties": properties,
    }


def _error(error: InputError, stamp: dict[str, int], notice: bool) -> dict[str, Any]:
    properties = _where(error.file, error.line, error.column)
    properties["code"] = error.code.value
    if notice and "file" not in properties:
        properties["file"] = error.file
    return {
        "policy": "not-linted" if notice else "input-error",
        "message": error.message,
        "result": "skip" if notice else "error",
        "source": SOURCE,
        "timestamp": dict(stamp),  # a copy: YAML would alias one shared mapping
        "properties": properties,
    }


def _not_checked(item: NotChecked, stamp: dict[str, int]) -> dict[str, Any]:
    ref = ObjectRef(item.api_version, item.kind, item.namespace, item.name)
    properties = {**_where(item.file, item.line, None), "pointer": item.pointer}
    properties["reason"] = item.reason
    return {
        "policy": "not-checked",
        "message": f"{ref.describe()} not checked: {item.reason}",
        "result": "skip",
        "source": SOURCE,
        "timestamp": dict(stamp),  # a copy: YAML would alias one shared mapping
        "resources": [_reference(ref)],
        "properties": properties,
    }


def _summary(results: Iterable[dict[str, Any]]) -> dict[str, int]:
    summary = dict.fromkeys(("pass", "fail", "warn", "error", "skip"), 0)
    for result in results:
        summary[result["result"]] += 1
    return summary


def _report(api: Api, group: tuple[str, ...], results: list[dict[str, Any]]) -> dict[str, Any]:
    metadata: dict[str, Any]
    if group == CLUSTER:
        kind, metadata = api.cluster, {"name": CLUSTER_REPORT_NAME}
    elif group[0] == "namespace":
        kind, metadata = api.namespaced, {"name": f"{SOURCE}-{group[1]}", "namespace": group[1]}
    else:
        kind, metadata = api.namespaced, {"name": SOURCE}
    metadata["labels"] = dict(LABELS)
    report: dict[str, Any] = {"apiVersion": api.api_version, "kind": kind, "metadata": metadata}
    if api.top_level_source:
        report["source"] = SOURCE
    report["summary"] = _summary(results)
    report["results"] = results
    return report


def reports(report: Report, api: Api = OPENREPORTS) -> list[dict[str, Any]]:
    """The report objects, namespaces in name order, the cluster-wide report last."""
    stamp = timestamp()
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for finding in report.findings:
        key = _group(finding.ref.kind, finding.ref.namespace)
        groups.setdefault(key, []).append(_finding(finding, stamp))
    for item in report.not_checked:
        key = _group(item.kind, item.namespace)
        groups.setdefault(key, []).append(_not_checked(item, stamp))
    for error in report.errors:
        groups.setdefault(CLUSTER, []).append(_error(error, stamp, notice=False))
    for notice in report.notices:
        groups.setdefault(CLUSTER, []).append(_error(notice, stamp, notice=True))
    order = sorted(groups, key=lambda key: (key == CLUSTER, key))
    return [_report(api, key, groups[key]) for key in order]


def _stream(objects: list[dict[str, Any]]) -> str:
    """A multi-document YAML stream; empty (nothing to apply) when there is no result."""
    return yaml.safe_dump_all(
        objects, explicit_start=True, sort_keys=False, allow_unicode=True, width=1_000_000
    )


def render(report: Report, **_: Any) -> str:
    return _stream(reports(report, OPENREPORTS))


def render_policyreport(report: Report, **_: Any) -> str:
    return _stream(reports(report, WGPOLICY))
