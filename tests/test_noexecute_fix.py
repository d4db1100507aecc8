"""The noexecute-unbounded fix, applied to every object of the rule's fail data.

For each object with a noexecute-unbounded finding, `remedy` (accepting only that rule's
fixes) must leave an object that:

1. has no noexecute-unbounded finding;
2. is valid (no toleration-invalid finding) and has no finding of a rule the original did not
   already have (findings outside the tolerations: no new (rule, pointer) either; inside them
   pointers may move if copies are inserted, so rules are compared);
3. needs no further fix: a second remedy yields an empty patch;
4. keeps tolerating what it tolerated. An empty-effect toleration cannot simply get
   `tolerationSeconds` (validation: "effect must be 'NoExecute' when `tolerationSeconds` is
   set"), so in its place comes a NoExecute copy with the policy's 300 s (where the taint
   manager still finds it first), plus a NoSchedule copy, and for a key-less one a
   PreferNoSchedule copy too (anywhere in the list: only NoExecute matching is ordered).
   Every other toleration keeps its order and fields. Over a grid of taints, every taint the
   original list tolerated the fixed list still tolerates.

The grid holds the taints Kubernetes can put on a node: for a key whose effects are fixed
(taints.WELL_KNOWN_TAINTS, e.g. not-ready and unreachable: NoSchedule and NoExecute only) just
those effects; for other keys (control-plane, out-of-service, custom ones) every effect.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from evictguard import pointer as jp
from evictguard.engine.check import check_object
from evictguard.engine.remedy import remedy
from evictguard.k8s.podspec import extract_pod_specs
from evictguard.k8s.taints import (
    EFFECTS,
    NO_EXECUTE,
    NO_SCHEDULE,
    PREFER_NO_SCHEDULE,
    WELL_KNOWN_TAINTS,
)
from evictguard.k8s.tolerations import Toleration
from evictguard.model import Finding
from evictguard.policy.load import load_preset
from evictguard.policy.model import Policy
from evictguard.yaml.loader import load_text

from tests.conftest import DATA

RULE = "noexecute-unbounded"
SECONDS = 300  # the default preset's noexecute-unbounded tolerationSeconds
FAIL_DIR = DATA / "rules" / RULE / "fail"
CUSTOM_KEYS = ("example.com/dedicated", "nvidia.com/gpu")
VALUES = ("", "true", "gpu")


def _cases() -> list[tuple[Path, int]]:
    policy = load_preset("default")
    cases = []
    for path in sorted(FAIL_DIR.glob("*.yaml")):
        loaded = load_text(path.read_text("utf-8"), str(path))
        for index, item in enumerate(loaded.objects):
            if any(f.rule == RULE for f in check_object(item.obj, policy).findings):
                cases.append((path, index))
    return cases


CASES = _cases()


def _case_id(case: tuple[Path, int]) -> str:
    path, index = case
    return f"{path.name}#{index}"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_preset("default")


def _object(path: Path, index: int) -> Any:
    return load_text(path.read_text("utf-8"), str(path)).objects[index].obj


def _findings(obj: Any, policy: Policy) -> list[Finding]:
    return check_object(obj, policy).findings


def _fix(obj: Any, policy: Policy) -> Any:
    return remedy(obj, policy, accept=lambda f: f.rule == RULE)


def _tolerations_pointer(obj: Mapping[str, Any]) -> str:
    """The one table of where each kind keeps its tolerations (an operator's kind may keep
    them apart from its containers: CloudNativePG's `spec.affinity.tolerations`)."""
    pods, _ = extract_pod_specs(obj)
    views = [view for pod in pods for view in pod.tolerations]
    assert views
    return jp.join(*jp.split(views[0].pointer)[:-1])


def _get(obj: Any, pointer: str) -> Any:
    node = obj
    for token in jp.split(pointer):
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _grid() -> list[tuple[str, str, str]]:
    taints = []
    for key in (*WELL_KNOWN_TAINTS, *CUSTOM_KEYS):
        known = WELL_KNOWN_TAINTS.get(key)
        effects = known.effects if known and known.effects is not None else EFFECTS
        for value, effect in itertools.product(VALUES, sorted(effects)):
            taints.append((key, value, effect))
    return taints


GRID = _grid()


def _tolerated(tolerations: list[Mapping[str, Any]]) -> set[tuple[str, str, str]]:
    parsed = [Toleration.of(t) for t in tolerations]
    return {taint for taint in GRID if any(t.tolerates(*taint) for t in parsed)}


def test_every_fail_file_has_a_case() -> None:
    assert {path for path, _ in CASES} == set(FAIL_DIR.glob("*.yaml"))


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_fix_silences_the_rule(case: tuple[Path, int], policy: Policy) -> None:
    obj = _object(*case)
    result = _fix(obj, policy)
    assert result.patch, "the fix changed nothing"
    assert all(f.rule == RULE for f in result.applied)
    assert not [f for f in _findings(result.fixed, policy) if f.rule == RULE]


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_fix_adds_no_new_finding(case: tuple[Path, int], policy: Policy) -> None:
    obj = _object(*case)
    before = _findings(obj, policy)
    after = _findings(_fix(obj, policy).fixed, policy)
    assert not [f for f in after if f.rule == "toleration-invalid"]
    assert {f.rule for f in after} <= {f.rule for f in before}
    tolerations = _tolerations_pointer(obj) + "/"
    outside = {(f.rule, f.pointer) for f in after if not f.pointer.startswith(tolerations)}
    assert outside <= {(f.rule, f.pointer) for f in before}


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_fix_is_idempotent(case: tuple[Path, int], policy: Policy) -> None:
    first = _fix(_object(*case), policy)
    again = _fix(first.fixed, policy)
    assert again.patch == []
    assert again.applied == []
    # and with every rule's fixes, nothing of this rule is left to do either
    assert not [f for f in remedy(first.fixed, policy).applied if f.rule == RULE]


def _bounded(written: Mapping[str, Any]) -> Toleration:
    """What a flagged toleration must become in its place."""
    t = Toleration.of(written)
    return Toleration(t.key, t.operator, t.value, NO_EXECUTE, SECONDS)


def _copy(written: Mapping[str, Any], effect: str) -> Toleration:
    t = Toleration.of(written)
    return Toleration(t.key, t.operator, t.value, effect, None)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_fix_keeps_every_toleration(case: tuple[Path, int], policy: Policy) -> None:
    obj = _object(*case)
    fixed = _fix(obj, policy).fixed
    pointer = _tolerations_pointer(obj)
    original: list[Mapping[str, Any]] = _get(obj, pointer)
    result: list[Mapping[str, Any]] = _get(fixed, pointer)
    assert _tolerated(original) <= _tolerated(result)

    flagged = {
        int(jp.split(f.pointer)[-2])
        for f in _findings(obj, policy)
        if f.rule == RULE and f.pointer.startswith(pointer + "/")
    }
    # Every original toleration keeps its order (the bounded NoExecute one stands where the
    # flagged one stood, so it is still the first match); the copies for the other effects
    # of an empty-effect toleration may go anywhere (only NoExecute matching is ordered).
    expected: list[Toleration] = []
    copies: list[Toleration] = []
    for index, written in enumerate(original):
        if index not in flagged:
            expected.append(Toleration.of(written))
            continue
        bounded = _bounded(written)
        expected.append(bounded)
        if written.get("effect") == NO_EXECUTE:
            continue
        # The other effects its taints can have: NoSchedule for not-ready and unreachable;
        # every effect for a key-less one or out-of-service (whose effect the operator picks).
        known = WELL_KNOWN_TAINTS.get(written.get("key", ""))
        possible = known.effects if known and known.effects is not None else EFFECTS
        effects = [e for e in (NO_SCHEDULE, PREFER_NO_SCHEDULE) if e in possible]
        group = [_copy(written, effect) for effect in effects]
        copies += group
        assert _tolerated([written]) <= _tolerated([t.as_dict() for t in (bounded, *group)])
    parsed = [Toleration.of(t) for t in result]
    assert len(parsed) == len(expected) + len(copies)
    rest, position = [], 0
    for t in parsed:
        if position < len(expected) and t == expected[position]:
            position += 1
        else:
            rest.append(t)
    assert position == len(expected), "an original toleration moved or changed"
    assert sorted(rest, key=repr) == sorted(copies, key=repr)
    # Tolerations the fix did not touch are left as written, field for field.
    untouched = [t for i, t in enumerate(original) if i not in flagged]
    assert all(any(t == r for r in result) for t in untouched)
    # The NoExecute ones carry the policy's seconds; the copies carry none.
    for t in result:
        if t not in original:
            assert (t.get("effect") == NO_EXECUTE) == ("tolerationSeconds" in t)
            if t.get("effect") == NO_EXECUTE:
                assert t["tolerationSeconds"] == SECONDS


def test_an_empty_effect_wildcard_becomes_three_tolerations(policy: Policy) -> None:
    """`{operator: Exists}` alone: the exact result, and the taints it still tolerates."""
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "shop"},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "nginx",
                    "resources": {"requests": {"memory": "64Mi"}, "limits": {"memory": "64Mi"}},
                }
            ],
            "tolerations": [{"operator": "Exists"}],
        },
    }
    result = _fix(obj, policy)
    assert result.fixed["spec"]["tolerations"] == [
        {"operator": "Exists", "effect": NO_EXECUTE, "tolerationSeconds": SECONDS},
        {"operator": "Exists", "effect": NO_SCHEDULE},
        {"operator": "Exists", "effect": PREFER_NO_SCHEDULE},
    ]
    assert _tolerated([{"operator": "Exists"}]) == _tolerated(result.fixed["spec"]["tolerations"])
    assert _fix(result.fixed, policy).patch == []
