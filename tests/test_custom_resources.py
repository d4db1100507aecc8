"""Custom resources with pods inside (README: Custom resources): the well-known kinds are
judged from the one table in `policies.extract`, as lint and the webhook read it; objects
of kinds no table knows that hold pods are named as not checked, never passed silently."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from policies.config import ConfigError, load_policy_file, load_preset
from policies.extract import CUSTOM_KINDS, extract_pod_spec
from policies.lint import lint_parallel, lint_text
from policies.sources import SourceText
from tests.conftest import DATA, run_cli, run_json
from webhook.admission import checked_kinds, parse_review, validate

UNKNOWN = "tests/data/custom/unknown-kinds.yaml"
RULE_DATA = DATA / "rules" / "memory-limit-missing" / "fail"


def test_unknown_kinds_with_pods_are_named_in_the_text_summary() -> None:
    proc = run_cli("lint", UNKNOWN, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr  # not an error, not a finding
    summary = proc.stdout.splitlines()[-1]
    assert summary == (
        "1 file(s), 5 object(s): 0 error(s), 0 warning(s), 0 info, 0 input error(s); "
        "3 object(s) with pods not checked, of kinds evictguard does not know (add them to "
        "podSpecKinds): ClusterServingRuntime (serving.kserve.io), Notebook (kubeflow.org), "
        "Pooler (postgresql.cnpg.io)"
    )


def test_unknown_kinds_with_pods_are_listed_in_the_json_summary() -> None:
    code, report = run_json(UNKNOWN)
    assert code == 0
    assert report["findings"] == [] and report["errors"] == []
    assert report["summary"]["notChecked"] == [
        {
            "apiVersion": "kubeflow.org/v1",
            "kind": "Notebook",
            "namespace": "kubeflow-user",
            "name": "jupyter",
            "file": UNKNOWN,
            "line": 12,
            "pointer": "/spec/template/spec/containers",
            "reason": "kind not known",
        },
        {
            "apiVersion": "serving.kserve.io/v1alpha1",
            "kind": "ClusterServingRuntime",
            "namespace": None,
            "name": "kserve-sklearnserver",
            "file": UNKNOWN,
            "line": 26,
            "pointer": "/spec/containers",
            "reason": "kind not known",
        },
        {
            "apiVersion": "postgresql.cnpg.io/v1",
            "kind": "Pooler",
            "namespace": "db",
            "name": "pooler-rw",
            "file": UNKNOWN,
            "line": 48,
            "pointer": "/spec/template/spec/containers",
            "reason": "kind not known",
        },
    ]


def test_known_kinds_leave_no_summary_note() -> None:
    code, report = run_json(str(RULE_DATA / "custom-openkruise.yaml"))
    assert code == 1 and report["summary"]["notChecked"] == []
    text = run_cli("lint", str(RULE_DATA / "custom-openkruise.yaml")).stdout.splitlines()[-1]
    assert "not checked" not in text


def test_parallel_runs_merge_the_not_checked_objects() -> None:
    text = Path(UNKNOWN).read_text("utf-8")
    sources = [SourceText(f"f{i}.yaml", text) for i in range(60)]
    report = lint_parallel(sources, load_preset("default"), jobs=2)
    assert len(report.not_checked) == 180
    assert [item.file for item in report.not_checked[:4]] == ["f0.yaml"] * 3 + ["f1.yaml"]


def _policy(tmp_path: Path, kinds: str) -> Any:
    path = tmp_path / ".evictguard.yaml"
    path.write_text(
        f"apiVersion: evictguard.io/v1alpha1\nkind: Policy\npodSpecKinds:\n{kinds}", "utf-8"
    )
    return load_policy_file(str(path))


CACHE = """\
apiVersion: cache.example.com/v1
kind: Cache
metadata:
  name: sessions
  namespace: shop
spec:
  replicas: 3
  server:
    image: example/cache:7
    resources:
      requests:
        memory: 1Gi
  sidecars:
    - name: exporter
      image: example/exporter:1
      resources:
        limits:
          memory: 64Mi
"""


def test_the_policy_adds_a_container_spec_kind(tmp_path: Path) -> None:
    assert [n.kind for n in lint_text(CACHE, load_preset("default")).not_checked] == []
    policy = _policy(
        tmp_path,
        "  - apiGroup: cache.example.com\n    kind: Cache\n    path: spec\n"
        "    mainContainer: {name: cache, resources: spec.server.resources}\n",
    )
    report = lint_text(CACHE, policy)
    limit = [f for f in report.findings if f.rule == "memory-limit-missing"]
    assert [(f.pointer, f.container, f.line) for f in limit] == [
        ("/spec/server/resources/limits/memory", "cache", 10)
    ]
    assert 'container "cache" (spec.server.resources) has no memory limit' in limit[0].message
    assert report.not_checked == []


@pytest.mark.parametrize(
    "entry",
    [
        "    mainContainer: {name: cache, resources: spec.server}\n",  # must end in .resources
        "    mainContainer: {name: cache}\n",
        "    mainContainer: {name: '', resources: spec.resources}\n",
        "    mainContainer: {name: cache, resources: spec.resources, image: x}\n",
    ],
)
def test_a_malformed_main_container_is_a_policy_error(tmp_path: Path, entry: str) -> None:
    with pytest.raises(ConfigError, match="podSpecKinds"):
        _policy(
            tmp_path, "  - apiGroup: cache.example.com\n    kind: Cache\n    path: spec\n" + entry
        )


def test_groups_decide_apps_kruise_statefulset_is_not_apps() -> None:
    kruise = {"apiVersion": "apps.kruise.io/v1beta1", "kind": "StatefulSet"}
    obj = {**kruise, "spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}}
    pod, _ = extract_pod_spec(obj)
    assert pod is not None and pod.pointer == "/spec/template/spec"
    unknown = {**obj, "apiVersion": "apps.example.com/v1"}
    assert extract_pod_spec(unknown) == (None, [])


def test_the_main_container_of_a_container_spec_is_not_pod_level() -> None:
    obj = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "Prometheus",
        "metadata": {"name": "k8s"},
        "spec": {"resources": {"limits": {"memory": "2Gi"}}, "containers": [{"name": "x"}]},
    }
    pod, problems = extract_pod_spec(obj)
    assert problems == [] and pod is not None and pod.resources is None
    assert [(c.name, c.pointer) for c in pod.containers] == [
        ("prometheus", "/spec"),
        ("x", "/spec/containers/0"),
    ]


def _review(obj: dict[str, Any]) -> Any:
    return parse_review(
        {
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": "1",
                "operation": "CREATE",
                "kind": {"group": "argoproj.io", "version": "v1alpha1", "kind": obj["kind"]},
                "namespace": "shop",
                "object": obj,
                "userInfo": {"username": "alice"},
            },
        }
    )


def test_validate_judges_the_table_kinds_when_the_configuration_sends_them() -> None:
    policy = load_preset("default")
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
    }
    decision = validate(_review(rollout), policy)
    assert not decision.allowed
    assert "memory-limit-missing" in (decision.message or "")
    assert {kind for _, kind in CUSTOM_KINDS} <= checked_kinds(policy)
    notebook = {**rollout, "apiVersion": "kubeflow.org/v1", "kind": "Notebook"}
    assert validate(_review(notebook), policy).allowed  # a kind no table knows: let through


def test_as_admitted_judges_a_container_spec_as_written(tmp_path: Path) -> None:
    code, report = run_json("--as-admitted", str(RULE_DATA / "custom-prometheus-operator.yaml"))
    assert code == 1 and report["errors"] == []
    assert len([f for f in report["findings"] if f["rule"] == "memory-limit-missing"]) == 7


@pytest.mark.skipif(
    shutil.which("kubectl") is None and shutil.which("kustomize") is None,
    reason="neither kubectl nor kustomize is installed: nothing to build kustomizations with",
)
def test_a_kustomize_build_names_the_kinds_it_cannot_check(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources: [notebook.yaml, rollout.yaml]\n",
        "utf-8",
    )
    unknown = Path(UNKNOWN).read_text("utf-8").split("\n---\n")[0]
    (tmp_path / "notebook.yaml").write_text(unknown, "utf-8")
    shutil.copy(RULE_DATA / "custom-argo-rollout.yaml", tmp_path / "rollout.yaml")
    proc = run_cli("lint", "--format", "json", str(tmp_path))
    report = json.loads(proc.stdout)
    assert proc.returncode == 1, proc.stderr
    assert [(f["rule"], f["kind"]) for f in report["findings"]] == [
        ("memory-limit-missing", "Rollout")
    ]
    assert [(n["kind"], n["name"], n["line"]) for n in report["summary"]["notChecked"]] == [
        ("Notebook", "jupyter", None)
    ]
