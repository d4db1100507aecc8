"""`evictguard export map`: MutatingAdmissionPolicies that apply the fixes the webhook's
/mutate applies, to the same objects, with the same result (and none the second time)."""

from __future__ import annotations

import copy
import dataclasses
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import jsonpatch
import kubernetes_validate
import pytest
import yaml
from evictguard.export.map import export_map
from evictguard.policy.load import load_preset
from evictguard.policy.model import Policy
from evictguard.webhook import admission

from tests.as_admission_sees import (
    EXAMPLES,
    as_admission_sees,
    documents,
    username_for,
    webhook_review,
)
from tests.conftest import DATA

MUTATED = admission.MUTATED_ANNOTATION


@pytest.mark.parametrize(("version", "api"), [("1.34", "v1beta1"), ("1.36", "v1"), ("1.37", "v1")])
def test_objects_are_schema_valid_for_their_version(version: str, api: str) -> None:
    exported = export_map(load_preset("default"), tuple(map(int, version.split("."))))
    assert exported.objects
    for obj in exported.objects:
        assert obj["apiVersion"] == f"admissionregistration.k8s.io/{api}"
        kubernetes_validate.validate(obj, version, strict=True)


def test_only_mutating_rules_on_create_of_the_mutated_kinds() -> None:
    policy = load_preset("default")
    exported = export_map(policy)
    mutating = [r for r in policy.active_rules() if policy.mutates(r)]
    assert sorted(exported.exported + [r for r, _ in exported.not_exported]) == sorted(mutating)
    for obj in exported.objects:
        if obj["kind"] != "MutatingAdmissionPolicy":
            continue
        (rule,) = obj["spec"]["matchConstraints"]["resourceRules"]
        assert rule["operations"] == ["CREATE"] and rule["resources"] == ["pods"]
        assert obj["spec"]["reinvocationPolicy"] == "IfNeeded"


def test_cli_refuses_versions_without_the_api(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "evictguard", "export", "map"]
    old = subprocess.run([*run, "--kubernetes-version", "1.33"], capture_output=True, text=True)
    assert old.returncode == 2 and "1.34" in old.stderr
    ok = subprocess.run(run, capture_output=True, text=True, check=True)
    kinds = Counter(d["kind"] for d in yaml.safe_load_all(ok.stdout) if d)
    assert kinds["MutatingAdmissionPolicy"] == kinds["MutatingAdmissionPolicyBinding"] >= 1
    assert "feature gate" in ok.stdout.split("---")[0]


def _harness() -> Any:
    """The MutatingAdmissionPolicy evaluator (cel-expr-python, Python >= 3.11)."""
    pytest.importorskip("cel_expr_python", reason="cel-expr-python needs Python >= 3.11")
    mutating = pytest.importorskip("tests.k8s_cel.mutating")
    request = pytest.importorskip("tests.k8s_cel.request")
    return mutating, request


def _webhook(obj: dict[str, Any], username: str, policy: Policy) -> dict[str, Any]:
    """The object after the webhook's patch, without the annotation recording it."""
    review = webhook_review(obj, username)
    decision = admission.mutate(review, policy)
    out = jsonpatch.apply_patch(obj, decision.patch or [])
    annotations = out["metadata"].get("annotations") or {}
    annotations.pop(MUTATED, None)
    if not annotations and "annotations" not in obj["metadata"]:
        out["metadata"].pop("annotations", None)
    return out


def _policies(obj: dict[str, Any], username: str, exported: list[dict]) -> Any:
    mutating, requests = _harness()
    policies = [o for o in exported if o["kind"] == "MutatingAdmissionPolicy"]
    bindings = [o for o in exported if o["kind"] == "MutatingAdmissionPolicyBinding"]
    namespace = obj["metadata"]["namespace"]
    request = requests.admission_request(obj, username=username, namespace=namespace)
    return mutating.mutate(policies, bindings, request, requests.namespace_object(namespace))


def _mutating_only(policy: Policy, rules: list[str]) -> Policy:
    """`policy` with the webhook mutating for `rules` only (the fixes the export restates;
    the others stay the webhook's, and the export's header names them)."""
    settings = {
        rule: dataclasses.replace(s, mutate=s.mutate and rule in rules)
        for rule, s in policy.rules.items()
    }
    return dataclasses.replace(policy, rules=settings)


def test_the_policies_patch_as_the_webhook_does() -> None:
    _harness()
    policy = load_preset("default")
    export = export_map(policy)
    exported = export.objects
    webhook_policy = _mutating_only(policy, export.exported)
    files = sorted((DATA / "rules").glob("*/*/*.yaml")) + sorted(EXAMPLES.glob("*/*.yaml"))
    tally: Counter[str] = Counter()
    mismatches = []
    for path in files:
        for index, document in enumerate(documents(path)):
            if (document.get("apiVersion"), document.get("kind")) != ("v1", "Pod"):
                continue
            obj, _ = as_admission_sees(document, policy)
            if obj is None:
                tally["refused"] += 1
                continue
            username = username_for(obj)
            expected = _webhook(copy.deepcopy(obj), username, webhook_policy)
            outcome = _policies(copy.deepcopy(obj), username, exported)
            tally["compared"] += 1
            tally["patched" if expected != obj else "unchanged"] += 1
            where = f"{path.name} #{index}"
            if outcome.denied or outcome.errors:
                mismatches.append(f"{where}: {outcome.messages} {outcome.errors}")
            elif outcome.object != expected:
                mismatches.append(f"{where}: webhook {expected} != policies {outcome.object}")
            else:
                again = _policies(copy.deepcopy(outcome.object), username, exported)
                if again.object != outcome.object:
                    mismatches.append(f"{where}: not idempotent: {again.object}")
    print(f"\nmap parity: {dict(tally)}")
    assert not mismatches, "\n".join(mismatches[:20])
    assert tally["compared"] > 100 and tally["patched"] >= 8, tally
