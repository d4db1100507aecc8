"""emptydir-size-limit-missing: a disk-backed emptyDir that can fill the node's disk.

Follows pkg/kubelet/eviction/eviction_manager.go: `emptyDirLimitEviction` evicts a pod
whose emptyDir uses more than a `sizeLimit` above 0, `podEphemeralStorageLimitEviction` one
whose local usage (disk-backed emptyDirs included) passes the ephemeral-storage limit its
containers declare. With neither, nothing bounds the volume but the node's disk
(k8s/local_storage.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.local_storage import DISK, empty_dirs, pod_has_ephemeral_limit
from ..model import Mode, Violation
from .base import Context, Rule
from .critical_disk import unevicted_remedy


def check(ctx: Context) -> Iterator[Violation]:
    if pod_has_ephemeral_limit(ctx.pod):
        return  # the pod's ephemeral-storage limit counts its emptyDirs on disk too
    remedy = unevicted_remedy(ctx) or "set emptyDir.sizeLimit to what the volume needs"
    for volume in empty_dirs(ctx.pod):
        if volume.backing != DISK or volume.limited:
            continue
        state = "no sizeLimit" if volume.size_limit is None else "a sizeLimit of 0 (no limit)"
        yield Violation(
            pointer=volume.size_pointer,
            message=f"{ctx.ref.describe()}: {volume.describe()} has {state} and no container "
            "sets an ephemeral-storage limit: it can fill the node's disk, and the kubelet then "
            f"evicts pods for disk pressure; {remedy}",
        )


RULE = Rule(
    id="emptydir-size-limit-missing",
    summary="Every emptyDir volume on disk has a sizeLimit above 0, or a container of the pod "
    "sets an ephemeral-storage limit (which bounds the pod's emptyDirs too).",
    why="An emptyDir lives on the node's disk (the kubelet's root filesystem). Without a bound "
    "one pod writing to it can fill that disk: the kubelet reports DiskPressure and evicts "
    "pods, ranked by how far their disk usage is above their ephemeral-storage request, so "
    "every pod on the node is at risk, not only the one that wrote. With a sizeLimit the "
    "eviction manager evicts only the pod whose volume passed it (eviction_manager.go "
    "emptyDirLimitEviction); an ephemeral-storage limit on a container bounds the whole pod, "
    "its emptyDirs included (podEphemeralStorageLimitEviction). A sizeLimit of 0 limits "
    "nothing (only a positive size counts). On a critical pod (system-node-critical, "
    "system-cluster-critical, a mirror pod) neither bounds anything, since the kubelet never "
    "evicts one (evictPod refuses IsCriticalPod): the message then says what does.",
    remediation="Set emptyDir.sizeLimit to what the volume may hold (e.g. `sizeLimit: 1Gi`), "
    "or resources.limits.ephemeral-storage on the containers.",
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
        - {name: cache, mountPath: /cache}
  volumes:
    - name: cache
      emptyDir: {}   # no sizeLimit: may fill the node's disk
""",
    check=check,
    # audit, from the corpus (../shared/corpus, 974 pods): 223 findings on 120 objects, all
    # 232 disk emptyDirs there lack a sizeLimit (9 are bounded by an ephemeral-storage
    # limit). A sample of 10 was 10 true positives (nothing bounds the volume), but 9 hold
    # sockets, certificates or copied config (istio credential-socket/workload-socket/
    # istio-data, rook ceph-conf, cert-manager's bind config) and 1 could grow (argo-cd's
    # helm-plugin-tmp): warn would flag nearly every chart for a harm that is rare. Audit
    # shows them; the strict preset enforces it.
    default_mode=Mode.AUDIT,
)
