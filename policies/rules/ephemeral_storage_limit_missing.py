"""ephemeral-storage-limit-missing: containers whose disk use nothing bounds.

Follows pkg/kubelet/eviction/eviction_manager.go `containerEphemeralStorageLimitEviction`
(a regular container's own limit) and `podEphemeralStorageLimitEviction` (the pod's total,
which exists once any container sets a limit): k8s/local_storage.py.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.local_storage import ephemeral_limit_pointer, pod_has_ephemeral_limit
from ..model import Mode, Violation
from .base import Context, Rule
from .critical_disk import unevicted_remedy


def check(ctx: Context) -> Iterator[Violation]:
    if pod_has_ephemeral_limit(ctx.pod):
        return  # the pod's total bounds every container's writable layer and logs
    remedy = unevicted_remedy(ctx) or "set resources.limits.ephemeral-storage"
    for container in ctx.pod.containers:
        if container.field != "containers":
            continue  # the kubelet enforces per-container limits on regular containers only
        yield Violation(
            pointer=ephemeral_limit_pointer(container),
            message=f"{ctx.ref.describe()}: {container.describe()} has no ephemeral-storage "
            "limit, nor does any container of the pod: its writable layer and logs may grow "
            "until the node's disk is under pressure, and the kubelet then evicts pods by "
            f"usage above their request; {remedy}",
            container=container.name,
            container_at=container.pointer,
        )


RULE = Rule(
    id="ephemeral-storage-limit-missing",
    summary="Some container of the pod sets resources.limits.ephemeral-storage; where none "
    "does, each regular container is reported.",
    why="A container's writable layer and logs, and the pod's emptyDirs on disk, use the "
    "node's disk. The kubelet evicts a pod whose container passes its own ephemeral-storage "
    "limit, or whose total passes the sum of its containers' limits (eviction_manager.go "
    "containerEphemeralStorageLimitEviction, podEphemeralStorageLimitEviction). With no "
    "limit at all nothing stops one pod until the node reports DiskPressure; the kubelet "
    "then evicts pods ranked by usage above their ephemeral-storage request, and image "
    "garbage collection and new pods on the node suffer meanwhile. On a critical pod "
    "(system-node-critical, system-cluster-critical, a mirror pod) a limit would bound "
    "nothing, since the kubelet never evicts one (evictPod refuses IsCriticalPod): the "
    "message then says what does.",
    remediation="Set resources.limits.ephemeral-storage (and requests.ephemeral-storage) on "
    "the containers, sized to their logs and scratch files (e.g. `ephemeral-storage: 1Gi`).",
    example="""\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx
      resources:
        limits:
          memory: 256Mi   # no ephemeral-storage limit
""",
    check=check,
    # off, from the corpus (../shared/corpus): 898 of 974 pods (92%) set no ephemeral-
    # storage limit in any container: 925 findings on 851 objects. A sample of 10 was 10
    # true positives by the definition (nothing bounds the container's disk use) and 0 where
    # the missing limit looked like the cause of a disk-pressure eviction (web servers,
    # proxies, databases on volumes, test pods). A guessed limit is harmful (a pod over it is
    # evicted at once, grace period 0), and the kubelet's DiskPressure ranking already goes
    # by usage over request: opt in where your nodes' disks are small.
    default_mode=Mode.OFF,
)
