"""toleration-node-pressure in CEL: a toleration of the memory-, disk- or pid-pressure taint
(as NoSchedule, with no value) outside DaemonSets and their Pods. The tolerations the
DaemonSet controller and DefaultTolerationSeconds add are never these outside daemon pods,
so every toleration the object carries is its author's here."""

from __future__ import annotations

from ...k8s.taints import PRESSURE_KEYS
from ..cel import strings
from ..subject import Subject
from ..tolerations import describe, field, tolerates_own_key
from .base import CelRule, ExportContext


def findings(subject: Subject, ctx: ExportContext) -> str:
    del ctx  # the rule has no parameter, and Lt/Gt never match an empty value
    pressure = (
        f"{subject.tolerations}.filter(t, {field('t', 'key')} in {strings(sorted(PRESSURE_KEYS))}"
        f" && {tolerates_own_key('t')})"
    )
    return (
        f"{subject.daemon} ? [] : {pressure}.map(t, {describe('t')}"
        " + ' lets the pod onto nodes under ' + t.key.split('/')[1])"
    )


RULE = CelRule("toleration-node-pressure", findings)
