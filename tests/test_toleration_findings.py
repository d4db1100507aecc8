"""Toleration findings spelled out: messages, fields and the cases an independent review
found (distribution taints, overflowing seconds, suggestions that must themselves pass)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from evictguard.engine.check import check_object
from evictguard.engine.remedy import remedy
from evictguard.k8s.eviction import eviction_delay
from evictguard.k8s.taints import PRE_NETWORK_TOLERATIONS
from evictguard.model import Finding
from evictguard.patch import apply_patch
from evictguard.policy.load import load_policy_file, load_preset
from evictguard.policy.model import ConfigError, Policy
from evictguard.yaml.loader import load_text

DEFAULT = load_preset("default")
TOLERATION_RULES = {r for r in DEFAULT.rules if not r.startswith("memory-")}


def pod_yaml(tolerations: str, meta: str = "") -> str:
    return (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\n"
        + meta
        + "spec:\n  containers: [{name: a, image: x, resources: {limits: {memory: 1Gi}}}]\n"
        "  tolerations:\n" + tolerations
    )


def findings(text: str, policy: Policy = DEFAULT) -> list[Finding]:
    [item] = load_text(text, "<test>").objects
    return [f for f in check_object(item.obj, policy).findings if f.rule in TOLERATION_RULES]


def by_rule(text: str, policy: Policy = DEFAULT) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for finding in findings(text, policy):
        out.setdefault(finding.rule, []).append(finding.message)
    return out


def test_an_invalid_toleration_reads_like_the_api_server() -> None:
    got = findings(pod_yaml("    - {key: dedicated, operator: exists, tolerationSeconds: 60}\n"))
    assert [(f.rule, f.pointer, f.message) for f in got] == [
        (
            "toleration-invalid",
            "/spec/tolerations/0/effect",
            "Pod shop/p: toleration #0 {key: dedicated, operator: exists, tolerationSeconds: "
            '60}: the API server rejects it: spec.tolerations[0].effect: Invalid value: "": '
            "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
        (
            "toleration-invalid",
            "/spec/tolerations/0/operator",
            "Pod shop/p: toleration #0 {key: dedicated, operator: exists, tolerationSeconds: "
            "60}: the API server rejects it: spec.tolerations[0].operator: Unsupported value: "
            '"exists": supported values: "Equal", "Exists"',
        ),
    ]


def test_a_null_toleration_is_an_empty_one_the_api_rejects() -> None:
    got = findings(pod_yaml("    - null\n"))
    assert [(f.rule, f.pointer) for f in got] == [
        ("toleration-invalid", "/spec/tolerations/0/operator")
    ]


def test_a_toleration_with_an_unknown_field_is_left_to_toleration_invalid() -> None:
    """kubectl's strict field validation rejects it, so no other rule reasons about it (nor
    offers a fix that would keep the misspelt field)."""
    got = by_rule(
        pod_yaml(
            "    - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute,"
            " tolerationSecond: 30}\n"
        )
    )
    assert list(got) == ["toleration-invalid"]
    assert "did you mean tolerationSeconds?" in got["toleration-invalid"][0]
    assert "spec.tolerations[0].tolerationSecond unknown field" in got["toleration-invalid"][0]


def test_rke1_controlplane_is_a_misspelling_unless_the_policy_knows_it(tmp_path: Path) -> None:
    text = pod_yaml(
        "    - {key: node-role.kubernetes.io/controlplane, operator: Equal, value: 'true',"
        " effect: NoSchedule}\n"
    )
    [message] = by_rule(text)["toleration-never-matches"]
    assert "did you mean {key: node-role.kubernetes.io/control-plane," in message
    assert message.endswith(
        "(Only RKE1 (end of life since July 2025) sets it on control-plane nodes: list it in "
        "knownTaints if yours does.) (Tolerating node-role.kubernetes.io/control-plane at all "
        "is what toleration-control-plane warns about.)"
    )
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "apiVersion: evictguard.io/v1alpha1\nkind: Policy\nrules:\n  toleration-never-matches:\n"
        "    knownTaints: [{key: node-role.kubernetes.io/controlplane, values: ['true']}]\n"
    )
    # Known, it is a control-plane taint like any other (RKE1 sets it NoSchedule).
    assert list(by_rule(text, load_policy_file(str(policy)))) == ["toleration-control-plane"]


@pytest.mark.parametrize(
    ("toleration", "flagged"),
    [
        (
            "{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}",
            True,
        ),
        ("{key: node-role.kubernetes.io/control-plane, operator: Exists}", True),
        ("{key: node-role.kubernetes.io/master, operator: Equal, effect: NoSchedule}", True),
        # PreferNoSchedule or NoExecute alone let no pod onto a NoSchedule-tainted node.
        (
            "{key: node-role.kubernetes.io/control-plane, operator: Exists,"
            " effect: PreferNoSchedule}",
            False,
        ),
        (
            "{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoExecute}",
            False,
        ),
        # RKE2's etcd nodes are tainted NoExecute with "true".
        (
            "{key: node-role.kubernetes.io/etcd, operator: Equal, value: 'true',"
            " effect: NoExecute}",
            True,
        ),
        ("{key: node-role.kubernetes.io/etcd, operator: Exists, effect: NoSchedule}", False),
    ],
)
def test_control_plane_needs_the_effect_that_keeps_pods_off(toleration: str, flagged: bool) -> None:
    got = by_rule(pod_yaml(f"    - {toleration}\n"))
    assert ("toleration-control-plane" in got) is flagged, got


@pytest.mark.parametrize(
    ("seconds", "delay"),
    [
        (None, None),
        (-1, 0),
        (0, 0),
        (300, 300),
        (9223372036, 9223372036),
        (9223372037, None),  # wraps negative: the caller reads it as forever
        (18446744074, 0.290448384),  # wraps to 0.29 s
        (9223372036854775807, None),  # getMinTolerationTime's "unset" sentinel
    ],
)
def test_eviction_delay_is_the_taint_managers(seconds: int | None, delay: float | None) -> None:
    got = eviction_delay(seconds)
    assert (got if got is None else float(got)) == delay


def test_overflowing_seconds_are_forever_or_a_blip() -> None:
    forever = pod_yaml(
        "    - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute,"
        " tolerationSeconds: 9223372037}\n"
    )
    [message] = by_rule(forever)["noexecute-unbounded"]
    assert "tolerationSeconds 9223372037, which the taint manager's int64 nanoseconds" in message
    fixed = remedy(load_text(forever, "<t>").objects[0].obj, DEFAULT).fixed
    assert fixed["spec"]["tolerations"][0]["tolerationSeconds"] == 300
    blip = pod_yaml(
        "    - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute,"
        " tolerationSeconds: 18446744074}\n"
    )
    [message] = by_rule(blip)["noexecute-seconds-too-low"]
    assert message.endswith(
        "tolerationSeconds 18446744074 overflows the taint manager's int64 nanoseconds and "
        "wraps to 0.290448384 s; write at most 9223372036"
    )
    # A wrap to a delay above the floor is still not what anyone wrote: an hour, here.
    hour = pod_yaml(
        "    - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute,"
        " tolerationSeconds: 3602879701896400400}\n"
    )
    [message] = by_rule(hour)["noexecute-seconds-too-low"]
    assert "wraps to 3600 s" in message


def test_noexecute_wildcard_names_only_what_it_is_the_first_match_for() -> None:
    text = pod_yaml(
        "    - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute,"
        " tolerationSeconds: 300}\n"
        "    - {key: node.kubernetes.io/out-of-service, operator: Exists, effect: NoExecute,"
        " tolerationSeconds: 30}\n"
        "    - {operator: Exists, effect: NoExecute}\n"
    )
    # The wildcard is the toleration used for not-ready: noexecute-unbounded's, once.
    assert by_rule(text) == {
        "noexecute-unbounded": [
            "Pod shop/p: toleration #2 {operator: Exists, effect: NoExecute} tolerates "
            "node.kubernetes.io/not-ready:NoExecute (having no key, every other NoExecute "
            "taint too) with no tolerationSeconds: the pod stays bound to a dead node forever; "
            "set tolerationSeconds (policy default 300)"
        ]
    }
    # With that rule off (or the object exempted from it), this rule reports it.
    [message] = by_rule(text, DEFAULT.with_disabled({"noexecute-unbounded"}))["noexecute-wildcard"]
    assert message == (
        "Pod shop/p: toleration #2 {operator: Exists, effect: NoExecute} tolerates NoExecute "
        "taints forever: the pod is never evicted, not from a dead node (not-ready), not by any "
        "other NoExecute taint no earlier toleration matches, such as drain taints; tolerate "
        "specific keys, or set effect NoExecute with tolerationSeconds"
    )  # unreachable and out-of-service are bounded by the earlier tolerations
    # A wildcard an earlier one always beats is toleration-shadowed's, not this rule's.
    shadowed = pod_yaml(
        "    - {operator: Exists, effect: NoExecute, tolerationSeconds: 60}\n"
        "    - {operator: Exists}\n"
    )
    got = by_rule(shadowed)
    assert "noexecute-wildcard" not in got
    assert "noexecute-unbounded" not in got


def suggestion(message: str) -> str:
    return message.split("did you mean ", 1)[1].split("?", 1)[0]


def test_suggestions_pass_the_rules_they_would_meet() -> None:
    """Pasting what toleration-never-matches suggests must not trade it for an enforced
    finding: lifecycle tolerations come bounded, values quoted where kubectl would read a
    number or a boolean."""
    text = pod_yaml(
        "    - {key: node.kubernetes.io/unreachble, operator: Exists, effect: NoExecute}\n"
        "    - {key: node.alpha.kubernetes.io/notReady, operator: Exists, effect: NoExecute,"
        " tolerationSeconds: 9223372037}\n"
        "    - {key: node.kubernetes.io/not-redy, operator: Exists}\n"
        "    - {key: node.kubernetes.io/disk-pressure, operator: Equal, value: 'y',"
        " effect: NoSchedule}\n"
    )
    messages = by_rule(text)["toleration-never-matches"]
    assert [suggestion(m) for m in messages] == [
        "{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, "
        "tolerationSeconds: 300}",
        "{key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, "
        "tolerationSeconds: 300}",
        "{key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, "
        "tolerationSeconds: 300} and {key: node.kubernetes.io/not-ready, operator: Exists, "
        "effect: NoSchedule}",
        "{key: node.kubernetes.io/disk-pressure, operator: Exists, effect: NoSchedule}",
    ]
    assert 'value: "y"' in messages[3]  # shown as kubectl needs it written
    # Where the intended taint is one another rule discourages tolerating, the message says so.
    assert messages[3].endswith(
        "(Tolerating node.kubernetes.io/disk-pressure at all is what toleration-node-pressure "
        "warns about.)"
    )
    pasted = "".join(
        f"    - {part}\n" for m in messages[:3] for part in suggestion(m).split(" and ")
    )
    got = by_rule(pod_yaml(pasted))
    assert set(got) <= {"toleration-shadowed"}, got  # only the repeated not-ready pair


def test_fix_on_an_aliased_toleration_changes_only_the_one_it_names() -> None:
    text = pod_yaml(
        "    - &u {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute}\n"
        "    - *u\n"
    )
    obj = load_text(text, "<t>").objects[0].obj
    [finding] = [f for f in check_object(obj, DEFAULT).findings if f.rule == "noexecute-unbounded"]
    assert finding.fix is not None
    patched: Any = apply_patch(obj, finding.fix)
    assert patched["spec"]["tolerations"][0]["tolerationSeconds"] == 300
    assert "tolerationSeconds" not in patched["spec"]["tolerations"][1]


def _policy(tmp_path: Path, rules: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(f"apiVersion: evictguard.io/v1alpha1\nkind: Policy\nrules:\n{rules}")
    return path


def test_the_fix_seconds_are_checked_only_when_both_rules_are_on(tmp_path: Path) -> None:
    path = _policy(
        tmp_path,
        "  noexecute-unbounded: {tolerationSeconds: 30}\n"
        "  noexecute-seconds-too-low: {mode: off}\n",
    )
    assert load_policy_file(str(path)).params("noexecute-unbounded")["tolerationSeconds"] == 30


def test_the_fix_seconds_may_not_be_below_the_floor(tmp_path: Path) -> None:
    path = _policy(tmp_path, "  noexecute-seconds-too-low: {minSeconds: 600}\n")
    with pytest.raises(ConfigError) as raised:
        load_policy_file(str(path))
    assert raised.value.problems == [
        f"{path}: rules.noexecute-unbounded.tolerationSeconds: 300 is below "
        "rules.noexecute-seconds-too-low.minSeconds 600 (its fix would give pods a toleration "
        "that rule faults; values after layering over the preset)"
    ]
    ok = _policy(
        tmp_path,
        "  noexecute-seconds-too-low: {minSeconds: 600}\n"
        "  noexecute-unbounded: {tolerationSeconds: 900}\n",
    )
    policy = load_policy_file(str(ok))
    # With a floor above 300 the tolerations DefaultTolerationSeconds adds still pass.
    added = pod_yaml(
        "    - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute,"
        " tolerationSeconds: 300}\n"
        "    - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute,"
        " tolerationSeconds: 300}\n"
    )
    assert by_rule(added, policy) == {}


def test_known_taint_values_need_at_least_one(tmp_path: Path) -> None:
    path = _policy(
        tmp_path, "  toleration-never-matches:\n    knownTaints: [{key: a, values: []}]\n"
    )
    with pytest.raises(ConfigError):
        load_policy_file(str(path))


def test_a_short_known_key_misspelt_is_caught(tmp_path: Path) -> None:
    path = _policy(
        tmp_path,
        "  toleration-never-matches:\n    knownTaints: [{key: dedicated, effects: [NoSchedule]}]\n",
    )
    got = by_rule(
        pod_yaml("    - {key: dedicatd, operator: Equal, value: db, effect: NoSchedule}\n"),
        load_policy_file(str(path)),
    )
    assert (
        "did you mean {key: dedicated, operator: Equal, value: db, effect: NoSchedule}?"
        in (got["toleration-never-matches"][0])
    )


# --- issue 13: out-of-service, bounds too long, cordoned nodes ---------------------------------


def test_an_unbounded_out_of_service_toleration_says_how_long_the_pod_stays() -> None:
    """The taint manager uses the out-of-service toleration, so that taint does not evict the
    pod; it leaves when the unreachable toleration (the taint a shut-down node gets) runs
    out (getMinTolerationTime: the minimum over the tolerations used)."""
    text = pod_yaml(
        "    - {key: node.kubernetes.io/out-of-service, operator: Exists, effect: NoExecute}\n"
        "    - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute,"
        " tolerationSeconds: 120}\n"
    )
    assert by_rule(text) == {
        "noexecute-unbounded": [
            "Pod shop/p: toleration #0 {key: node.kubernetes.io/out-of-service, operator: "
            "Exists, effect: NoExecute} tolerates node.kubernetes.io/out-of-service:NoExecute "
            "with no tolerationSeconds: after a non-graceful node shutdown the taint that "
            "should move the pod at once does not evict it, so it is not force-deleted and its "
            "volumes stay attached until its unreachable toleration's 120 s run out (forever "
            "where the node lifecycle controller lifts that taint, as it does when every node "
            "is NotReady); set tolerationSeconds (policy default 300)"
        ]
    }
    forever = pod_yaml(
        "    - {key: node.kubernetes.io/out-of-service, operator: Exists, effect: NoExecute}\n"
        "    - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute}\n"
    )
    messages = by_rule(forever)["noexecute-unbounded"]
    assert len(messages) == 2
    [out_of_service] = [m for m in messages if "toleration #0 " in m]
    assert "forever (its unreachable toleration is unbounded too)" in out_of_service
    fixed = remedy(load_text(forever, "<t>").objects[0].obj, DEFAULT).fixed
    assert [t["tolerationSeconds"] for t in fixed["spec"]["tolerations"]] == [300, 300]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(3601, "about 1 hour"), (7200, "2 hours"), (86400, "1 day"), (90000, "about 1 day")],
)
def test_a_bound_above_the_ceiling_is_reported(seconds: int, shown: str) -> None:
    text = pod_yaml(
        "    - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute,"
        f" tolerationSeconds: {seconds}}}\n"
    )
    assert by_rule(text) == {
        "noexecute-seconds-too-high": [
            f"Pod shop/p: toleration #0 {{key: node.kubernetes.io/unreachable, operator: Exists, "
            f"effect: NoExecute, tolerationSeconds: {seconds}}} is the toleration the taint "
            "manager uses for node.kubernetes.io/unreachable:NoExecute: tolerationSeconds "
            f"{seconds} ({shown}) is above the policy ceiling of 3600 s; the pod stays bound to "
            "a dead node that long before it is replaced; lower it (DefaultTolerationSeconds "
            "gives 300)"
        ]
    }


def test_the_ceiling_may_not_be_below_the_fix_or_the_floor(tmp_path: Path) -> None:
    path = _policy(tmp_path, "  noexecute-seconds-too-high: {maxSeconds: 200}\n")
    with pytest.raises(ConfigError) as raised:
        load_policy_file(str(path))
    assert raised.value.problems == [
        f"{path}: rules.noexecute-seconds-too-high.maxSeconds: 200 is below "
        "rules.noexecute-unbounded.tolerationSeconds 300 (noexecute-unbounded's fix would give "
        "pods a toleration this rule faults; values after layering over the preset)"
    ]
    path = _policy(
        tmp_path,
        "  noexecute-seconds-too-high: {maxSeconds: 400}\n"
        "  noexecute-seconds-too-low: {minSeconds: 500}\n"
        '  noexecute-unbounded: {mode: "off"}\n',
    )
    with pytest.raises(ConfigError) as raised:
        load_policy_file(str(path))
    assert raised.value.problems == [
        f"{path}: rules.noexecute-seconds-too-high.maxSeconds: 400 is below "
        "rules.noexecute-seconds-too-low.minSeconds 500 (every bounded toleration would be "
        "faulted by one of the two; values after layering over the preset)"
    ]
    off = _policy(
        tmp_path,
        '  noexecute-seconds-too-high: {mode: "off", maxSeconds: 200}\n',
    )
    assert load_policy_file(str(off)).params("noexecute-seconds-too-high")["maxSeconds"] == 200


def test_a_cordoned_node_toleration_is_reported_at_its_key() -> None:
    text = pod_yaml("    - {key: node.kubernetes.io/unschedulable, operator: Exists}\n")
    assert by_rule(text) == {
        "toleration-node-unavailable": [
            "Pod shop/p: toleration #0 {key: node.kubernetes.io/unschedulable, operator: "
            "Exists} lets the pod be scheduled onto cordoned nodes (kubectl cordon, and kubectl "
            "drain before it evicts), so it can be placed on a node being drained and lost "
            "again when the node goes down; remove it"
        ]
    }


def test_a_misspelt_cordon_toleration_names_the_rule_the_intended_one_meets() -> None:
    text = pod_yaml(
        "    - {key: node.kubernetes.io/unschedulabel, operator: Exists, effect: NoSchedule}\n"
    )
    [message] = by_rule(text)["toleration-never-matches"]
    assert message.endswith(
        "(Tolerating node.kubernetes.io/unschedulable at all is what "
        "toleration-node-unavailable warns about.)"
    )


def test_a_host_network_wildcard_names_the_pre_network_taints_and_what_remains() -> None:
    """A hostNetwork pod (a CNI operator) may need to start before the pod network is up; its
    wildcard is still reported, for what it covers beyond that, and the message names the
    keys that need covers. A pod on the pod network is told what it was told before."""
    on_pod_network = pod_yaml("    - {operator: Exists, effect: NoSchedule}\n")
    on_host = on_pod_network.replace("spec:\n", "spec:\n  hostNetwork: true\n", 1)
    assert by_rule(on_pod_network)["toleration-wildcard"] == [
        "Pod shop/p: toleration #0 {operator: Exists, effect: NoSchedule} tolerates every "
        "NoSchedule taint: the pod may be scheduled onto control-plane nodes, cordoned nodes "
        "and nodes under memory, disk or PID pressure; tolerate the taints it needs by key"
    ]
    assert by_rule(on_host)["toleration-wildcard"] == [
        "Pod shop/p: toleration #0 {operator: Exists, effect: NoSchedule} tolerates every "
        "NoSchedule taint: a hostNetwork pod can start before the node's pod network is up, "
        "and for that needs only node.kubernetes.io/not-ready, "
        "node.kubernetes.io/network-unavailable, node.cloudprovider.kubernetes.io/uninitialized "
        "(NoSchedule) by key; the wildcard also lets it onto control-plane nodes, cordoned "
        "nodes and nodes under memory, disk or PID pressure (drained off a cordoned node, it "
        "is scheduled straight back); tolerate by key the taints it needs"
    ]


@pytest.mark.parametrize("host_network", [True, False])
def test_the_pre_network_tolerations_pass_every_rule_on_the_hosts_network(
    host_network: bool,
) -> None:
    """What the hostNetwork message advises passes every toleration rule outside the system
    namespaces, as toleration-node-unavailable lets network-unavailable go for hostNetwork
    pods only: on the pod network, nothing starts before the network, and that one is
    reported."""
    written = "".join(
        f"    - {{key: {t['key']}, operator: {t['operator']}, effect: {t['effect']}}}\n"
        for t in PRE_NETWORK_TOLERATIONS
    )
    text = pod_yaml(written)
    if host_network:
        text = text.replace("spec:\n", "spec:\n  hostNetwork: true\n", 1)
    got = {rule: len(messages) for rule, messages in by_rule(text).items()}
    assert got == ({} if host_network else {"toleration-node-unavailable": 1})


def test_too_low_says_when_each_taint_comes() -> None:
    """Unreachable comes only after node-monitor-grace-period (50 s since 1.32) without a
    heartbeat, so 5 s means about 55 s after the node stops reporting, not a blip; not-ready
    comes at the controller's next pass once the kubelet reports NotReady, with no grace."""
    unreachable = pod_yaml(
        "    - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute,"
        " tolerationSeconds: 5}\n"
    )
    [message] = by_rule(unreachable)["noexecute-seconds-too-low"]
    assert "blip" not in message
    assert "the pod is evicted 5 s after the taint appears" in message
    assert "node-monitor-grace-period (50 s by default since Kubernetes 1.32, 40 s before)" in (
        message
    )
    assert "evicted about 55 s after the node stops reporting" in message
    assert "not-ready" not in message
    not_ready = pod_yaml(
        "    - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute,"
        " tolerationSeconds: 0}\n"
    )
    [message] = by_rule(not_ready)["noexecute-seconds-too-low"]
    assert "when the kubelet reports NotReady" in message
    assert "the pod is evicted at once" in message
    assert "grace" not in message
    both = pod_yaml("    - {operator: Exists, effect: NoExecute, tolerationSeconds: 30}\n")
    [message] = by_rule(both)["noexecute-seconds-too-low"]
    assert "evicted 30 s later" in message and "about 80 s after the node stops" in message
