"""pdb-unhealthy-pods-block-drains: a PodDisruptionBudget without
`unhealthyPodEvictionPolicy: AlwaysAllow`, under which crash-looping pods can stall a drain.

The Eviction API (`pkg/registry/core/pod/storage/eviction.go`, `EvictionREST.Create`; see
k8s.eviction_api) evicts a running pod that is not Ready, under the default (unset) or
`IfHealthyBudget`, only while the budget's `currentHealthy >= desiredHealthy` and
`desiredHealthy > 0`. Once enough of its pods crash-loop that the budget is not met,
`disruptionsAllowed` is 0 (`updatePdbStatus`): neither they nor the Ready ones can be
evicted, and `kubectl drain` retries until the pods recover, which a crash loop never does.
`AlwaysAllow` (GA in 1.31) evicts a not-Ready running pod whatever the budget says. One
object shows it, so it runs at admission too. Off by default: every budget without
AlwaysAllow is exposed, and `IfHealthyBudget` is a deliberate choice for applications that
must not lose a not-yet-Ready member (a quorum still syncing)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from .. import pointer as jp
from ..k8s.eviction_api import IF_HEALTHY_BUDGET_RULE
from ..k8s.pdb_validation import ALWAYS_ALLOW, UNHEALTHY_POD_EVICTION_POLICY, protecting_spec
from ..k8s.workloads import BUDGET
from ..model import Mode, Violation
from .base import Context, Rule


def check(ctx: Context) -> Iterator[Violation]:
    spec = protecting_spec(ctx.obj)
    if spec is None:
        return  # refused by the API server, or selects no pod: it keeps none from eviction
    policy = spec.get(UNHEALTHY_POD_EVICTION_POLICY)
    if policy == ALWAYS_ALLOW:
        return
    written = policy is not None
    yield Violation(
        # the field, or where it is missing the selector: the pods it is about
        pointer=jp.join("spec", UNHEALTHY_POD_EVICTION_POLICY if written else "selector"),
        message=f"{ctx.ref.describe()}: unhealthyPodEvictionPolicy "
        f"{json.dumps(policy) if written else 'unset (IfHealthyBudget)'}: "
        f"{IF_HEALTHY_BUDGET_RULE}; once pods it selects crash-loop (running, not Ready) and "
        "take currentHealthy below desiredHealthy, disruptionsAllowed is 0 and the Eviction "
        "API refuses to evict them and every other running pod it selects, so a drain of "
        "their nodes waits until they recover; unhealthyPodEvictionPolicy: AlwaysAllow "
        "(GA since 1.31) evicts a running pod that is not Ready whatever the budget says",
    )


RULE = Rule(
    id="pdb-unhealthy-pods-block-drains",
    summary="PodDisruptionBudgets set unhealthyPodEvictionPolicy: AlwaysAllow, so that "
    "crash-looping pods cannot stall a drain.",
    why="Under the default unhealthyPodEvictionPolicy (unset, the same as IfHealthyBudget) "
    "the Eviction API evicts a running pod that is not Ready only while the budget's "
    "status.currentHealthy >= status.desiredHealthy and desiredHealthy > 0 "
    "(EvictionREST.Create in pkg/registry/core/pod/storage/eviction.go); otherwise the pod "
    "needs a disruption as a Ready one does. When enough of the selected pods crash-loop that "
    "currentHealthy falls below desiredHealthy, disruptionsAllowed is 0 (updatePdbStatus in "
    "pkg/controller/disruption/disruption.go): `kubectl drain`, node upgrades and the "
    "cluster autoscaler can evict neither the broken pods nor the healthy ones, and retry "
    "until someone fixes the pods or deletes the budget. AlwaysAllow (beta and on by default "
    "since 1.27, GA in 1.31) evicts running pods that are not Ready whatever the budget "
    "says; Pending, terminal and terminating pods never consult a budget.",
    remediation="Set spec.unhealthyPodEvictionPolicy: AlwaysAllow, unless the application "
    "must keep a not-yet-Ready member (then exempt the budget).",
    example="""\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: shop
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app: web}
  # no unhealthyPodEvictionPolicy: two crash-looping pods of web stall every drain
""",
    check=check,
    kinds=(BUDGET,),
    # Corpus (../shared/corpus, with the rule on): 17 findings, every budget there (none sets
    # AlwaysAllow): true by definition, but IfHealthyBudget is sometimes deliberate
    # and the field needs 1.26+: off (opt in); strict warns.
    default_mode=Mode.OFF,
)
