"""The PodDisruptionBudget rules' CEL (export/rules: pdb-no-disruptions,
pdb-unhealthy-pods-block-drains) on the cases the data files miss: IntOrString values at
the edges (0 and 1, `0%` and `1%`, `99%` and `100%`, leading zeros), selectors that select
nothing or everything, and UPDATE, where a budget kept as it was warns and a changed one
denies. Each case is judged by the engine and by the exported policy (tests/k8s_cel)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.test_export_rules_disk import assert_verdict, cel_outcome, enforced

NO_DISRUPTIONS = "pdb-no-disruptions"
UNHEALTHY = "pdb-unhealthy-pods-block-drains"
SELECTOR = {"matchLabels": {"app": "web"}}


def budget(selector: Any = SELECTOR, api_version: str = "policy/v1", **spec: Any) -> dict:
    out: dict[str, Any] = {
        "apiVersion": api_version,
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": dict(spec),
    }
    if selector is not None:
        out["spec"]["selector"] = selector
    return out


@pytest.mark.parametrize(
    ("spec", "reported"),
    [
        ({"maxUnavailable": 0}, True),
        ({"maxUnavailable": 1}, False),
        ({"maxUnavailable": "0%"}, True),
        ({"maxUnavailable": "000%"}, True),
        ({"maxUnavailable": "1%"}, False),  # rounds up to one pod at any count
        ({"minAvailable": "100%"}, True),
        ({"minAvailable": "0100%"}, True),
        ({"minAvailable": "99%"}, False),  # 99 of 100 pods: one may go
        ({"minAvailable": 5}, False),  # depends on the replicas: lint's rules
        ({"minAvailable": 0}, False),
        ({}, False),
    ],
)
def test_no_disruptions_values(spec: dict, reported: bool) -> None:
    assert_verdict(NO_DISRUPTIONS, budget(**spec), reported, enforced(NO_DISRUPTIONS))


@pytest.mark.parametrize(
    ("selector", "reported"),
    [
        (None, False),  # null selects no pod
        ({}, True),  # every pod of the namespace
        ({"matchLabels": {}, "matchExpressions": []}, True),
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, True),
    ],
)
def test_budget_selectors(selector: Any, reported: bool) -> None:
    obj = budget(selector, maxUnavailable=0)
    assert_verdict(NO_DISRUPTIONS, obj, reported, enforced(NO_DISRUPTIONS))
    assert_verdict(UNHEALTHY, obj, reported, enforced(UNHEALTHY))


@pytest.mark.parametrize(
    ("policy", "reported"),
    [(None, True), ("IfHealthyBudget", True), ("AlwaysAllow", False)],
)
def test_unhealthy_pod_eviction_policy(policy: str | None, reported: bool) -> None:
    spec = {} if policy is None else {"unhealthyPodEvictionPolicy": policy}
    assert_verdict(UNHEALTHY, budget(maxUnavailable=1, **spec), reported, enforced(UNHEALTHY))


def test_budgets_on_update() -> None:
    policy = enforced(NO_DISRUPTIONS)
    before = budget(maxUnavailable=0)
    relabelled = copy.deepcopy(before)
    relabelled["metadata"]["labels"] = {"team": "shop"}
    outcome = cel_outcome(NO_DISRUPTIONS, relabelled, policy, old=before)
    assert not outcome.denied and len(outcome.warnings) == 1  # pre-existing: warned
    assert cel_outcome(NO_DISRUPTIONS, budget(maxUnavailable="0%"), policy, old=before).denied
    unhealthy = enforced(UNHEALTHY)
    before = budget(maxUnavailable=1)
    assert not cel_outcome(UNHEALTHY, budget(maxUnavailable=2), unhealthy, old=before).denied
    written = budget(maxUnavailable=1, unhealthyPodEvictionPolicy="IfHealthyBudget")
    assert cel_outcome(UNHEALTHY, written, unhealthy, old=before).denied  # another value: new


def test_a_budget_exempt_by_its_annotation_is_not_judged() -> None:
    obj = budget(maxUnavailable=0)
    obj["metadata"]["annotations"] = {"evictguard.io/exempt": "pdb-no-disruptions"}
    assert_verdict(NO_DISRUPTIONS, obj, False, enforced(NO_DISRUPTIONS))
