"""`evictguard export vap`: which rules export, what the objects say, and that they are what
the API server accepts. The verdicts themselves: tests/test_export_parity.py."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from evictguard.engine.registry import RULES
from evictguard.export.rules import EXPORTS, NO_MODULE, WEBHOOK_ONLY, why_webhook_only
from evictguard.export.vap import ACTIONS, PREFIX, export_vap
from evictguard.model import Mode
from evictguard.policy.load import load_policy_file, load_preset
from evictguard.policy.model import Exemption

from tests.test_manifests import K8S_VERSIONS


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evictguard", "export", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_every_rule_is_exported_or_says_why_not() -> None:
    for rule_id in RULES:
        assert (rule_id in EXPORTS) != (rule_id in WEBHOOK_ONLY), rule_id
        if rule_id in WEBHOOK_ONLY:
            assert len(WEBHOOK_ONLY[rule_id]) > 30, rule_id  # a reason, not a placeholder
    assert set(EXPORTS) | set(WEBHOOK_ONLY) == set(RULES)  # no module for a rule that is gone
    assert why_webhook_only("a-rule-added-later") == NO_MODULE


@pytest.fixture(scope="module")
def default_export() -> list[dict]:
    return export_vap(load_preset("default")).objects


def test_one_policy_and_binding_per_rule_in_its_mode(default_export: list[dict]) -> None:
    policy = load_preset("default")
    exported = export_vap(policy)
    on = [r for r in policy.active_rules() if r in EXPORTS]
    assert exported.exported == [r for r in on if r not in exported.nothing_to_check]
    # no allowlist in the default policy: toleration-not-allowed has nothing to check
    assert exported.nothing_to_check == ["toleration-not-allowed"]
    assert [r for r, _ in exported.webhook_only] == [
        r for r in policy.active_rules() if r not in EXPORTS
    ]
    policies = {o["metadata"]["name"]: o for o in default_export if o["kind"].endswith("Policy")}
    bindings = {o["metadata"]["name"]: o for o in default_export if o["kind"].endswith("Binding")}
    assert set(policies) == set(bindings)
    for rule_id in exported.exported:
        mode = policy.mode(rule_id)
        binding = bindings[PREFIX + rule_id]["spec"]
        assert binding == {"policyName": PREFIX + rule_id, "validationActions": [ACTIONS[mode]]}
        pre_existing = PREFIX + rule_id + "-pre-existing"
        assert (pre_existing in bindings) == (mode is Mode.ENFORCE), rule_id
        if mode is Mode.ENFORCE:
            assert bindings[pre_existing]["spec"]["validationActions"] == ["Warn"]
    off = [r for r in RULES if policy.mode(r) is Mode.OFF]
    assert off and not any(PREFIX + r in policies for r in off)


def test_policies_match_pods_and_every_pod_template_kind(default_export: list[dict]) -> None:
    resources = {
        (group, resource)
        for obj in default_export
        if obj["kind"] == "ValidatingAdmissionPolicy"
        and obj["metadata"]["name"] == PREFIX + "memory-limit-missing"
        for rule in obj["spec"]["matchConstraints"]["resourceRules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    assert resources == {
        ("", "pods"),
        ("", "pods/resize"),
        ("", "podtemplates"),
        ("", "replicationcontrollers"),
        ("apps", "deployments"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("apps", "replicasets"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
    }


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_objects_are_valid_admissionregistration_v1(
    default_export: list[dict], version: str
) -> None:
    for obj in default_export:
        kubernetes_validate.validate(obj, version, strict=True)


def test_a_broken_object_is_caught_by_the_schema(default_export: list[dict]) -> None:
    broken = dict(default_export[0], spec={**default_export[0]["spec"], "failurePolicy": 3})
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSIONS[0], strict=True)


def test_exemptions_become_match_conditions() -> None:
    policy = dataclasses.replace(
        load_preset("default"),
        exemptions=(
            Exemption(frozenset({"memory-limit-missing"}), ("batch-*",), None, ("Job",)),
            Exemption(frozenset({"toleration-wildcard"}), None, ("web",), None),
        ),
        annotation_exemptions=False,
    )
    objects = export_vap(policy).objects
    conditions = {
        o["metadata"]["name"]: [
            c["expression"]
            for c in o["spec"].get("matchConditions", [])
            if c["name"] != "not-a-mirror-pod"
        ]
        for o in objects
        if o["kind"] == "ValidatingAdmissionPolicy"
    }
    (memory,) = conditions[PREFIX + "memory-limit-missing"]
    assert "batch-" in memory and '"Job"' in memory and memory.startswith("!(")
    (wildcard,) = conditions[PREFIX + "toleration-wildcard"]
    assert '"web"' in wildcard
    assert conditions[PREFIX + "noexecute-unbounded"] == []  # no exemption names it


def test_cli_prints_yaml_with_the_webhook_only_rules_named(tmp_path: Path) -> None:
    result = _run("vap", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    header = [line for line in result.stdout.splitlines() if line.startswith("#")]
    documents = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert {d["kind"] for d in documents} == {
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    }
    for rule_id, why in export_vap(load_preset("default")).webhook_only:
        assert f"#   {rule_id}: {why}" in header
        assert rule_id in result.stderr
    assert "&id" not in result.stdout  # no YAML anchors: kubectl users read this


def test_cli_reads_the_policy_and_refuses_old_versions(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "apiVersion: evictguard.io/v1alpha1\nkind: Policy\n"
        "rules:\n  memory-limit-missing: {mode: warn}\n  toleration-wildcard: {mode: off}\n",
        "utf-8",
    )
    out = tmp_path / "out.yaml"
    result = _run("vap", "--config", str(policy), "--output", str(out))
    assert result.returncode == 0, result.stderr
    documents = [d for d in yaml.safe_load_all(out.read_text("utf-8")) if d]
    names = {d["metadata"]["name"]: d for d in documents}
    assert PREFIX + "toleration-wildcard" not in names
    binding = names[PREFIX + "memory-limit-missing"]
    assert binding["kind"] in ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
    warn = [
        d
        for d in documents
        if d["kind"] == "ValidatingAdmissionPolicyBinding"
        and d["spec"]["policyName"] == PREFIX + "memory-limit-missing"
    ]
    assert [d["spec"]["validationActions"] for d in warn] == [["Warn"]]
    assert load_policy_file(str(policy)).mode("memory-limit-missing") is Mode.WARN
    old = _run("vap", "--kubernetes-version", "1.29")
    assert old.returncode == 2 and "1.30" in old.stderr


def test_the_export_passes_evictguard_lint(tmp_path: Path) -> None:
    out = tmp_path / "vap.yaml"
    assert _run("vap", "--output", str(out)).returncode == 0
    lint = subprocess.run(
        [sys.executable, "-m", "evictguard", "lint", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_the_same_requests_reach_the_policies_as_the_webhook(default_export: list[dict]) -> None:
    """The namespaces left out, and the kubelet's mirror Pods spared, as in manifests/."""
    root = Path(__file__).resolve().parent.parent
    configuration = yaml.safe_load(
        (root / "manifests" / "base" / "validatingwebhookconfiguration.yaml").read_text("utf-8")
    )
    (webhook,) = configuration["webhooks"]
    for obj in default_export:
        if obj["kind"] != "ValidatingAdmissionPolicy":
            continue
        spec = obj["spec"]
        assert spec["matchConstraints"]["namespaceSelector"] == webhook["namespaceSelector"]
        names = [c["name"] for c in spec.get("matchConditions", [])]
        budgets = spec["matchConstraints"]["resourceRules"][0]["apiGroups"] == ["policy"]
        assert ("not-a-mirror-pod" in names) != budgets, obj["metadata"]["name"]


TABLE_START = "<!-- native-admission-table:"
TABLE_END = "<!-- /native-admission-table -->"


def native_admission_table() -> str:
    """README's table of every rule: exported (and whether its fix is), or why not."""
    rows = ["| rule | native admission |", "|---|---|"]
    for rule_id in RULES:
        cel_rule = EXPORTS.get(rule_id)
        if cel_rule is None:
            rows.append(f"| `{rule_id}` | webhook only: {why_webhook_only(rule_id)} |")
        elif cel_rule.mutation is not None:
            rows.append(f"| `{rule_id}` | `export vap`; its fix: `export map` |")
        else:
            rows.append(f"| `{rule_id}` | `export vap` |")
    return "\n".join(rows)


def test_readme_table_lists_every_rule() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    start = readme.index(TABLE_START)
    start = readme.index("\n", start) + 1
    end = readme.index(TABLE_END)
    expected = native_admission_table()
    assert readme[start:end].strip() == expected, "README's table should read:\n" + expected
