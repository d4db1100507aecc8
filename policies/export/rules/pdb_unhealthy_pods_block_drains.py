"""pdb-unhealthy-pods-block-drains in CEL: a budget that selects pods and does not set
unhealthyPodEvictionPolicy: AlwaysAllow (unset reads as IfHealthyBudget)."""

from __future__ import annotations

from ...k8s.pdb_validation import ALWAYS_ALLOW, UNHEALTHY_POD_EVICTION_POLICY
from ..budgets import selects_pods, spec
from ..cel import literal
from ..subject import Subject
from .base import BUDGETS, CelRule, ExportContext


def findings(subject: Subject, ctx: ExportContext) -> str:
    policy = f"{spec(subject.obj)}.?{UNHEALTHY_POD_EVICTION_POLICY}.orValue(null)"
    return (
        f"{selects_pods(subject.obj)} && {policy} != {literal(ALWAYS_ALLOW)}"
        f" ? ['{UNHEALTHY_POD_EVICTION_POLICY} ' + ({policy} == null"
        " ? 'unset (IfHealthyBudget)' : string(" + policy + "))"
        " + ': pods it selects that crash-loop block every drain of their nodes'] : []"
    )


RULE = CelRule("pdb-unhealthy-pods-block-drains", findings, judges=BUDGETS)
