"""How the kubelet bounds a pod's local storage: emptyDir volumes and ephemeral-storage limits.

Ports, each named where it is used:

* pkg/kubelet/eviction/eviction_manager.go `localStorageEviction`: a pod is evicted (grace
  period 0) when an emptyDir volume uses more than its `sizeLimit` (`emptyDirLimitEviction`,
  only a `sizeLimit` with `Sign() == 1`: 0 limits nothing), when the pod's whole local
  usage (containers' writable layers and logs, disk-backed emptyDirs) passes its
  ephemeral-storage limit (`podEphemeralStorageLimitEviction`: `PodLimits` has the key as
  soon as one container, regular, init or sidecar, sets one), or when a regular container
  passes its own (`containerEphemeralStorageLimitEviction`: `pod.Spec.Containers` only, a
  limit whose `Value()` is not 0). Under DiskPressure, with none of these, the pods using
  most above their ephemeral-storage request go first (`rankDiskPressureFunc`).
* pkg/volume/emptydir/empty_dir.go `calculateEmptyDirMemorySize`: the size of the tmpfs of
  a `medium: Memory` emptyDir (`tmpfs_size`).

The LocalStorageCapacityIsolation gate these rest on is GA and locked on since 1.25, and
SizeMemoryBackedVolumes GA since 1.32 and removed in 1.35: neither is a gate of ours.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .. import pointer as jp
from .podspec import ContainerView, PodSpecView
from .quantity import Quantity, QuantityError, parse_manifest_quantity, round_up_to_milli

EPHEMERAL_STORAGE = "ephemeral-storage"
DISK = "disk"  # medium "" (StorageMediumDefault): the node's disk
MEMORY = "memory"  # medium "Memory": a tmpfs, its pages charged to the pod's memory cgroup
# v1.StorageMedium -> what backs the volume. HugePages media are bounded by the pod's
# hugepages requests; an unknown medium fails at mount (`unknown storage medium`).
MEDIA: Mapping[str, str] = {"": DISK, "Memory": MEMORY}


@dataclass(frozen=True)
class EmptyDir:
    """One `emptyDir` volume of a pod spec, its `sizeLimit` decoded as the API server does."""

    name: str
    pointer: str  # of the `emptyDir` field
    backing: str  # DISK or MEMORY
    size_limit: Quantity | None  # absent and null (a nil *Quantity) alike: None

    @property
    def size_pointer(self) -> str:
        return jp.child(self.pointer, "sizeLimit")

    @property
    def limited(self) -> bool:
        """A `sizeLimit` the kubelet applies: above 0 (`size.Sign() == 1`)."""
        return self.size_limit is not None and self.size_limit.value > 0

    def describe(self) -> str:
        medium = "memory-backed emptyDir" if self.backing == MEMORY else "emptyDir"
        return f'{medium} volume "{self.name}"'


def empty_dirs(pod: PodSpecView) -> Iterator[EmptyDir]:
    """The pod's emptyDir volumes backed by disk or memory. Volumes the API server would
    refuse (a sizeLimit that is no quantity or negative, a medium that is not a string)
    are left out: no pod is ever made from them."""
    volumes = pod.spec.get("volumes")
    if not isinstance(volumes, list):
        return
    for index, volume in enumerate(volumes):
        if not isinstance(volume, Mapping) or not isinstance(volume.get("emptyDir"), Mapping):
            continue
        source = volume["emptyDir"]
        medium = source.get("medium", "")
        backing = MEDIA.get(medium) if isinstance(medium, str) else None
        if backing is None:
            continue
        raw = source.get("sizeLimit")
        try:
            size = None if raw is None else parse_manifest_quantity(raw)
        except QuantityError:
            continue
        if size is not None and size.value < 0:
            continue  # ValidateVolumes refuses a negative sizeLimit
        name = volume.get("name")
        pointer = jp.child(pod.pointer, "volumes", index, "emptyDir")
        yield EmptyDir(name if isinstance(name, str) else f"#{index}", pointer, backing, size)


def _limits(container: ContainerView) -> Mapping[str, Any]:
    resources = container.data.get("resources")
    limits = resources.get("limits") if isinstance(resources, Mapping) else None
    return limits if isinstance(limits, Mapping) else {}


def pod_has_ephemeral_limit(pod: PodSpecView) -> bool:
    """`PodLimits(pod)` has an ephemeral-storage key: some container (regular, init or
    sidecar) sets the limit, so `podEphemeralStorageLimitEviction` bounds the pod's whole
    local usage, emptyDirs on disk and every container's writable layer and logs included.
    (Pod-level `spec.resources` takes cpu, memory and hugepages only.)"""
    return any(EPHEMERAL_STORAGE in _limits(container) for container in pod.containers)


@dataclass(frozen=True)
class EphemeralLimit:
    """One container's `limits.ephemeral-storage` as the API server stores it (null decodes
    to 0, every value is rounded up to 1m by SetDefaults_ResourceList)."""

    container: ContainerView
    value: Quantity
    shown: str  # as written, for messages


class UnreadableLimit(ValueError):
    """A limit the API server refuses (no quantity, negative): no pod is made from it."""


def _ephemeral_limit(container: ContainerView) -> EphemeralLimit | None:
    limits = _limits(container)
    if EPHEMERAL_STORAGE not in limits:
        return None
    raw = limits[EPHEMERAL_STORAGE]
    try:
        value = parse_manifest_quantity(0 if raw is None else raw)
    except QuantityError as exc:
        raise UnreadableLimit(container.describe()) from exc
    if value.value < 0:
        raise UnreadableLimit(container.describe())
    shown = "null (read as 0)" if raw is None else raw if isinstance(raw, str) else value.text
    return EphemeralLimit(container, round_up_to_milli(value), shown)


def ephemeral_limits(pod: PodSpecView) -> list[EphemeralLimit]:
    """Every container's ephemeral-storage limit, in the pod's order. Raises
    `UnreadableLimit` when one cannot be read."""
    found = (_ephemeral_limit(container) for container in pod.containers)
    return [limit for limit in found if limit is not None]


def pod_ephemeral_limit(pod: PodSpecView) -> Fraction | None:
    """component-helpers resource/helpers.go `PodLimits` on the ephemeral-storage key, the
    total `podEphemeralStorageLimitEviction` compares the pod's usage with: the larger of
    the regular and sidecar containers' limits together and, for each init container, its
    limit plus those of the sidecars declared before it (`aggregateContainerResourcesByFn`;
    containers without the key add nothing). None when no container sets one (the map has
    no key, and the pod's total is not checked). Pod-level `spec.resources` may not name
    ephemeral-storage, and RuntimeClass overhead adds only to keys already there (none
    sets ephemeral-storage in practice). Raises `UnreadableLimit`."""
    by_pointer = {limit.container.pointer: limit.value.value for limit in ephemeral_limits(pod)}
    if not by_pointer:
        return None
    total = Fraction(0)
    sidecars = Fraction(0)
    init_peak = Fraction(0)
    for container in pod.containers:
        value = by_pointer.get(container.pointer, Fraction(0))
        if container.field == "containers":
            total += value
        elif container.is_sidecar:
            total += value
            sidecars += value
            init_peak = max(init_peak, sidecars)
        else:
            init_peak = max(init_peak, value + sidecars)
    return max(total, init_peak)


def ephemeral_limit_pointer(container: ContainerView) -> str:
    return jp.child(container.pointer, "resources", "limits", EPHEMERAL_STORAGE)


def tmpfs_size(volume: EmptyDir, pod_memory_limit: Quantity | None) -> Quantity | None:
    """empty_dir.go `calculateEmptyDirMemorySize` without the node: the size starts at the
    node's allocatable memory (None here); the pod's memory cgroup limit replaces it when
    above 0 (and not above allocatable), then the volume's `sizeLimit` when above 0 and not
    above that. None: the tmpfs may take all the memory the node gives its pods."""
    size = pod_memory_limit if pod_memory_limit is not None and pod_memory_limit.value > 0 else None
    limit = volume.size_limit if volume.limited else None
    if limit is not None and (size is None or limit.value <= size.value):
        size = limit  # "ensure 0 < value < size": Cmp(*sizeLimit) < 1
    return size
