"""The exported ValidatingAdmissionPolicies and the engine give the same verdicts.

Every rule data file (tests/data/rules/<rule>/{pass,fail}) under the policy its data tests
use (tests/test_rules_data.policy_for), and the bundled examples under the default policy,
go through both doors as a CREATE: the webhook's decision (`webhook.admission.validate`) and
the exported policies evaluated by a real CEL implementation (cel-expr-python, with
Kubernetes' CEL libraries ported in tests/k8s_cel). For each object and each exported rule,
the rule reports something in both or in neither; and the object is denied by both or by
neither. Objects the API server refuses before admission (tests/as_admission_sees.py) and
kinds the exported policies do not match (custom resources) are counted, not compared.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from evictguard.engine.check import check_object
from evictguard.export.rules import EXPORTS
from evictguard.export.vap import PREFIX, export_vap
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

pytest.importorskip("cel_expr_python", reason="cel-expr-python needs Python >= 3.11")
vap_eval = pytest.importorskip("tests.k8s_cel.vap", reason="tests/k8s_cel not there")


from tests.k8s_cel.request import cel_request  # noqa: E402
from tests.test_rules_data import RULES_DATA, policy_for  # noqa: E402

WEBHOOK_CONFIGURATION = (
    Path(__file__).resolve().parent.parent / "manifests/base/validatingwebhookconfiguration.yaml"
)

# (apiVersion, kind) the exported policies match: the served versions of `POD_RESOURCES`
# and `BUDGET_RESOURCES` in export/vap.py.
MATCHED = {
    ("v1", "Pod"),
    ("v1", "PodTemplate"),
    ("v1", "ReplicationController"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "ReplicaSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("policy/v1", "PodDisruptionBudget"),
}
_POLICY_NAME = re.compile(r"ValidatingAdmissionPolicy '([^']+)'")


@dataclasses.dataclass
class Tally:
    files: int = 0
    objects: int = 0
    compared: int = 0
    refused: int = 0  # by the API server before admission
    unmatched: int = 0  # kinds the exported policies do not match
    verdicts: Counter[str] = dataclasses.field(default_factory=Counter)
    fired: Counter[str] = dataclasses.field(default_factory=Counter)  # rule -> objects


def _rule_of(policy_name: str) -> str:
    return policy_name.removeprefix(PREFIX).removesuffix("-pre-existing")


def _cel_verdict(
    exported: list[dict[str, Any]], obj: dict[str, Any], username: str
) -> tuple[bool, set[str], list[str]]:
    policies = [o for o in exported if o["kind"] == "ValidatingAdmissionPolicy"]
    bindings = [o for o in exported if o["kind"] == "ValidatingAdmissionPolicyBinding"]
    namespace = obj["metadata"]["namespace"]
    request = vap_eval.admission_request(obj, username=username, namespace=namespace)
    outcome = vap_eval.evaluate(policies, bindings, request, vap_eval.namespace_object(namespace))
    said = [*outcome.messages, *outcome.warnings]
    fired = {_rule_of(m) for text in said for m in _POLICY_NAME.findall(text)}
    # Audit: the `validation_failure` annotation, a JSON list naming each policy
    fired |= {
        _rule_of(failure["policy"])
        for _, value in outcome.audit
        for failure in json.loads(value)
        if isinstance(failure, dict) and "policy" in failure
    }
    return outcome.denied, fired, list(outcome.errors)


def _webhook_conditions() -> list[dict[str, str]]:
    """The shipped validating webhook's matchConditions: requests they turn away (the
    kubelet's mirror Pods) never reach the webhook."""
    configuration = yaml.safe_load(WEBHOOK_CONFIGURATION.read_text("utf-8"))
    (webhook,) = configuration["webhooks"]
    return webhook["matchConditions"]


def _reaches_webhook(obj: dict[str, Any], username: str) -> bool:
    request = vap_eval.admission_request(obj, username=username)
    base = {
        "object": obj,
        "oldObject": None,
        "request": cel_request(request),
        "params": None,
        "namespaceObject": None,
    }
    activation = vap_eval.Activation(vap_eval.DEFAULT_VERSION, base, [])
    matched, error, _ = vap_eval.match_conditions(_webhook_conditions(), activation, "Fail")
    assert error is None, error
    return matched


def _engine_verdict(obj: dict[str, Any], policy: Policy, username: str) -> tuple[bool, set[str]]:
    if not _reaches_webhook(obj, username):
        return False, set()
    review = webhook_review(obj, username)
    decision = admission.validate(review, policy)
    trust = admission.trusts_owner_references(review)
    result = check_object(obj, policy, trust_owner_references=trust)
    rules = {f.rule for f in result.findings} | {left.rule for _, left in result.superseded}
    # Denied by an exported rule: the others are the webhook's alone.
    denied = any(f.rule in EXPORTS for f in decision.denied_by)
    return denied, rules & set(EXPORTS)


def _compare(path: Path, policy: Policy, exported: list[dict[str, Any]], tally: Tally) -> list[str]:
    mismatches = []
    tally.files += 1
    for index, document in enumerate(documents(path)):
        tally.objects += 1
        if (document.get("apiVersion"), document.get("kind")) not in MATCHED:
            tally.unmatched += 1
            continue
        obj, _why = as_admission_sees(document, policy)
        if obj is None:
            tally.refused += 1
            continue
        username = username_for(obj)
        engine_denied, engine_rules = _engine_verdict(obj, policy, username)
        cel_denied, cel_rules, errors = _cel_verdict(exported, obj, username)
        tally.compared += 1
        tally.verdicts["denied" if engine_denied else "allowed"] += 1
        for rule in engine_rules:
            tally.fired[rule] += 1
        where = f"{path.relative_to(DATA.parent.parent)} #{index}"
        if errors:
            mismatches.append(f"{where}: CEL evaluation errors: {errors}")
        if engine_rules != cel_rules:
            mismatches.append(
                f"{where}: engine {sorted(engine_rules)} vs CEL {sorted(cel_rules)}"
                f" (only engine: {sorted(engine_rules - cel_rules)}, only CEL:"
                f" {sorted(cel_rules - engine_rules)})"
            )
        elif engine_denied != cel_denied:
            mismatches.append(f"{where}: denied by engine {engine_denied}, by CEL {cel_denied}")
    return mismatches


def _rule_folders() -> list[Path]:
    return sorted(p for p in RULES_DATA.iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def tally() -> Tally:
    return Tally()


@pytest.mark.parametrize("folder", _rule_folders(), ids=lambda p: p.name)
def test_rule_data_files_get_the_same_verdicts(folder: Path, tally: Tally, tmp_path: Path):
    policy = policy_for(folder.name, tmp_path)
    exported = export_vap(policy).objects
    mismatches: list[str] = []
    for path in sorted(folder.glob("*/*.yaml")):
        mismatches += _compare(path, policy, exported, tally)
    assert not mismatches, "\n".join(mismatches)


def test_examples_get_the_same_verdicts(tally: Tally) -> None:
    policy = load_preset("default")
    exported = export_vap(policy).objects
    mismatches: list[str] = []
    for path in sorted(EXAMPLES.glob("*/*.yaml")):
        mismatches += _compare(path, policy, exported, tally)
    assert not mismatches, "\n".join(mismatches)


def test_the_comparison_covered_every_exported_rule(tally: Tally) -> None:
    """Runs last in this module: the verdicts above were really compared, and every
    exported rule fired on some object (a rule whose CEL never fires would otherwise pass
    every pass file and be missed only in fail files it does not fire on)."""
    if tally.files == 0:
        pytest.skip("run with the tests above")
    print(
        f"\nparity: {tally.files} files, {tally.objects} objects, {tally.compared} compared "
        f"({dict(tally.verdicts)}), {tally.refused} refused before admission, "
        f"{tally.unmatched} not matched (custom resources, other kinds)"
    )
    assert tally.compared > 300, tally
    assert tally.verdicts["denied"] > 50 and tally.verdicts["allowed"] > 50, tally
    silent = sorted(set(EXPORTS) - set(tally.fired))
    assert not silent, f"exported rules that fired on no object: {silent}"
