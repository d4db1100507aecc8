"""Rules that compare objects across the whole input (`Rule.check_input`): a budget with the
workloads it selects.

Each place that parses objects (lint's worker processes, `kustomize.lint_builds` in the
parent) gives `facts` a summary of each budget, workload and HPA (`k8s.workloads`), with the
budget's finding places already looked up (its file, line and column for each rule and
pointer, None where an inline comment silences the rule there) and its exemptions. `judge`
then runs the rules once, in the parent, over each input: the run's files, or one kustomize
root's build (`scope`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..engine.check import object_ref
from ..engine.exemptions import ALL, exempted_rules
from ..engine.registry import RULES
from ..k8s.pdb_validation import refusal
from ..k8s.workloads import (
    BUDGET,
    SCALED_KINDS,
    SCALER,
    BudgetFacts,
    PodSource,
    Scaler,
    Workload,
    kind_of,
    read_pod_source,
    read_scaler,
    read_workload,
)
from ..model import SEVERITY_OF_MODE, Finding, Report
from ..policy.model import Policy

# Where an input-wide finding can be: the fields its rules point at.
POINTERS = ("/spec/minAvailable", "/spec/maxUnavailable", "/spec/selector", "/spec")
SUMMARISED = SCALED_KINDS | {SCALER, BUDGET}
Fact = BudgetFacts | Workload | Scaler | PodSource
# (rule, pointer) -> (file, line, column), or None where a comment silences the rule there
Locate = Callable[[str, str], tuple[str, int | None, int | None] | None]


def input_rules(policy: Policy) -> list[str]:
    return [r for r in policy.active_rules() if RULES[r].check_input is not None]


def summarised(api_version: str, kind: str) -> bool:
    """Objects of this kind give facts (HPAs have no pod spec: lint reads them for this)."""
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    return (group, kind) in SUMMARISED


def facts(
    obj: Mapping[str, Any], scope: str, file: str, policy: Policy, locate: Locate
) -> list[Fact]:
    """What `obj` tells the input-wide rules (nothing when none is on)."""
    rules = input_rules(policy)
    if not rules:
        return []
    if kind_of(obj) == BUDGET:
        spec = obj.get("spec")
        if not isinstance(spec, Mapping) or refusal(spec) is not None:
            return []  # the API server refuses it (k8s.pdb_validation): it never exists
        ref = object_ref(obj)
        exempt = frozenset(exempted_rules(obj, ref, policy, None))
        if policy.is_ignored_namespace(ref.namespace):
            exempt = frozenset({ALL})
        places = {} if ALL in exempt else {(r, p): locate(r, p) for r in rules for p in POINTERS}
        version = str(obj.get("apiVersion", ""))
        return [BudgetFacts(scope, file, ref, spec, places, exempt, version)]
    found = read_workload(obj, scope, file) or read_scaler(obj, scope, file)
    source = read_pod_source(obj, scope, file, policy.extra_kinds)
    return [fact for fact in (found, source) if fact is not None]


def judge(report: Report, policy: Policy) -> None:
    """Run the input-wide rules over each input of `report.facts` (then emptied), adding
    their findings to the report; a budget several kustomize roots build is said once per
    distinct message."""
    gathered, report.facts = report.facts, []
    seen: set[tuple[str, str | None, int | None, int | None, str]] = set()
    by_scope: dict[
        str, tuple[list[BudgetFacts], list[Workload], list[Scaler], list[PodSource]]
    ] = {}
    for fact in gathered:
        budgets, workloads, scalers, pods = by_scope.setdefault(fact.scope, ([], [], [], []))
        if isinstance(fact, BudgetFacts):
            budgets.append(fact)
        elif isinstance(fact, Workload):
            workloads.append(fact)
        elif isinstance(fact, Scaler):
            scalers.append(fact)
        else:
            pods.append(fact)
    for rule_id in input_rules(policy):
        rule, severity = RULES[rule_id], SEVERITY_OF_MODE[policy.mode(rule_id)]
        assert rule.check_input is not None
        for budgets, workloads, scalers, pods in by_scope.values():
            judged = [b for b in budgets if rule_id not in b.exempt and ALL not in b.exempt]
            if not judged:
                continue
            params = policy.params(rule_id)
            for budget, violation in rule.check_input(judged, workloads, scalers, pods, params):
                place = budget.places.get((rule_id, violation.pointer), None)
                if place is None:
                    continue  # silenced by an inline comment
                file, line, column = place
                key = (rule_id, file, line, column, violation.message)
                if key in seen:
                    continue
                seen.add(key)
                report.findings.append(
                    Finding(
                        rule=rule_id,
                        severity=severity,
                        ref=budget.ref,
                        pointer=violation.pointer,
                        message=violation.message,
                        file=file,
                        line=line,
                        column=column,
                    )
                )
