"""noexecute-seconds-too-high: a bound on a dead node so long it is no bound at all."""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.eviction import dead_node_first_matches, effective_tolerations, eviction_delay
from ..k8s.tolerations import SECONDS
from ..model import Mode, Violation
from .base import Consequence, Context, Param, ParamType, Rule


def check(ctx: Context) -> Iterator[Violation]:
    if ctx.pod.daemon:
        return  # daemon pods may stay forever (noexecute-unbounded lets them), so longer too
    ceiling = ctx.params["maxSeconds"]
    items = effective_tolerations(ctx.pod, ctx.comparison)
    for entry, keys in dead_node_first_matches(items, ctx.comparison):
        view, seconds = entry.written, entry.toleration.seconds
        delay = eviction_delay(seconds)
        # None: forever (noexecute-unbounded's); a delay other than what is written: a wrap
        # (noexecute-seconds-too-low's, which says what it wraps to).
        if view is None or seconds is None or delay is None or delay != max(seconds, 0):
            continue
        if seconds <= ceiling:
            continue
        taints = " and ".join(f"{k}:NoExecute" for k in keys)
        yield Violation(
            pointer=view.field_pointer(SECONDS),
            message=f"{ctx.ref.describe()}: {view.describe()} is the toleration the taint "
            f"manager uses for {taints}: tolerationSeconds {seconds} ({_span(seconds)}) is "
            f"above the policy ceiling of {ceiling} s; the pod stays bound to a dead node that "
            "long before it is replaced; lower it (DefaultTolerationSeconds gives 300)",
            evidence=tuple(keys),
        )


def _span(seconds: int) -> str:
    """`86400` -> `1 day`, `90000` -> `about 1 day`: the bound in a unit people read."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = round(seconds / size)
            about = "" if seconds % size == 0 else "about "
            return f"{about}{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} s"


RULE = Rule(
    id="noexecute-seconds-too-high",
    summary="tolerationSeconds for the not-ready/unreachable/out-of-service NoExecute taints "
    "is at most the policy ceiling (default 3600 s), outside DaemonSets.",
    why="The taint manager evicts a pod from a dead node once the tolerationSeconds of the "
    "toleration it uses for the node's NoExecute taint run out. A day, a year or "
    "9223372036 s (the largest that does not wrap) is a bound in name only: until then the "
    "pod stays bound to the dead node, its ReplicaSet or StatefulSet starts no replacement, "
    "and its volumes stay attached there. noexecute-unbounded faults no bound at all; this "
    "rule the bounds that amount to the same.",
    remediation="Lower tolerationSeconds to at most the ceiling (300 is what "
    "DefaultTolerationSeconds gives every other pod), or raise maxSeconds in the policy.",
    example="""\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
        - name: db
          image: postgres:16
      tolerations:
        - key: node.kubernetes.io/unreachable
          operator: Exists
          effect: NoExecute
          tolerationSeconds: 86400   # a day on a dead node before it is replaced
""",
    check=check,
    params=(
        Param(
            "maxSeconds",
            ParamType.SECONDS,
            3600,  # an hour on a dead node; at least noexecute-unbounded's 300
            "the highest tolerationSeconds accepted for not-ready, unreachable and "
            "out-of-service; at least noexecute-unbounded.tolerationSeconds and "
            "noexecute-seconds-too-low.minSeconds when those rules are on",
            minimum=1,
        ),
    ),
    consequence=Consequence.EVICTION,
    default_mode=Mode.WARN,
)
