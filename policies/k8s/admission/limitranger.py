"""The LimitRanger admission plugin on a Pod's CREATE
(`plugin/pkg/admission/limitranger/admission.go`): for each LimitRange of the namespace in
turn, `mergeContainerResources` puts the `type: Container` item's defaults into every
container and init container (not ephemeral ones) that lacks the resource (key presence:
even `null` or 0 is kept), and `mergePodResourceRequirements` annotates the Pod
`kubernetes.io/limit-ranger: LimitRanger plugin set: ...`. Each LimitRange fills only what
is still missing, so the first one wins."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ... import pointer as jp
from ...patch import json_copy
from ..podspec import ContainerView, PodSpecView
from .limitrange import ContainerDefaults, DefaultValue

LIMIT_RANGER_ANNOTATION = "kubernetes.io/limit-ranger"


@dataclass(frozen=True)
class SetValue:
    """A value one LimitRange gave one container, and the namespace's other LimitRanges
    (which, applied first, might have given another)."""

    container: ContainerView
    section: str  # limits, requests
    value: DefaultValue
    limit_range: ContainerDefaults
    others: tuple[ContainerDefaults, ...]


def apply_limit_ranges(
    root: dict[str, Any], pod: PodSpecView, ranges: tuple[ContainerDefaults, ...]
) -> list[SetValue]:
    """Applies `ranges` in order to the containers of `pod` (a view into `root`, which is
    changed) and returns what each set."""
    set_values: list[SetValue] = []
    # SetDefaults_Pod ran when the Pod was decoded, before any admission plugin: a
    # resource the container limits already has its request then (a copy of the limit,
    # which the rules model and which is not written here), so LimitRanger leaves it.
    limited = [_keys(c.data, "limits") for c in pod.containers]
    for index, limit_range in enumerate(ranges):
        others = ranges[:index] + ranges[index + 1 :]
        notes: list[str] = []
        for container, copied in zip(pod.containers, limited, strict=True):
            data: dict[str, Any] = container.data  # type: ignore[assignment]
            done: dict[str, list[str]] = {"limits": [], "requests": []}
            for section_name, values in (
                ("limits", limit_range.limits),
                ("requests", limit_range.requests),
            ):
                section = _section(data, section_name)
                assert section is not None
                for value in values:
                    if value.resource in section:
                        continue
                    if section_name == "requests" and value.resource in copied:
                        continue
                    section[value.resource] = json_copy(value.raw)
                    done[section_name].append(value.resource)
                    set_values.append(SetValue(container, section_name, value, limit_range, others))
            _prune(data)
            role = "container" if container.field == "containers" else "init container"
            label = container.name or ""
            for section_name, word in (("requests", "request"), ("limits", "limit")):
                if done[section_name]:
                    names = ", ".join(sorted(done[section_name]))
                    notes.append(f"{names} {word} for {role} {label}")
        if notes:
            _annotate(root, pod.metadata_pointer, "LimitRanger plugin set: " + "; ".join(notes))
    return set_values


def _keys(container: Mapping[str, Any], section_name: str) -> frozenset[str]:
    resources = container.get("resources")
    section = resources.get(section_name) if isinstance(resources, Mapping) else None
    return frozenset(section) if isinstance(section, Mapping) else frozenset()


def _section(container: dict[str, Any], name: str) -> dict[str, Any] | None:
    """`resources.<name>` of a decodable container, created when missing."""
    resources = container.get("resources")
    if resources is None:
        resources = container["resources"] = {}
    section = resources.get(name)
    if section is None:
        section = resources[name] = {}
    return section


def _prune(container: dict[str, Any]) -> None:
    """Empty maps the steps made (Go's omitempty leaves them out of the stored object)."""
    resources = container.get("resources")
    if not isinstance(resources, dict):
        return
    for name in ("limits", "requests"):
        if resources.get(name) == {} and name in resources:
            del resources[name]
    if resources == {}:
        del container["resources"]


def _annotate(root: dict[str, Any], metadata_pointer: str, text: str) -> None:
    """LimitRanger's annotation, on the metadata of the Pod (or of the Pods made from the
    template); each LimitRange that sets something rewrites it."""
    node: Any = root
    for token in jp.split(metadata_pointer):
        if not isinstance(node, dict):
            return
        if node.get(token) is None:
            node[token] = {}
        node = node[token]
    if not isinstance(node, dict):
        return
    if node.get("annotations") is None:
        node["annotations"] = {}
    if isinstance(node["annotations"], dict):
        node["annotations"][LIMIT_RANGER_ANNOTATION] = text
