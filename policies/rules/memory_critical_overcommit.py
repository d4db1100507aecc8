"""memory-critical-overcommit: a pod the kubelet never evicts, with a limit far above its
request, takes what it uses above the request from its neighbours."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from ..k8s.critical import why_critical
from ..k8s.memory import requests_with_limits
from ..k8s.quantity import format_bytes
from ..model import Mode, Violation
from .base import Context, Param, ParamType, Rule
from .memory_limit_ratio import RULE as RATIO_RULE
from .memory_limit_ratio import shown_ratio

# pkg/kubelet/qos/policy.go `GetContainerOOMScoreAdjust`: `IsNodeCriticalPod` (critical and
# of this class) gets guaranteedOOMScoreAdj, -997, whatever its QoS class.
NODE_CRITICAL_CLASS = "system-node-critical"


def check(ctx: Context) -> Iterator[Violation]:
    reason = why_critical(ctx.obj, ctx.pod)
    if reason is None:
        return
    maximum = Fraction(str(ctx.params["max"]))
    node_critical = ctx.pod.spec.get("priorityClassName") == NODE_CRITICAL_CLASS
    oom = (
        "; its oom_score_adj is -997, as a Guaranteed pod's, so the kernel's OOM killer "
        "also takes the neighbours first"
        if node_critical
        else ""
    )
    for pair in requests_with_limits(ctx.pod):
        # The stored values (rounded up to 1m), as the kubelet sees them. A request of 0
        # reserves nothing: all the limit is the gap. A missing request is the limit
        # (SetDefaults_Pod), so requests_with_limits has no pair and there is no gap.
        requested, limited = pair.requested.value, pair.limited.value
        if limited <= requested or (requested > 0 and limited / requested <= maximum):
            continue
        if requested > 0:
            gap = f"is {shown_ratio(limited / requested)}x its request {pair.request.shown}"
        else:
            gap = f"has a request of {pair.request.shown}, which reserves nothing"
        yield Violation(
            pointer=pair.limit.pointer,
            message=f"{ctx.ref.describe()}: {pair.memory.what}: memory limit "
            f"{pair.limit.shown} {gap} (policy maximum {ctx.params['max']}x for critical "
            f"pods); {reason} makes the pod critical: the "
            "kubelet never evicts it under memory pressure (it skips it and evicts the next "
            f"pod), so up to {format_bytes(limited - requested)} it uses above its request "
            f"comes out of its neighbours{oom}",
            container=pair.memory.container,
            evidence=(pair.request.raw,),
        )


RULE = Rule(
    id="memory-critical-overcommit",
    summary="A critical pod (system-node-critical or system-cluster-critical, priority at "
    "least 2000000000, or a static pod) keeps its memory limit within a multiple of its "
    "request (default 4x).",
    why="The kubelet's eviction manager never evicts a critical pod (`evictPod` returns at "
    "`kubelettypes.IsCriticalPod`): under memory pressure it skips it and evicts the next pod "
    "in its ranking, even when the critical one is the furthest above its request. Whatever "
    "such a pod uses between its request and its limit is therefore reclaimed from the other "
    "pods of the node, never from it; a system-node-critical pod also gets the OOM score of a "
    "Guaranteed pod, so the kernel spares it too. A 4Gi limit on a 128Mi request is 3.9Gi "
    "nobody can take back.",
    remediation="Raise the request towards what the component really uses (the limit, for "
    "Guaranteed memory), or lower the limit; measure before lowering it: an OOM-killed DNS "
    "or network agent takes the node's pods with it.",
    example="""\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: net-agent
  namespace: net-system
spec:
  selector:
    matchLabels: {app: net-agent}
  template:
    metadata:
      labels: {app: net-agent}
    spec:
      priorityClassName: system-node-critical
      containers:
        - name: agent
          image: example/agent:1.0
          resources:
            requests: {memory: 128Mi}
            limits: {memory: 4Gi}   # 32x the request, never evicted
""",
    check=check,
    compares_siblings=True,
    params=(Param("max", ParamType.RATIO, 4, "the largest limit / request for critical pods"),),
    supersedes=(RATIO_RULE.id,),
    # The kubelet never evicts critical pods: their overcommit is taken from their
    # neighbours (coredns ships 170Mi on 70Mi: 2.4x); strict enforces it.
    default_mode=Mode.WARN,
)
