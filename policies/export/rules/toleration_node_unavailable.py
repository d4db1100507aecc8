"""toleration-node-unavailable in CEL: a toleration of the unschedulable or
network-unavailable taint (as NoSchedule, with no value) outside DaemonSets and their Pods
and the policy's system namespaces; network-unavailable is let be on the host's network."""

from __future__ import annotations

from ...k8s.taints import HOST_NETWORK_KEYS, UNAVAILABLE_KEYS
from ..cel import matches_any, strings
from ..subject import Subject
from ..tolerations import describe, field, tolerates_own_key
from .base import CelRule, ExportContext


def findings(subject: Subject, ctx: ExportContext) -> str:
    system = matches_any("request.?namespace.orValue('')", ctx.policy.system_namespaces)
    host_network = f"{subject.spec}.?hostNetwork.orValue(false) == true"
    unavailable = (
        f"{subject.tolerations}.filter(t,"
        f" {field('t', 'key')} in {strings(sorted(UNAVAILABLE_KEYS))}"
        f" && {tolerates_own_key('t')}"
        f" && !({host_network} && t.key in {strings(sorted(HOST_NETWORK_KEYS))}))"
    )
    return (
        f"{subject.daemon} || {system} ? [] : {unavailable}.map(t, {describe('t')}"
        " + ' lets the pod onto nodes that take no pods (' + t.key + ')')"
    )


RULE = CelRule("toleration-node-unavailable", findings)
