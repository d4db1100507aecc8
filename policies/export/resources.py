"""The API resources the exported policies match: each kind with a pod spec
(`k8s.podspec.POD_SPEC_PATHS`) as its served group, version and resource name."""

from __future__ import annotations

from collections.abc import Iterable

from ..k8s.podspec import POD_SPEC_PATHS

# kind -> (API group, resource), in the version each is served as: v1.
KIND_RESOURCES: dict[str, tuple[str, str]] = {
    "Pod": ("", "pods"),
    "PodTemplate": ("", "podtemplates"),
    "ReplicationController": ("", "replicationcontrollers"),
    "Deployment": ("apps", "deployments"),
    "StatefulSet": ("apps", "statefulsets"),
    "DaemonSet": ("apps", "daemonsets"),
    "ReplicaSet": ("apps", "replicasets"),
    "Job": ("batch", "jobs"),
    "CronJob": ("batch", "cronjobs"),
}
assert set(KIND_RESOURCES) == set(POD_SPEC_PATHS)
# An in-place resize (`pods/resize`) carries a whole Pod; the webhook judges it as a Pod
# UPDATE, and so do the validating policies.
SUBRESOURCES: dict[str, list[str]] = {"Pod": ["pods/resize"]}
BUDGET_KINDS = {"PodDisruptionBudget": ("policy", "poddisruptionbudgets")}


def resource_rules(
    kinds: Iterable[str], operations: list[str], subresources: bool = True
) -> list[dict[str, object]]:
    """`resourceRules` for `kinds`, one rule per API group, in the kinds' order."""
    table = {**KIND_RESOURCES, **BUDGET_KINDS}
    by_group: dict[str, list[str]] = {}
    for kind in kinds:
        group, resource = table[kind]
        names = by_group.setdefault(group, [])
        names.append(resource)
        if subresources:
            names += SUBRESOURCES.get(kind, [])
    return [
        {"apiGroups": [group], "apiVersions": ["v1"], "operations": operations, "resources": names}
        for group, names in by_group.items()
    ]
