"""The namespaces admission leaves out (README: Policy, `admission.ignoredNamespaces`): the
shipped webhook configurations never send kube-system or evictguard's own namespace, so
lint does not check them either (named as not checked, with the reason; never failed), and
/validate and /mutate let such an object through unchecked, so lint and the webhook agree.
That the configurations and the default policy name the same namespaces is
tests/test_manifests.py's."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from evictguard.lint.files import lint_text
from evictguard.policy.load import load_policy_file, load_preset
from evictguard.policy.model import ConfigError
from evictguard.webhook.admission import mutate, parse_review, validate

from tests.conftest import run_cli, run_json

NAMESPACE_IGNORED = "namespace left out of admission"

# A node agent as calico ships it: no memory limit, in kube-system.
NODE_AGENT = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: calico-node
  namespace: kube-system
spec:
  selector: {matchLabels: {k8s-app: calico-node}}
  template:
    metadata: {labels: {k8s-app: calico-node}}
    spec:
      containers:
        - name: calico-node
          image: calico/node:v3.27
"""

OWN = NODE_AGENT.replace("DaemonSet", "Deployment").replace(
    "name: calico-node\n  namespace: kube-system", "name: evictguard\n  namespace: evictguard"
)
SHOP = NODE_AGENT.replace("namespace: kube-system", "namespace: shop")
NO_NAMESPACE = NODE_AGENT.replace("  namespace: kube-system\n", "")


def write(tmp_path: Path, name: str, *documents: str) -> str:
    path = tmp_path / name
    path.write_text("---\n".join(documents), "utf-8")
    return str(path)


def test_lint_leaves_kube_system_and_evictguard_out_by_default(tmp_path: Path) -> None:
    path = write(tmp_path, "agents.yaml", NODE_AGENT, OWN)
    code, report = run_json(path)
    assert code == 0  # not failed: nothing was judged
    assert report["findings"] == [] and report["errors"] == []
    assert report["summary"]["objects"] == 2
    assert report["summary"]["notChecked"] == [
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "namespace": "kube-system",
            "name": "calico-node",
            "file": path,
            "line": 5,  # where the namespace is written
            "pointer": "/metadata/namespace",
            "reason": NAMESPACE_IGNORED,
            "seen": None,
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "namespace": "evictguard",
            "name": "evictguard",
            "file": path,
            "line": 19,
            "pointer": "/metadata/namespace",
            "reason": NAMESPACE_IGNORED,
            "seen": None,
        },
    ]


def test_the_text_summary_names_them_by_namespace(tmp_path: Path) -> None:
    path = write(tmp_path, "agents.yaml", NODE_AGENT, NODE_AGENT, OWN)
    proc = run_cli("lint", path, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == (
        "1 file(s), 3 object(s): 0 error(s), 0 warning(s), 0 info, 0 input error(s); "
        "3 object(s) with pods not checked, in namespaces admission leaves out "
        "(admission.ignoredNamespaces): evictguard, kube-system x2"
    )


def test_other_namespaces_and_objects_with_none_are_still_checked(tmp_path: Path) -> None:
    path = write(tmp_path, "mixed.yaml", NODE_AGENT, SHOP, NO_NAMESPACE)
    code, report = run_json(path)
    assert code == 1
    assert {(f["namespace"], f["rule"]) for f in report["findings"]} == {
        ("shop", "memory-limit-missing"),
        (None, "memory-limit-missing"),
    }
    assert [n["namespace"] for n in report["summary"]["notChecked"]] == ["kube-system"]


def test_the_strict_preset_checks_every_namespace(tmp_path: Path) -> None:
    strict = tmp_path / "strict.yaml"
    strict.write_text("apiVersion: evictguard.io/v1alpha1\nkind: Policy\nextends: strict\n")
    assert load_preset("strict").ignored_namespaces == ()
    code, report = run_json("--config", str(strict), write(tmp_path, "a.yaml", NODE_AGENT, OWN))
    assert code == 1
    assert {(f["name"], f["rule"]) for f in report["findings"]} >= {
        ("calico-node", "memory-limit-missing"),
        ("evictguard", "memory-limit-missing"),
    }
    assert report["summary"]["notChecked"] == []


def test_a_policy_sets_the_list(tmp_path: Path) -> None:
    policy = tmp_path / ".evictguard.yaml"
    policy.write_text("admission:\n  ignoredNamespaces: [shop]\n", "utf-8")
    report = lint_text("---\n".join([NODE_AGENT, SHOP]), load_policy_file(str(policy)))
    assert {f.ref.namespace for f in report.findings} == {"kube-system"}
    assert [(n.namespace, n.reason) for n in report.not_checked] == [("shop", NAMESPACE_IGNORED)]


@pytest.mark.parametrize(
    "value",
    ["[kube-*]", "kube-system", "[Kube-System]", "['']", "[kube-system, kube-system]"],
)
def test_the_list_is_exact_namespace_names(tmp_path: Path, value: str) -> None:
    """A namespaceSelector has no globs: a pattern here could never match what the
    configurations leave out."""
    policy = tmp_path / ".evictguard.yaml"
    policy.write_text(f"admission:\n  ignoredNamespaces: {value}\n", "utf-8")
    with pytest.raises(ConfigError, match=r"admission\.ignoredNamespaces"):
        load_policy_file(str(policy))


def test_what_holds_pods_there_is_named_for_its_namespace() -> None:
    """A kind no table knows too (knowing it would change nothing); a workload with no pod
    spec (a kustomize patch) is not named, as anywhere."""
    notebook = (
        "apiVersion: kubeflow.org/v1\nkind: Notebook\nmetadata: {name: nb, namespace: "
        "kube-system}\nspec: {template: {spec: {containers: [{name: nb, image: x}]}}}\n"
    )
    patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: p, namespace: kube-system}\n"
    report = lint_text(f"{notebook}---\n{patch}", load_preset("default"))
    assert [(n.kind, n.reason, n.pointer, n.line) for n in report.not_checked] == [
        ("Notebook", NAMESPACE_IGNORED, "/metadata/namespace", 3)
    ]
    assert report.findings == []


@pytest.mark.skipif(
    shutil.which("kubectl") is None and shutil.which("kustomize") is None,
    reason="neither kubectl nor kustomize is installed: nothing to build kustomizations with",
)
def test_the_namespace_kustomize_gives_counts(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "namespace: kube-system\nresources: [agent.yaml]\n",
        "utf-8",
    )
    (tmp_path / "agent.yaml").write_text(SHOP, "utf-8")  # shop, until kustomize moves it
    proc = run_cli("lint", "--format", "json", str(tmp_path))
    report = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stderr
    assert report["findings"] == []
    assert [(n["name"], n["namespace"], n["reason"]) for n in report["summary"]["notChecked"]] == [
        ("calico-node", "kube-system", NAMESPACE_IGNORED)
    ]


# --- admission -------------------------------------------------------------------------------


def _review(obj: dict[str, Any], namespace: str | None) -> Any:
    request: dict[str, Any] = {
        "uid": "1",
        "operation": "CREATE",
        "kind": {"group": "", "version": "v1", "kind": obj["kind"]},
        "object": obj,
        "userInfo": {"username": "alice"},
    }
    if namespace is not None:
        request["namespace"] = namespace
    return parse_review(
        {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}
    )


POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "agent"},
    "spec": {"containers": [{"name": "agent", "image": "calico/node:v3.27"}]},
}


@pytest.mark.parametrize("namespace", ["kube-system", "evictguard"])
def test_validate_lets_an_ignored_namespace_through_unchecked(namespace: str) -> None:
    """The shipped configurations never send these; a configuration that does gets the
    verdict lint gives (not checked), not a denial."""
    policy = load_preset("default")
    decision = validate(_review(POD, namespace), policy)
    assert decision.allowed and decision.message is None and decision.findings == []
    assert decision.outcome == "skipped"
    assert decision.skipped == (
        f"namespace {namespace} is left out of admission (ignoredNamespaces)"
    )
    assert mutate(_review(POD, namespace), policy).outcome == "skipped"
    # The same Pod elsewhere is denied, and with the list emptied, there too.
    assert not validate(_review(POD, "shop"), policy).allowed
    every = dataclasses.replace(policy, ignored_namespaces=())
    assert not validate(_review(POD, namespace), every).allowed


def test_validate_believes_the_request_namespace_over_the_objects() -> None:
    """The request's namespace is the API server's: an object claiming kube-system in its
    own metadata, sent for another namespace, is judged."""
    policy = load_preset("default")
    claims = {**POD, "metadata": {"name": "agent", "namespace": "kube-system"}}
    assert not validate(_review(claims, "shop"), policy).allowed
    assert validate(_review(claims, None), policy).outcome == "skipped"
