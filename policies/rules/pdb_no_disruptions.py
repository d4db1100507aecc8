"""pdb-no-disruptions: a PodDisruptionBudget that can never allow a voluntary disruption.

`maxUnavailable: 0` or `"0%"`, `minAvailable: "100%"`: at every replica count the
disruption controller computes `disruptionsAllowed` 0 (k8s.drain, ported from
`pkg/controller/disruption/disruption.go` `getExpectedPodCount`/`updatePdbStatus`), and the
Eviction API (`pkg/registry/core/pod/storage/eviction.go` `checkAndDecrement`) refuses every
eviction of a running pod it selects with 429 (k8s.eviction_api: Pending, terminal and
terminating pods never consult it; with `unhealthyPodEvictionPolicy: AlwaysAllow` neither do
running pods that are not Ready). One object shows it, so it runs at admission too. An
integer `minAvailable` depends on the replicas: the cross-object rules judge it. Silent on a
budget that selects no pod (`selector` null, or `{}` in policy/v1beta1: k8s.selectors) and on
one the API server refuses (k8s.pdb_validation)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from .. import pointer as jp
from ..k8s.drain import MAX_UNAVAILABLE, MIN_AVAILABLE, Budget, never_allows
from ..k8s.eviction_api import refuses
from ..k8s.pdb_validation import protecting_spec
from ..k8s.workloads import BUDGET
from ..model import Mode, Violation
from .base import Context, Rule


def check(ctx: Context) -> Iterator[Violation]:
    spec = protecting_spec(ctx.obj)
    if spec is None:
        return  # refused by the API server, or selects no pod: it keeps none from eviction
    budget = Budget.of(spec)
    field = MAX_UNAVAILABLE if budget.max_unavailable is not None else MIN_AVAILABLE
    value = spec.get(field)
    if value is not None and never_allows(budget):
        yield Violation(
            pointer=jp.join("spec", field),
            message=f"{ctx.ref.describe()}: {field} {json.dumps(value)} allows no voluntary "
            f"disruption at any replica count: {refuses(spec, 'it selects')}, so "
            "`kubectl drain` and node upgrades never finish on their nodes",
        )


RULE = Rule(
    id="pdb-no-disruptions",
    summary="PodDisruptionBudgets allow at least one voluntary disruption (not maxUnavailable "
    "0 or 0%, nor minAvailable 100%).",
    why="`kubectl drain`, cluster upgrades and the cluster autoscaler evict pods through the "
    "Eviction API, which refuses the eviction of a running pod (429 TooManyRequests) while "
    "the budget's "
    "status.disruptionsAllowed is 0. The disruption controller computes it as currentHealthy "
    "minus desiredHealthy, where a percentage is scaled against the expected pod count and "
    "rounded up (GetScaledValueFromIntOrPercent; getExpectedPodCount in "
    "pkg/controller/disruption/disruption.go): with maxUnavailable 0 or 0% desiredHealthy is "
    "every pod, with minAvailable 100% too, so disruptionsAllowed stays 0 at every replica "
    "count. Every drain of a node running one of these pods retries forever, until someone "
    "deletes the budget or the pod by hand.",
    remediation="Allow at least one disruption: maxUnavailable 1 (or a percentage above 0), or "
    "minAvailable below the replica count; to make an eviction a manual step, say so in a "
    "runbook rather than stall every drain.",
    example="""\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: shop
spec:
  maxUnavailable: 0     # no pod of web can ever be evicted: drains stall
  selector:
    matchLabels: {app: web}
""",
    check=check,
    kinds=(BUDGET,),
    # Corpus (../shared/corpus, 20 files with PodDisruptionBudgets): 0 findings, so no
    # sample to judge; the harm is certain (every drain of those nodes stalls) and the
    # budget may be deliberate (a singleton whose eviction is a manual step): warn, which
    # admission returns as a warning rather than a denial.
    default_mode=Mode.WARN,
)
