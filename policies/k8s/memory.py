"""Reading memory requests and limits as the API server decodes and stores them.

Shared by the memory rules so each rule states only its own verdict. Two API behaviours
every rule inherits from here:

* `memory: null` is a present zero, not an absent value: k8s.io/apimachinery quantity.go
  `Quantity.UnmarshalJSON` decodes JSON null into a zero Quantity and the map key stays.
  So `limits: {memory: null}` is a limit of 0 (which the kubelet treats as no limit), and
  `requests: {memory: null}` is a request of 0, which SetDefaults_Pod does not replace
  with the limit (it only fills keys that are missing).
* Comparisons use the stored value: pkg/apis/core/v1/defaults.go `SetDefaults_ResourceList`
  rounds every request and limit up to 1m before validation (`MemoryValue.stored`).
  Messages still show values as written (`MemoryValue.shown`).
* A value above 2^63-1 bytes is accepted by the API server, but the kubelet and the
  scheduler read it through `Quantity.Value()`, which overflows (`MemoryValue.overflows`).
  It is `valid` (API validation compares it exactly) but not `readable`: it neither caps
  nor reserves anything (`positive` is False), and memory-quantity-invalid reports it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .. import pointer as jp
from ..yaml.values import type_name
from .podspec import ContainerView, PodSpecView
from .quantity import (
    BINARY_SI,
    DECIMAL_SI,
    MAX_INT64,
    Quantity,
    QuantityError,
    parse_manifest_quantity,
    round_up_to_milli,
)

MEMORY = "memory"
NULL_QUANTITY = Quantity(Fraction(0), DECIMAL_SI, "")
"""What Go's UnmarshalJSON leaves for `null`: a zero Quantity (printed "0")."""


@dataclass(frozen=True)
class MemoryValue:
    """One memory request or limit that is present in the manifest (null included)."""

    pointer: str
    raw: Any
    quantity: Quantity | None  # as decoded (null: zero); None when not a valid quantity
    error: str | None

    @property
    def valid(self) -> bool:
        """A quantity the API server accepts (a quantity, not negative). It may still be
        too large for the kubelet and the scheduler to read (`overflows`)."""
        return self.quantity is not None and self.quantity.value >= 0

    @property
    def readable(self) -> bool:
        """Valid and read as written by the kubelet and the scheduler (not `overflows`).
        Rules about what a value does on the node (memory-limit-missing,
        memory-request-missing) leave the rest to memory-quantity-invalid; rules that
        restate API validation compare valid values exactly, as the API server does."""
        return self.valid and not self.overflows and not self.capped

    @property
    def capped(self) -> bool:
        """Written as 2^63 bytes or more with a binary suffix (`8Ei`, `16Ei`): ParseQuantity
        stores it as 2^63-1 (math.go `maxAllowed`, the BinarySI cap), a limit no node
        reaches and a request no node fits; Value() returns it without overflowing."""
        quantity = self.quantity
        return quantity is not None and quantity.format == BINARY_SI and quantity.value == MAX_INT64

    @property
    def overflows(self) -> bool:
        """Above 2^63-1 bytes once stored: the API server accepts it, but Go's
        `Quantity.Value()`, through which the kubelet sets the memory limit and the scheduler
        counts the request, cannot return it (kubernetes#141166) and gives 0, a negative
        number or the value wrapped modulo 2^64 (`Quantity.value_int64`)."""
        stored = self.stored
        return stored is not None and stored.value > MAX_INT64

    @property
    def is_null(self) -> bool:
        return self.raw is None

    @property
    def stored(self) -> Quantity | None:
        """The value the API server validates and stores: rounded up to 1m
        (SetDefaults_ResourceList). None when the value is not a quantity."""
        return None if self.quantity is None else round_up_to_milli(self.quantity)

    @property
    def positive(self) -> bool:
        """Readable and above zero once stored: a value that reserves or caps something."""
        stored = self.stored
        return self.readable and stored is not None and stored.value > 0

    @property
    def described(self) -> str:
        """`shown`, with null spelled out as what the API server makes of it."""
        return "null (read as 0)" if self.is_null else self.shown

    @property
    def shown(self) -> str:
        """The value for messages: as written when a string, `null` for null, else as the
        API server reads the YAML number (`1.5e9` is 1500000000, not "1500000000.0")."""
        if isinstance(self.raw, str):
            return self.raw
        if self.raw is None:
            return "null"
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
    # (section, owner pointer) for sections that a patch of a main container sets: their
    # value lives there, not under `owner_pointer` (see `container_memory`).
    patched: tuple[tuple[str, str], ...] = ()

    @property
    def resources_pointer(self) -> str:
        return jp.child(self.owner_pointer, "resources")

    def value_pointer(self, section: str) -> str:
        owner = dict(self.patched).get(section, self.owner_pointer)
        return jp.child(owner, "resources", section, MEMORY)


def _described(value: Any) -> str:
    return f"{type_name(value)} ({value!r})" if isinstance(value, str) else type_name(value)


def _read_value(section: Mapping[str, Any], pointer: str) -> MemoryValue | None:
    if MEMORY not in section:
        return None
    raw = section[MEMORY]
    if raw is None:
        return MemoryValue(pointer, raw, NULL_QUANTITY, None)  # Quantity.UnmarshalJSON
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


_MEMORY_MEMO = "_memory"  # several rules ask for the same container's memory in one check


def container_memory(container: ContainerView) -> MemorySettings:
    memo = vars(container)  # a frozen view: the reading is kept beside its fields, once
    found: MemorySettings | None = memo.get(_MEMORY_MEMO)
    if found is None:
        found = read_memory(container.data, container.pointer, container.describe(), container.name)
        if container.patch is not None:
            found = _patched(found, container.patch)
        memo[_MEMORY_MEMO] = found
    return found


def _patched(base: MemorySettings, patch: ContainerView) -> MemorySettings:
    """A main container's memory with the `spec.containers` entry of its name applied as
    prometheus-operator applies it (`k8s.MergePatchContainers`: a strategic merge patch of
    the typed container, where `limits` and `requests` are maps merged key by key): a
    memory value the entry sets (null decodes to 0 and is sent as "0") replaces the one
    built from `spec.resources`; one it leaves out keeps it."""
    over = read_memory(patch.data, patch.pointer, base.what, base.container)
    limit, request, patched = base.limit, base.request, []
    if over.limit is not None:
        limit = over.limit
        patched.append(("limits", patch.pointer))
    if over.request is not None:
        request = over.request
        patched.append(("requests", patch.pointer))
    return dataclasses.replace(
        base,
        limit=limit,
        request=request,
        shape_problems=base.shape_problems + over.shape_problems,
        patched=tuple(patched),
    )


def pod_memory(pod: PodSpecView) -> MemorySettings:
    found: MemorySettings | None = pod.memo.get(_MEMORY_MEMO)
    if found is None:
        owner = pod.spec if pod.pod_level else {}  # a container spec has no pod level
        found = read_memory(owner, pod.pointer, "pod-level resources", None)
        pod.memo[_MEMORY_MEMO] = found
    return found


def all_memory(pod: PodSpecView) -> Iterator[MemorySettings]:
    """Every place a memory request or limit may be set: containers (regular, init,
    sidecar) and pod-level resources. Ephemeral containers may not set resources at all."""
    for container in pod.containers:
        yield container_memory(container)
    yield pod_memory(pod)


@dataclass(frozen=True)
class RequestAndLimit:
    """A memory request and limit set side by side, both valid: ready to compare.
    `requested` and `limited` are the stored values (rounded up to 1m), which is what the
    API server compares; `request.shown`/`limit.shown` are the values as written."""

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
        requested, limited = request.stored, limit.stored
        if requested is not None and limited is not None:
            yield RequestAndLimit(memory, request, limit, requested, limited)


# --- pod-level resources -------------------------------------------------------------------


class UnreadableResources(ValueError):
    """A container's resources cannot be read: memory-quantity-invalid reports why."""


def effective_request(memory: MemorySettings) -> MemoryValue | None:
    """The container's memory request once a Pod is created: pkg/apis/core/v1/defaults.go
    `SetDefaults_Pod` copies a limit into a request that is missing (not one that is 0 or
    null). Pods made from a template go through the same defaulting when created."""
    return memory.request if memory.request is not None else memory.limit


def _add(total: Quantity | None, value: Quantity | None) -> Quantity | None:
    """component-helpers resource/helpers.go `addResourceList` on the memory key: the first
    value is copied (with its cached text); `Quantity.Add` drops the text and takes the
    addend's format when the running total is zero."""
    if value is None:
        return total
    if total is None:
        return value
    fmt = value.format if total.value == 0 else total.format
    return Quantity(total.value + value.value, fmt, "")


def _max(current: Quantity | None, value: Quantity | None) -> Quantity | None:
    """helpers.go `maxResourceList`: the larger value is copied; a tie keeps the current."""
    if value is None:
        return current
    if current is None or value.value > current.value:
        return value
    return current


@dataclass(frozen=True)
class MemoryAggregate:
    """What helpers.go `aggregateContainerResourcesByFn` computes for memory, with what it
    passes through on the way: `request` is its result; `sidecars_before` gives each run-to-
    completion init container (by pointer) the sum of the requests of the sidecars declared
    before it, which run beside it (`restartableInitContainerResources` at that point)."""

    request: Quantity | None
    sidecars_before: Mapping[str, Quantity | None]


def aggregate_memory(pod: PodSpecView, *, stored: bool = True) -> MemoryAggregate:
    """The pod's aggregate container memory request, as component-helpers
    resource/helpers.go `AggregateContainerRequests(pod, PodResourcesOptions{})` computes it
    (`aggregateContainerResourcesByFn` with `containerSpecRequests`): the maximum of
    sum(regular) + sum(sidecars) and, over the init containers i, init_i + sum(sidecars
    declared before i), over the requests left after SetDefaults_Pod (`effective_request`).

    `stored` picks the values rounded up to 1m (what validation sees) or as decoded (what
    SetDefaults_Pod sees: it runs before the resource lists are rounded). `request` is None
    when no container has a memory request (Go's map has no memory key); raises
    `UnreadableResources` when a value or a `resources` field cannot be read.
    """
    total: Quantity | None = None
    sidecars: Quantity | None = None
    init_peak: Quantity | None = None
    before: dict[str, Quantity | None] = {}
    regular = [c for c in pod.containers if c.field == "containers"]
    init = [c for c in pod.containers if c.field != "containers"]
    for container in regular:
        total = _add(total, _request_of(container, stored))
    for container in init:
        value = _request_of(container, stored)
        if container.is_sidecar:
            total = _add(total, value)
            sidecars = _add(sidecars, value)
            running = sidecars  # a sidecar keeps running: the ones before it, and itself
        else:
            before[container.pointer] = sidecars
            running = _add(value, sidecars)  # this init container and the sidecars before it
        init_peak = _max(init_peak, running)
    return MemoryAggregate(_max(total, init_peak), before)


def aggregate_memory_requests(pod: PodSpecView, *, stored: bool = True) -> Quantity | None:
    """`aggregate_memory(pod).request`: what pod-level requests are checked against."""
    return aggregate_memory(pod, stored=stored).request


def _request_of(container: ContainerView, stored: bool) -> Quantity | None:
    memory = container_memory(container)
    if memory.shape_problems:
        raise UnreadableResources(container.describe())
    value = effective_request(memory)
    if value is None:
        return None
    if not value.valid:
        raise UnreadableResources(container.describe())
    return value.stored if stored else value.quantity


# --- the pod's memory cgroup ----------------------------------------------------------------


def pod_cgroup_memory_limit(pod: PodSpecView, pod_level: MemorySettings) -> Quantity | None:
    """The memory limit the kubelet puts on the pod's cgroup, None when it sets none:
    pkg/kubelet/cm/helpers_linux.go `ResourceConfigForPod` (Kubernetes 1.32 to 1.35).

    Its value is component-helpers resource/helpers.go `PodLimits` for memory: the
    pod-level limit (`pod_level`: pass `Context.pod_memory`, empty where the PodLevelResources
    gate is off) where one is set, else the aggregate of the containers' limits, computed as
    `aggregate_memory` computes requests. It is set only when the limits are declared: a
    non-zero pod-level limit, or every value `PodLimits` hands its `ContainerFn` non-zero
    (each regular container's limit; for each init container, its limit plus those of the
    sidecars declared before it; for a sidecar, the sidecars' running sum). A Guaranteed pod
    always declares them, a BestEffort pod never. A limit of 0 sets none either (the kubelet
    reads `> 0`: `MemoryLimitsFromConfig`, emptydir `calculateEmptyDirMemorySize`). Pod
    overhead (RuntimeClass) only adds to a non-zero limit and is not seen here. Raises
    `UnreadableResources` where a memory value cannot be read.
    """
    declared = True
    total: Quantity | None = None
    sidecars: Quantity | None = None
    init_peak: Quantity | None = None
    for container in pod.containers:
        value = _limit_of(container)
        if container.field == "containers":
            total = _add(total, value)
            running = value
        elif container.is_sidecar:
            total = _add(total, value)
            sidecars = _add(sidecars, value)
            running = sidecars
            init_peak = _max(init_peak, running)
        else:
            running = _add(value, sidecars)
            init_peak = _max(init_peak, running)
        if running is None or running.value == 0:
            declared = False  # the ContainerFn's `res.Memory().IsZero()`
    limit = _max(total, init_peak)
    pod_limit = pod_level.limit
    if pod_limit is not None:
        if not pod_limit.readable:
            raise UnreadableResources(pod_level.what)
        limit = pod_limit.stored  # applyPodLevelResources replaces the aggregate
        declared = declared or (limit is not None and limit.value > 0)
    if not declared or limit is None or limit.value <= 0:
        return None
    return limit


def _limit_of(container: ContainerView) -> Quantity | None:
    memory = container_memory(container)
    if memory.shape_problems:
        raise UnreadableResources(container.describe())
    if memory.limit is None:
        return None
    if not memory.limit.readable:
        raise UnreadableResources(container.describe())
    return memory.limit.stored
