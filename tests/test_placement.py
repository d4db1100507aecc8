"""A control-plane toleration judged with the pod's placement (issue 14): a nodeSelector or
node affinity that chooses control-plane nodes makes the toleration the pod's opt-in, as the
scheduler reads placements (component-helpers nodeaffinity); and an older cluster's key for
the control-plane taint beside the current one is an alias, not a misspelling."""

from __future__ import annotations

import pytest
from evictguard.engine.check import check_object
from evictguard.k8s.placement import chooses_nodes_labelled
from evictguard.k8s.taints import CONTROL_PLANE_LABELS
from evictguard.policy.load import load_preset
from evictguard.yaml.loader import load_text

DEFAULT = load_preset("default")
CP = "node-role.kubernetes.io/control-plane"
TOLERATION = f"{{key: {CP}, operator: Exists, effect: NoSchedule}}"


def _expr(key: str, operator: str, values: str = "") -> str:
    return f"{{key: {key}, operator: {operator}{', values: ' + values if values else ''}}}"


def _required(*terms: str) -> str:
    listed = ", ".join(f"{{matchExpressions: [{t}]}}" for t in terms)
    return (
        "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: "
        f"{{nodeSelectorTerms: [{listed}]}}}}}}"
    )


def _preferred(weight: int | str, term: str) -> str:
    return (
        "affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: "
        f"[{{weight: {weight}, preference: {{matchExpressions: [{term}]}}}}]}}}}"
    )


def pod(placement: str, tolerations: str = f"[{TOLERATION}]") -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: d}}\n  template:\n"
        "    metadata: {labels: {app: d}}\n    spec:\n"
        "      containers: [{name: a, image: x, resources: {limits: {memory: 1Gi}}}]\n"
        f"      tolerations: {tolerations}\n" + (f"      {placement}\n" if placement else "")
    )


def rules_on(text: str) -> dict[str, list[str]]:
    [item] = load_text(text, "<test>").objects
    out: dict[str, list[str]] = {}
    for finding in check_object(item.obj, DEFAULT).findings:
        out.setdefault(finding.rule, []).append(finding.message)
    return out


CHOSEN = [
    # nodeSelector: an equality the node must carry, whatever the value.
    f'nodeSelector: {{{CP}: ""}}',
    'nodeSelector: {node-role.kubernetes.io/master: "true", kubernetes.io/os: linux}',
    # One ORed required term that only control-plane nodes satisfy is a place the pod asks for.
    _required(_expr(CP, "Exists")),
    _required(_expr("example.com/pool", "In", "[gpu]"), _expr(CP, "In", '[""]')),
    # ANDed with another expression, the term still needs the role label.
    _required(f"{_expr(CP, 'Exists')}, {_expr('kubernetes.io/os', 'In', '[linux]')}"),
    _required(_expr("node-role.kubernetes.io/etcd", "In", '["true"]')),
    _required(_expr("node-role.kubernetes.io/controlplane", "Exists")),
    _preferred(1, _expr(CP, "In", '[""]')),
    _preferred(100, _expr("node-role.kubernetes.io/master", "Exists")),
]
NOT_CHOSEN = [
    "",
    "nodeSelector: {kubernetes.io/os: linux}",
    # NotIn and DoesNotExist match nodes without the label: the pod avoids them.
    _required(_expr(CP, "DoesNotExist")),
    _required(_expr(CP, "NotIn", '[""]')),
    # Gt/Lt need an integer value, which no role label has.
    _required(_expr(CP, "Gt", '["1"]')),
    # In without values is a parse error: the term matches no node.
    _required(_expr(CP, "In", "[]")),
    # A preference of weight 0 is skipped (NewPreferredSchedulingTerms).
    _preferred(0, _expr(CP, "Exists")),
    _preferred("'1'", _expr(CP, "Exists")),
    _preferred(1, _expr("node-role.kubernetes.io/infra", "Exists")),
    # Keys that only look like a role label.
    _required(_expr("node-role.kubernetes.io/control-plane-candidate", "Exists")),
    "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: []}}",
    "affinity: {podAffinity: {}}",
]


@pytest.mark.parametrize("placement", CHOSEN)
def test_a_placement_choosing_control_plane_nodes_makes_the_toleration_an_opt_in(
    placement: str,
) -> None:
    assert "toleration-control-plane" not in rules_on(pod(placement))


@pytest.mark.parametrize("placement", NOT_CHOSEN)
def test_other_placements_leave_the_toleration_reported(placement: str) -> None:
    assert len(rules_on(pod(placement)).get("toleration-control-plane", [])) == 1


def test_malformed_placements_choose_nothing() -> None:
    for spec in (
        {"nodeSelector": ["x"]},
        {"affinity": "x"},
        {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": 1}}},
        {"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [1]}}},
        {
            "affinity": {
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": True, "preference": {"matchExpressions": [{"key": CP}]}}
                    ]
                }
            }
        },
    ):
        assert not chooses_nodes_labelled(spec, CONTROL_PLANE_LABELS), spec


def test_a_misspelt_key_on_a_placed_pod_does_not_name_the_rule_that_lets_it_be() -> None:
    misspelt = "[{key: node-role.kubernetes.io/contrl-plane, operator: Exists, effect: NoSchedule}]"
    [message] = rules_on(pod(f'nodeSelector: {{{CP}: ""}}', misspelt))["toleration-never-matches"]
    assert f"did you mean {{key: {CP}," in message
    assert "toleration-control-plane" not in message
    unplaced = rules_on(pod("", misspelt))
    assert unplaced["toleration-never-matches"][0].endswith(
        f"(Tolerating {CP} at all is what toleration-control-plane warns about.)"
    )


RKE1 = "{key: node-role.kubernetes.io/controlplane, operator: Equal, value: 'true', effect: %s}"


@pytest.mark.parametrize(
    ("alias_effect", "current", "reported"),
    [
        ("NoSchedule", f"{{key: {CP}, operator: Exists, effect: NoSchedule}}", False),
        ("NoSchedule", f"{{key: {CP}, operator: Exists}}", False),  # covers every effect
        ("NoSchedule", f"{{key: {CP}, operator: Exists, effect: NoExecute}}", True),
        ("NoSchedule", "{key: node-role.kubernetes.io/master, operator: Exists}", True),
        ("NoExecute", f"{{key: {CP}, operator: Exists, effect: NoSchedule}}", True),
        ("NoSchedule", "{key: example.com/dedicated, operator: Exists}", True),
    ],
)
def test_an_alias_beside_the_current_key_is_no_misspelling(
    alias_effect: str, current: str, reported: bool
) -> None:
    for order in ((RKE1 % alias_effect, current), (current, RKE1 % alias_effect)):
        got = rules_on(pod("", f"[{', '.join(order)}]"))
        assert ("toleration-never-matches" in got) is reported, (order, got)


OPERATED = """\
# CloudNativePG: the instance pods get `spec.affinity.nodeSelector` and
# `spec.affinity.tolerations` (pkg/specs/pods.go).
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: pg, namespace: db}
spec:
  instances: 1
  resources: {requests: {memory: 1Gi}, limits: {memory: 1Gi}}
  affinity:
    nodeSelector: {SELECTOR}
    tolerations:
      - {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}
---
# tigera: the control-plane Deployments get controlPlaneNodeSelector and
# controlPlaneTolerations together.
apiVersion: operator.tigera.io/v1
kind: Installation
metadata: {name: default}
spec:
  controlPlaneNodeSelector: {SELECTOR}
  controlPlaneTolerations:
    - {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}
"""


@pytest.mark.parametrize(
    ("selector", "reported"),
    [
        ('{node-role.kubernetes.io/control-plane: ""}', []),
        ("{disktype: ssd}", ["Cluster", "Installation"]),
    ],
)
def test_operators_placements_are_read_where_they_keep_them(
    selector: str, reported: list[str]
) -> None:
    """A found-by-review false positive: the opt-in was looked for at `spec.nodeSelector`
    of custom resources that keep it elsewhere."""
    text = OPERATED.replace("{SELECTOR}", selector)
    policy = load_preset("strict")
    kinds = []
    for item in load_text(text, "operators.yaml").objects:
        found = check_object(item.obj, policy).findings
        kinds += [item.obj["kind"] for f in found if f.rule == "toleration-control-plane"]
    assert kinds == reported


def test_a_negative_preferred_weight_is_no_opt_in() -> None:
    """To the scheduler a negative weight means "avoid" (the API server refuses it, but
    lint sees what is written)."""
    affinity = {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": -50,
                    "preference": {
                        "matchExpressions": [
                            {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists"}
                        ]
                    },
                }
            ]
        }
    }
    assert not chooses_nodes_labelled({"affinity": affinity}, CONTROL_PLANE_LABELS)
    affinity["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["weight"] = 50
    assert chooses_nodes_labelled({"affinity": affinity}, CONTROL_PLANE_LABELS)
