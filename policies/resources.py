"""Reading memory requests and limits as the API server decodes them.

Shared by the memory rules so each rule states only its own verdict. `memory: null` reads
as absent: the API stores a zero quantity, which the kubelet treats as "no limit".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import pointer as jp
from .extract import ContainerView, PodSpecView
from .quantity import Quantity, QuantityError, parse_manifest_quantity
from .values import type_name

MEMORY = "memory"


@dataclass(frozen=True)
class MemoryValue:
    pointer: str
    raw: Any
    quantity: Quantity | None  # None when the value is not a valid quantity
    error: str | None

    @property
    def valid(self) -> bool:
        return self.quantity is not None and self.quantity.value >= 0

    @property
    def shown(self) -> str:
        """The value for messages: as written when a string, else as the API server reads
        the YAML number (`1.5e9` is 1500000000, not Python's "1500000000.0")."""
        if isinstance(self.raw, str):
            return self.raw
        if self.quantity is not None:
            return self.quantity.text
        if isinstance(self.raw, bool):
            return "true" if self.raw else "false"
        return str(self.raw)


@dataclass(frozen=True)
class ShapeProblem:
    pointer: str
    message: str


@dataclass(frozen=True)
class MemorySettings:
    """The memory request and limit of one container, or of the pod (pod-level resources)."""

    owner_pointer: str  # the container, or the pod spec
    what: str  # 'container "app"' or "pod-level resources"
    container: str | None
    limit: MemoryValue | None
    request: MemoryValue | None
    shape_problems: tuple[ShapeProblem, ...]

    @property
    def resources_pointer(self) -> str:
        return jp.child(self.owner_pointer, "resources")

    def value_pointer(self, section: str) -> str:
        return jp.child(self.owner_pointer, "resources", section, MEMORY)


def _described(value: Any) -> str:
    return f"{type_name(value)} ({value!r})" if isinstance(value, str) else type_name(value)


def _read_value(section: Mapping[str, Any], pointer: str) -> MemoryValue | None:
    raw = section.get(MEMORY)
    if raw is None:
        return None
    try:
        return MemoryValue(pointer, raw, parse_manifest_quantity(raw), None)
    except QuantityError as exc:
        return MemoryValue(pointer, raw, None, str(exc))


def read_memory(
    owner: Mapping[str, Any], owner_pointer: str, what: str, container: str | None
) -> MemorySettings:
    problems: list[ShapeProblem] = []
    values: dict[str, MemoryValue | None] = {"limits": None, "requests": None}
    resources = owner.get("resources")
    resources_pointer = jp.child(owner_pointer, "resources")
    if resources is not None and not isinstance(resources, Mapping):
        problems.append(
            ShapeProblem(resources_pointer, f"resources is {_described(resources)}, not a mapping")
        )
    elif resources is not None:
        for section_name in values:
            section = resources.get(section_name)
            section_pointer = jp.child(resources_pointer, section_name)
            if section is None:
                continue
            if not isinstance(section, Mapping):
                problems.append(
                    ShapeProblem(
                        section_pointer,
                        f"resources.{section_name} is {_described(section)}, not a mapping",
                    )
                )
                continue
            values[section_name] = _read_value(section, jp.child(section_pointer, MEMORY))
    return MemorySettings(
        owner_pointer, what, container, values["limits"], values["requests"], tuple(problems)
    )


def container_memory(container: ContainerView) -> MemorySettings:
    return read_memory(container.data, container.pointer, container.describe(), container.name)


def pod_memory(pod: PodSpecView) -> MemorySettings:
    return read_memory(pod.spec, pod.pointer, "pod-level resources", None)


def all_memory(pod: PodSpecView) -> Iterator[MemorySettings]:
    """Every place a memory request or limit may be set: containers (regular, init,
    sidecar) and pod-level resources. Ephemeral containers may not set resources at all."""
    for container in pod.containers:
        yield container_memory(container)
    yield pod_memory(pod)


@dataclass(frozen=True)
class RequestAndLimit:
    """A memory request and limit set side by side, both valid: ready to compare."""

    memory: MemorySettings
    request: MemoryValue
    limit: MemoryValue
    requested: Quantity
    limited: Quantity


def requests_with_limits(pod: PodSpecView) -> Iterator[RequestAndLimit]:
    for memory in all_memory(pod):
        request, limit = memory.request, memory.limit
        if request is None or limit is None or not request.valid or not limit.valid:
            continue
        if request.quantity is not None and limit.quantity is not None:
            yield RequestAndLimit(memory, request, limit, request.quantity, limit.quantity)
