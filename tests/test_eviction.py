"""The eviction model: which tolerations a pod ends up with, which one the taint manager
uses, and when a toleration can never be the first to match."""

from __future__ import annotations

from typing import Any

import pytest
from evictguard.engine.check import check_object
from evictguard.k8s.eviction import (
    DAEMONSET_CONTROLLER,
    DEFAULT_TOLERATION_SECONDS,
    MANIFEST,
    covering,
    effective_tolerations,
    first_match,
)
from evictguard.k8s.podspec import extract_pod_spec
from evictguard.k8s.taints import (
    DEFAULT_TOLERATIONS,
    EFFECTS,
    LIFECYCLE_NOEXECUTE_TAINTS,
    WELL_KNOWN_TAINTS,
)
from evictguard.k8s.tolerations import Toleration, compare_numbers, is_superset
from evictguard.policy.load import load_preset
from evictguard.rules.suggest import edit_distance, suggest_taint_key
from hypothesis import given, settings
from hypothesis import strategies as st

NOT_READY, UNREACHABLE = LIFECYCLE_NOEXECUTE_TAINTS


def pod(tolerations: list[dict[str, Any]], **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "shop", **meta},
        "spec": {
            "containers": [{"name": "a", "image": "x", "resources": {"limits": {"memory": "1Gi"}}}],
            "tolerations": tolerations,
        },
    }


def daemonset(tolerations: list[dict[str, Any]], host_network: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [{"name": "a", "image": "x", "resources": {"limits": {"memory": "1Gi"}}}],
        "tolerations": tolerations,
    }
    if host_network:
        spec["hostNetwork"] = True
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "monitoring"},
        "spec": {"template": {"spec": spec}},
    }


def effective(obj: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    view, _ = extract_pod_spec(obj)
    assert view is not None
    return [(e.toleration.as_dict(), e.origin) for e in effective_tolerations(view, False)]


# --- DefaultTolerationSeconds and the DaemonSet controller --------------------------------


def test_default_toleration_seconds_appends_what_nothing_covers() -> None:
    assert effective(pod([])) == [
        (dict(t), DEFAULT_TOLERATION_SECONDS) for t in DEFAULT_TOLERATIONS
    ]
    # Covering is by key and effect only: an Equal toleration with a value that can never
    # match still stops the plugin (so the pod is evicted at once; never-matches says so).
    mismatched = {"key": NOT_READY["key"], "operator": "Equal", "value": "x", "effect": "NoExecute"}
    got = effective(pod([mismatched]))
    assert got == [
        (mismatched, MANIFEST),
        (dict(DEFAULT_TOLERATIONS[1]), DEFAULT_TOLERATION_SECONDS),
    ]
    # A key-less toleration with no effect covers both keys.
    assert effective(pod([{"operator": "Exists"}])) == [({"operator": "Exists"}, MANIFEST)]
    # NoSchedule covers nothing NoExecute.
    assert len(effective(pod([{"operator": "Exists", "effect": "NoSchedule"}]))) == 3


def test_the_daemonset_controller_adds_and_overwrites_its_tolerations() -> None:
    low = {
        "key": NOT_READY["key"],
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 5,
    }
    got = effective(daemonset([low]))
    # AddOrUpdateTolerationInPodSpec: equal but for seconds -> replaced in place, forever.
    assert got[0] == (
        {"key": NOT_READY["key"], "operator": "Exists", "effect": "NoExecute"},
        DAEMONSET_CONTROLLER,
    )
    keys = [t["key"] for t, _ in got]
    assert keys == [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
        "node.kubernetes.io/disk-pressure",
        "node.kubernetes.io/memory-pressure",
        "node.kubernetes.io/pid-pressure",
        "node.kubernetes.io/unschedulable",
    ]
    assert "node.kubernetes.io/network-unavailable" in [
        t["key"] for t, _ in effective(daemonset([], True))
    ]
    assert "node.kubernetes.io/network-unavailable" not in keys


def test_a_daemon_pod_gets_the_findings_of_its_daemonset() -> None:
    """At admission a DaemonSet's Pod already carries the controller's tolerations: they
    must not be faulted there when the template was not."""
    policy = load_preset("strict")
    template = [
        {"operator": "Exists", "effect": "NoSchedule"},
        {"key": "dedicated", "operator": "Exists"},
    ]
    ds = daemonset(template)
    view, _ = extract_pod_spec(ds)
    assert view is not None
    as_created = [e.toleration.as_dict() for e in effective_tolerations(view, False)]
    owned = pod(
        as_created,
        ownerReferences=[
            {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "name": "agent",
                "uid": "u",
                "controller": True,
            }
        ],
    )
    rules_of = lambda obj: sorted(f.rule for f in check_object(obj, policy).findings)  # noqa: E731
    assert rules_of(owned) == rules_of(ds)
    # Without the ownerReference the same Pod is an ordinary pod and is faulted.
    assert "toleration-node-pressure" in rules_of(pod(as_created))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "key": st.sampled_from(["", "a", *sorted(WELL_KNOWN_TAINTS)]),
                "operator": st.sampled_from(["Exists", "Equal"]),
                "value": st.sampled_from(["", "x", "true"]),
                "effect": st.sampled_from(["", *EFFECTS]),
                "tolerationSeconds": st.integers(-5, 900),
            },
        ),
        max_size=4,
    )
)
def test_the_default_tolerations_never_get_a_finding(tolerations: list[dict[str, Any]]) -> None:
    """Every Pod created through the API carries DefaultTolerationSeconds' tolerations,
    appended as the plugin appends them (for each key nothing covers by key and effect): no
    rule may fault them, whatever precedes."""
    policy = load_preset("strict")
    added = [
        dict(default)
        for default in DEFAULT_TOLERATIONS
        if not any(
            t.get("key") in (None, "", default["key"])
            and t.get("effect") in (None, "", "NoExecute")
            for t in tolerations
        )
    ]
    obj = pod([*tolerations, *added])
    base = len(tolerations)
    for finding in check_object(obj, policy).findings:
        if finding.pointer.startswith("/spec/tolerations/"):
            index = int(finding.pointer.split("/")[3])
            assert index < base, (finding.rule, finding.message)


# --- first match --------------------------------------------------------------------------


def test_the_first_matching_toleration_is_used() -> None:
    view, _ = extract_pod_spec(
        pod(
            [
                {"key": "other", "operator": "Exists"},
                {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30},
                {"key": UNREACHABLE["key"], "operator": "Exists", "effect": "NoExecute"},
            ]
        )
    )
    assert view is not None
    items = effective_tolerations(view, False)
    for taint in (NOT_READY, UNREACHABLE):
        chosen = first_match(taint, items, False)
        assert chosen is not None and chosen.toleration.seconds == 30


# --- shadowing ----------------------------------------------------------------------------

T = Toleration


@pytest.mark.parametrize(
    ("later", "earlier", "shadowed"),
    [
        (T("k", "Exists", effect="NoExecute"), [T("k", "Exists")], True),
        (T("k", "Exists", effect="NoExecute"), [T("", "Exists", effect="NoExecute")], True),
        (T("k", "Equal", "v", "NoExecute"), [T("k", "Exists", effect="NoExecute")], True),
        (T("k", "Equal", "v", "NoExecute"), [T("k", "Equal", "w", "NoExecute")], False),
        (T("k", "Exists", effect="NoExecute"), [T("k", "Equal", "v", "NoExecute")], False),
        (T("", "Exists", effect="NoExecute"), [T("k", "Exists", effect="NoExecute")], False),
        (T("k", "Exists", effect="NoExecute"), [T("k", "Exists", effect="NoSchedule")], False),
        # An empty-effect toleration is redundant only if every effect is covered.
        (T("k", "Exists"), [T("k", "Exists", effect="NoExecute")], False),
        (T("k", "Exists"), [T("k", "Exists", effect=e) for e in EFFECTS], True),
    ],
)
def test_covering(later: Toleration, earlier: list[Toleration], shadowed: bool) -> None:
    assert (covering(later, earlier, False) is not None) is shadowed


@pytest.mark.parametrize(
    ("later", "earlier", "shadowed"),
    [
        # Gt 5 matches integer taint values 6.. (canonical, non-negative: taint values are
        # label values); Gt 3 and Lt 10 together cover every integer.
        (T("sla", "Gt", "5", "NoExecute"), [T("sla", "Gt", "3", "NoExecute")], True),
        (T("sla", "Gt", "5", "NoExecute"), [T("sla", "Gt", "7", "NoExecute")], False),
        (
            T("sla", "Gt", "5", "NoExecute"),
            [T("sla", "Gt", "8", "NoExecute"), T("sla", "Lt", "10", "NoExecute")],
            True,
        ),
        (
            T("sla", "Lt", "3", "NoExecute"),
            [T("sla", "Equal", v, "NoExecute") for v in ("0", "1", "2")],
            True,
        ),
        (
            T("sla", "Lt", "4", "NoExecute"),
            [T("sla", "Equal", v, "NoExecute") for v in ("0", "2", "3")],
            False,
        ),
    ],
)
def test_covering_with_comparison_operators(
    later: Toleration, earlier: list[Toleration], shadowed: bool
) -> None:
    assert (covering(later, earlier, True) is not None) is shadowed


@pytest.mark.parametrize(
    ("toleration", "taint", "operator", "matches"),
    [
        ("5", "6", "Gt", True),
        ("5", "5", "Gt", False),
        ("5", "4", "Lt", True),
        ("5", "05", "Gt", False),  # not canonical: no match
        ("-5", "0", "Gt", True),
        ("5", "9223372036854775808", "Gt", False),  # out of int64: no match
        ("x", "6", "Gt", False),
    ],
)
def test_compare_numbers(toleration: str, taint: str, operator: str, matches: bool) -> None:
    assert compare_numbers(toleration, taint, operator) is matches


def test_comparison_operators_match_only_with_the_feature() -> None:
    assert not T("sla", "Gt", "5").tolerates("sla", "6", "NoSchedule", comparison=False)
    assert T("sla", "Gt", "5").tolerates("sla", "6", "NoSchedule", comparison=True)


# --- PodTolerationRestriction's isSuperset ------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "toleration", "covered"),
    [
        (T("k", "Exists"), T("k", "Equal", "v", "NoSchedule"), True),
        (T("", "Exists"), T("k", "Equal", "v", "NoExecute", 5), True),
        (T("k", "Equal", "v"), T("k", "Equal", "v", "NoSchedule"), True),
        (T("k", "Equal", "v"), T("k", "", "v", "NoSchedule"), False),  # "" is not Equal there
        (T("k", "Exists", effect="NoSchedule"), T("k", "Exists", effect="NoExecute"), False),
        (
            T("k", "Exists", effect="NoExecute", seconds=60),
            T("k", "Exists", effect="NoExecute", seconds=30),
            True,
        ),
        (
            T("k", "Exists", effect="NoExecute", seconds=60),
            T("k", "Exists", effect="NoExecute", seconds=90),
            False,
        ),
        (
            T("k", "Exists", effect="NoExecute", seconds=60),
            T("k", "Exists", effect="NoExecute"),
            False,
        ),
        (T("k", "Exists"), T("j", "Exists"), False),
    ],
)
def test_is_superset(entry: Toleration, toleration: Toleration, covered: bool) -> None:
    assert is_superset(entry, toleration) is covered


# --- typo suggestions ---------------------------------------------------------------------

KNOWN = sorted(WELL_KNOWN_TAINTS)


@pytest.mark.parametrize(
    ("key", "intended"),
    [
        ("node.kubernetes.io/unreachble", "node.kubernetes.io/unreachable"),
        ("node-role.kubernetes.io/controlplane", "node-role.kubernetes.io/control-plane"),
        ("node.kubernetes.io/notReady", "node.kubernetes.io/not-ready"),
        ("node.kubernetes.io/Memory-Pressure", "node.kubernetes.io/memory-pressure"),
        ("node.kubernetes.io/control-plane", "node-role.kubernetes.io/control-plane"),
        ("kubernetes.io/unreachable", "node.kubernetes.io/unreachable"),
        ("node.kubernetes.io/not-ready", None),  # right already
        ("dedicated", None),
        ("CriticalAddonsOnly", None),
        ("nvidia.com/gpu", None),
        ("node-role.kubernetes.io/infra", None),
        ("node-role.kubernetes.io/etcd", None),
        ("example.com/unreachable", None),  # same name, but not a Kubernetes prefix
    ],
)
def test_suggest_taint_key(key: str, intended: str | None) -> None:
    assert suggest_taint_key(key, KNOWN) == intended


def test_edit_distance_counts_a_swap_as_one() -> None:
    assert edit_distance("unreachable", "unreachalbe") == 1
    assert edit_distance("abc", "abc") == 0
    assert edit_distance("", "abc") == 3


TOLERATIONS = st.builds(
    Toleration,
    key=st.sampled_from(["", "a", "b"]),
    operator=st.sampled_from(["Exists", "Equal", "", "Lt", "Gt"]),
    value=st.sampled_from(["", "x", "0", "3", "7"]),
    effect=st.sampled_from(["", *EFFECTS]),
    seconds=st.none(),
)


def naive_covering(later: Toleration, earlier: list[Toleration], comparison: bool) -> bool:
    """The definition, by brute force over a grid of taints: every taint `later` tolerates
    (of the effects it is judged on) is tolerated by some earlier toleration."""
    effects = ["NoExecute"] if later.effect == "NoExecute" else list(EFFECTS)
    witnessed = False
    for key in ("a", "b", "zzz"):
        for value in ("", "x", "zzz", *map(str, range(12))):
            for effect in effects:
                if later.tolerates(key, value, effect, comparison):
                    witnessed = True
                    if not any(t.tolerates(key, value, effect, comparison) for t in earlier):
                        return False
    return witnessed


@settings(max_examples=400, deadline=None)
@given(st.lists(TOLERATIONS, max_size=6), TOLERATIONS, st.booleans())
def test_the_indexed_covering_agrees_with_brute_force(
    earlier: list[Toleration], later: Toleration, comparison: bool
) -> None:
    assert (covering(later, earlier, comparison) is not None) == naive_covering(
        later, earlier, comparison
    )
