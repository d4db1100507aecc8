"""noexecute-unbounded in CEL: for each not-ready, unreachable and out-of-service NoExecute
taint, the first toleration that tolerates it (the taint manager's first match) has no
bound. Tolerations DefaultTolerationSeconds adds come after the written ones and are
bounded, so the first written match decides; DaemonSets and their Pods are let be."""

from __future__ import annotations

from ...k8s.features import COMPARISON_GATE
from ...k8s.taints import DEAD_NODE_NOEXECUTE_TAINTS
from ..subject import Subject
from ..tolerations import bounded, describe, tolerates
from .base import CelRule, ExportContext


def findings(subject: Subject, ctx: ExportContext) -> str:
    comparison = ctx.policy.feature(COMPARISON_GATE)
    parts = []
    for taint in DEAD_NODE_NOEXECUTE_TAINTS:
        matching = f"{subject.tolerations}.filter(t, {tolerates('t', taint, comparison)})"
        first = f"{matching}[0]"
        parts.append(
            f"({matching}.size() > 0 && !{bounded(first)}"
            f" ? [{describe(first)} + ' tolerates {taint['key']}:NoExecute forever'] : [])"
        )
    return f"{subject.daemon} ? [] : " + " + ".join(parts)


RULE = CelRule("noexecute-unbounded", findings)
