"""`evictguard export vap`: the policy as ValidatingAdmissionPolicies and their bindings.

One policy (and binding) per exported rule that is on, named `evictguard-<rule>`, so that
each rule can be switched, bound and read on its own; its parameters are inlined (the
exported objects are built from the evictguard policy, its one source of truth: no
parameter CRD to install, no param object that can go missing and fail every request).

How the webhook's decisions are restated (`webhook.admission.validate`):
- modes: enforce -> a `Deny` binding, warn -> `Warn`, audit -> `Audit`;
- UPDATE: only violations the change introduced deny (each violation names its container
  or toleration and values; those already on `oldObject` are pre-existing). An enforced
  rule gets a second policy, `evictguard-<rule>-pre-existing`, bound with `Warn`, for the
  pre-existing ones the webhook warns about, and for objects kube-controller-manager makes
  from a template (`controllerObjectsOnTemplate`: judged on the template, warned);
- exemptions and the `evictguard.io/exempt` annotation -> `matchConditions`;
  `admission.ignoredNamespaces` -> a `namespaceSelector`;
- `failurePolicy: Fail`: an object too large to evaluate within the API server's CEL cost
  limits is refused by an enforced rule (the webhook denies one over its time budget).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..k8s.controllers import CONTROLLER_MANAGER, SERVED_TEMPLATE_OWNERS, TEMPLATE_CONTROLLERS
from ..k8s.podspec import POD_SPEC_PATHS, api_group
from ..model import Mode
from ..policy.model import Policy
from .cel import strings
from .exemptions import annotation_exempt, applies, exempt
from .resources import BUDGET_KINDS, KIND_RESOURCES, resource_rules
from .rules import EXPORTS, why_webhook_only
from .rules.base import BUDGETS, CelRule, ExportContext
from .subject import OBJECT, OLD_OBJECT, SUBJECTS, Subject, shared_variables

API_VERSION = "admissionregistration.k8s.io/v1"
PREFIX = "evictguard-"
MANAGED_BY = {"app.kubernetes.io/managed-by": "evictguard"}
RULE_LABEL = "evictguard.io/rule"
ACTIONS = {Mode.ENFORCE: "Deny", Mode.WARN: "Warn", Mode.AUDIT: "Audit"}
OPERATIONS = ["CREATE", "UPDATE"]
OPT_OUT_LABEL = "evictguard.io/webhook"  # a namespace labelled `ignore` opts out
# The kubelet's mirror Pods (static pods) are spared, as the webhook configuration spares
# them: the kubelet cannot change them, and refusing one only hides the static pod.
NOT_A_MIRROR_POD = {
    "name": "not-a-mirror-pod",
    "expression": "!(object.kind == 'Pod'"
    " && object.metadata.?annotations[?'kubernetes.io/config.mirror'].hasValue())",
}


@dataclass(frozen=True)
class Export:
    objects: list[dict[str, Any]]
    exported: list[str]  # rule ids, in the registry's order
    webhook_only: list[tuple[str, str]]  # (rule id, why) of the rules on but not exported
    kubernetes_version: tuple[int, int]
    # Rules on whose check is empty under this policy (toleration-not-allowed with no
    # allowlist): no policy that could never fire is installed.
    nothing_to_check: list[str] = field(default_factory=list)


def export_vap(policy: Policy, kubernetes_version: tuple[int, int] = (1, 30)) -> Export:
    objects: list[dict[str, Any]] = []
    exported: list[str] = []
    webhook_only: list[tuple[str, str]] = []
    nothing: list[str] = []
    for rule_id in policy.active_rules():
        cel_rule = EXPORTS.get(rule_id)
        if cel_rule is None:
            webhook_only.append((rule_id, why_webhook_only(rule_id)))
            continue
        context = ExportContext(policy.params(rule_id), policy)
        found = cel_rule.findings(OBJECT, context)
        if found.strip() == "[]":
            nothing.append(rule_id)
            continue
        exported.append(rule_id)
        objects += _rule_objects(cel_rule, context, found)
    return Export(objects, exported, webhook_only, kubernetes_version, nothing)


def _rule_objects(cel_rule: CelRule, context: ExportContext, found: str) -> list[dict[str, Any]]:
    """`found`: the rule's findings on `object`, as `export_vap` built them."""
    policy = context.policy
    mode = policy.mode(cel_rule.rule)
    variables = _variables(cel_rule, context, found)
    name = PREFIX + cel_rule.rule
    conditions = match_conditions(cel_rule, policy)
    if mode is not Mode.ENFORCE:
        found = _validation("variables.found.size() == 0", "variables.found", cel_rule)
        return _pair(name, cel_rule, policy, conditions, variables, found, ACTIONS[mode])
    deny = _validation(
        "variables.controllerMade || variables.introduced.size() == 0",
        "variables.introduced",
        cel_rule,
    )
    pre_existing = _validation(
        "variables.controllerMade ? variables.found.size() == 0"
        " : !variables.found.exists(f, f in variables.foundBefore)",
        "variables.controllerMade ? variables.found"
        " : variables.found.filter(f, f in variables.foundBefore)",
        cel_rule,
        label="'pre-existing (kept on UPDATE) or enforced on the template that made it: '",
    )
    return [
        *_pair(name, cel_rule, policy, conditions, variables, deny, "Deny"),
        *_pair(
            name + "-pre-existing", cel_rule, policy, conditions, variables, pre_existing, "Warn"
        ),
    ]


def _pair(
    name: str,
    cel_rule: CelRule,
    policy: Policy,
    conditions: list[dict[str, str]],
    variables: list[dict[str, str]],
    validation: dict[str, str],
    action: str,
) -> list[dict[str, Any]]:
    labels = {**MANAGED_BY, RULE_LABEL: cel_rule.rule}
    spec: dict[str, Any] = {
        "failurePolicy": "Fail",
        "matchConstraints": match_constraints(cel_rule, policy),
    }
    if conditions:
        spec["matchConditions"] = conditions
    spec["variables"] = variables
    spec["validations"] = [validation]
    vap = {
        "apiVersion": API_VERSION,
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name, "labels": labels},
        "spec": spec,
    }
    binding = {
        "apiVersion": API_VERSION,
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name, "labels": labels},
        "spec": {"policyName": name, "validationActions": [action]},
    }
    return [vap, binding]


def match_constraints(cel_rule: CelRule, policy: Policy) -> dict[str, Any]:
    kinds = list(BUDGET_KINDS) if cel_rule.judges == BUDGETS else list(KIND_RESOURCES)
    constraints: dict[str, Any] = {"resourceRules": resource_rules(kinds, OPERATIONS)}
    constraints["namespaceSelector"] = namespace_selector(policy)
    return constraints


def namespace_selector(policy: Policy) -> dict[str, Any]:
    """The namespaces the webhook configurations in manifests/ leave out: the policy's
    `admission.ignoredNamespaces`, and any namespace labelled `evictguard.io/webhook=ignore`
    (tests/test_export_vap.py holds them to the manifests' selector)."""
    expressions: list[dict[str, Any]] = []
    if policy.ignored_namespaces:
        expressions.append(
            {
                "key": "kubernetes.io/metadata.name",
                "operator": "NotIn",
                "values": list(policy.ignored_namespaces),
            }
        )
    expressions.append({"key": OPT_OUT_LABEL, "operator": "NotIn", "values": ["ignore"]})
    return {"matchExpressions": expressions}


def _describe(subject: Subject) -> str:
    """`Pod shop/web`, as the engine's messages name an object (`ObjectRef.describe`)."""
    meta = subject.metadata
    return (
        f"{subject.obj}.kind + ' ' + request.?namespace.orValue('') + '/' + "
        f"{meta}.?name.orValue({meta}.?generateName.orValue('') + '*')"
    )


def _validation(
    expression: str, listed: str, cel_rule: CelRule, label: str = "''"
) -> dict[str, str]:
    return {
        "expression": expression,
        "messageExpression": f"'[{cel_rule.rule}] ' + {_describe(OBJECT)} + ': ' + {label}"
        f" + ({listed}).join('; ')",
        "message": f"violates {cel_rule.rule} (run `evictguard explain {cel_rule.rule}`)",
        "reason": "Forbidden",
    }


def _variables(cel_rule: CelRule, context: ExportContext, found: str) -> list[dict[str, str]]:
    """The shared ones (pod spec, containers, ...), then `found` on the object and
    `foundBefore` on the old one (UPDATE only, and only where the old object was not exempt
    from the rule: removing an exemption makes its violations new), `introduced`, and
    `controllerMade`."""
    policy = context.policy
    out: list[tuple[str, str]] = []
    if cel_rule.judges != BUDGETS:
        for subject in SUBJECTS:
            out += shared_variables(subject)
    old_exempt = exempt(cel_rule.rule, policy, OLD_OBJECT, cel_rule.judges != BUDGETS)
    out += [
        ("found", found),
        (
            "foundBefore",
            f"request.operation == 'UPDATE' && oldObject != null && !({old_exempt})"
            f" ? ({cel_rule.findings(OLD_OBJECT, context)}) : []",
        ),
        ("introduced", "variables.found.filter(f, !(f in variables.foundBefore))"),
        ("controllerMade", _controller_made(policy)),
    ]
    return [{"name": name, "expression": expression} for name, expression in out]


def _controller_made(policy: Policy) -> str:
    """`webhook.admission.controller_owner`: kube-controller-manager made this object from a
    template (its controller ownerReference names a kind with a pod spec, in a served
    version) and was judged there."""
    if not policy.controller_objects_on_template:
        return "false"
    owners = sorted(
        f"{version}/{kind}"
        for kind, (groups, _) in POD_SPEC_PATHS.items()
        for version in SERVED_TEMPLATE_OWNERS
        if api_group(version) in groups
    )
    users = sorted({CONTROLLER_MANAGER, *TEMPLATE_CONTROLLERS})
    return (
        "request.?subResource.orValue('') == ''"
        f" && request.userInfo.?username.orValue('') in {strings(users)}"
        " && object.metadata.?ownerReferences.orValue([]).exists(o,"
        " o.?controller.orValue(false) == true"
        f" && o.apiVersion + '/' + o.kind in {strings(owners)})"
    )


def match_conditions(cel_rule: CelRule, policy: Policy) -> list[dict[str, str]]:
    """The object is not exempt: one condition per exemption that names the rule (or every
    rule), one for the annotation. A request matching none is not evaluated at all."""
    out = [] if cel_rule.judges == BUDGETS else [NOT_A_MIRROR_POD]
    applicable = [e for e in policy.exemptions if e.rules is None or cel_rule.rule in e.rules]
    for index, exemption in enumerate(applicable):
        out.append(
            {
                "name": f"not-exemption-{index + 1}",
                "expression": f"!({applies(exemption, OBJECT)})",
            }
        )
    if policy.annotation_exemptions:
        out.append(
            {
                "name": "not-exempt-by-annotation",
                "expression": "!("
                + annotation_exempt(cel_rule.rule, "object", cel_rule.judges != BUDGETS)
                + ")",
            }
        )
    return out
