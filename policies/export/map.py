"""`evictguard export map`: the fixes the policy lets the mutating webhook apply (`mutate:
true`), as MutatingAdmissionPolicies (beta in Kubernetes 1.34 and 1.35, behind the
MutatingAdmissionPolicy feature gate and `--runtime-config=admissionregistration.k8s.io/
v1beta1=true`; GA as admissionregistration.k8s.io/v1 from 1.36).

Like the webhook (`webhook.admission.mutate`): CREATE only, the kinds of
`admission.mutateKinds`, the exemptions and the annotation honoured, and idempotent: a
fixed object gives no patch, so `reinvocationPolicy: IfNeeded` is safe. Unlike it, the
policies do not write the `evictguard.io/mutated` annotation (each policy sees only the
object as the previous one left it, not what was changed). Each patch is a `JSONPatch`
list the rule's module builds (`CelRule.mutation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..policy.model import Policy
from .resources import KIND_RESOURCES, resource_rules
from .rules import EXPORTS
from .rules.base import CelRule, ExportContext
from .subject import OBJECT, pod_spec_path, shared_variables
from .vap import MANAGED_BY, PREFIX, RULE_LABEL, match_conditions, namespace_selector

OLDEST = (1, 34)  # v1beta1; v1 from 1.36


@dataclass(frozen=True)
class MutationExport:
    objects: list[dict[str, Any]]
    exported: list[str]
    not_exported: list[tuple[str, str]]  # (rule id, why) of the rules the webhook mutates
    api_version: str


def api_version(kubernetes_version: tuple[int, int]) -> str:
    if kubernetes_version < OLDEST:
        raise ValueError(
            "MutatingAdmissionPolicy is beta (admissionregistration.k8s.io/v1beta1) from "
            f"Kubernetes {OLDEST[0]}.{OLDEST[1]}"
        )
    version = "v1" if kubernetes_version >= (1, 36) else "v1beta1"
    return f"admissionregistration.k8s.io/{version}"


def export_map(policy: Policy, kubernetes_version: tuple[int, int] = OLDEST) -> MutationExport:
    version = api_version(kubernetes_version)
    objects: list[dict[str, Any]] = []
    exported: list[str] = []
    not_exported: list[tuple[str, str]] = []
    for rule_id in policy.active_rules():
        if not policy.mutates(rule_id):
            continue
        cel_rule = EXPORTS.get(rule_id)
        if cel_rule is None or cel_rule.mutation is None:
            not_exported.append((rule_id, "its fix is not restated in CEL"))
            continue
        exported.append(rule_id)
        objects += _objects(cel_rule, policy, version)
    return MutationExport(objects, exported, not_exported, version)


def _objects(cel_rule: CelRule, policy: Policy, version: str) -> list[dict[str, Any]]:
    assert cel_rule.mutation is not None
    name = PREFIX + cel_rule.rule
    labels = {**MANAGED_BY, RULE_LABEL: cel_rule.rule}
    context = ExportContext(policy.params(cel_rule.rule), policy)
    kinds = [kind for kind in policy.mutate_kinds if kind in KIND_RESOURCES]
    constraints: dict[str, Any] = {
        "resourceRules": resource_rules(kinds, ["CREATE"], subresources=False)
    }
    constraints["namespaceSelector"] = namespace_selector(policy)
    spec: dict[str, Any] = {"failurePolicy": "Fail", "matchConstraints": constraints}
    conditions = match_conditions(cel_rule, policy)
    if conditions:
        spec["matchConditions"] = conditions
    own, patches = cel_rule.mutation(context)
    variables = [*shared_variables(OBJECT), ("specPath", pod_spec_path("object")), *own]
    spec["variables"] = [{"name": n, "expression": e} for n, e in variables]
    spec["mutations"] = [{"patchType": "JSONPatch", "jsonPatch": {"expression": patches}}]
    spec["reinvocationPolicy"] = "IfNeeded"
    return [
        {
            "apiVersion": version,
            "kind": "MutatingAdmissionPolicy",
            "metadata": {"name": name, "labels": labels},
            "spec": spec,
        },
        {
            "apiVersion": version,
            "kind": "MutatingAdmissionPolicyBinding",
            "metadata": {"name": name, "labels": labels},
            "spec": {"policyName": name},
        },
    ]
