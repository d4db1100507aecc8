"""A rule sees only what it needs (issue 15): the object, its own parameters and the shared
facts. The cluster's taints are a policy section of their own; what a rule says depending
on another rule is declared on the violation and decided by the engine."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import evictguard
import pytest
from evictguard.engine.check import check_object
from evictguard.engine.registry import RULES
from evictguard.model import Finding
from evictguard.policy.load import load_policy_file, load_preset
from evictguard.policy.model import ConfigError, Policy
from evictguard.rules.base import Context
from evictguard.yaml.loader import load_text

CONTROL_PLANE_TYPO = (
    "    - {key: node-role.kubernetes.io/controlplane, operator: Equal, value: 'true',"
    " effect: NoSchedule}\n"
)
WILDCARD = "    - {operator: Exists}\n"  # first match for not-ready and unreachable: unbounded's


def _pod(tolerations: str, meta: str = "") -> str:
    return (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\n"
        + meta
        + "spec:\n  containers: [{name: a, image: x, resources: {limits: {memory: 1Gi}}}]\n"
        "  tolerations:\n" + tolerations
    )


def _findings(text: str, policy: Policy) -> list[Finding]:
    [item] = load_text(text, "<test>").objects
    return check_object(item.obj, policy).findings


def _policy(tmp_path: Path, body: str) -> Policy:
    path = tmp_path / "policy.yaml"
    path.write_text("apiVersion: evictguard.io/v1alpha1\nkind: Policy\n" + body)
    return load_policy_file(str(path))


def test_a_rule_context_holds_no_policy_and_no_other_rule() -> None:
    """What a rule can reach: nothing through which another rule's mode or parameters could
    be read again (no policy, no `runs`, no exemptions)."""
    fields = {f.name for f in dataclasses.fields(Context)}
    assert fields == {"obj", "ref", "pod", "params", "cluster", "bounds"}
    assert not any(hasattr(Context, name) for name in ("policy", "runs", "exempt"))


@pytest.mark.parametrize(
    "body",
    [
        "knownTaints: [{key: node-role.kubernetes.io/controlplane, values: ['true']}]\n",
        # the older place, still read
        "rules:\n  toleration-never-matches:\n"
        "    knownTaints: [{key: node-role.kubernetes.io/controlplane, values: ['true']}]\n",
    ],
    ids=["top-level", "rule-entry"],
)
def test_known_taints_are_a_cluster_section(tmp_path: Path, body: str) -> None:
    """Listed in either place, the taint is known to every rule that reads the cluster's
    taints: no typo for toleration-never-matches, a control-plane taint for
    toleration-control-plane (which reads no parameter of the other rule)."""
    text = _pod(CONTROL_PLANE_TYPO)
    assert [f.rule for f in _findings(text, load_preset())] == ["toleration-never-matches"]
    policy = _policy(tmp_path, body)
    assert [k["key"] for k in policy.cluster.known_taints] == [
        "node-role.kubernetes.io/controlplane"
    ]
    assert "knownTaints" not in policy.params("toleration-never-matches")
    assert [f.rule for f in _findings(text, policy)] == ["toleration-control-plane"]


def test_both_places_add_up(tmp_path: Path) -> None:
    policy = _policy(
        tmp_path,
        "knownTaints: [{key: dedicated, effects: [NoSchedule]}]\n"
        "rules:\n  toleration-never-matches:\n    knownTaints: [{key: gpu}]\n",
    )
    assert [k["key"] for k in policy.cluster.known_taints] == ["gpu", "dedicated"]


def test_top_level_known_taints_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        _policy(tmp_path, "knownTaints: [{key: Example.com/gpu, values: ['-5']}]\n")
    problems = raised.value.problems
    assert any(": knownTaints.0.key: 'Example.com/gpu': prefix part" in p for p in problems)
    assert any(": knownTaints.0.values: '-5': a valid label" in p for p in problems)


def test_a_deferred_case_is_reported_where_its_owner_does_not_judge(tmp_path: Path) -> None:
    """noexecute-wildcard leaves the dead-node wildcard to noexecute-unbounded: off, or the
    object exempted from it, and the wildcard rule reports it itself."""
    text = _pod(WILDCARD)
    eviction = {"noexecute-unbounded", "noexecute-wildcard"}
    rules = lambda policy, t=text: {f.rule for f in _findings(t, policy)} & eviction  # noqa: E731
    assert rules(load_preset()) == {"noexecute-unbounded"}
    off = _policy(tmp_path, "rules:\n  noexecute-unbounded: {mode: off}\n")
    assert rules(off) == {"noexecute-wildcard"}
    exempt = "  annotations: {evictguard.io/exempt: noexecute-unbounded}\n"
    assert rules(load_preset(), _pod(WILDCARD, exempt)) == {"noexecute-wildcard"}


def test_a_note_on_another_rule_is_said_only_where_that_rule_is_on(tmp_path: Path) -> None:
    text = _pod(CONTROL_PLANE_TYPO)
    note = "is what toleration-control-plane warns about.)"
    [on] = [f.message for f in _findings(text, load_preset())]
    assert on.endswith(note)
    off = _policy(tmp_path, "rules:\n  toleration-control-plane: {mode: off}\n")
    [message] = [f.message for f in _findings(text, off)]
    assert note not in message and on.startswith(message)


def test_memory_limit_missing_keeps_within_the_shared_memory_bounds(tmp_path: Path) -> None:
    """Its fix copies a request into the limit only where memory-quantity-suspicious' bounds
    allow it, given to it as a fact, whatever that rule's mode."""
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\n"
        "spec:\n  containers: [{name: a, image: x, resources: {requests: {memory: 100Mi}}}]\n"
    )

    def fix(policy: Policy) -> object:
        [found] = [f for f in _findings(text, policy) if f.rule == "memory-limit-missing"]
        return found.fix

    assert fix(load_preset()) is not None
    high_floor = _policy(
        tmp_path, "rules:\n  memory-quantity-suspicious: {mode: off, floor: 200Mi}\n"
    )
    assert high_floor.bounds.memory_floor == "200Mi"
    assert fix(high_floor) is None


# Modules that model Kubernetes (the k8s layer, and the as-admitted view built on it): what
# they need to know of a rule, the rule declares (`Rule.compares_siblings`, ...).
PACKAGE = Path(evictguard.__file__).parent
KUBERNETES_MODULES = sorted(
    str(path.relative_to(PACKAGE))
    for path in [*(PACKAGE / "k8s").rglob("*.py"), PACKAGE / "lint" / "as_admitted.py"]
)


@pytest.mark.parametrize("module", KUBERNETES_MODULES)
def test_kubernetes_semantics_name_no_rule(module: str) -> None:
    source = (PACKAGE / module).read_text("utf-8")
    assert [r for r in RULES if f'"{r}"' in source] == []
