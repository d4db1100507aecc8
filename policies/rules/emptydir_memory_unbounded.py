"""emptydir-memory-unbounded: a tmpfs emptyDir that may take all the node's memory.

Follows pkg/volume/emptydir/empty_dir.go `calculateEmptyDirMemorySize` (k8s/local_storage.py
`tmpfs_size`) over pkg/kubelet/cm/helpers_linux.go `ResourceConfigForPod`
(k8s/memory.py `pod_cgroup_memory_limit`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..k8s.local_storage import MEMORY, EmptyDir, empty_dirs, tmpfs_size
from ..k8s.memory import UnreadableResources, container_memory, pod_cgroup_memory_limit
from ..k8s.mounts import writable
from ..k8s.podspec import ContainerView
from ..model import Mode, Violation
from .base import Context, Rule


def check(ctx: Context) -> Iterator[Violation]:
    volumes = [v for v in empty_dirs(ctx.pod) if v.backing == MEMORY]
    if not volumes:
        return
    try:
        pod_limit = pod_cgroup_memory_limit(ctx.pod, ctx.pod_memory)
    except UnreadableResources:
        return  # memory-quantity-invalid says why first
    for volume in volumes:
        if tmpfs_size(volume, pod_limit) is not None:
            continue
        state = "no sizeLimit" if volume.size_limit is None else "a sizeLimit of 0 (no limit)"
        yield Violation(
            pointer=volume.size_pointer,
            message=f"{ctx.ref.describe()}: {volume.describe()} has {state} and {_why(ctx, volume)}"
            "; set emptyDir.sizeLimit",
        )


def _limited(container: ContainerView) -> bool:
    limit = container_memory(container).limit
    return limit is not None and limit.positive


def _writers(ctx: Context, volume: EmptyDir) -> list[ContainerView]:
    """The containers (ephemeral ones too) that mount the volume writable."""
    source = {"emptyDir": {}}
    return [
        container
        for container in (*ctx.pod.containers, *ctx.pod.ephemeral)
        if any(
            isinstance(mount, Mapping)
            and mount.get("name") == volume.name
            and writable(mount, source)
            for mount in _mounts(container)
        )
    ]


def _mounts(container: ContainerView) -> list[Any]:
    mounts = container.data.get("volumeMounts")
    return mounts if isinstance(mounts, list) else []


def _why(ctx: Context, volume: EmptyDir) -> str:
    """What leaves the tmpfs unbounded. Where every container writing to it has a memory
    limit, the writes are charged to the writer's cgroup (it is OOM-killed near its limit),
    but the pages outlive a writer's restart: the kernel moves a removed cgroup's page
    cache charges to its parent, the pod's cgroup, which has no limit here. So the volume
    can grow by about a limit per restart: a limited writer alone does not bound it."""
    writers = _writers(ctx, volume)
    unlimited = [c.describe() for c in ctx.pod.containers if not _limited(c)]
    if not writers or not unlimited or not all(_limited(c) for c in writers):
        return (
            "the pod no memory limit (not every container has one, nor the pod a pod-level "
            "one): the kubelet sizes its tmpfs to the node's allocatable memory, and what is "
            "written there is charged to the pod's memory"
        )
    names = ", ".join(c.describe() for c in writers)
    return (
        f"the pod's cgroup has no memory limit ({', '.join(unlimited)} without one): "
        f"what {names} (with a memory limit) writes there is charged to the writer, which is "
        "OOM-killed near its limit, but the tmpfs is sized to the node's allocatable memory "
        "and its pages stay, charged to the pod's cgroup, when the writer restarts: the "
        "volume can grow by about a limit per restart until the node runs out of memory"
    )


RULE = Rule(
    id="emptydir-memory-unbounded",
    summary="Every `medium: Memory` emptyDir is bounded: a sizeLimit above 0, or a pod memory "
    "limit (a pod-level limit, or a limit on every container).",
    why="A memory-backed emptyDir is a tmpfs: its files are pages in RAM, charged to the memory "
    "cgroup of the container that writes them, so they count toward its OOM kill and the "
    "pod's memory usage. The kubelet sizes the tmpfs (empty_dir.go "
    "calculateEmptyDirMemorySize) at the node's allocatable memory, lowered to the pod's "
    "memory cgroup limit when the pod has one, then to sizeLimit when that is above 0 and "
    "smaller. The pod's cgroup has a limit (helpers_linux.go ResourceConfigForPod) when the "
    "pod sets a pod-level memory limit, or when every container has a memory limit (for an "
    "init container, its limit plus the sidecars' declared before it): then the tmpfs is "
    "bounded by it. Otherwise, with no sizeLimit, nothing bounds it but the node: files "
    "written there are never reclaimed while the pod runs, push the node into memory "
    "pressure and get pods evicted or OOM-killed. A memory limit on the containers that "
    "write to it is not enough while another container has none: each write is charged to "
    "the writer, but when the writer is OOM-killed and restarts its pages stay in the tmpfs, "
    "charged to the pod's cgroup, which has no limit, so the volume grows restart by "
    "restart.",
    remediation="Set emptyDir.sizeLimit (e.g. `sizeLimit: 256Mi`) and count it in the memory "
    "limit of the containers that write to it.",
    example="""\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx
      volumeMounts:
        - {name: shm, mountPath: /dev/shm}
  volumes:
    - name: shm
      emptyDir:
        medium: Memory   # no sizeLimit, no memory limit: as large as the node's memory
""",
    check=check,
    # warn, from the corpus (../shared/corpus): 47 findings on 43 objects, of 101 memory
    # emptyDirs (3 with a sizeLimit, 51 bounded by the pod's memory limit). A sample of 10:
    # 10 true positives: 3 `dshm` /dev/shm volumes of GPU/TPU inference servers (vLLM,
    # maxdiffusion: shared memory that grows with the model, in RAM no limit bounds) and 7
    # istio proxy volumes (istio-envoy, go-proxy-envoy, local-certs: small files, but in
    # RAM that nothing bounds). RAM is the scarcer resource and the fix is one line:
    # warn; the strict preset enforces it.
    default_mode=Mode.WARN,
)
