"""noexecute-wildcard in CEL: the first toleration that would match a taint no toleration
names (`k8s.eviction.covering_in`: any earlier one matching it shadows a later wildcard) is
a key-less Exists covering NoExecute with no bound, outside DaemonSets and their Pods.
Where that wildcard is the toleration the taint manager uses for not-ready, unreachable or
out-of-service, the finding is noexecute-unbounded's (`Violation.deferred_to`): left out
when that rule is on in the policy (read at export) and the object is not exempt from it."""

from __future__ import annotations

from ...k8s.eviction import _FRESH_KEY, _FRESH_VALUE
from ...k8s.features import COMPARISON_GATE
from ...k8s.taints import DEAD_NODE_NOEXECUTE_TAINTS, NO_EXECUTE
from ...model import Mode
from ..cel import any_of
from ..exemptions import exempt
from ..subject import Subject
from ..tolerations import bounded, describe, field, first_of, first_used_for, is_used_for, tolerates
from .base import CelRule, ExportContext

UNBOUNDED = "noexecute-unbounded"
# The taint the engine asks about: one no toleration names, so only a wildcard (or a
# toleration of this very key) matches it.
NAMELESS = {"key": _FRESH_KEY, "value": _FRESH_VALUE, "effect": NO_EXECUTE}


def findings(subject: Subject, ctx: ExportContext) -> str:
    comparison = ctx.policy.feature(COMPARISON_GATE)
    candidate = (
        f"{field('w', 'key')} == '' && {field('w', 'operator')} == 'Exists'"
        f" && {field('w', 'effect')} in ['', 'NoExecute'] && !{bounded('w')}"
    )
    deferred = "false"
    if ctx.policy.mode(UNBOUNDED) is not Mode.OFF:
        owned = any_of(
            is_used_for(subject, taint, "w", comparison) for taint in DEAD_NODE_NOEXECUTE_TAINTS
        )
        deferred = f"!({exempt(UNBOUNDED, ctx.policy, subject)}) && ({owned})"
    # which dead-node taints it is used for (the webhook compares them on UPDATE)
    used = first_used_for(subject, DEAD_NODE_NOEXECUTE_TAINTS, "w", comparison)
    first = first_of(f"{subject.tolerations}.filter(t, {tolerates('t', NAMELESS, comparison)})")
    return (
        f"{subject.daemon} ? [] : {first}.filter(w, ({candidate}) && !({deferred}))"
        f".map(w, {describe('w')} + ' tolerates every NoExecute taint forever'"
        f" + ({used} == '' ? '' : ', the one used for ' + {used}))"
    )


RULE = CelRule("noexecute-wildcard", findings)
