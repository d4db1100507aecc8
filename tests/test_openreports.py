"""`--format openreports|policyreport`: golden output over the formats' input, every report
validated against the CRD's schema (tests/data/formats/*.schema.yaml), and the pipeline
`kubectl get -o yaml | evictguard lint --format openreports -` as kubectl gives it.

Golden files: `tests/data/formats/expected.<format>` with SOURCE_DATE_EPOCH fixed; rewrite
them with `EVICTGUARD_UPDATE_GOLDEN=1 python -m pytest tests/test_openreports.py`.
"""

from __future__ import annotations

import copy
import os
import re
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import DATA, run_cli
from tests.test_formatters import INPUT, hermetic_env

FORMATS_DATA = DATA / "formats"
UPDATE = os.environ.get("EVICTGUARD_UPDATE_GOLDEN") == "1"
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z
API = {
    "openreports": ("openreports.io/v1alpha1", "Report", "ClusterReport"),
    "policyreport": ("wgpolicyk8s.io/v1alpha2", "PolicyReport", "ClusterPolicyReport"),
}
SCHEMA = {
    "openreports": "openreports-v1alpha1.schema.yaml",
    "policyreport": "wgpolicyk8s-v1alpha2.schema.yaml",
}
# RFC 1123 subdomain, what the API server accepts as a custom resource's name.
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

CLUSTER_DUMP = """\
apiVersion: v1
kind: List
metadata:
  resourceVersion: ""
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: api
    namespace: payments
    uid: 2f1c7c7e-1111-4a8e-9d5e-000000000001
    resourceVersion: "4711"
  spec:
    selector: {matchLabels: {app: api}}
    template:
      metadata: {labels: {app: api}}
      spec:
        containers:
        - name: api
          image: example/api:1.0
- apiVersion: v1
  kind: Pod
  metadata:
    name: worker
    namespace: batch
    uid: 2f1c7c7e-1111-4a8e-9d5e-000000000002
  spec:
    containers:
    - name: worker
      image: example/worker:1.0
      resources:
        requests: {memory: 64Mi}
        limits: {memory: 64Mi}
    tolerations:
    - operator: Exists
"""


def validator(fmt: str) -> jsonschema.Draft202012Validator:
    schema = yaml.safe_load((FORMATS_DATA / SCHEMA[fmt]).read_text())
    return jsonschema.Draft202012Validator(schema)


def lint(fmt: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    env = hermetic_env(SOURCE_DATE_EPOCH=EPOCH)
    proc = run_cli("lint", "--format", fmt, *(args or (INPUT,)), stdin=stdin, env=env)
    assert proc.stderr == "", proc.stderr
    return proc.returncode, proc.stdout


def documents(output: str) -> list[dict[str, Any]]:
    assert output.startswith("---\n")
    return [doc for doc in yaml.safe_load_all(output) if doc is not None]


def assert_valid_reports(fmt: str, docs: list[dict[str, Any]]) -> None:
    api_version, namespaced, cluster = API[fmt]
    check = validator(fmt)
    assert docs
    for doc in docs:
        check.validate(doc)
        assert doc["apiVersion"] == api_version
        assert doc["kind"] in (namespaced, cluster)
        assert ("namespace" in doc["metadata"]) <= (doc["kind"] == namespaced)
        assert DNS_SUBDOMAIN.match(doc["metadata"]["name"]), doc["metadata"]["name"]
        assert doc["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "evictguard"}
        counted = {key: 0 for key in doc["summary"]}
        for result in doc["results"]:
            counted[result["result"]] += 1
            assert result["source"] == "evictguard"
        assert counted == doc["summary"]


@pytest.fixture(scope="module")
def outputs() -> dict[str, tuple[int, str]]:
    return {fmt: lint(fmt) for fmt in API}


@pytest.mark.parametrize("fmt", API)
def test_golden(fmt: str, outputs: dict[str, tuple[int, str]]) -> None:
    _, actual = outputs[fmt]
    golden = FORMATS_DATA / f"expected.{fmt}"
    if UPDATE:
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text(encoding="utf-8"), (
        f"{fmt} output differs from {golden.name}; if intended, rerun with "
        "EVICTGUARD_UPDATE_GOLDEN=1 and review the diff"
    )


@pytest.mark.parametrize("fmt", API)
def test_reports_match_the_crd_schema(fmt: str, outputs: dict[str, tuple[int, str]]) -> None:
    assert_valid_reports(fmt, documents(outputs[fmt][1]))


@pytest.mark.parametrize("fmt", API)
def test_exit_codes_are_those_of_the_other_formats(
    fmt: str, outputs: dict[str, tuple[int, str]]
) -> None:
    assert outputs[fmt][0] == lint("json")[0] == 2  # the input has a YAML error
    assert lint(fmt, str(FORMATS_DATA / "input" / "good.yaml")) == (0, "")


def test_the_schema_check_catches_what_the_api_server_rejects(
    outputs: dict[str, tuple[int, str]],
) -> None:
    report = documents(outputs["policyreport"][1])[0]
    validator("policyreport").validate(report)
    bad = copy.deepcopy(report)
    bad["results"][0]["severity"] = "critical"  # not in v1alpha2's enum
    assert not validator("policyreport").is_valid(bad)
    bad = copy.deepcopy(report)
    bad["source"] = "evictguard"  # v1alpha2 reports have no top-level source
    assert not validator("policyreport").is_valid(bad)
    bad = copy.deepcopy(report)
    bad["results"][0]["properties"]["line"] = 16  # properties are strings
    assert not validator("policyreport").is_valid(bad)


def test_results_by_namespace_severity_and_errors(outputs: dict[str, tuple[int, str]]) -> None:
    docs = documents(outputs["openreports"][1])
    by_name = {doc["metadata"]["name"]: doc for doc in docs}
    assert list(by_name) == ["evictguard-shop", "evictguard", "evictguard-cluster"]
    shop = by_name["evictguard-shop"]
    assert shop["metadata"]["namespace"] == "shop"
    assert shop["summary"] == {"pass": 0, "fail": 3, "warn": 1, "error": 0, "skip": 0}
    outcome = {(r["policy"], r["result"], r["severity"], r["scored"]) for r in shop["results"]}
    assert ("memory-limit-missing", "fail", "high", True) in outcome
    assert ("toleration-wildcard", "warn", "medium", False) in outcome
    first = shop["results"][0]
    assert first["resources"] == [
        {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "web"}
    ]
    assert first["properties"]["file"] == "tests/data/formats/input/apps.yaml"
    assert first["properties"]["line"] == "16"
    assert first["timestamp"] == {"seconds": int(EPOCH), "nanos": 0}
    # the Pod that names no namespace: a report kubectl puts in its current namespace
    assert "namespace" not in by_name["evictguard"]["metadata"]
    cluster = by_name["evictguard-cluster"]
    assert cluster["kind"] == "ClusterReport"
    (error,) = cluster["results"]
    assert (error["policy"], error["result"]) == ("input-error", "error")
    assert error["properties"]["file"] == "tests/data/formats/input/broken.yaml"


@pytest.mark.parametrize("fmt", API)
def test_kubectl_get_list_on_stdin(fmt: str) -> None:
    """`kubectl get deploy,pods -A -o yaml | evictguard lint --format openreports -`."""
    code, output = lint(fmt, "-", stdin=CLUSTER_DUMP)
    assert code == 1  # findings of error severity, as in every format
    docs = documents(output)
    assert_valid_reports(fmt, docs)
    assert [(d["kind"], d["metadata"]["namespace"]) for d in docs] == [
        (API[fmt][1], "batch"),
        (API[fmt][1], "payments"),
    ]
    payments = docs[1]["results"]
    assert {r["policy"] for r in payments} >= {"memory-limit-missing"}
    for result in payments:
        assert result["resources"] == [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "namespace": "payments",
                "name": "api",
                "uid": "2f1c7c7e-1111-4a8e-9d5e-000000000001",
            }
        ]
        assert "file" not in result["properties"]  # stdin: no file to point at
        assert int(result["properties"]["line"]) > 0


def test_timestamp_is_now_without_source_date_epoch() -> None:
    env = {k: v for k, v in hermetic_env().items() if k != "SOURCE_DATE_EPOCH"}
    proc = run_cli("lint", "--format", "openreports", INPUT, env=env)
    (result, *_) = documents(proc.stdout)[0]["results"]
    assert result["timestamp"]["seconds"] > int(EPOCH)
