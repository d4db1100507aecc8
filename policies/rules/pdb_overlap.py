"""pdb-overlap: more than one PodDisruptionBudget selects the same workload's pods.

The Eviction API (`pkg/registry/core/pod/storage/eviction.go`, `EvictionREST.Create` with
`getPodDisruptionBudgets`) lists every budget of the pod's namespace whose selector matches
the pod's labels and, when there is more than one, refuses the eviction outright with 500
"This pod has more than one PodDisruptionBudget, which the eviction subresource does not
support.", whatever each budget allows. Compared across the input (lint only)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from ..k8s.eviction_api import NOT_CONSULTED
from ..k8s.workloads import BUDGET, BudgetFacts, PodSource, Scaler, Workload, selected
from ..model import Mode, Violation
from .base import Rule, only_across_the_input

EVICTION_ERROR = (
    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not "
    "support."
)


def check_input(
    budgets: list[BudgetFacts],
    workloads: list[Workload],
    scalers: list[Scaler],
    pods: list[PodSource],
    params: Mapping[str, Any],
) -> Iterator[tuple[BudgetFacts, Violation]]:
    # Budgets and workloads are objects of a cluster: files holding versions of the same
    # one (overlays, test data) are one object, never an overlap with itself.
    by_workload: dict[tuple[str, str | None, str], tuple[Workload, dict[str, None]]] = {}
    workloads_of: dict[str, list[tuple[str, str | None, str]]] = {}
    for facts in budgets:
        for w in selected(facts, workloads) or ():
            key = (w.kind, w.namespace, w.name)
            entry = by_workload.setdefault(key, (w, {}))
            if facts.describe not in entry[1]:
                entry[1][facts.describe] = None
                workloads_of.setdefault(facts.describe, []).append(key)
    for facts in budgets:
        shared = [
            by_workload[key]
            for key in workloads_of.get(facts.describe, ())
            if len(by_workload[key][1]) > 1
        ]
        if not shared:
            continue
        said = "; ".join(
            f"{w.kind} {w.name} with {_others(others, facts.describe)}" for w, others in shared
        )
        yield (
            facts,
            Violation(
                pointer="/spec/selector",
                message=f"{facts.describe}: selects the pods of {said}: the Eviction API refuses "
                f'to evict any running pod of them ("{EVICTION_ERROR}"; {NOT_CONSULTED}), so '
                "drains of their nodes never finish",
            ),
        )


SHOWN = 5  # budgets named in a message: thousands over one workload stay a short line


def _others(budgets: dict[str, None], this: str) -> str:
    """The other budgets on a workload, the first SHOWN by name (linear in what is shown,
    so 10,000 budgets on one Deployment do not make 10,000 messages of 10,000 names)."""
    names = list(itertools.islice((b for b in budgets if b != this), SHOWN))
    more = len(budgets) - 1 - len(names)
    return ", ".join(names) + (f" and {more} more" if more else "")


RULE = Rule(
    id="pdb-overlap",
    summary="No two PodDisruptionBudgets select the same workload's pods (lint only: "
    "compares objects).",
    why="The Eviction API refuses to evict a pod that more than one budget selects, with "
    f'500 "{EVICTION_ERROR}" (getPodDisruptionBudgets in '
    "pkg/registry/core/pod/storage/eviction.go), whatever each budget allows: every drain "
    "of a node running such a pod retries forever. A team-wide budget (`selector: {}` "
    "selects every pod of the namespace) beside a per-application one is the usual cause.",
    remediation="Make the selectors disjoint: one budget per set of pods.",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: web}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: front, namespace: shop}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {tier: front}}   # the same pods: no eviction at all
""",
    check=only_across_the_input,
    check_input=check_input,
    kinds=(BUDGET,),
    # Corpus (../shared/corpus, default preset): 0 findings (before versions of one budget in
    # several files counted as one, istio's test outputs gave 4, all false: the same istiod
    # budget in different files). The refusal is certain where two budgets overlap, but which
    # one to keep is the author's choice: warn.
    default_mode=Mode.WARN,
)
