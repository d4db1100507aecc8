"""memory-limit-ratio: limits far above requests overcommit the node."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from ..k8s.memory import requests_with_limits
from ..model import Mode, Violation
from .base import Context, Param, ParamType, Rule

_SHOWN_MAX = Fraction(10**15)


def shown_ratio(ratio: Fraction) -> str:
    """The ratio for people; a float cannot hold 1e400 / 1, and nobody needs its digits."""
    return f"more than {float(_SHOWN_MAX):.3g}" if ratio > _SHOWN_MAX else f"{float(ratio):.3g}"


def check(ctx: Context) -> Iterator[Violation]:
    maximum = Fraction(str(ctx.params["max"]))
    for pair in requests_with_limits(ctx.pod):
        # The stored values (rounded up to 1m), as the scheduler and the kubelet see them.
        if pair.requested.value <= 0:
            continue
        ratio = pair.limited.value / pair.requested.value
        if ratio > maximum:
            yield Violation(
                pointer=pair.limit.pointer,
                message=f"{ctx.ref.describe()}: {pair.memory.what}: memory limit "
                f"{pair.limit.shown} is {shown_ratio(ratio)}x its request {pair.request.shown} "
                f"(policy maximum {ctx.params['max']}x)",
                container=pair.memory.container,
                evidence=(pair.request.raw,),
            )


RULE = Rule(
    id="memory-limit-ratio",
    summary="The memory limit is at most a configured multiple of the request (off by default).",
    why="The scheduler reserves the request; the limit is what the container may really "
    "use. When many pods on a node use memory far above their requests, the node runs out "
    "and the kubelet evicts pods (those furthest above their requests first), so a large "
    "limit/request ratio turns into evictions under load.",
    remediation="Raise the request towards the limit (Guaranteed QoS when equal), or lower "
    "the limit.",
    example="""\
apiVersion: v1
kind: Pod
metadata:
  name: batch
spec:
  containers:
    - name: batch
      image: example/batch:1.0
      resources:
        requests: {memory: 128Mi}
        limits: {memory: 4Gi}   # 32x the request
""",
    check=check,
    compares_siblings=True,
    params=(Param("max", ParamType.RATIO, 4, "the largest limit / request allowed"),),
    default_mode=Mode.OFF,
)
