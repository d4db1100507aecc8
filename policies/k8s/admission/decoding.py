"""What the API server can decode of a pod spec: `resources` values are `ResourceList`s
(`k8s.io/apimachinery/pkg/api/resource` `Quantity.UnmarshalJSON`, where JSON `null` is a
zero quantity) and tolerations `v1.Toleration`s. An object that does not decode is refused
before any admission plugin runs, so none of them ever sees it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from ..podspec import PodSpecView
from ..quantity import Quantity, QuantityError, parse_manifest_quantity


def resource_quantity(raw: Any) -> Quantity:
    """A ResourceList value as the API server decodes it (`null` is a zero quantity)."""
    if raw is None:
        return Quantity(Fraction(0), "DecimalSI", "")
    return parse_manifest_quantity(raw)


def decodable(pod: PodSpecView, problems: Sequence[object]) -> bool:
    """Whether the API server can decode the pod spec at all (else no plugin ever sees it)."""
    if problems:
        return False
    owners = [c.data for c in pod.containers]
    if pod.resources is not None:
        owners.append(pod.spec)
    for owner in owners:
        resources = owner.get("resources")
        if resources is None:
            continue
        if not isinstance(resources, Mapping):
            return False
        for section_name in ("limits", "requests"):
            section = resources.get(section_name)
            if section is None:
                continue
            if not isinstance(section, Mapping):
                return False
            for raw in section.values():
                try:
                    resource_quantity(raw)
                except QuantityError:
                    return False
    return all(view.toleration is not None for view in pod.tolerations)
