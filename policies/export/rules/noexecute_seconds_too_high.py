"""noexecute-seconds-too-high in CEL: for the not-ready, unreachable and out-of-service
NoExecute taints, the toleration the taint manager uses is one its author wrote with
tolerationSeconds above the policy ceiling (read at export) and small enough not to wrap
(wraps are noexecute-seconds-too-low's and noexecute-unbounded's); DaemonSets and their
Pods are let be. Each finding names the toleration and the taints it is used for (the
webhook compares both on UPDATE: a reordering can make it first for more)."""

from __future__ import annotations

from ...k8s.eviction import MAX_EXACT_SECONDS
from ...k8s.features import COMPARISON_GATE
from ...k8s.taints import DEAD_NODE_NOEXECUTE_TAINTS
from ..subject import Subject
from ..tolerations import describe, first_used_for, written_first_matches
from .base import CelRule, ExportContext


def findings(subject: Subject, ctx: ExportContext) -> str:
    comparison = ctx.policy.feature(COMPARISON_GATE)
    ceiling = int(ctx.params["maxSeconds"])
    seconds = "f.tolerationSeconds"
    used_for = first_used_for(subject, DEAD_NODE_NOEXECUTE_TAINTS, "f", comparison)
    message = (
        f"{describe('f')} + ' is used for ' + {used_for}"
        f" + ', above the policy ceiling of {ceiling} s'"
    )
    conditions = [
        "f.?tolerationSeconds.hasValue()",
        f"{seconds} <= {MAX_EXACT_SECONDS}",  # not a wrap, nor int64's "unset"
        f"{seconds} > {ceiling}",
    ]
    found = written_first_matches(
        subject, DEAD_NODE_NOEXECUTE_TAINTS, comparison, conditions, message
    )
    return f"{subject.daemon} ? [] : {found}"


RULE = CelRule("noexecute-seconds-too-high", findings)
