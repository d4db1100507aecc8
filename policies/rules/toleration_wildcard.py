"""toleration-wildcard: a key-less Exists that lets the pod onto every tainted node."""

from __future__ import annotations

from collections.abc import Iterator

from ..eviction import written_tolerations
from ..model import Violation
from ..taints import NO_SCHEDULE
from .base import Consequence, Context, Rule


def check(ctx: Context) -> Iterator[Violation]:
    if ctx.pod.daemon or ctx.in_system_namespace:
        return  # node agents belong on every node; so do the cluster's own components
    for view, t in written_tolerations(ctx.pod, ctx.comparison):
        if not t.is_wildcard or t.effect not in ("", NO_SCHEDULE):
            continue  # a NoExecute-only wildcard keeps no pod off a node: noexecute-wildcard
        scope = "every taint" if not t.effect else "every NoSchedule taint"
        yield Violation(
            pointer=view.pointer,
            message=f"{ctx.ref.describe()}: {view.describe()} tolerates {scope}: the pod may "
            "be scheduled onto control-plane nodes, cordoned nodes and nodes under memory, "
            "disk or PID pressure; tolerate the taints it needs by key",
        )


RULE = Rule(
    id="toleration-wildcard",
    summary="No key-less `operator: Exists` toleration (with no effect or NoSchedule) "
    "outside DaemonSets and the system namespaces.",
    why="A toleration with operator Exists and no key matches every taint, so the scheduler "
    "ignores every NoSchedule taint for the pod: it lands on control-plane nodes, on "
    "cordoned nodes being drained, and on nodes whose kubelet is already evicting pods "
    "under memory or disk pressure. Node agents run by DaemonSets need that; ordinary "
    "workloads do not.",
    remediation="List the taints the workload really needs to tolerate, by key.",
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
)
