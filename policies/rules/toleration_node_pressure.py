"""toleration-node-pressure: scheduling onto nodes that are already evicting pods."""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.eviction import written_tolerations
from ..k8s.taints import NO_SCHEDULE, PRESSURE_KEYS
from ..model import Mode, Violation
from .base import Consequence, Context, Rule


def check(ctx: Context) -> Iterator[Violation]:
    if ctx.pod.daemon:
        return  # the DaemonSet controller adds these tolerations to every daemon pod itself
    for view, t in written_tolerations(ctx.pod, ctx.comparison):
        if t.key not in PRESSURE_KEYS or not t.tolerates(t.key, "", NO_SCHEDULE, ctx.comparison):
            continue
        pressure = t.key.rsplit("/", 1)[1]
        yield Violation(
            pointer=view.field_pointer("key"),
            message=f"{ctx.ref.describe()}: {view.describe()} lets the pod be scheduled onto "
            f"nodes under {pressure}, where the kubelet is already evicting pods to reclaim "
            "resources; remove it",
        )


RULE = Rule(
    id="toleration-node-pressure",
    summary="No toleration of the memory-, disk- or pid-pressure taints outside DaemonSets.",
    why="The node lifecycle controller taints a node memory-, disk- or pid-pressure "
    "(NoSchedule) while its kubelet reports the condition, that is while the kubelet is "
    "evicting pods to reclaim the resource. A pod tolerating the taint is scheduled straight "
    "onto that node and joins the next eviction round (pods furthest above their requests "
    "go first).",
    remediation="Remove the toleration; only node agents (DaemonSets) need it, and the "
    "DaemonSet controller adds it for them.",
    example="""\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx
  tolerations:
    - key: node.kubernetes.io/memory-pressure
      operator: Exists
      effect: NoSchedule
""",
    check=check,
    consequence=Consequence.SCHEDULING,
    default_mode=Mode.WARN,
)
