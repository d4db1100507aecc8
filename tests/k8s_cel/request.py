"""Admission requests and namespace objects as the API server hands them to policies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# kind -> resource for the kinds evictguard checks (the API server's RESTMapper knows all).
RESOURCES = {
    "Pod": "pods",
    "PodTemplate": "podtemplates",
    "ReplicationController": "replicationcontrollers",
    "Deployment": "deployments",
    "StatefulSet": "statefulsets",
    "DaemonSet": "daemonsets",
    "ReplicaSet": "replicasets",
    "Job": "jobs",
    "CronJob": "cronjobs",
    "PodDisruptionBudget": "poddisruptionbudgets",
    "Namespace": "namespaces",
}


def _group_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


def admission_request(
    object: Mapping[str, Any] | None,
    old_object: Mapping[str, Any] | None = None,
    operation: str = "CREATE",
    username: str = "alice",
    namespace: str | None = None,
    sub_resource: str = "",
) -> dict[str, Any]:
    """An AdmissionRequest-like mapping (k8s.io/api/admission/v1 ``AdmissionRequest``) for
    ``object`` (or ``old_object`` on DELETE): kind and resource from its apiVersion/kind,
    name and namespace from its metadata unless ``namespace`` is given."""
    source = object if object is not None else old_object
    if source is None:
        raise ValueError("an admission request needs object or old_object")
    group, version = _group_version(str(source.get("apiVersion", "")))
    kind = str(source.get("kind", ""))
    metadata = source.get("metadata") or {}
    if namespace is None:
        # The API server sets a Namespace's own name as the request's namespace (rules.go).
        is_namespace = kind == "Namespace" and not group
        namespace = metadata.get("name" if is_namespace else "namespace", "")
    return {
        "uid": "",
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": RESOURCES[kind]},
        "subResource": sub_resource,
        "name": metadata.get("name", ""),
        "namespace": namespace,
        "operation": operation,
        "userInfo": {"username": username, "groups": ["system:authenticated"]},
        "object": None if object is None else dict(object),
        "oldObject": None if old_object is None else dict(old_object),
        "dryRun": False,
    }


def namespace_object(name: str, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A Namespace with the ``kubernetes.io/metadata.name`` label the API server always sets
    (pkg/registry/core/namespace/strategy.go ``PrepareForCreate``/``PrepareForUpdate``)."""
    all_labels = {**(labels or {}), "kubernetes.io/metadata.name": name}
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": all_labels},
    }


# admission/plugin/cel/condition.go CreateNamespaceObject: the metadata fields it copies.
_NAMESPACE_METADATA = (
    "name",
    "generateName",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "finalizers",
)


def cel_namespace_object(namespace: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """condition.go ``CreateNamespaceObject``: spec, status and some metadata, no TypeMeta."""
    if namespace is None:
        return None
    metadata = namespace.get("metadata") or {}
    result: dict[str, Any] = {
        "metadata": {k: metadata[k] for k in _NAMESPACE_METADATA if k in metadata},
    }
    for field in ("spec", "status"):
        if field in namespace:
            result[field] = namespace[field]
    return result


def cel_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """condition.go ``CreateAdmissionRequest`` as unstructured JSON: no object/oldObject (it
    leaves them unset), no uid, kind/resource doubled as requestKind/requestResource, empty
    omitempty fields left out. ``options`` is not modelled."""
    user = request.get("userInfo") or {}
    result: dict[str, Any] = {
        "uid": "",
        "kind": dict(request["kind"]),
        "resource": dict(request["resource"]),
        "requestKind": dict(request["kind"]),
        "requestResource": dict(request["resource"]),
        "operation": request["operation"],
        "userInfo": {k: user[k] for k in ("username", "uid", "groups", "extra") if user.get(k)},
        "dryRun": bool(request.get("dryRun", False)),
    }
    for key, value in (
        ("subResource", request.get("subResource", "")),
        ("requestSubResource", request.get("subResource", "")),
        ("name", request.get("name", "")),
        ("namespace", request.get("namespace", "")),
    ):
        if value:
            result[key] = value
    return result
