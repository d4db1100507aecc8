"""noexecute-seconds-too-low: pods evicted from a node on a short network blip."""

from __future__ import annotations

from collections.abc import Iterator

from ..eviction import effective_tolerations, eviction_delay, lifecycle_first_matches
from ..model import Violation
from ..tolerations import SECONDS
from .base import Context, Rule


def check(ctx: Context) -> Iterator[Violation]:
    floor = ctx.params["minSeconds"]
    items = effective_tolerations(ctx.pod, ctx.comparison)
    for entry, keys in lifecycle_first_matches(items, ctx.comparison):
        view, seconds = entry.written, entry.toleration.seconds
        delay = eviction_delay(seconds)
        if view is None or seconds is None or delay is None or delay >= floor:
            continue
        taints = " and ".join(f"{k}:NoExecute" for k in keys)
        if seconds <= 0:
            effect = (
                f"tolerationSeconds {seconds} means immediate eviction (zero and negative "
                "values evict at once, they do not mean forever)"
            )
        elif delay != seconds:
            effect = (
                f"tolerationSeconds {seconds} overflows the taint manager's int64 "
                f"nanoseconds and wraps to {float(delay):.3g} s"
            )
        else:
            effect = f"the pod is evicted {seconds} s after the taint appears"
        yield Violation(
            pointer=view.field_pointer(SECONDS),
            message=f"{ctx.ref.describe()}: {view.describe()} is the toleration the taint "
            f"manager uses for {taints}: {effect}, below the policy floor of {floor} s; a "
            "short network blip or a kubelet restart evicts every such pod on the node",
        )


RULE = Rule(
    id="noexecute-seconds-too-low",
    summary="tolerationSeconds for the not-ready/unreachable NoExecute taints is at least "
    "the policy floor (default 60 s).",
    why="The node lifecycle controller taints a node unreachable with NoExecute once it has "
    "missed heartbeats for node-monitor-grace-period (40 to 50 s, by version), or not-ready "
    "when its kubelet reports NotReady, and the taint manager evicts each pod when the "
    "tolerationSeconds of its first matching toleration run out. A few seconds turn every "
    "network blip or kubelet restart into the eviction of all such pods on the node, and "
    "zero or negative values evict at once.",
    remediation="Raise tolerationSeconds to at least the floor, or drop the toleration to "
    "get DefaultTolerationSeconds' 300 s.",
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
    - key: node.kubernetes.io/unreachable
      operator: Exists
      effect: NoExecute
      tolerationSeconds: 5     # evicted on a 5 s network blip
""",
    check=check,
)
