"""noexecute-seconds-too-low: pods evicted from a node on a short network blip."""

from __future__ import annotations

from collections.abc import Iterator

from ..eviction import (
    MAX_EXACT_SECONDS,
    effective_tolerations,
    eviction_delay,
    lifecycle_first_matches,
    show_delay,
)
from ..model import Violation
from ..tolerations import SECONDS
from .base import Consequence, Context, Param, ParamType, Rule


def check(ctx: Context) -> Iterator[Violation]:
    floor = ctx.params["minSeconds"]
    items = effective_tolerations(ctx.pod, ctx.comparison)
    for entry, keys in lifecycle_first_matches(items, ctx.comparison):
        view, seconds = entry.written, entry.toleration.seconds
        delay = eviction_delay(seconds)
        if view is None or seconds is None or delay is None:
            continue
        taints = " and ".join(f"{k}:NoExecute" for k in keys)
        uses = (
            f"{ctx.ref.describe()}: {view.describe()} is the toleration the taint manager "
            f"uses for {taints}"
        )
        if delay != max(seconds, 0):  # wrapped: the delay is not what anyone wrote
            yield Violation(
                pointer=view.field_pointer(SECONDS),
                message=f"{uses}: tolerationSeconds {seconds} overflows the taint manager's "
                f"int64 nanoseconds and wraps to {show_delay(delay)} s; write at most "
                f"{MAX_EXACT_SECONDS}",
            )
            continue
        if delay >= floor:
            continue
        if seconds <= 0:
            effect = (
                f"tolerationSeconds {seconds} means immediate eviction (zero and negative "
                "values evict at once, they do not mean forever)"
            )
        else:
            effect = f"the pod is evicted {seconds} s after the taint appears"
        yield Violation(
            pointer=view.field_pointer(SECONDS),
            message=f"{uses}: {effect}, below the policy floor of {floor} s; a short network "
            "blip or a kubelet restart evicts every such pod on the node",
        )


RULE = Rule(
    id="noexecute-seconds-too-low",
    summary="tolerationSeconds for the not-ready/unreachable NoExecute taints is at least "
    "the policy floor (default 60 s), and small enough not to wrap (at most 9223372036).",
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
    params=(Param("minSeconds", ParamType.SECONDS, "the lowest tolerationSeconds accepted"),),
    consequence=Consequence.EVICTION,
)
