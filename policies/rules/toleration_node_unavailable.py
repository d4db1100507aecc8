"""toleration-node-unavailable: scheduling onto cordoned nodes or nodes with no pod network."""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.eviction import written_tolerations
from ..k8s.taints import HOST_NETWORK_KEYS, NO_SCHEDULE, UNAVAILABLE_KEYS, UNSCHEDULABLE
from ..model import Mode, Violation
from .base import Consequence, Context, Rule

# What a pod tolerating each taint is let onto.
ONTO: dict[str, str] = {
    UNSCHEDULABLE: "cordoned nodes (kubectl cordon, and kubectl drain before it evicts), so "
    "it can be placed on a node being drained and lost again when the node goes down",
    "node.kubernetes.io/network-unavailable": "nodes whose pod network is not configured, "
    "where it cannot start until the network is",
}
assert set(ONTO) == UNAVAILABLE_KEYS


def check(ctx: Context) -> Iterator[Violation]:
    if ctx.pod.daemon or ctx.in_system_namespace:
        # The DaemonSet controller adds both to daemon pods (network-unavailable to hostNetwork
        # ones), and a daemon pod has no other node to go to; the cluster's own components run
        # where toleration-wildcard lets them.
        return
    for view, t in written_tolerations(ctx.pod, ctx.comparison):
        if t.key not in UNAVAILABLE_KEYS or not t.tolerates(t.key, "", NO_SCHEDULE, ctx.comparison):
            continue
        if ctx.pod.host_network and t.key in HOST_NETWORK_KEYS:
            continue  # on the host's network, as the DaemonSet controller judges it
        yield Violation(
            pointer=view.field_pointer("key"),
            message=f"{ctx.ref.describe()}: {view.describe()} lets the pod be scheduled onto "
            f"{ONTO[t.key]}; remove it",
        )


RULE = Rule(
    id="toleration-node-unavailable",
    summary="No toleration of node.kubernetes.io/unschedulable or network-unavailable outside "
    "DaemonSets and the system namespaces (network-unavailable is allowed with hostNetwork).",
    why="A cordoned node (spec.unschedulable, as kubectl cordon and drain set it) carries the "
    "node.kubernetes.io/unschedulable NoSchedule taint, and the scheduler's NodeUnschedulable "
    "plugin places on it only pods that tolerate that taint: such a pod lands on the node "
    "being drained, after drain listed what to evict, and goes down with it. The node "
    "lifecycle controller taints a node network-unavailable while its NetworkUnavailable "
    "condition is true: a pod that tolerates it is scheduled there and cannot get a pod IP "
    "until the network comes up. The DaemonSet controller adds both tolerations to daemon "
    "pods itself (network-unavailable only for hostNetwork ones, which need no pod network).",
    remediation="Remove the toleration; node agents (DaemonSets) get it from their controller.",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: app
          image: nginx
      tolerations:
        - key: node.kubernetes.io/unschedulable   # lands on nodes being drained
          operator: Exists
          effect: NoSchedule
""",
    check=check,
    consequence=Consequence.SCHEDULING,
    default_mode=Mode.WARN,
)
