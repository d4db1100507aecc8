"""An object as the API server hands it to validating admission, for the parity tests of
the exported policies (tests/test_export_parity.py): both doors, the webhook and the
ValidatingAdmissionPolicies, then judge the very same object.

What happens before validating admission, in the API server's order, as far as the rules
can tell: decoding (an object that does not decode, or that validation refuses, never
reaches admission: `None` and why), API defaulting of a Pod (`SetDefaults_Pod`: a container
limit with no request key is copied into requests; the pod-level memory request), the
DefaultTolerationSeconds plugin (Pods), quantities in canonical form (`Quantity.String()`:
the object is encoded from its decoded form), and the request's namespace (`default` where
the manifest names none, as `kubectl apply` does).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from evictguard import pointer as jp
from evictguard.k8s.admission.decoding import decodable, resource_quantity
from evictguard.k8s.admission.defaults import pod_memory_request_default
from evictguard.k8s.admission.defaulttolerationseconds import default_tolerations
from evictguard.k8s.features import COMPARISON_GATE, POD_LEVEL_GATE
from evictguard.k8s.pdb_validation import refusal
from evictguard.k8s.podspec import api_group, extract_pod_specs
from evictguard.k8s.quantity import QuantityError, round_up_to_milli
from evictguard.k8s.toleration_validation import validate_toleration
from evictguard.policy.model import Policy
from evictguard.webhook import admission
from evictguard.yaml.loader import load_text

SECTIONS = ("limits", "requests")
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DAEMONSET_CONTROLLER = "system:serviceaccount:kube-system:daemon-set-controller"


def documents(path: Path) -> Iterator[Mapping[str, Any]]:
    """The objects of a YAML file (mappings only)."""
    for item in load_text(path.read_text("utf-8"), str(path)).objects:
        if isinstance(item.obj, Mapping):
            yield item.obj


def username_for(obj: Mapping[str, Any]) -> str:
    """Who sends the request: the DaemonSet controller for a Pod that names a DaemonSet as
    its controller (only its word is believed at admission), anyone else otherwise."""
    owners = (obj.get("metadata") or {}).get("ownerReferences") or []
    daemon = any(
        isinstance(o, Mapping) and o.get("kind") == "DaemonSet" and o.get("controller") is True
        for o in owners
    )
    return DAEMONSET_CONTROLLER if obj.get("kind") == "Pod" and daemon else "alice"


def as_admission_sees(obj: Mapping[str, Any], policy: Policy) -> tuple[dict | None, str]:
    """(the object admission sees, "") or (None, why the API server refuses it first)."""
    out = copy.deepcopy(dict(obj))
    metadata = out.setdefault("metadata", {})
    if not isinstance(metadata, dict):
        return None, "metadata is not an object"
    metadata.setdefault("namespace", "default")
    if out.get("kind") == "PodDisruptionBudget":
        spec = out.get("spec")
        why = refusal(spec) if isinstance(spec, Mapping) else "spec is not an object"
        return (None, why) if why else (out, "")
    pods, problems = extract_pod_specs(out)
    if not pods:
        return out, ""
    comparison = policy.feature(COMPARISON_GATE)
    for pod in pods:
        if not decodable(pod, problems):
            return None, "does not decode"
        for view in pod.tolerations:
            if view.toleration is None or view.problems:
                return None, f"{view.describe()} does not decode"
            if validate_toleration(view.toleration, view.field_path(), comparison):
                return None, f"{view.describe()} is refused by ValidateTolerations"
    pod = pods[0]
    if pod.is_pod:
        _default_requests(pod.spec)
        default = pod_memory_request_default(pod, policy.feature(POD_LEVEL_GATE))
        if default is not None:
            pointer, value, _ = default
            _set(out, pointer, value)
        existing = [view.toleration for view in pod.tolerations if view.toleration]
        added = default_tolerations(existing)
        if added:
            pod.spec.setdefault("tolerations", [])
            pod.spec["tolerations"] += [t.as_dict() for t in added]
    try:
        _canonical_quantities(pod.spec)
    except QuantityError as error:  # an emptyDir sizeLimit that does not decode
        return None, str(error)
    out = _without_nulls(out)
    _omit_empty_toleration_fields(out, pod.pointer)
    return out, ""


def _omit_empty_toleration_fields(obj: dict[str, Any], spec_pointer: str) -> None:
    """A toleration's string fields are `omitempty`: the API server encodes `""` as absent."""
    node: Any = obj
    for token in jp.split(spec_pointer):
        node = node.get(token) if isinstance(node, dict) else None
    for toleration in (node or {}).get("tolerations") or []:
        for name in ("key", "operator", "value", "effect"):
            if toleration.get(name) == "":
                del toleration[name]


def _without_nulls(node: Any) -> Any:
    """JSON null decodes to a field's zero value, which the API server encodes as absent
    (pointers, omitempty strings and lists) or as the zero value: the object admission sees
    has no null in it (a null list item, a toleration, is an empty object)."""
    if isinstance(node, dict):
        return {k: _without_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [{} if item is None else _without_nulls(item) for item in node]
    return node


def _default_requests(spec: dict[str, Any]) -> None:
    """`SetDefaults_Pod`: each limit whose key is missing from requests is copied there."""
    for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        resources = container.get("resources")
        limits = resources.get("limits") if isinstance(resources, dict) else None
        if not limits:
            continue
        requests = resources.setdefault("requests", {})
        for key, value in limits.items():
            requests.setdefault(key, value)


def _canonical_quantities(spec: dict[str, Any]) -> None:
    owners = [*(spec.get("initContainers") or []), *(spec.get("containers") or []), spec]
    for owner in owners:
        resources = owner.get("resources")
        if not isinstance(resources, dict):
            continue
        for name in SECTIONS:
            section = resources.get(name)
            if isinstance(section, dict):
                for key, value in list(section.items()):
                    # validation refuses a negative value; SetDefaults_ResourceList rounds
                    # every one up to 1m before it is stored (Pods and templates alike)
                    quantity = resource_quantity(value)
                    if quantity.value < 0:
                        raise QuantityError(f"resources.{name}.{key} must not be negative")
                    section[key] = round_up_to_milli(quantity).canonical()
    for volume in spec.get("volumes") or []:
        empty_dir = volume.get("emptyDir") if isinstance(volume, dict) else None
        if isinstance(empty_dir, dict) and empty_dir.get("sizeLimit") is not None:
            empty_dir["sizeLimit"] = resource_quantity(empty_dir["sizeLimit"]).canonical()


def _set(obj: dict[str, Any], pointer: str, value: Any) -> None:
    tokens = jp.split(pointer)
    node = obj
    for token in tokens[:-1]:
        node = node.setdefault(token, {})
    node[tokens[-1]] = value


def webhook_review(
    obj: Mapping[str, Any],
    username: str,
    old: Mapping[str, Any] | None = None,
    sub_resource: str = "",
) -> admission.Review:
    """The review the webhook gets for `obj` (an UPDATE from `old` when given), in the
    object's namespace, from `username`."""
    metadata = obj.get("metadata") or {}
    return admission.Review(
        api_version="admission.k8s.io/v1",
        uid="parity",
        operation="UPDATE" if old is not None else "CREATE",
        kind=str(obj.get("kind")),
        group=api_group(str(obj.get("apiVersion", ""))),
        sub_resource=sub_resource,
        namespace=metadata.get("namespace"),
        name=metadata.get("name"),
        obj=obj,
        old_obj=old,
        dry_run=False,
        username=username,
    )
