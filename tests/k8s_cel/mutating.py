"""MutatingAdmissionPolicies (admissionregistration.k8s.io/v1beta1) with JSONPatch mutations.

A port of k8s.io/apiserver/pkg/admission/plugin/policy/mutating: dispatcher.go
``dispatcher.dispatchInvocations`` (matchConditions, then the policy's mutations in order on
the object each one leaves), patch/json_patch.go ``jsonPatcher.Patch`` and
``evaluatePatchExpression`` (a list of ``JSONPatch{op, path, from, value}``; a failed
``test`` op leaves the object as it was), and plugin/policy/generic/policy_dispatcher.go
``Dispatch`` (errors become ``policy '<p>' with binding '<b>' denied request: <error>``
unless failurePolicy is Ignore). The patches are applied with the ``jsonpatch`` library,
not Go's evanphx/json-patch, so patch error texts differ.

Not ported: ``patchType: ApplyConfiguration`` (NotImplementedError), reinvocation
(``reinvocationPolicy`` is ignored: one pass), defaulting of the patched object (Go runs the
scheme's defaulters after each mutation), paramKind, and lazy variables: they are
evaluated once per policy on the object before its first mutation (Go computes each at
first use, so one first used by a later mutation sees the earlier mutations).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jsonpatch
from cel_expr_python import cel
from google.protobuf import json_format
from google.protobuf.message import Message

from .environment import Version, kubernetes_env
from .matching import MatchError, matches
from .request import cel_namespace_object, cel_request
from .vap import VARIABLE_NAMES, Activation, match_conditions

DEFAULT_VERSION: Version = (1, 32)


@dataclass
class MutationOutcome:
    """The object after every mutation (None on DELETE), and the denial if any."""

    object: dict[str, Any] | None
    denied: bool = False
    messages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _escape_key(key: str) -> str:
    """library/jsonpatch.go ``jsonpatch.escapeKey``: RFC 6901 escaping of one key."""
    return key.replace("~", "~0").replace("/", "~1")


@cache
def _env(version: Version) -> cel.Env:
    escape = cel.FunctionDecl(
        "jsonpatch.escapeKey",
        [
            cel.Overload(
                "string_jsonpatch_escapeKey_string",
                cel.Type.STRING,
                [cel.Type.STRING],
                impl=_escape_key,
            )
        ],
    )
    return kubernetes_env(
        version,
        {name: cel.Type.DYN for name in VARIABLE_NAMES},
        extra=[cel.CelExtension("kubernetes.jsonpatch", [escape])],
    )


def _json(value: Any) -> Any:
    """protojson's view of a google.protobuf.Value: whole numbers come back as integers,
    as Go's unstructured decoder reads ``3`` (protojson prints 3.0 as ``3``)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


def _operations(result: Any) -> list[dict[str, Any]]:
    """json_patch.go ``evaluatePatchExpression``: each JSONPatch as an RFC 6902 operation."""
    if not isinstance(result, list):
        raise TypeError("type mismatch: JSONPatchType.expression should evaluate to array")
    operations = []
    for item in result:
        if not isinstance(item, Message) or item.DESCRIPTOR.full_name != "JSONPatch":
            raise TypeError(
                "type mismatch: JSONPatchType.expression should evaluate to array of JSONPatch"
            )
        operation: dict[str, Any] = {"op": item.op, "path": item.path}  # type: ignore[attr-defined]
        if getattr(item, "from"):
            operation["from"] = getattr(item, "from")
        if item.HasField("value"):
            operation["value"] = _json(json_format.MessageToDict(item.value))  # type: ignore[attr-defined]
        operations.append(operation)
    return operations


def _patch(
    expression: str, activation: Activation, env: cel.Env, current: dict[str, Any]
) -> dict[str, Any]:
    """json_patch.go ``jsonPatcher.Patch`` on ``current``; raises with Go's error text."""
    activation.data["object"] = current
    try:
        program = env.compile(expression)
    except RuntimeError as err:
        raise ValueError(f"compilation error: compilation failed: {err}") from None
    result = activation.run(program)
    if result.error is not None:
        raise ValueError(f"expression '{expression}' resulted in error: {result.error}")
    operations = _operations(result.value)
    try:
        return jsonpatch.apply_patch(current, operations)
    except jsonpatch.JsonPatchTestFailed:
        return current  # a failed test op: the patch is not applied
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as err:
        raise ValueError(f"JSONPath: {err}") from None


def mutate(
    policies: Sequence[Mapping[str, Any]],
    bindings: Sequence[Mapping[str, Any]],
    request: Mapping[str, Any],
    namespace_object: Mapping[str, Any] | None,
    version: Version = DEFAULT_VERSION,
) -> MutationOutcome:
    """Apply every matching policy's mutations to ``request["object"]``, in order."""
    current = copy.deepcopy(request.get("object"))
    errors: list[tuple[Mapping[str, Any], str]] = []  # (policy spec, PolicyError text)
    seen: list[str] = []
    namespace_name = request.get("namespace", "")
    if request["kind"].get("kind") == "Namespace" and not request["kind"].get("group"):
        namespace_name = ""
    namespace = namespace_object if namespace_name else None
    env = _env(version)
    for policy in policies:
        spec, policy_name = policy["spec"], policy["metadata"]["name"]
        if spec.get("paramKind"):
            raise NotImplementedError("paramKind/paramRef are not supported by this harness")
        try:
            if not matches(spec.get("matchConstraints") or {}, request, namespace_object):
                continue
        except MatchError as err:
            errors.append((spec, f'policy "{policy_name}" denied request: {err}'))
            continue
        for binding in bindings:
            if binding["spec"].get("policyName") != policy_name:
                continue
            binding_name = binding["metadata"]["name"]
            prefix = f"policy '{policy_name}' with binding '{binding_name}' denied request: "
            try:
                resources = binding["spec"].get("matchResources")
                if resources is not None and not matches(resources, request, namespace_object):
                    continue
            except MatchError as err:
                errors.append((spec, prefix + str(err)))
                continue
            failure_policy = spec.get("failurePolicy") or "Fail"
            base = {**_base(request), "object": current}
            variables = spec.get("variables") or []
            match_activation = Activation(version, {**base, "namespaceObject": None}, variables)
            matched, error, met = match_conditions(
                spec.get("matchConditions") or [], match_activation, failure_policy
            )
            seen.extend(met)
            if error is not None:
                errors.append((spec, prefix + error))
                continue
            if not matched:
                continue
            activation = Activation(
                version, {**base, "namespaceObject": cel_namespace_object(namespace)}, variables
            )
            for mutation in spec.get("mutations") or []:
                if current is None:
                    continue  # dispatcher.go: no object to patch (DELETE)
                if mutation.get("patchType") != "JSONPatch":
                    raise NotImplementedError("only patchType JSONPatch is supported")
                try:
                    current = _patch(mutation["jsonPatch"]["expression"], activation, env, current)
                except (ValueError, TypeError) as err:
                    seen.append(str(err))
                    errors.append((spec, prefix + str(err)))
    messages = [text for spec, text in errors if (spec.get("failurePolicy") or "Fail") != "Ignore"]
    return MutationOutcome(current, bool(messages), messages, seen)


def _base(request: Mapping[str, Any]) -> dict[str, Any]:
    return {"oldObject": request.get("oldObject"), "request": cel_request(request), "params": None}
