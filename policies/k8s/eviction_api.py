"""Which pods the Eviction API (not the taint manager: k8s.eviction) asks a
PodDisruptionBudget about before it evicts them, as kubernetes
`pkg/registry/core/pod/storage/eviction.go` `EvictionREST.Create` decides:

- `canIgnorePDB`: a Pending, Succeeded or Failed pod, or one already being deleted, is deleted
  without consulting any budget;
- a running pod that is not Ready (`podutil.IsPodReady`): with the budget's
  `unhealthyPodEvictionPolicy: AlwaysAllow` deleted without using a disruption; unset or
  `IfHealthyBudget`, only while `status.currentHealthy >= status.desiredHealthy` and
  `desiredHealthy > 0`, otherwise it needs a disruption (`checkAndDecrement`) as a Ready pod
  does.

The drain rules' messages say which pods a budget that allows no disruption keeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .pdb_validation import ALWAYS_ALLOW, UNHEALTHY_POD_EVICTION_POLICY

NOT_CONSULTED = "Pending, Succeeded, Failed and terminating pods are deleted without consulting it"
# The running pods a budget allowing no disruption keeps from eviction, by its
# unhealthyPodEvictionPolicy (unset and IfHealthyBudget: not-Ready ones too, since
# currentHealthy then stays below desiredHealthy).
KEPT_BY_POLICY = {ALWAYS_ALLOW: "any Ready running pod"}
KEPT_OTHERWISE = "any running pod"
# When a running pod that is not Ready is evicted under unset or IfHealthyBudget.
IF_HEALTHY_BUDGET_RULE = (
    "a running pod that is not Ready is evicted only while the budget's currentHealthy >= "
    "desiredHealthy and desiredHealthy > 0"
)


def kept_pods(spec: Mapping[str, Any]) -> str:
    """Which of the pods it selects a budget that allows no disruption keeps."""
    return KEPT_BY_POLICY.get(spec.get(UNHEALTHY_POD_EVICTION_POLICY), KEPT_OTHERWISE)


def refuses(spec: Mapping[str, Any], which: str) -> str:
    """The message's clause: the Eviction API refuses to evict the running pods `which`
    names ("it selects", "of them")."""
    return f"the Eviction API refuses to evict {kept_pods(spec)} {which} ({NOT_CONSULTED})"
