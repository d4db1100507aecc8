"""toleration-wildcard in CEL: a key-less Exists toleration with no effect or NoSchedule,
outside DaemonSets (and their Pods) and the policy's system namespaces."""

from __future__ import annotations

from ..cel import matches_any
from ..subject import Subject
from ..tolerations import describe, field
from .base import CelRule, ExportContext


def findings(subject: Subject, ctx: ExportContext) -> str:
    system = matches_any("request.?namespace.orValue('')", ctx.policy.system_namespaces)
    wildcards = (
        f"{subject.tolerations}.filter(t, {field('t', 'key')} == ''"
        f" && {field('t', 'operator')} == 'Exists' && {field('t', 'effect')} in ['', 'NoSchedule'])"
    )
    return (
        f"{subject.daemon} || {system} ? [] : {wildcards}.map(t, {describe('t')}"
        " + ' tolerates every' + (t.?effect.orValue('') == '' ? '' : ' NoSchedule') + ' taint')"
    )


RULE = CelRule("toleration-wildcard", findings)
