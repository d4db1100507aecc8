"""An object's namespace and name as `kubectl apply` sends them with the default context
(no `metadata.namespace`: namespace `default`), and which objects are core `v1` kinds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_NAMESPACE = "default"


def name_of(obj: Mapping[str, Any]) -> tuple[str, str]:
    """(namespace, name); a missing name is the empty string."""
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    namespace = metadata.get("namespace")
    name = metadata.get("name")
    namespace = namespace if isinstance(namespace, str) and namespace else DEFAULT_NAMESPACE
    return namespace, name if isinstance(name, str) else ""


def is_core(obj: Mapping[str, Any], kind: str) -> bool:
    return obj.get("apiVersion") == "v1" and obj.get("kind") == kind
