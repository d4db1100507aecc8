"""Where a volumeMount lands in its container, and what the volume behind it is.

Validation (pkg/apis/core/validation/validation.go, ValidateVolumeMounts) only requires a
non-empty `mountPath`, unique as written; it never cleans it, so `/etc/` and `/etc/.` are
accepted beside `/etc`. The kubelet (pkg/kubelet/kubelet_pods.go, makeMounts) makes a
relative path absolute with pkg/volume/util/util.go MakeAbsolutePath, which off Windows
is `filepath.Clean("/" + path)`, and hands an absolute one to the runtime as written,
where runc resolves it inside the root filesystem with securejoin.SecureJoin, which
cleans it too (libcontainer/rootfs_linux.go, mountToRootfs). Both land at
`Clean("/" + mountPath)`: `container_path`. (The runtime also follows the image's
symlinks, /var/run to /run; only the image shows those, so paths are compared as cleaned.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The fields that mount a part of the volume instead of its root. Their Go zero value, "",
# is the volume's root (kubelet makeMounts tests `mount.SubPath != ""`).
SUB_PATH_FIELDS = ("subPath", "subPathExpr")

# Volume types the kubelet always mounts read-only: their plugins report
# `GetAttributes().ReadOnly` true (pkg/volume/configmap, secret, downwardapi, projected),
# and makeMounts mounts such a volume read-only whatever the volumeMount says.
READ_ONLY_SOURCES = frozenset({"configMap", "secret", "downwardAPI", "projected"})


def clean(path: str) -> str:
    """Go's path.Clean, lexically: one slash between elements, no `.`, each `..` taking
    the element before it (none above the root), "/" for the root, "." for nothing."""
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part != "..":
            parts.append(part)
        elif parts and parts[-1] != "..":
            parts.pop()
        elif not rooted:
            parts.append("..")
    joined = "/".join(parts)
    return "/" + joined if rooted else joined or "."


def container_path(mount_path: str) -> str:
    """The directory a Linux container sees the volume at (the module docstring says why)."""
    return clean("/" + mount_path)


def mounts_volume_root(mount: Mapping[str, Any]) -> bool:
    """No subPath nor subPathExpr (absent or ""): the volume's root replaces the directory."""
    return not any(mount.get(name) for name in SUB_PATH_FIELDS)


def volume_source(volume: Mapping[str, Any]) -> str | None:
    """The volume's type, as its one source field names it (`configMap`, `emptyDir`)."""
    return next((key for key in volume if key != "name" and isinstance(key, str)), None)


def writable(mount: Mapping[str, Any], volume: Mapping[str, Any]) -> bool:
    """Whether the container can write into the volume through this mount."""
    return mount.get("readOnly") is not True and volume_source(volume) not in READ_ONLY_SOURCES


def host_path(volume: Mapping[str, Any]) -> str | None:
    """The node directory a hostPath volume mounts, cleaned (the kubelet's hostPath plugin
    mounts `hostPath.path` as given; the kernel resolves it like any path)."""
    source = volume.get("hostPath")
    path = source.get("path") if isinstance(source, Mapping) else None
    return clean(path) if isinstance(path, str) and path else None


# Where each volume type that writes named files takes their names (relative to the
# volume's root): pkg/volume/configmap and secret `MakePayload` (`items[].path`, else every
# key: the keys are in another object), downwardapi `CollectData` (`items[].path`),
# projected `collectData` (each source's own: configMap, secret and downwardAPI `items`,
# serviceAccountToken and clusterTrustBundle `path`).
_ITEMS_SOURCES = ("configMap", "secret", "downwardAPI")
_PATH_SOURCES = ("serviceAccountToken", "clusterTrustBundle")


def _item_paths(source: Any) -> set[str]:
    items = source.get("items") if isinstance(source, Mapping) else None
    return {
        clean(item["path"])
        for item in (items if isinstance(items, list) else ())
        if isinstance(item, Mapping) and isinstance(item.get("path"), str) and item["path"]
    }


def named_files(volume: Mapping[str, Any]) -> set[str]:
    """The file paths, cleaned, that the volume is known from the manifest to put under its
    root. A configMap or secret without `items` writes every key of an object the manifest
    does not show: none of its files is known."""
    found: set[str] = set()
    for name in _ITEMS_SOURCES:
        found |= _item_paths(volume.get(name))
    projected = volume.get("projected")
    sources = projected.get("sources") if isinstance(projected, Mapping) else None
    for source in sources if isinstance(sources, list) else ():
        if not isinstance(source, Mapping):
            continue
        for name in _ITEMS_SOURCES:
            found |= _item_paths(source.get(name))
        for name in _PATH_SOURCES:
            one = source.get(name)
            path = one.get("path") if isinstance(one, Mapping) else None
            if isinstance(path, str) and path:
                found.add(clean(path))
    return found
