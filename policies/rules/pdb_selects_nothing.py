"""pdb-selects-nothing: a budget whose selector matches none of the pods the input's
workloads of its namespace make (a typo in a label: it protects nothing, and the workload it
was meant for drains unprotected).

Compared across the input (lint only), and only where the input shows the namespace's pods:
the namespace holds at least one object that makes pods, every one of them with pod labels
this can read (k8s.workloads.PodSource: the pod template's labels of a built-in kind, a
CronJob's job template, a custom resource with a pod template; not an operator's custom
resource, nor a kind no table knows), and none of them matches. Silent on a null or empty
selector (it means nothing or everything), on one naming a label the controllers add to
pods (`pod-template-hash`, `job-name`, ...: the template does not show it), and on budgets
the API server refuses (no facts: lint.across)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..k8s.selectors import budget_selector
from ..k8s.workloads import BUDGET, CONTROLLER_POD_LABELS, BudgetFacts, PodSource, Scaler, Workload
from ..model import Mode, Violation
from .base import Rule, only_across_the_input

SHOWN = 3  # workloads named in a message


def check_input(
    budgets: list[BudgetFacts],
    workloads: list[Workload],
    scalers: list[Scaler],
    pods: list[PodSource],
    params: Mapping[str, Any],
) -> Iterator[tuple[BudgetFacts, Violation]]:
    by_namespace: dict[tuple[str, str | None], list[PodSource]] = {}
    for source in pods:
        by_namespace.setdefault((source.scope, source.namespace), []).append(source)
    for facts in budgets:
        selector = budget_selector(facts.api_version, facts.spec.get("selector"))
        if selector is None or selector.requirements is None or selector.everything:
            continue  # refused, null (selects nothing) or `{}`: not a typo of a label
        if any(r.key in CONTROLLER_POD_LABELS for r in selector.requirements):
            continue  # a label the controllers add: pod templates do not show it
        sources = by_namespace.get((facts.scope, facts.namespace), [])
        if not sources or any(s.labels is None for s in sources):
            continue  # nothing to compare with, or pods whose labels this cannot read
        if any(selector.matches(s.labels or {}) for s in sources):
            continue
        names = sorted({f"{s.kind} {s.name}" for s in sources})
        shown = ", ".join(names[:SHOWN]) + (
            f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
        )
        where = f"namespace {facts.namespace}" if facts.namespace else "no namespace"
        yield (
            facts,
            Violation(
                pointer="/spec/selector",
                message=f"{facts.describe}: its selector matches the pod template of none of "
                f"the {len(names)} workload(s) of {where} in the input ({shown}): it selects "
                "no pod, so it protects nothing while the workload it was meant for drains "
                "unprotected (a typo in a label?)",
            ),
        )


RULE = Rule(
    id="pdb-selects-nothing",
    summary="A PodDisruptionBudget selects the pods of some workload of its namespace "
    "(lint only: compares objects).",
    why="The disruption controller and the Eviction API apply a budget to the pods of its "
    "namespace its selector matches (getPodsForPdb in pkg/controller/disruption/"
    "disruption.go, getPodDisruptionBudgets in pkg/registry/core/pod/storage/eviction.go): "
    "a selector that matches no pod, most often a label misspelt or renamed in the "
    "workload but not in the budget, protects nothing, and the workload it was written for "
    "is drained and upgraded with no budget at all. Judged only where the input holds the "
    "namespace's workloads and shows every one's pod labels.",
    remediation="Make the selector match the labels of the workload's pod template "
    "(spec.template.metadata.labels), or delete the budget.",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: wbe}}   # no pod has it: web is unprotected
""",
    check=only_across_the_input,
    check_input=check_input,
    kinds=(BUDGET,),
    # Corpus (../shared/corpus, default preset): 18 budgets with workloads in their namespace,
    # 9 matched, 9 beside pods whose labels it cannot read (operators' custom resources): 0
    # findings, so no sample to judge. Certain where reported (the budget protects nothing):
    # warn, as pdb-blocks-at-replicas and pdb-overlap.
    default_mode=Mode.WARN,
)
