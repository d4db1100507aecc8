"""toleration-control-plane in CEL: a toleration of a control-plane taint with the effect
that keeps pods off (any value), outside DaemonSets and their Pods, the policy's system
namespaces and pods whose nodeSelector or node affinity chooses control-plane nodes. RKE1's
key counts where the policy lists it among the cluster's own taints (read at export)."""

from __future__ import annotations

from ...k8s.taints import (
    CONTROL_PLANE_EFFECTS,
    CONTROL_PLANE_LABELS,
    DISTRIBUTION_CONTROL_PLANE_EFFECTS,
)
from ..cel import any_of, literal, matches_any
from ..placement import chooses_nodes_labelled
from ..subject import Subject
from ..tolerations import describe, field
from .base import CelRule, ExportContext


def findings(subject: Subject, ctx: ExportContext) -> str:
    listed = {k["key"] for k in ctx.policy.known_taints}
    effects = {k: e for k, e in DISTRIBUTION_CONTROL_PLANE_EFFECTS.items() if k in listed}
    effects.update(CONTROL_PLANE_EFFECTS)  # Kubernetes' own keys first, as the rule reads them
    keeps_off = any_of(
        f"{field('t', 'key')} == {literal(key)} && {field('t', 'effect')} in ['', {literal(e)}]"
        for key, e in sorted(effects.items())
    )
    tolerating = (
        f"{subject.tolerations}.filter(t, ({keeps_off})"
        f" && {field('t', 'operator')} in ['', 'Equal', 'Exists'])"
    )
    system = matches_any("request.?namespace.orValue('')", ctx.policy.system_namespaces)
    chooses = chooses_nodes_labelled(subject, CONTROL_PLANE_LABELS)
    return (
        f"{subject.daemon} || {system} || {chooses} ? [] : {tolerating}.map(t,"
        f" {describe('t')} + ' lets the pod run on control-plane nodes (' + t.key + ')')"
    )


RULE = CelRule("toleration-control-plane", findings)
