"""The toleration family's exported CEL at the edges the rule data files miss: parameter
bounds, the taint manager's int64 wrap, the DaemonSet controller's and DefaultTolerationSeconds'
tolerations, noexecute-wildcard's deferral to noexecute-unbounded, and UPDATE with a
pre-existing violation against a new one. Each case is judged by the exported policy
(evaluated with a real CEL implementation) and by the engine, and both must give the verdict
the case states."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest
from evictguard.engine.check import check_object
from evictguard.export.rules import EXPORTS, WEBHOOK_ONLY
from evictguard.export.vap import PREFIX, export_vap
from evictguard.k8s.admission.defaulttolerationseconds import default_tolerations
from evictguard.k8s.tolerations import Toleration
from evictguard.model import Mode
from evictguard.policy.load import load_preset
from evictguard.policy.model import Policy, RuleSettings
from evictguard.webhook.admission import finding_key

cel = pytest.importorskip("cel_expr_python.cel", reason="cel-expr-python needs Python >= 3.11")
from cel_expr_python.ext import ext_optional, ext_strings  # noqa: E402

NR, UR = "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"
OOS = "node.kubernetes.io/out-of-service"
DAEMONSET_CONTROLLER = "system:serviceaccount:kube-system:daemon-set-controller"
ENV = cel.NewEnv(
    variables={name: cel.Type.DYN for name in ("object", "oldObject", "request", "variables")},
    extensions=[ext_optional.ExtOptional(), ext_strings.ExtStrings()],
)


def ne(key: str, seconds: int | None = None, **fields: str) -> dict[str, Any]:
    """A NoExecute Exists toleration of `key` (key-less: pass "")."""
    out: dict[str, Any] = {"key": key, "operator": "Exists", "effect": "NoExecute", **fields}
    if not key:
        del out["key"]
    if seconds is not None:
        out["tolerationSeconds"] = seconds
    return out


def ns(key: str) -> dict[str, Any]:
    return {"key": key, "operator": "Exists", "effect": "NoSchedule"}


def spec(tolerations: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    return {"containers": [{"name": "app", "image": "nginx"}], "tolerations": tolerations, **more}


def pod(tolerations: list[dict[str, Any]], daemon: bool = False, **more: Any) -> dict[str, Any]:
    """A Pod as admission sees it: DefaultTolerationSeconds has appended its tolerations."""
    metadata: dict[str, Any] = {"name": "web", "namespace": "shop"}
    if daemon:
        metadata["ownerReferences"] = [
            {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "name": "d",
                "uid": "1",
                "controller": True,
            }
        ]
    added = default_tolerations([Toleration.of(t) for t in tolerations])
    tolerations = [*tolerations, *(t.as_dict() for t in added)]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": spec(tolerations, **more),
    }


def workload(
    kind: str, tolerations: list[dict[str, Any]], namespace: str = "shop", **more: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": spec(tolerations, **more)},
        },
    }


def policy_with(rule: str, params: Mapping[str, Any] | None = None, **changes: Any) -> Policy:
    """The default policy with `rule` enforced (its parameters updated) and `changes`
    (`off=[rules]`, other Policy fields)."""
    base = load_preset("default")
    rules = dict(base.rules)
    rules[rule] = RuleSettings(Mode.ENFORCE, {**base.params(rule), **(params or {})})
    for other in changes.pop("off", ()):
        rules[other] = RuleSettings(Mode.OFF, base.params(other))
    return dataclasses.replace(base, rules=rules, **changes)


# --- the exported policy, evaluated --------------------------------------------------


def _value(expression: str, data: dict[str, Any]) -> Any:
    return ENV.compile(expression).eval(data=data).plain_value()


def exported_findings(
    rule: str, policy: Policy, obj: dict[str, Any], old: dict[str, Any] | None = None
) -> tuple[list[str], list[str]] | None:
    """(found, introduced) of the rule's exported policy on this request, or None when its
    matchConditions leave the object out. Variables are evaluated in order, as the API
    server makes them available to the later ones."""
    vap = next(
        o
        for o in export_vap(policy).objects
        if o["kind"] == "ValidatingAdmissionPolicy" and o["metadata"]["name"] == PREFIX + rule
    )
    username = DAEMONSET_CONTROLLER if obj["kind"] == "Pod" else "alice"
    request = {
        "operation": "UPDATE" if old is not None else "CREATE",
        "namespace": obj["metadata"]["namespace"],
        "userInfo": {"username": username},
    }
    data: dict[str, Any] = {"object": obj, "oldObject": old, "request": request, "variables": {}}
    for condition in vap["spec"].get("matchConditions", []):
        if not _value(condition["expression"], data):
            return None
    variables: dict[str, Any] = {}
    for variable in vap["spec"]["variables"]:
        data["variables"] = variables
        variables[variable["name"]] = _value(variable["expression"], data)
    return variables["found"], variables["introduced"]


def engine_findings(
    rule: str, policy: Policy, obj: dict[str, Any], old: dict[str, Any] | None = None
) -> tuple[list[str], list[str]]:
    """(found, introduced) as the webhook decides them (`webhook.admission._introduced`)."""
    found = [f for f in check_object(obj, policy).findings if f.rule == rule]
    if old is None:
        return [f.message for f in found], [f.message for f in found]
    before = {finding_key(old, f) for f in check_object(old, policy).findings if f.rule == rule}
    introduced = [f.message for f in found if finding_key(obj, f) not in before]
    return [f.message for f in found], introduced


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    rule: str
    obj: dict[str, Any]
    reports: bool
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    changes: Mapping[str, Any] = dataclasses.field(default_factory=dict)


LARGEST_EXACT = 9223372036  # larger tolerationSeconds overflow int64 nanoseconds
FOREVER_WRAP = LARGEST_EXACT + 1  # wraps to a negative duration: forever (unbounded's)
WRAPS = 18446744074  # wraps to 0.290448384 s
INT64_MAX = 9223372036854775807

CASES = [
    # noexecute-seconds-too-low: the floor, the wrap, who wrote the first match
    Case("low-at-floor", "noexecute-seconds-too-low", pod([ne(NR, 60)]), False),
    Case("low-below-floor", "noexecute-seconds-too-low", pod([ne(NR, 59)]), True),
    Case("low-zero", "noexecute-seconds-too-low", pod([ne(UR, 0)]), True),
    Case("low-negative", "noexecute-seconds-too-low", pod([ne(UR, -1)]), True),
    Case("low-largest-exact", "noexecute-seconds-too-low", pod([ne(NR, LARGEST_EXACT)]), False),
    Case("low-wraps", "noexecute-seconds-too-low", pod([ne(NR, WRAPS)]), True),
    Case("low-wraps-to-forever", "noexecute-seconds-too-low", pod([ne(NR, FOREVER_WRAP)]), False),
    Case("low-int64-max", "noexecute-seconds-too-low", pod([ne(NR, INT64_MAX)]), False),
    Case(
        "low-default-toleration-is-the-plugins",
        "noexecute-seconds-too-low",
        pod([]),
        False,
        params={"minSeconds": 400},
    ),
    Case(
        "low-default-toleration-written-after-a-covering-one",
        "noexecute-seconds-too-low",
        pod([{"key": NR, "operator": "Equal", "value": "x", "effect": "NoExecute"}, ne(NR, 300)]),
        True,
        params={"minSeconds": 400},
    ),
    Case(
        "low-shadowed-by-an-earlier-match",
        "noexecute-seconds-too-low",
        pod([ne(NR, 120), ne(NR, 5)]),
        False,
    ),
    Case(
        "low-daemonset-template-replaced-by-the-controller",
        "noexecute-seconds-too-low",
        workload("DaemonSet", [ne(NR, 5)]),
        False,
    ),
    Case(
        "low-daemonset-template-kept-when-the-controllers-own-is-there",
        "noexecute-seconds-too-low",
        workload("DaemonSet", [ne(NR, 5), ne(NR)]),
        True,
    ),
    Case(
        "low-daemonset-wildcard-not-replaced",
        "noexecute-seconds-too-low",
        workload("DaemonSet", [ne("", 5)]),
        True,
    ),
    Case("low-daemon-pod-judged", "noexecute-seconds-too-low", pod([ne(NR, 5)], daemon=True), True),
    # noexecute-seconds-too-high: the ceiling, out-of-service, wraps left to the others
    Case("high-at-ceiling", "noexecute-seconds-too-high", pod([ne(UR, 3600)]), False),
    Case("high-above-ceiling", "noexecute-seconds-too-high", pod([ne(UR, 3601)]), True),
    Case(
        "high-out-of-service",
        "noexecute-seconds-too-high",
        pod(
            [
                ne(
                    OOS,
                    7200,
                )
            ]
        ),
        True,
    ),
    Case("high-largest-exact", "noexecute-seconds-too-high", pod([ne(NR, LARGEST_EXACT)]), True),
    Case("high-wraps", "noexecute-seconds-too-high", pod([ne(NR, WRAPS)]), False),
    Case("high-wraps-to-forever", "noexecute-seconds-too-high", pod([ne(NR, FOREVER_WRAP)]), False),
    Case(
        "high-daemonset", "noexecute-seconds-too-high", workload("DaemonSet", [ne(UR, 9999)]), False
    ),
    Case(
        "high-lower-ceiling",
        "noexecute-seconds-too-high",
        workload("Deployment", [ne(UR, 301)]),
        True,
        params={"maxSeconds": 300},
    ),
    # noexecute-wildcard: shadowing and the deferral to noexecute-unbounded
    Case("wildcard-deferred", "noexecute-wildcard", pod([ne("")]), False),
    Case(
        "wildcard-unbounded-off",
        "noexecute-wildcard",
        pod([ne("")]),
        True,
        changes={"off": ["noexecute-unbounded"]},
    ),
    Case(
        "wildcard-exempt-from-unbounded",
        "noexecute-wildcard",
        {
            **pod([{"operator": "Exists"}]),
            "metadata": {
                "name": "web",
                "namespace": "shop",
                "annotations": {"evictguard.io/exempt": "noexecute-unbounded"},
            },
        },
        True,
    ),
    Case(
        "wildcard-after-the-dead-node-taints",
        "noexecute-wildcard",
        pod([ne(NR, 300), ne(UR, 300), ne(OOS, 30), {"operator": "Exists"}]),
        True,
    ),
    Case(
        "wildcard-shadowed-by-a-bounded-one",
        "noexecute-wildcard",
        pod(
            [ne("", 60), {"operator": "Exists"}],
        ),
        False,
        changes={"off": ["noexecute-unbounded"]},
    ),
    Case(
        "wildcard-wraps-forever",
        "noexecute-wildcard",
        pod([ne(NR, 300), ne(UR, 300), ne(OOS, 30), ne("", INT64_MAX)]),
        True,
    ),
    Case("wildcard-daemonset", "noexecute-wildcard", workload("DaemonSet", [ne("")]), False),
    # toleration-node-pressure, -node-unavailable, -control-plane
    Case(
        "pressure", "toleration-node-pressure", pod([ns("node.kubernetes.io/pid-pressure")]), True
    ),
    Case(
        "pressure-other-value",
        "toleration-node-pressure",
        pod([{"key": "node.kubernetes.io/pid-pressure", "value": "x"}]),
        False,
    ),
    Case(
        "pressure-daemon-pod",
        "toleration-node-pressure",
        pod([ns("node.kubernetes.io/disk-pressure")], daemon=True),
        False,
    ),
    Case(
        "unavailable-host-network",
        "toleration-node-unavailable",
        pod([ns("node.kubernetes.io/network-unavailable")], hostNetwork=True),
        False,
    ),
    Case(
        "unavailable-cordoned-host-network",
        "toleration-node-unavailable",
        pod([ns("node.kubernetes.io/unschedulable")], hostNetwork=True),
        True,
    ),
    Case(
        "unavailable-system-namespace",
        "toleration-node-unavailable",
        workload("Deployment", [ns("node.kubernetes.io/unschedulable")], namespace="kube-system"),
        False,
    ),
    Case(
        "control-plane",
        "toleration-control-plane",
        workload("Deployment", [ns("node-role.kubernetes.io/control-plane")]),
        True,
    ),
    Case(
        "control-plane-prefer-no-schedule-only",
        "toleration-control-plane",
        workload(
            "Deployment",
            [{"key": "node-role.kubernetes.io/master", "effect": "PreferNoSchedule"}],
        ),
        False,
    ),
    Case(
        "control-plane-chosen-by-preferred-affinity",
        "toleration-control-plane",
        workload(
            "Deployment",
            [ns("node-role.kubernetes.io/control-plane")],
            affinity={
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 1,
                            "preference": {
                                "matchExpressions": [
                                    {"key": "node-role.kubernetes.io/master", "operator": "Exists"}
                                ]
                            },
                        }
                    ]
                }
            },
        ),
        False,
    ),
    Case(
        "control-plane-avoided-by-not-in",
        "toleration-control-plane",
        workload(
            "Deployment",
            [ns("node-role.kubernetes.io/control-plane")],
            affinity={
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {
                                        "key": "node-role.kubernetes.io/control-plane",
                                        "operator": "NotIn",
                                        "values": ["x"],
                                    }
                                ]
                            }
                        ]
                    }
                }
            },
        ),
        True,
    ),
    Case(
        "control-plane-rke1-unlisted",
        "toleration-control-plane",
        workload("Deployment", [ns("node-role.kubernetes.io/controlplane")]),
        False,
    ),
    Case(
        "control-plane-rke1-listed",
        "toleration-control-plane",
        workload("Deployment", [ns("node-role.kubernetes.io/controlplane")]),
        True,
        changes={"known_taints": ({"key": "node-role.kubernetes.io/controlplane"},)},
    ),
]

ALLOWLISTS = {
    "allowlists": [
        {
            "namespaces": ["team-*"],
            "tolerations": [
                {"key": "pool", "operator": "Equal", "value": "a", "effect": "NoSchedule"},
                {"key": UR, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60},
            ],
        },
        {"namespaces": ["locked"], "tolerations": []},
    ]
}


def allowed(namespace: str, tolerations: list[dict[str, Any]], reports: bool, id: str) -> Case:
    obj = workload("Deployment", tolerations, namespace=namespace)
    return Case(id, "toleration-not-allowed", obj, reports, params=ALLOWLISTS)


CASES += [
    allowed(
        "team-x",
        [{"key": "pool", "operator": "Equal", "value": "a", "effect": "NoSchedule"}],
        False,
        "allow-covered",
    ),
    allowed(
        "team-x",
        [{"key": "pool", "value": "a", "effect": "NoSchedule"}],
        True,
        "allow-equal-not-empty-operator",
    ),
    allowed("team-x", [ne(UR, 60)], False, "allow-seconds-at-bound"),
    allowed("team-x", [ne(UR, 61)], True, "allow-seconds-above-bound"),
    allowed("team-x", [ne(UR)], True, "allow-seconds-unbounded"),
    allowed("shop", [ne(UR)], False, "allow-no-allowlist-here"),
    allowed("locked", [ne(NR, 200)], True, "allow-empty-allowlist"),
    # exactly DefaultTolerationSeconds' toleration: the plugin's to the rule, even in a template
    allowed("locked", [ne(NR, 300)], False, "allow-default-toleration"),
    allowed("locked", [ne(NR, 300), {"key": UR}], True, "allow-default-toleration-and-another"),
    allowed("locked", [ne(NR, 300), ne(NR, 300)], True, "allow-default-toleration-twice"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_exported_rule_reports_as_the_engine_does(case: Case) -> None:
    policy = policy_with(case.rule, case.params, **copy.deepcopy(dict(case.changes)))
    exported = exported_findings(case.rule, policy, case.obj)
    assert exported is not None
    found, _ = exported
    engine, _ = engine_findings(case.rule, policy, case.obj)
    assert bool(engine) == case.reports, engine
    assert bool(found) == case.reports, found


def test_the_toleration_family_is_exported_but_invalid_and_never_matches() -> None:
    family = [
        "toleration-not-allowed",
        "toleration-node-pressure",
        "toleration-node-unavailable",
        "toleration-control-plane",
        "noexecute-seconds-too-low",
        "noexecute-seconds-too-high",
        "noexecute-wildcard",
    ]
    assert set(family) <= set(EXPORTS)
    assert "edit distance" in WEBHOOK_ONLY["toleration-never-matches"]
    assert "refuses" in WEBHOOK_ONLY["toleration-invalid"]


def test_with_no_allowlist_the_rule_exports_nothing_and_says_so() -> None:
    """No allowlist: nothing to check, so no policy that could never fire is installed."""
    policy = policy_with("toleration-not-allowed")
    exported = export_vap(policy)
    assert "toleration-not-allowed" in exported.nothing_to_check
    assert "toleration-not-allowed" not in exported.exported
    names = {o["metadata"]["name"] for o in exported.objects}
    assert not any(name.startswith(PREFIX + "toleration-not-allowed") for name in names)


def with_label(obj: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    out["metadata"]["labels"] = {"changed": "yes"}
    return out


def with_seconds(obj: dict[str, Any], index: int, seconds: int) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    out["spec"]["tolerations"][index]["tolerationSeconds"] = seconds
    return out


def with_inserted(obj: dict[str, Any], toleration: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    out["spec"]["tolerations"].insert(0, toleration)
    return out


UPDATES = [
    # (id, rule, old, new, introduced?)
    (
        "low-kept",
        "noexecute-seconds-too-low",
        pod([ne(NR, 5)]),
        with_label(pod([ne(NR, 5)])),
        False,
    ),
    (
        "low-changed",
        "noexecute-seconds-too-low",
        pod([ne(NR, 5)]),
        with_seconds(pod([ne(NR, 5)]), 0, 6),
        True,
    ),
    (
        "low-moved",
        "noexecute-seconds-too-low",
        pod([ne(NR, 5)]),
        with_inserted(pod([ne(NR, 5)]), ns("pool")),
        False,
    ),
    (
        "high-now-used-for-more-taints",
        "noexecute-seconds-too-high",
        pod([ne(UR, 300), ne("", 7200)]),
        pod([ne("", 7200), ne(UR, 300)]),
        True,
    ),
    (
        "wildcard-now-used-for-a-dead-node-taint",
        "noexecute-wildcard",
        pod([ne(NR, 300), ne(UR, 300), ne(OOS, 30), ne("")]),
        pod([ne(NR, 300), ne(OOS, 30), ne(""), ne(UR, 300)]),
        True,
    ),
    (
        "pressure-kept",
        "toleration-node-pressure",
        pod([ns("node.kubernetes.io/memory-pressure")]),
        with_label(pod([ns("node.kubernetes.io/memory-pressure")])),
        False,
    ),
]


@pytest.mark.parametrize("update", UPDATES, ids=[u[0] for u in UPDATES])
def test_update_denies_only_what_the_change_introduced(update: tuple) -> None:
    _, rule, old, new, introduced = update
    # noexecute-wildcard on its own: with noexecute-unbounded on, a wildcard used for a
    # dead-node taint is that rule's
    off = ["noexecute-unbounded"] if rule == "noexecute-wildcard" else []
    policy = policy_with(rule, off=off)
    exported = exported_findings(rule, policy, new, old)
    assert exported is not None
    found, new_ones = exported
    engine_found, engine_new = engine_findings(rule, policy, new, old)
    assert found and engine_found  # a violation in both, new or kept
    assert bool(engine_new) == introduced, engine_new
    assert bool(new_ones) == introduced, new_ones


# --- the same cases through the API server's dispatcher (tests/k8s_cel) --------------


def _dispatch(rule: str, policy: Policy, new: dict[str, Any], old: dict[str, Any] | None) -> Any:
    """The rule's exported policies and bindings evaluated as the API server does."""
    vap_eval = pytest.importorskip("tests.k8s_cel.vap", reason="tests/k8s_cel not there")
    requests = pytest.importorskip("tests.k8s_cel.request", reason="tests/k8s_cel not there")
    objects = [
        o
        for o in export_vap(policy).objects
        if o["metadata"]["labels"]["evictguard.io/rule"] == rule
    ]
    policies = [o for o in objects if o["kind"] == "ValidatingAdmissionPolicy"]
    bindings = [o for o in objects if o["kind"] == "ValidatingAdmissionPolicyBinding"]
    request = requests.admission_request(
        new,
        old,
        operation="UPDATE" if old is not None else "CREATE",
        username=DAEMONSET_CONTROLLER if new["kind"] == "Pod" else "alice",
    )
    namespace = requests.namespace_object(new["metadata"]["namespace"])
    return vap_eval.evaluate(policies, bindings, request, namespace)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_api_server_denies_what_the_rule_reports(case: Case) -> None:
    policy = policy_with(case.rule, case.params, **copy.deepcopy(dict(case.changes)))
    outcome = _dispatch(case.rule, policy, case.obj, None)
    assert not outcome.errors
    # every rule here is enforced: denied, or warned where the DaemonSet controller made the
    # Pod (judged on its template: `controllerMade`)
    assert bool(outcome.denied or outcome.warnings) == case.reports, outcome.messages


@pytest.mark.parametrize("update", UPDATES, ids=[u[0] for u in UPDATES])
def test_the_api_server_warns_about_what_an_update_kept(update: tuple) -> None:
    _, rule, old, new, introduced = update
    off = ["noexecute-unbounded"] if rule == "noexecute-wildcard" else []
    outcome = _dispatch(rule, policy_with(rule, off=off), new, old)
    assert not outcome.errors
    assert outcome.denied == introduced, outcome.messages
    assert bool(outcome.warnings) != introduced, outcome.warnings  # kept: the -pre-existing Warn
