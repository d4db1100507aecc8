"""memory-critical-overcommit: which pods the kubelet treats as critical, what the finding
says, and how it stands with memory-limit-ratio on the same container.

What "critical" means is the kubelet's `IsCriticalPod` (pkg/kubelet/types/pod_update.go):
static and mirror pods, and `spec.priority >= 2000000000`, which the Priority admission
plugin sets from `priorityClassName` (only the two built-in classes reach it).
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
from evictguard.engine.check import check_object
from evictguard.model import Mode, Severity
from evictguard.policy.load import load_preset
from evictguard.policy.model import Policy, RuleSettings

RULE, RATIO = "memory-critical-overcommit", "memory-limit-ratio"

POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "agent", "namespace": "net-system"},
    "spec": {
        "containers": [
            {
                "name": "agent",
                "image": "example/agent:1.0",
                "resources": {"requests": {"memory": "128Mi"}, "limits": {"memory": "4Gi"}},
            }
        ]
    },
}


def pod(spec: dict[str, Any] | None = None, annotations: dict[str, str] | None = None) -> Any:
    obj = copy.deepcopy(POD)
    obj["spec"].update(spec or {})
    if annotations is not None:
        obj["metadata"]["annotations"] = annotations
    return obj


def findings(obj: Any, policy: Policy) -> list[tuple[str, Severity]]:
    return [(f.rule, f.severity) for f in check_object(obj, policy).findings]


@pytest.mark.parametrize(
    ("spec", "annotations", "critical"),
    [
        ({"priorityClassName": "system-node-critical"}, None, True),
        ({"priorityClassName": "system-cluster-critical"}, None, True),
        ({"priority": 2000000000}, None, True),
        ({"priority": 1999999999}, None, False),
        # The kubelet reads spec.priority, not the class name.
        ({"priority": 0, "priorityClassName": "system-cluster-critical"}, None, False),
        ({"priorityClassName": "high-priority"}, None, False),
        ({"priorityClassName": "System-Node-Critical"}, None, False),
        ({}, {"kubernetes.io/config.mirror": "5b4fd8a7"}, True),
        # The kubelet overwrites config.source with the pod's real source (`api` for every
        # pod from the API server): written on an object it proves nothing.
        ({}, {"kubernetes.io/config.source": "file"}, False),
        ({}, {"kubernetes.io/config.source": "api"}, False),
        ({}, None, False),
    ],
)
def test_critical_as_the_kubelet_reads_it(
    spec: dict[str, Any], annotations: dict[str, str] | None, critical: bool, default_policy: Policy
) -> None:
    got = [rule for rule, _ in findings(pod(spec, annotations), default_policy)]
    assert (RULE in got) is critical, got


def test_the_message_gives_the_numbers_and_what_happens(default_policy: Policy) -> None:
    result = check_object(pod({"priorityClassName": "system-node-critical"}), default_policy)
    (finding,) = [f for f in result.findings if f.rule == RULE]
    assert finding.severity is Severity.WARNING
    assert finding.pointer == "/spec/containers/0/resources/limits/memory"
    for part in (
        "memory limit 4Gi is 32x its request 128Mi",
        "policy maximum 4x",
        "priorityClassName system-node-critical (priority 2000001000)",
        "never evicts it under memory pressure",
        "3968Mi",
        "oom_score_adj is -997",
    ):
        assert part in finding.message, finding.message
    cluster = check_object(pod({"priorityClassName": "system-cluster-critical"}), default_policy)
    (finding,) = [f for f in cluster.findings if f.rule == RULE]
    assert "oom_score_adj" not in finding.message  # only IsNodeCriticalPod gets -997


def test_the_maximum_is_a_policy_parameter(default_policy: Policy) -> None:
    within = pod({"priorityClassName": "system-cluster-critical"})
    rules = dict(default_policy.rules)
    rules[RULE] = RuleSettings(Mode.WARN, {"max": 32})
    assert RULE not in [
        r for r, _ in findings(within, dataclasses.replace(default_policy, rules=rules))
    ]
    rules[RULE] = RuleSettings(Mode.WARN, {"max": 31.9})
    assert RULE in [
        r for r, _ in findings(within, dataclasses.replace(default_policy, rules=rules))
    ]


def test_strict_reports_one_finding_per_container() -> None:
    """memory-limit-ratio (max 2) and this rule (max 2) would both report a critical pod's
    container under strict: this rule's finding, which says why it matters, stands alone."""
    strict = load_preset("strict")
    critical = pod({"priorityClassName": "system-cluster-critical"})
    assert findings(critical, strict) == [(RULE, Severity.ERROR)]
    assert findings(pod(), strict) == [(RATIO, Severity.ERROR)]


def test_a_more_severe_ratio_finding_still_stands(default_policy: Policy) -> None:
    rules = dict(default_policy.rules)
    rules[RATIO] = RuleSettings(Mode.ENFORCE, {"max": 2})
    policy = dataclasses.replace(default_policy, rules=rules)
    got = findings(pod({"priorityClassName": "system-cluster-critical"}), policy)
    assert sorted(got) == sorted([(RATIO, Severity.ERROR), (RULE, Severity.WARNING)])


def test_a_pod_level_gap_gets_one_finding_under_strict() -> None:
    """Pod-level values have no container: the two findings on the same `spec.resources`
    value are one problem (memory-critical-overcommit supersedes memory-limit-ratio)."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "podlevel", "namespace": "app"},
        "spec": {
            "priorityClassName": "system-cluster-critical",
            "resources": {"requests": {"memory": "128Mi"}, "limits": {"memory": "4Gi"}},
            "containers": [{"name": "c", "image": "x"}],
        },
    }
    result = check_object(pod, load_preset("strict"))
    assert [(f.rule, f.pointer) for f in result.findings] == [
        ("memory-critical-overcommit", "/spec/resources/limits/memory")
    ]
    assert [left.rule for _, left in result.superseded] == ["memory-limit-ratio"]
