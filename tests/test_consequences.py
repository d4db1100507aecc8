"""One toleration, at most one finding per consequence.

A toleration rule's findings are about how the pod is evicted (the NoExecute rules:
`Consequence.EVICTION`) or about where it may be scheduled (the scheduling toleration rules:
`Consequence.SCHEDULING`); the others (invalid, never matching, shadowed, not allowed) judge
the toleration itself. Whatever the policy turns on or off, and whatever the object is
exempted from, a toleration gets at most one finding per consequence: one rule owns each
case (noexecute-unbounded owns an unbounded wildcard the taint manager uses for not-ready,
unreachable or out-of-service; noexecute-wildcard reports it only when noexecute-unbounded
does not run). `{operator: Exists}` alone has both consequences, so it gets two findings.
Checked over every rule's data files and over generated pods.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from evictguard.engine.check import check_object
from evictguard.engine.registry import RULES
from evictguard.k8s.podspec import extract_pod_spec
from evictguard.k8s.taints import EFFECTS, WELL_KNOWN_TAINTS
from evictguard.model import Finding, Mode
from evictguard.policy.load import load_preset
from evictguard.policy.model import Policy, RuleSettings
from evictguard.rules.base import Consequence
from evictguard.yaml.loader import load_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import DATA

EVICTION_RULES = {
    "noexecute-unbounded",
    "noexecute-seconds-too-low",
    "noexecute-seconds-too-high",
    "noexecute-wildcard",
}
SCHEDULING_RULES = {
    "toleration-wildcard",
    "toleration-node-pressure",
    "toleration-node-unavailable",
    "toleration-control-plane",
}


def test_each_rule_declares_its_consequence() -> None:
    declared = {rule_id: rule.consequence for rule_id, rule in RULES.items()}
    assert {r for r, c in declared.items() if c is Consequence.EVICTION} == EVICTION_RULES
    assert {r for r, c in declared.items() if c is Consequence.SCHEDULING} == SCHEDULING_RULES


def all_on(policy: Policy) -> Policy:
    """Every rule on (enforced), with its parameters as the policy has them."""
    rules = {r: RuleSettings(Mode.ENFORCE, policy.params(r)) for r in RULES}
    return dataclasses.replace(policy, rules=rules)


DEFAULT = load_preset("default")
STRICT = load_preset("strict")
# Every rule on, and every rule on but one eviction or scheduling rule: what one rule leaves
# to another, the other must report only when the first does not.
POLICIES = [DEFAULT, STRICT, all_on(DEFAULT)] + [
    all_on(DEFAULT).with_disabled({r}) for r in sorted(EVICTION_RULES | SCHEDULING_RULES)
]


def toleration_of(finding: Finding, tolerations: Iterable[str]) -> str | None:
    """The pointer of the toleration a finding lies in, if any."""
    for prefix in tolerations:
        if finding.pointer == prefix or finding.pointer.startswith(prefix + "/"):
            return prefix
    return None


def repeated(obj: Any, policy: Policy) -> list[tuple[str, str, list[str]]]:
    """(toleration, consequence, rules) for every toleration with more than one finding of a
    consequence."""
    pod, _ = extract_pod_spec(obj)
    if pod is None:
        return []
    pointers = [view.pointer for view in pod.tolerations]
    groups: dict[tuple[str, str], list[str]] = {}
    for finding in check_object(obj, policy).findings:
        consequence = RULES[finding.rule].consequence
        where = toleration_of(finding, pointers)
        if consequence is None or where is None:
            continue
        groups.setdefault((where, consequence.value), []).append(finding.rule)
    return [(w, c, rules) for (w, c), rules in groups.items() if len(rules) > 1]


def data_files() -> list[Path]:
    return sorted((DATA / "rules").glob("*/*/*.yaml"))


@pytest.mark.parametrize("path", data_files(), ids=lambda p: "/".join(p.parts[-3:]))
def test_data_files_get_one_finding_per_consequence(path: Path) -> None:
    for item in load_text(path.read_text("utf-8"), str(path)).objects:
        for index, policy in enumerate(POLICIES):
            assert not repeated(item.obj, policy), (index, repeated(item.obj, policy))


def _pod(tolerations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "shop"},
        "spec": {
            "containers": [{"name": "a", "image": "x", "resources": {"limits": {"memory": "1Gi"}}}],
            "tolerations": tolerations,
        },
    }


def _by_consequence(obj: Any, policy: Policy) -> Counter[tuple[str, str]]:
    return Counter(
        (f.rule, str(RULES[f.rule].consequence.value))
        for f in check_object(obj, policy).findings
        if RULES[f.rule].consequence is not None
    )


def test_a_noexecute_wildcard_gets_one_eviction_finding() -> None:
    """It had two: noexecute-unbounded (first match for not-ready and unreachable) and
    noexecute-wildcard, both enforced, for the same thing."""
    obj = _pod([{"operator": "Exists", "effect": "NoExecute"}])
    assert _by_consequence(obj, DEFAULT) == Counter({("noexecute-unbounded", "eviction"): 1})
    # ... and noexecute-wildcard's when noexecute-unbounded does not run
    off = DEFAULT.with_disabled({"noexecute-unbounded"})
    assert _by_consequence(obj, off) == Counter({("noexecute-wildcard", "eviction"): 1})
    exempt = _pod([{"operator": "Exists", "effect": "NoExecute"}])
    exempt["metadata"]["annotations"] = {"evictguard.io/exempt": "noexecute-unbounded"}
    assert _by_consequence(exempt, DEFAULT) == Counter({("noexecute-wildcard", "eviction"): 1})


def test_a_bare_wildcard_gets_one_finding_of_each_consequence() -> None:
    obj = _pod([{"operator": "Exists"}])
    assert _by_consequence(obj, DEFAULT) == Counter(
        {("noexecute-unbounded", "eviction"): 1, ("toleration-wildcard", "scheduling"): 1}
    )


# --- generated pods ------------------------------------------------------------------------

KEYS = st.sampled_from(["", *WELL_KNOWN_TAINTS, "example.com/dedicated"])
SECONDS = st.sampled_from(
    [None, -1, 0, 5, 60, 300, 3600, 3601, 86400, 9223372036, 9223372037, 18446744074]
)


@st.composite
def tolerations(draw: st.DrawFn) -> dict[str, Any]:
    key = draw(KEYS)
    operator = draw(st.sampled_from(["Exists", "Equal", None]))
    if key == "":
        operator = "Exists"
    out: dict[str, Any] = {}
    if key:
        out["key"] = key
    if operator:
        out["operator"] = operator
    if operator != "Exists":
        out["value"] = draw(st.sampled_from(["", "nodeshutdown", "true"]))
    effect = draw(st.sampled_from(["", *EFFECTS]))
    if effect:
        out["effect"] = effect
    if effect == "NoExecute":
        seconds = draw(SECONDS)
        if seconds is not None:
            out["tolerationSeconds"] = seconds
    return out


@st.composite
def objects(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [{"name": "a", "image": "x", "resources": {"limits": {"memory": "1Gi"}}}],
        "tolerations": draw(st.lists(tolerations(), max_size=6)),
    }
    if draw(st.booleans()):
        spec["hostNetwork"] = True
    metadata: dict[str, Any] = {
        "name": "p",
        "namespace": draw(st.sampled_from(["shop", "kube-system"])),
    }
    exempt = draw(st.sampled_from([None, "noexecute-unbounded", "toleration-wildcard"]))
    if exempt:
        metadata["annotations"] = {"evictguard.io/exempt": exempt}
    kind = draw(st.sampled_from(["Pod", "Deployment", "DaemonSet"]))
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": metadata,
        "spec": {"template": {"metadata": {}, "spec": spec}},
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(objects(), st.sampled_from(range(len(POLICIES))))
def test_generated_pods_get_one_finding_per_consequence(obj: dict[str, Any], index: int) -> None:
    assert not repeated(obj, POLICIES[index])
