"""ephemeral-storage-limit-zero: a pod whose ephemeral-storage limits total 0 is evicted
as soon as it runs.

Follows pkg/kubelet/eviction/eviction_manager.go `podEphemeralStorageLimitEviction`: it
asks only whether `PodLimits` has the ephemeral-storage key (`_, found :=
podLimits[v1.ResourceEphemeralStorage]`) and evicts, grace period 0, when the pod's usage
is above the total (`Cmp(limit) > 0`). Unlike `containerEphemeralStorageLimitEviction`,
which skips a container's limit of 0, a total of 0 is a threshold. The usage is never 0
for a running pod: pkg/kubelet/stats/helper.go `calcEphemeralStorage` sums the containers'
writable layers and logs, the pod's volumes on disk, its log directory and the etc-hosts
file the kubelet writes for every pod. Critical pods are left out: `evictPod` refuses them
(k8s/critical.py), so their limits do nothing at all.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.critical import why_critical
from ..k8s.local_storage import (
    UnreadableLimit,
    ephemeral_limit_pointer,
    ephemeral_limits,
    pod_ephemeral_limit,
)
from ..model import Mode, Violation
from .base import Context, Rule


def check(ctx: Context) -> Iterator[Violation]:
    try:
        total = pod_ephemeral_limit(ctx.pod)
        limits = ephemeral_limits(ctx.pod)
    except UnreadableLimit:
        return  # the API server refuses the pod: no pod is ever evicted
    # Usage is counted in whole bytes and is at least the etc-hosts file: a total below one
    # byte (0, null, a fraction such as 500m) is passed at once.
    if total is None or total >= 1 or why_critical(ctx.obj, ctx.pod) is not None:
        return
    first = limits[0]
    written = ", ".join(f"{limit.container.describe()} {limit.shown}" for limit in limits)
    yield Violation(
        pointer=ephemeral_limit_pointer(first.container),
        message=f"{ctx.ref.describe()}: the pod's ephemeral-storage limits total "
        f"{'0' if total == 0 else f'{float(total):g} bytes'} ({written}): the kubelet "
        "evicts it at its next eviction check, with no grace period, because its usage (its "
        "own etc-hosts file, logs and writable layers count) is above that total, and its "
        "controller recreates it to be evicted again; set resources.limits.ephemeral-storage "
        "to what the containers write (e.g. 1Gi), or remove it",
        container=first.container.name,
        container_at=first.container.pointer,
    )


RULE = Rule(
    id="ephemeral-storage-limit-zero",
    summary="The containers' ephemeral-storage limits, where any is set, total more than 0.",
    why="The kubelet's eviction manager evicts a pod, with grace period 0, whose local "
    "storage usage is above the total of its containers' ephemeral-storage limits "
    "(eviction_manager.go podEphemeralStorageLimitEviction, the total from component-helpers "
    "PodLimits: the regular and sidecar containers' limits added, or an init container's "
    "plus the sidecars' before it if larger). It asks only whether some container sets the "
    "key, so a total of 0 is a threshold, not the absence of one (a single container's 0 is "
    "skipped by containerEphemeralStorageLimitEviction, the pod's total is not). The usage "
    "is never 0: the kubelet counts the containers' writable layers and logs, the pod's "
    "disk-backed volumes and the pod's etc-hosts file, which it writes itself "
    "(pkg/kubelet/stats/helper.go calcEphemeralStorage). So the pod is evicted at the first "
    "check after it starts, recreated by its controller and evicted again: there is no use "
    "for such a limit. Critical pods (system-node-critical, system-cluster-critical, mirror "
    "pods) are not reported: the kubelet never evicts them.",
    remediation="Set resources.limits.ephemeral-storage to what the containers write (e.g. "
    "`ephemeral-storage: 1Gi`), or remove the limit of 0.",
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
          ephemeral-storage: 0   # evicted as soon as it runs
""",
    check=check,
    # enforce: the pod can never stay up, whatever it runs (its own etc-hosts file passes a
    # total of 0), so no manifest means it. Corpus (../shared/corpus): see the commit.
    default_mode=Mode.ENFORCE,
)
