"""The remedy the disk rules give for a pod the kubelet never evicts: for such a pod a
sizeLimit or an ephemeral-storage limit bounds nothing, so suggesting one would mislead.
Shared by emptydir-size-limit-missing and ephemeral-storage-limit-missing."""

from __future__ import annotations

from ..k8s.critical import why_critical
from .base import Context


def unevicted_remedy(ctx: Context) -> str | None:
    """The remedy for a critical pod (k8s/critical.py), or None for any other pod."""
    reason = why_critical(ctx.obj, ctx.pod)
    if reason is None:
        return None
    return (
        f"but {reason} makes the pod critical, and the kubelet never evicts a critical pod "
        "(eviction_manager.go evictPod refuses IsCriticalPod), so neither a sizeLimit nor an "
        "ephemeral-storage limit would stop it, and disk pressure evicts its neighbours "
        "instead: bound what it writes (log rotation, cleanup), or give it a volume whose "
        "size is enforced where it is written (a PersistentVolumeClaim or generic ephemeral "
        "volume of a driver that enforces capacity; for small files a medium: Memory "
        "emptyDir with a sizeLimit, which sizes its tmpfs)"
    )
