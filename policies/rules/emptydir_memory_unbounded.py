"""emptydir-memory-unbounded: a tmpfs emptyDir that may take all the node's memory.

Follows pkg/volume/emptydir/empty_dir.go `calculateEmptyDirMemorySize` (k8s/local_storage.py
`tmpfs_size`) over pkg/kubelet/cm/helpers_linux.go `ResourceConfigForPod`
(k8s/memory.py `pod_cgroup_memory_limit`).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.local_storage import MEMORY, empty_dirs, tmpfs_size
from ..k8s.memory import UnreadableResources, pod_cgroup_memory_limit
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
            message=f"{ctx.ref.describe()}: {volume.describe()} has {state} and the pod no "
            "memory limit (not every container has one, nor the pod a pod-level one): the "
            "kubelet sizes its tmpfs to the node's allocatable memory, and what is written "
            "there is charged to the pod's memory; set emptyDir.sizeLimit",
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
    "pressure and get pods evicted or OOM-killed.",
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
