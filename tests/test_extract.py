"""The pod-spec table: every workload kind is found in exactly one place."""

from __future__ import annotations

from pathlib import Path

import pytest
from evictguard.engine.check import check_object, object_ref
from evictguard.k8s.podspec import ExtraKind, extract_pod_spec, pod_spec_path
from evictguard.policy.load import load_policy_file

from tests.conftest import lint_paths

CONTAINERS = [{"name": "app", "image": "example/app:1"}]
SPEC = {"containers": CONTAINERS}

WORKLOADS = [
    ("v1", "Pod", {"spec": SPEC}, "/spec"),
    ("v1", "PodTemplate", {"template": {"spec": SPEC}}, "/template/spec"),
    ("v1", "ReplicationController", {"spec": {"template": {"spec": SPEC}}}, "/spec/template/spec"),
    ("apps/v1", "Deployment", {"spec": {"template": {"spec": SPEC}}}, "/spec/template/spec"),
    (
        "extensions/v1beta1",
        "Deployment",
        {"spec": {"template": {"spec": SPEC}}},
        "/spec/template/spec",
    ),
    ("apps/v1", "StatefulSet", {"spec": {"template": {"spec": SPEC}}}, "/spec/template/spec"),
    ("apps/v1", "DaemonSet", {"spec": {"template": {"spec": SPEC}}}, "/spec/template/spec"),
    ("apps/v1", "ReplicaSet", {"spec": {"template": {"spec": SPEC}}}, "/spec/template/spec"),
    ("batch/v1", "Job", {"spec": {"template": {"spec": SPEC}}}, "/spec/template/spec"),
    (
        "batch/v1",
        "CronJob",
        {"spec": {"jobTemplate": {"spec": {"template": {"spec": SPEC}}}}},
        "/spec/jobTemplate/spec/template/spec",
    ),
]


@pytest.mark.parametrize(("api_version", "kind", "body", "pointer"), WORKLOADS)
def test_every_workload_kind_has_its_pod_spec_found(api_version, kind, body, pointer):
    obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}, **body}
    view, problems = extract_pod_spec(obj)
    assert problems == []
    assert view is not None
    assert view.pointer == pointer
    assert [c.pointer for c in view.containers] == [pointer + "/containers/0"]
    assert view.is_pod == (kind == "Pod")


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [("v1", "Service"), ("v1", "ConfigMap"), ("example.com/v1", "Deployment"), ("v1", "Job")],
)
def test_kinds_without_pod_spec_or_from_other_groups_are_not_checked(api_version, kind):
    obj = {"apiVersion": api_version, "kind": kind, "spec": {"template": {"spec": SPEC}}}
    assert extract_pod_spec(obj) == (None, [])


def test_extra_kinds_from_the_policy_match_group_and_kind():
    rollout = ExtraKind("Rollout", ("spec", "template", "spec"), "argoproj.io")
    assert pod_spec_path("argoproj.io/v1alpha1", "Rollout", [rollout]) == (
        "spec",
        "template",
        "spec",
    )
    assert pod_spec_path("other.io/v1", "Rollout", [rollout]) is None
    anygroup = ExtraKind("DeploymentConfig", ("spec", "template", "spec"))
    assert pod_spec_path("apps.openshift.io/v1", "DeploymentConfig", [anygroup]) is not None


def test_container_roles_include_sidecars_and_ephemeral_containers():
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "spec": {
            "initContainers": [{"name": "init"}, {"name": "proxy", "restartPolicy": "Always"}],
            "containers": [{"name": "app"}],
            "ephemeralContainers": [{"name": "debug"}],
        },
    }
    view, _ = extract_pod_spec(obj)
    assert view is not None
    assert [(c.name, c.role) for c in view.containers] == [
        ("app", "container"),
        ("init", "init container"),
        ("proxy", "sidecar container"),
    ]
    assert [(c.name, c.role) for c in view.ephemeral] == [("debug", "ephemeral container")]


@pytest.mark.parametrize(
    ("spec", "pointer", "text"),
    [
        ({"containers": None}, None, None),
        (
            {"containers": {"name": "app"}},
            "/spec/containers",
            "spec.containers is a mapping, not a list",
        ),
        (
            {"containers": ["app"]},
            "/spec/containers/0",
            "spec.containers[0] is a string, not a container",
        ),
        ([], "/spec", "spec is a list, not an object"),
    ],
)
def test_malformed_pod_specs_are_problems_with_pointers(spec, pointer, text):
    view, problems = extract_pod_spec({"apiVersion": "v1", "kind": "Pod", "spec": spec})
    if pointer is None:
        assert problems == [] and view is not None and view.containers == ()
    else:
        assert [(p.pointer, p.message) for p in problems] == [(pointer, text)]


def test_partial_objects_such_as_kustomize_patches_are_skipped_quietly():
    patch = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"replicas": 3},
    }
    assert extract_pod_spec(patch) == (None, [])


def test_object_ref_has_no_name_under_generate_name_but_describes_it():
    ref = object_ref({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "web-"}})
    assert (ref.kind, ref.name, ref.namespace) == ("Pod", None, None)
    assert ref.describe() == "Pod web-*"


def test_extra_kinds_from_a_policy_file_are_linted(tmp_path: Path):
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(
        "podSpecKinds:\n"
        "  - {apiGroup: apps.openshift.io, kind: DeploymentConfig, path: spec.template.spec}\n"
    )
    manifest = tmp_path / "rollout.yaml"
    manifest.write_text(
        "apiVersion: apps.openshift.io/v1\n"
        "kind: DeploymentConfig\n"
        "metadata: {name: canary}\n"
        "spec:\n"
        "  template:\n"
        "    spec:\n"
        "      containers:\n"
        "        - name: app\n"
        "          image: example/app:1\n"
    )
    policy = load_policy_file(str(policy_file))
    report = lint_paths(manifest, policy=policy)
    assert {(f.rule, f.line, f.column) for f in report.findings} == {
        ("memory-limit-missing", 8, 11)  # no limit, no request: one finding
    }
    # without the policy entry a DeploymentConfig is an unknown kind: not checked, and said
    unknown = lint_paths(manifest)
    assert unknown.findings == [] and [n.kind for n in unknown.not_checked] == ["DeploymentConfig"]


def test_an_internal_error_in_a_rule_is_reported_not_raised(default_policy, monkeypatch):
    from evictguard.engine.registry import RULES

    def broken(_ctx):
        raise RuntimeError("boom")

    rule = RULES["memory-limit-missing"]
    monkeypatch.setitem(
        RULES, "memory-limit-missing", type(rule)(**{**rule.__dict__, "check": broken})
    )
    result = check_object({"apiVersion": "v1", "kind": "Pod", "spec": SPEC}, default_policy)
    assert [p.message for p in result.problems] == [
        "internal error in rule memory-limit-missing: RuntimeError: boom"
    ]
    assert {f.rule for f in result.findings} == {"memory-request-missing"}
