"""toleration-wildcard: a key-less Exists that lets the pod onto every tainted node."""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.eviction import written_tolerations
from ..k8s.taints import NO_SCHEDULE, PRE_NETWORK_KEYS
from ..model import Mode, Violation
from .base import Consequence, Context, Rule

# What a NoSchedule wildcard lets a pod onto that it does not need to be on.
RISKY = "control-plane nodes, cordoned nodes and nodes under memory, disk or PID pressure"
# What the message says after "tolerates every (NoSchedule) taint: ", by spec.hostNetwork. A
# hostNetwork pod is the only one the kubelet starts before the node's pod network is up, so
# it may need the pre-network taints (CNI operators do); its finding is about the rest, which
# neither the kubelet nor the CNI projects' own fixes need.
SAYS: dict[bool, str] = {
    False: f"the pod may be scheduled onto {RISKY}; tolerate the taints it needs by key",
    True: "a hostNetwork pod can start before the node's pod network is up, and for that "
    f"needs only {', '.join(PRE_NETWORK_KEYS)} (NoSchedule) by key; the wildcard also lets it "
    f"onto {RISKY} (drained off a cordoned node, it is scheduled straight back); tolerate by "
    "key the taints it needs",
}


def check(ctx: Context) -> Iterator[Violation]:
    if ctx.pod.daemon or ctx.in_system_namespace:
        return  # node agents belong on every node; so do the cluster's own components
    for view, t in written_tolerations(ctx.pod, ctx.comparison):
        if not t.is_wildcard or t.effect not in ("", NO_SCHEDULE):
            continue  # a NoExecute-only wildcard keeps no pod off a node: noexecute-wildcard
        scope = "every taint" if not t.effect else "every NoSchedule taint"
        yield Violation(
            pointer=view.pointer,
            message=f"{ctx.ref.describe()}: {view.describe()} tolerates {scope}: "
            f"{SAYS[ctx.pod.host_network]}",
        )


RULE = Rule(
    id="toleration-wildcard",
    summary="No key-less `operator: Exists` toleration (with no effect or NoSchedule) "
    "outside DaemonSets and the system namespaces.",
    why="A toleration with operator Exists and no key matches every taint, so the scheduler "
    "ignores every NoSchedule taint for the pod: it lands on control-plane nodes, on "
    "cordoned nodes being drained, and on nodes whose kubelet is already evicting pods "
    "under memory or disk pressure. Node agents run by DaemonSets need that; ordinary "
    "workloads do not. A hostNetwork pod that installs or runs the pod network (a CNI "
    "operator) must start on nodes that are not Ready yet: for that it needs not-ready, "
    "network-unavailable and cloud-provider uninitialized (NoSchedule), by key. The wildcard "
    "also lets it onto cordoned nodes, so a drain evicts it and the scheduler puts it straight "
    "back (tigera/operator#4820 and cilium/cilium#28549 narrowed their wildcards for that).",
    remediation="List the taints the workload really needs to tolerate, by key (before "
    "the pod network is up: node.kubernetes.io/not-ready, "
    "node.kubernetes.io/network-unavailable, node.cloudprovider.kubernetes.io/uninitialized).",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: app
          image: nginx
      tolerations:
        - operator: Exists   # every taint: control-plane, pressure, cordoned nodes
""",
    check=check,
    consequence=Consequence.SCHEDULING,
    default_mode=Mode.WARN,
)
