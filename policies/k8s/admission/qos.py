"""`pkg/apis/core/helper/qos/qos.go GetPodQOS`, as far as PodTolerationRestriction asks it:
is the Pod BestEffort?"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..podspec import PodSpecView
from ..quantity import QuantityError
from .decoding import resource_quantity

QOS_RESOURCES = ("cpu", "memory")


def _positive(raw: Any) -> bool:
    try:
        return resource_quantity(raw).value > 0
    except QuantityError:
        return False


def best_effort(obj: Mapping[str, Any], pod: PodSpecView, pod_level: bool) -> bool:
    """`qos.GetPodQOS(pod) == BestEffort`: the status' class if set (a Pod read back from the
    API), else no cpu or memory request or limit above zero (the pod-level ones instead of
    the containers' when the PodLevelResources gate is on and `spec.resources` is set)."""
    if pod.is_pod:
        status = obj.get("status")
        qos = status.get("qosClass") if isinstance(status, Mapping) else None
        if isinstance(qos, str) and qos:
            return qos == "BestEffort"
    if pod_level and pod.spec.get("resources") is not None:
        owners: list[Mapping[str, Any]] = [pod.spec]
    else:
        owners = [c.data for c in pod.containers]
    for owner in owners:
        resources = owner.get("resources")
        if not isinstance(resources, Mapping):
            continue
        for section_name in ("requests", "limits"):
            section = resources.get(section_name)
            if isinstance(section, Mapping) and any(
                _positive(section[name]) for name in QOS_RESOURCES if name in section
            ):
                return False
    return True
