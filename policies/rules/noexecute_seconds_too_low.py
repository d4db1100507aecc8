"""noexecute-seconds-too-low: pods evicted from a node that is briefly NotReady, or just past
the node-monitor grace period without a heartbeat."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from fractions import Fraction

from ..k8s.eviction import (
    MAX_EXACT_SECONDS,
    effective_tolerations,
    eviction_delay,
    lifecycle_first_matches,
    show_delay,
)
from ..k8s.taints import NOT_READY, UNREACHABLE
from ..k8s.tolerations import SECONDS
from ..model import Mode, Violation
from .base import Consequence, Context, Param, ParamType, Rule

# kube-controller-manager's node lifecycle controller (pkg/controller/nodelifecycle/
# node_lifecycle_controller.go): every node-monitor-period it reads each node's Ready
# condition; `tryUpdateNodeHealth` sets it to Unknown once the kubelet has not renewed its
# Lease or posted status for node-monitor-grace-period, and `processTaintBaseEviction` queues
# the not-ready taint for Ready=False and the unreachable one for Ready=Unknown, which
# `doNoExecuteTaintingPass` adds. Defaults: config/v1alpha1/defaults.go; the grace period
# went from 40 s to 50 s in 1.32 (kubernetes/kubernetes#126287).
MONITOR_PERIOD = 5
GRACE_PERIOD = 50
GRACE = (
    f"node-monitor-grace-period ({GRACE_PERIOD} s by default since Kubernetes 1.32, 40 s before)"
)


def _later(delay: Fraction) -> str:
    return "at once" if delay == 0 else f"{show_delay(delay)} s later"


# What starts the clock for each taint, and what that means for the pod (delay: seconds).
WHEN: Mapping[str, Callable[[Fraction], str]] = {
    NOT_READY: lambda delay: (
        "not-ready is added when the kubelet reports NotReady, at the "
        f"controller's next pass (every {MONITOR_PERIOD} s by default), and the pod is evicted "
        f"{_later(delay)}: a kubelet that reports NotReady for a moment (its container runtime "
        "restarting, say) evicts every such pod on the node"
    ),
    UNREACHABLE: lambda delay: (
        "unreachable is added only once the node has sent no heartbeat "
        f"for {GRACE}, so the pod is evicted about {show_delay(GRACE_PERIOD + delay)} s after the "
        "node stops reporting: an outage just that long evicts every such pod on the node "
        "(without this toleration, DefaultTolerationSeconds gives 300 s)"
    ),
}


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
        when = "; ".join(WHEN[key](delay) for key in keys)
        yield Violation(
            pointer=view.field_pointer(SECONDS),
            message=f"{uses}: {effect}, below the policy floor of {floor} s; {when}",
        )


RULE = Rule(
    id="noexecute-seconds-too-low",
    summary="tolerationSeconds for the not-ready/unreachable NoExecute taints is at least "
    "the policy floor (default 60 s), and small enough not to wrap (at most 9223372036).",
    why="The node lifecycle controller taints a node not-ready (NoExecute) at its next pass "
    f"(every {MONITOR_PERIOD} s) after the kubelet reports NotReady, and unreachable once the "
    f"node has sent no heartbeat for {GRACE}; the taint manager then evicts each pod when the "
    "tolerationSeconds of its first matching toleration run out. A few seconds turn every "
    "moment of NotReady, and every outage just past the grace period, into the eviction of "
    "all such pods on the node; zero or negative values evict as soon as the taint appears.",
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
      tolerationSeconds: 5     # evicted 55 s after the node stops reporting
""",
    check=check,
    params=(Param("minSeconds", ParamType.SECONDS, 60, "the lowest tolerationSeconds accepted"),),
    consequence=Consequence.EVICTION,
    default_mode=Mode.WARN,
)
