"""noexecute-seconds-too-low in CEL: for the not-ready and unreachable NoExecute taints, the
toleration the taint manager uses (the first that matches, after the DaemonSet controller
and DefaultTolerationSeconds) is one its author wrote with tolerationSeconds below the
policy floor (read at export), or so large that the taint manager's int64 nanoseconds wrap
to another delay (a wrap to forever is noexecute-unbounded's). DaemonSets are judged too:
a toleration the controller replaces on the template is the controller's, not the author's.

Each finding names the toleration and its seconds, not the taints it is used for: the
webhook compares a finding on UPDATE by the toleration and its value alone."""

from __future__ import annotations

from ...k8s.eviction import MAX_EXACT_SECONDS
from ...k8s.features import COMPARISON_GATE
from ...k8s.taints import LIFECYCLE_NOEXECUTE_TAINTS
from ..subject import Subject
from ..tolerations import describe, forever, written_first_matches
from .base import CelRule, ExportContext


def findings(subject: Subject, ctx: ExportContext) -> str:
    comparison = ctx.policy.feature(COMPARISON_GATE)
    floor = int(ctx.params["minSeconds"])
    seconds = "f.tolerationSeconds"
    wraps = f"{seconds} > {MAX_EXACT_SECONDS}"
    low = f"({seconds} <= 0 ? 0 : {seconds}) < {floor}"
    message = (
        f"{describe('f')} + ({wraps}"
        f" ? ' overflows the taint manager int64 nanoseconds (at most {MAX_EXACT_SECONDS})'"
        f" : ' evicts below the policy floor of {floor} s')"
    )
    conditions = ["f.?tolerationSeconds.hasValue()", f"!{forever(seconds)}", f"({wraps} || {low})"]
    return written_first_matches(
        subject, LIFECYCLE_NOEXECUTE_TAINTS, comparison, conditions, message
    )


RULE = CelRule("noexecute-seconds-too-low", findings)
