"""Which pods the kubelet never evicts: pkg/kubelet/types/pod_update.go `IsCriticalPod`.

The eviction manager's `evictPod` (pkg/kubelet/eviction/eviction_manager.go) returns
without evicting when `IsCriticalPod` holds, whatever the reason: node pressure, an
emptyDir over its `sizeLimit`, a pod or container over its ephemeral-storage limit. So for
such a pod those limits bound nothing. Read from a manifest, as the kubelet would see the
pods made from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import pointer as jp
from .podspec import PodSpecView

# pkg/apis/scheduling/types.go: SystemCriticalPriority = 2 * HighestUserDefinablePriority
# (1000000000); pod_update.go `IsCriticalPodBasedOnPriority`: >= it.
SYSTEM_CRITICAL_PRIORITY = 2_000_000_000
# pkg/apis/scheduling/helpers.go `systemPriorityClasses`: the only classes at or above it
# (a user-defined class may not exceed 1000000000, nor take a `system-` name).
CRITICAL_CLASSES: Mapping[str, int] = {
    "system-node-critical": SYSTEM_CRITICAL_PRIORITY + 1000,
    "system-cluster-critical": SYSTEM_CRITICAL_PRIORITY,
}
# pod_update.go `IsMirrorPod` (config.mirror present): critical whatever its priority. Its
# `IsStaticPod` reads `kubernetes.io/config.source`, but the kubelet overwrites that with
# the pod's real source (`api` for every pod from the API server: pkg/kubelet/config
# `podStorage.merge`), so written on an object it proves nothing; a read-back mirror pod
# carries config.mirror.
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"


def pod_annotations(obj: Mapping[str, Any], pod: PodSpecView) -> Mapping[str, Any]:
    """The annotations the pods carry (a template's, for a workload)."""
    node: Any = obj
    for token in jp.split(pod.metadata_pointer):
        node = node.get(token) if isinstance(node, Mapping) else None
    found = node.get("annotations") if isinstance(node, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def why_critical(obj: Mapping[str, Any], pod: PodSpecView) -> str | None:
    """Why `IsCriticalPod` holds for the pods, or None. `spec.priority` is what the kubelet
    reads; the Priority admission plugin sets it from `priorityClassName` and rejects a pod
    whose own `spec.priority` differs, so either one tells."""
    spec = pod.spec
    priority, class_name = spec.get("priority"), spec.get("priorityClassName")
    if isinstance(priority, int) and not isinstance(priority, bool):
        if priority >= SYSTEM_CRITICAL_PRIORITY:
            return f"spec.priority {priority} (at least {SYSTEM_CRITICAL_PRIORITY})"
    elif isinstance(class_name, str) and class_name in CRITICAL_CLASSES:
        return f"priorityClassName {class_name} (priority {CRITICAL_CLASSES[class_name]})"
    if MIRROR_ANNOTATION in pod_annotations(obj, pod):
        return f"the annotation {MIRROR_ANNOTATION} (a static pod's mirror)"
    return None
