"""Custom resources with pods inside (README: Custom resources): the well-known kinds are
judged from the one table in `evictguard.k8s.podspec`, as lint and the webhook read it; objects
of kinds no table knows that hold pods are named as not checked, never passed silently."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from evictguard.k8s.podspec import CUSTOM_KINDS, extract_pod_spec, extract_pod_specs, unchecked_pods
from evictguard.lint.files import lint_parallel, lint_text
from evictguard.policy.load import load_policy_file, load_preset
from evictguard.policy.model import ConfigError
from evictguard.webhook.admission import checked_kinds, parse_review, validate
from evictguard.yaml.sources import SourceText

from tests.conftest import DATA, run_cli, run_json

UNKNOWN = "tests/data/custom/unknown-kinds.yaml"
RULE_DATA = DATA / "rules" / "memory-limit-missing" / "fail"


def test_unknown_kinds_with_pods_are_named_in_the_text_summary() -> None:
    proc = run_cli("lint", UNKNOWN, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr  # not an error, not a finding
    summary = proc.stdout.splitlines()[-1]
    assert summary == (
        "1 file(s), 7 object(s): 0 error(s), 0 warning(s), 0 info, 0 input error(s); "
        "4 object(s) with pods not checked, of kinds evictguard does not know (add them to "
        "podSpecKinds): CephCluster (ceph.rook.io), ClusterServingRuntime (serving.kserve.io), "
        "Kafka (kafka.strimzi.io), Notebook (kubeflow.org)"
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
            "line": 14,
            "pointer": "/spec/template/spec/containers",
            "reason": "kind not known",
            "seen": "containers",
        },
        {
            "apiVersion": "serving.kserve.io/v1alpha1",
            "kind": "ClusterServingRuntime",
            "namespace": None,
            "name": "kserve-sklearnserver",
            "file": UNKNOWN,
            "line": 28,
            "pointer": "/spec/containers",
            "reason": "kind not known",
            "seen": "containers",
        },
        {
            "apiVersion": "kafka.strimzi.io/v1beta2",
            "kind": "Kafka",
            "namespace": "db",
            "name": "events",
            "file": UNKNOWN,
            "line": 46,
            "pointer": "/spec/kafka/resources",
            "reason": "kind not known",
            "seen": "container resources",
        },
        {
            "apiVersion": "ceph.rook.io/v1",
            "kind": "CephCluster",
            "namespace": "rook-ceph",
            "name": "rook-ceph",
            "file": UNKNOWN,
            "line": 98,
            "pointer": "/spec/placement/all/tolerations",
            "reason": "kind not known",
            "seen": "tolerations",
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
    assert len(report.not_checked) == 240
    assert [item.file for item in report.not_checked[:5]] == ["f0.yaml"] * 4 + ["f1.yaml"]


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
    # Unknown, it is named: an operator makes pods from the resources it holds.
    unknown = lint_text(CACHE, load_preset("default")).not_checked
    assert [(n.kind, n.pointer, n.seen) for n in unknown] == [
        ("Cache", "/spec/server/resources", "container resources")
    ]
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


CLUSTER_POLICY = RULE_DATA / "custom-gpu-operator.yaml"


def test_each_component_is_judged_as_its_own_pod_spec() -> None:
    """The ClusterPolicy's components each make a DaemonSet: one pod spec each, named in
    messages by the path of their resources; switched-off components make none."""
    [item] = [obj for obj in _objects(CLUSTER_POLICY)]
    pods, problems = extract_pod_specs(item)
    assert problems == []
    assert [(p.pointer, p.containers[0].name, p.daemon) for p in pods] == [
        ("/spec/driver", "nvidia-driver-ctr", True),
        ("/spec/toolkit", "nvidia-container-toolkit-ctr", True),
        ("/spec/devicePlugin", "nvidia-device-plugin", True),
        ("/spec/dcgmExporter", "nvidia-dcgm-exporter", True),
        ("/spec/gfd", "gpu-feature-discovery", True),
        ("/spec/validator", "nvidia-operator-validator", True),
    ]  # dcgm and migManager: enabled: false; nodeStatusExporter: off by default
    shared = "/spec/daemonsets/tolerations/0"
    assert all([t.pointer for t in p.tolerations] == [shared] for p in pods)
    assert all(not p.pod_level for p in pods)


def test_a_toleration_components_share_is_judged_once() -> None:
    text = CLUSTER_POLICY.read_text("utf-8").replace(
        "        effect: NoSchedule\n  driver:", "        effect: NoSchedul\n  driver:"
    )
    report = lint_text(text, load_preset("default"))
    invalid = [f for f in report.findings if f.rule == "toleration-invalid"]
    assert [(f.pointer, f.line) for f in invalid] == [("/spec/daemonsets/tolerations/0/effect", 18)]


def test_a_cnpg_cluster_takes_tolerations_from_its_affinity() -> None:
    obj = {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": "pg", "namespace": "db"},
        "spec": {
            "resources": {"limits": {"memory": "1Gi"}},
            "affinity": {"tolerations": [{"key": "a", "operator": "Exists"}]},
            "tolerations": [{"key": "not-a-cnpg-field", "operator": "Exists"}],
        },
    }
    [pod], problems = extract_pod_specs(obj)
    assert problems == [] and [t.pointer for t in pod.tolerations] == [
        "/spec/affinity/tolerations/0"
    ]
    assert [(c.name, c.origin) for c in pod.containers] == [("postgres", "spec.resources")]


def test_tigera_overrides_and_control_plane_tolerations() -> None:
    obj = {
        "apiVersion": "operator.tigera.io/v1",
        "kind": "Installation",
        "metadata": {"name": "default"},
        "spec": {
            "controlPlaneTolerations": [{"key": "a", "operator": "Exists"}],
            "calicoNodeDaemonSet": {
                "spec": {"template": {"spec": {"containers": [{"name": "calico-node"}]}}}
            },
            "typhaDeployment": {"spec": {"template": {"spec": {"tolerations": []}}}},
        },
    }
    pods, _ = extract_pod_specs(obj)
    assert [(p.pointer, p.daemon, len(p.tolerations)) for p in pods] == [
        ("/spec", False, 1),
        ("/spec/calicoNodeDaemonSet/spec/template/spec", True, 0),
        ("/spec/typhaDeployment/spec/template/spec", False, 0),
    ]
    assert pods[1].containers[0].describe() == 'container "calico-node" (calicoNodeDaemonSet)'


def test_the_webhook_judges_each_component() -> None:
    [item] = [obj for obj in _objects(CLUSTER_POLICY)]
    decision = validate(_review(item), load_preset("default"))
    assert not decision.allowed
    assert "spec.driver.resources" in (decision.message or "")
    assert "spec.devicePlugin.resources" in (decision.message or "")
    assert {"ClusterPolicy", "Cluster", "Pooler", "Installation", "APIServer"} <= checked_kinds(
        load_preset("default")
    )


def test_unknown_kinds_named_for_resources_or_tolerations_only_where_shaped() -> None:
    def seen(spec: dict[str, Any]) -> Any:
        found = unchecked_pods({"apiVersion": "x.example.com/v1", "kind": "X", "spec": spec})
        return found and found[1]

    assert seen({"a": {"resources": {"limits": {"memory": "1Gi"}}}}) == "container resources"
    assert seen({"a": {"resources": {"limits": {"cpu": "1"}}}}) is None  # no memory
    assert seen({"resources": ["pods", "services"]}) is None  # RBAC-like lists
    assert seen({"nodes": [{"tolerations": [{"effect": "NoSchedule"}]}]}) == "tolerations"
    assert seen({"podTolerations": [{"operator": "Exists"}]}) == "tolerations"
    assert seen({"selector": {"matchExpressions": [{"key": "a", "operator": "Exists"}]}}) is None
    assert seen({"other": [{"key": "a", "operator": "Exists"}]}) is None  # not named so
    assert seen({"match": [{"key": "a", "value": "b"}]}) is None  # pairs, not tolerations
    assert seen({"x": [{"key": "a", "operator": "Exists", "path": "/"}]}) is None
    assert unchecked_pods({"kind": "ConfigMap", "data": {"resources": "limits"}}) is None


def _objects(path: Path) -> list[dict[str, Any]]:
    from evictguard.yaml.loader import load_text

    return [item.obj for item in load_text(path.read_text("utf-8"), str(path)).objects]


DEEP = "tests/data/custom/deep-templates.yaml"


def test_unknown_kinds_with_deeper_pod_templates_are_named_where_the_containers_are() -> None:
    """Operators keep pod templates deeper than the usual places (by replica role, by
    group, in a list of groups, one container per workflow step): each is named at the
    first container list, or single container, in document order."""
    code, report = run_json(DEEP)
    assert code == 0 and report["findings"] == [] and report["errors"] == []
    named = [
        (n["kind"], n["line"], n["pointer"], n["reason"], n["seen"])
        for n in report["summary"]["notChecked"]
    ]
    assert named == [
        (kind, line, pointer, "kind not known", "containers")
        for kind, line, pointer in [
            ("PyTorchJob", 21, "/spec/pytorchReplicaSpecs/Master/template/spec/containers"),
            ("FlinkDeployment", 45, "/spec/podTemplate/spec/containers"),
            ("RayCluster", 75, "/spec/headGroupSpec/template/spec/containers"),
            ("RayCluster", 96, "/spec/workerGroupSpecs/0/template/spec/containers"),
            ("Workflow", 112, "/spec/templates/1/container"),
            ("WorkflowTemplate", 124, "/spec/templates/0/script"),
        ]
    ]  # the Settings object, whose data lists container names, is not named


def test_deeper_containers_only_where_shaped_and_after_resources_or_tolerations() -> None:
    def found(spec: dict[str, Any]) -> Any:
        return unchecked_pods({"apiVersion": "x.example.com/v1", "kind": "X", "spec": spec})

    init = {"initContainers": [{"name": "fetch", "image": "fetch:1"}]}
    assert found({"jobManager": {"podTemplate": {"spec": init}}}) == (
        "/spec/jobManager/podTemplate/spec/initContainers",
        "containers",
    )
    assert found({"a": {"containers": [{"name": "main"}]}}) == ("/spec/a/containers", "containers")
    assert found({"data": {"containers": ["web", "worker"]}}) is None  # names, no containers
    assert found({"a": {"containers": []}}) is None
    assert found({"a": {"containers": [{"name": "web"}, "worker"]}}) is None
    assert found({"metrics": [{"container": "web"}]}) is None  # a container's name
    assert found({"steps": [{"container": {"name": "web"}}]}) is None  # no image: no container
    # What named an object before still names it, whatever comes first.
    both = {
        "a": {"containers": [{"name": "main", "image": "main:1"}]},
        "b": {"resources": {"limits": {"memory": "1Gi"}}},
    }
    assert found(both) == ("/spec/b/resources", "container resources")
    assert unchecked_pods({"kind": "ConfigMap", "data": {"containers": "web"}}) is None
