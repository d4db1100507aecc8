"""noexecute-wildcard: a pod no NoExecute taint can ever evict."""

from __future__ import annotations

from collections.abc import Iterator

from ..eviction import written_tolerations
from ..model import Violation
from .base import Context, Rule


def check(ctx: Context) -> Iterator[Violation]:
    if ctx.pod.daemon:
        # Node agents (CNI, log shippers, exporters) are meant to stay on every node, and the
        # DaemonSet controller already makes them stay on dead ones; a daemon pod has no
        # replacement elsewhere to wait for.
        return
    for view, t in written_tolerations(ctx.pod, ctx.comparison):
        if not (t.is_wildcard and t.covers_no_execute and t.seconds is None):
            continue
        yield Violation(
            pointer=view.pointer,
            message=f"{ctx.ref.describe()}: {view.describe()} tolerates every NoExecute taint "
            "forever: the pod is never evicted, not from an unreachable node, not by "
            "node.kubernetes.io/out-of-service after a non-graceful shutdown, not by the "
            "taints used to drain nodes; tolerate specific keys, or set effect NoExecute "
            "with tolerationSeconds",
        )


RULE = Rule(
    id="noexecute-wildcard",
    summary="No key-less `operator: Exists` toleration that covers NoExecute (effect "
    "NoExecute or none) without tolerationSeconds, outside DaemonSets.",
    why="A toleration with operator Exists, no key and no effect (or NoExecute) matches every "
    "NoExecute taint, so without tolerationSeconds the taint manager never evicts the pod "
    "for any taint it is the first match for: not from a dead node, not after "
    "node.kubernetes.io/out-of-service marks a non-graceful shutdown (its volumes stay "
    "attached there), not for the NoExecute taints used to drain nodes. It also stops "
    "DefaultTolerationSeconds from adding its 300 s not-ready and unreachable tolerations.",
    remediation="Tolerate the taints the workload needs by key, or bound the wildcard: "
    "effect NoExecute with tolerationSeconds.",
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
        - operator: Exists   # survives every NoExecute taint, forever
""",
    check=check,
)
