"""Decoding with defaulting, `pkg/apis/core/v1/defaults.go SetDefaults_Pod`, as far as the
admission steps rely on it. Its copy of each container limit into a missing request is
modelled by the rules (and by LimitRanger, which then leaves that request alone); with the
PodLevelResources gate, `defaultPodRequests` sets a missing pod-level memory request (when
`spec.resources.limits` is not empty) from the containers' aggregate request, else from the
pod-level limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import pointer as jp
from ..memory import MEMORY, UnreadableResources, aggregate_memory_requests
from ..podspec import PodSpecView


def pod_memory_request_default(
    pod: PodSpecView | None, pod_level: bool
) -> tuple[str, Any, str] | None:
    """SetDefaults_Pod's `defaultPodRequests` for memory, as it is before LimitRanger:
    (pointer, value, source), or None when it sets nothing."""
    if pod is None or not pod_level:
        return None
    resources = pod.spec.get("resources")
    if not isinstance(resources, Mapping):
        return None
    limits, requests = resources.get("limits"), resources.get("requests")
    if not isinstance(limits, Mapping) or not limits:
        return None
    if isinstance(requests, Mapping) and MEMORY in requests:
        return None
    pointer = jp.child(pod.pointer, "resources", "requests", MEMORY)
    try:
        # A Pod's default is summed from the values as decoded; a Pod made from a
        # template starts from the template's stored (rounded) values.
        aggregate = aggregate_memory_requests(pod, stored=not pod.is_pod)
    except UnreadableResources:
        return None
    if aggregate is not None:
        source = "SetDefaults_Pod (pod-level request from the containers' requests)"
        return pointer, aggregate.canonical(), source
    if MEMORY in limits:
        return pointer, limits[MEMORY], "SetDefaults_Pod (pod-level request from its limit)"
    return None


def set_pod_memory_request(pod: PodSpecView, raw: Any) -> None:
    """Writes the pod-level memory request into the pod spec (whose `resources` exist)."""
    resources = pod.spec["resources"]  # type: ignore[index]
    requests = resources.get("requests")
    if requests is None:
        requests = resources["requests"] = {}
    requests[MEMORY] = raw
