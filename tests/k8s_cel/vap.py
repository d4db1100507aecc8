"""ValidatingAdmissionPolicies and their bindings on one admission request, offline.

A port of the API server's validating policy plugin, k8s.io/apiserver/pkg/admission/plugin/
policy/validating: dispatcher.go ``dispatcher.Dispatch`` (policy and binding matching,
validationActions, warnings, audit annotations, the denial), validator.go
``validator.Validate`` (matchConditions, validations, messageExpression, auditAnnotations,
failurePolicy), with webhook/matchconditions/matcher.go ``matcher.Match`` and
plugin/cel/condition.go (``ForInput``, ``CreateAdmissionRequest``, ``CreateNamespaceObject``).
Matching is matching.py. Not ported: ``paramKind``/``paramRef`` (evaluate raises
NotImplementedError; ``params`` is always null), the ``authorizer`` variable, runtime cost
budgets (environment.py), ``admission.NewForbidden``'s ``<kind> "<name>" is forbidden: ``
prefix. Policies run in the order given (the API server's order is its informer's).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from cel_expr_python import cel

from .environment import Result, Version, kubernetes_env, run
from .matching import MatchError, matches
from .request import admission_request, cel_namespace_object, cel_request, namespace_object

__all__ = ["Outcome", "admission_request", "evaluate", "namespace_object"]

DEFAULT_VERSION: Version = (1, 30)
VARIABLE_NAMES = ("object", "oldObject", "request", "params", "namespaceObject", "variables")
MAX_MESSAGE_BYTES = 5 * 1024  # apis/cel/config.go MaxEvaluatedMessageExpressionSizeBytes
MAX_AUDIT_VALUE_BYTES = 10 * 1024  # dispatcher.go maxAuditAnnotationValueLength
VALIDATION_FAILURE_KEY = "validation.policy.admission.k8s.io/validation_failure"
# dispatcher.go reasonToCode.
REASON_CODES = {"Forbidden": 403, "Unauthorized": 401, "RequestEntityTooLarge": 413, "Invalid": 422}


@dataclass
class Outcome:
    """What the API server answers: ``messages`` are the denials in order (the response
    carries the first, with ``reason``/``code``), ``warnings`` the Warn messages, ``audit``
    the (key, value) audit annotations added, ``errors`` every evaluation error met,
    including those failurePolicy Ignore swallowed."""

    denied: bool
    messages: list[str]
    warnings: list[str]
    audit: list[tuple[str, str]]
    errors: list[str]
    reason: str = ""
    code: int = 0


@dataclass
class _Decision:
    """validating/interface.go ``PolicyDecision``: action is "deny" or "admit"."""

    action: str
    message: str = ""
    reason: str = ""
    error: bool = False


@dataclass
class _Evaluation:
    decisions: list[_Decision] = field(default_factory=list)
    annotations: list[tuple[str, str, str]] = field(default_factory=list)  # (action, key, text)


@cache
def _env(version: Version) -> cel.Env:
    return kubernetes_env(version, {name: cel.Type.DYN for name in VARIABLE_NAMES})


@cache
def _compile(version: Version, expression: str) -> cel.Expression | str:
    """A program, or compile.go's error text (``CompileCELExpression``)."""
    try:
        return _env(version).compile(expression)
    except RuntimeError as err:
        return f"compilation failed: {err}"


_MISSING_KEY = re.compile(r'Key not found in map : "([^"]*)"')


class Activation:
    """condition.go ``ForInput`` + composition.go: the data of one evaluation.

    Variables are evaluated eagerly in order, each seeing the earlier ones (eager evaluation
    only costs time: CEL has no side effects). One that fails is left out of ``variables``
    (cel-cpp converts the whole map on access, so it cannot hold an error value), so using
    it is an error (absorbed by ``||``/``&&`` as Go's lazy ``variableAccessor.Callback``
    error is), reported with the variable's own error text. Unlike Go,
    ``has(variables.failed)`` is false rather than true."""

    def __init__(
        self, version: Version, base: dict[str, Any], variables: Sequence[Mapping[str, Any]]
    ):
        self.version = version
        self.data: dict[str, Any] = {**base, "variables": {}}
        self.variable_errors: dict[str, str] = {}
        for variable in variables:
            name = variable["name"]
            program = _compile(version, variable["expression"])
            if isinstance(program, str):
                result = Result(error=f'composited variable "{name}" fails to compile: {program}')
            else:
                result = self.run(program)
            if result.error is None:
                self.data["variables"][name] = result.value
            else:
                self.variable_errors[name] = result.error

    def run(self, program: cel.Expression) -> Result:
        """Evaluate; a use of a failed variable reports that variable's error."""
        result = run(program, self.data)
        if result.error is None:
            return result
        match = _MISSING_KEY.search(result.error)
        if match and match.group(1) in self.variable_errors:
            return Result(error=self.variable_errors[match.group(1)])
        return result

    def evaluate(self, expression: str) -> Result:
        """filter.go ``activation.Evaluate``: errors worded as Go words them."""
        program = _compile(self.version, expression)
        if isinstance(program, str):
            return Result(error=f"compilation error: {program}")
        result = self.run(program)
        if result.error is not None:
            return Result(error=f"expression '{expression}' resulted in error: {result.error}")
        return result


def _for_error(failure_policy: str) -> str:
    """validator.go ``policyDecisionActionForError``."""
    return "admit" if failure_policy == "Ignore" else "deny"


def match_conditions(
    conditions: Sequence[Mapping[str, Any]], activation: Activation, failure_policy: str
) -> tuple[bool, str | None, list[str]]:
    """matchconditions/matcher.go ``Match``: any false wins; else errors follow the failure
    policy (Fail: an error, Ignore: no match). Returns (matches, error, errors seen)."""
    errors: list[str] = []
    for condition in conditions:
        result = activation.evaluate(condition["expression"])
        if result.error is not None:
            errors.append(result.error)
        elif result.value is False:
            return False, None, errors
    if errors and failure_policy == "Fail":
        # utilerrors.NewAggregate(...).Error()
        text = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
        return False, text, errors
    return not errors, None, errors


def _message(validation: Mapping[str, Any], activation: Activation) -> str:
    """validator.go ``Validate``: messageExpression's string (trimmed, one line, at most
    5 KiB), else message, else ``failed expression: <expression>``."""
    message = ""
    if validation.get("messageExpression"):
        result = activation.evaluate(validation["messageExpression"])
        if result.error is None and isinstance(result.value, str):
            message = result.value.strip()
            if len(message.encode()) > MAX_MESSAGE_BYTES or "\n" in message:
                message = ""
    if not message and validation.get("message"):
        message = validation["message"].strip()
    if not message:
        message = f"failed expression: {validation['expression'].strip()}"
    return message


def _cel_type_name(result: Result) -> str:
    """cel-go's name for a value's type, for the auditAnnotation error text."""
    return result.type_name.split("<")[0].lower()


def _validate(
    spec: Mapping[str, Any], activation: Activation, match_activation: Activation
) -> tuple[_Evaluation, list[str]]:
    """validator.go ``validator.Validate`` for one binding (params is always null)."""
    failure_policy = spec.get("failurePolicy") or "Fail"
    matched, error, errors = match_conditions(
        spec.get("matchConditions") or [], match_activation, failure_policy
    )
    if error is not None:
        return _Evaluation([_Decision(_for_error(failure_policy), error, error=True)]), errors
    if not matched:
        return _Evaluation(), errors
    evaluation = _Evaluation()
    for validation in spec.get("validations") or []:
        result = activation.evaluate(validation["expression"])
        if result.error is not None:
            errors.append(result.error)
            decision = _Decision(_for_error(failure_policy), result.error, error=True)
        elif result.value is not True:
            reason = validation.get("reason") or "Invalid"
            decision = _Decision("deny", _message(validation, activation), reason)
        else:
            decision = _Decision("admit")
        evaluation.decisions.append(decision)
    for annotation in spec.get("auditAnnotations") or []:
        key, expression = annotation["key"], annotation["valueExpression"]
        result = activation.evaluate(expression)
        if result.error is not None:
            errors.append(result.error)
            if failure_policy != "Ignore":
                evaluation.annotations.append(("error", key, result.error))
        elif result.value is None:
            continue
        elif isinstance(result.value, str):
            if result.value.strip():
                evaluation.annotations.append(("publish", key, result.value.strip()))
        else:
            text = (
                f"valueExpression '{expression}' resulted in unsupported return type: "
                f"{_cel_type_name(result)}. Return type must be either string or null."
            )
            evaluation.annotations.append(("error", key, text))
    return evaluation, errors


def _go_json(value: Any) -> str:
    """encoding/json's compact output, HTML characters escaped as Go escapes them."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _check_binding(binding: Mapping[str, Any]) -> list[str]:
    """The API's validation of validationActions (a binding the server would refuse)."""
    actions = list(binding["spec"].get("validationActions") or [])
    if not actions or not set(actions) <= {"Deny", "Warn", "Audit"}:
        raise ValueError(f"binding {binding['metadata']['name']}: bad validationActions {actions}")
    if {"Deny", "Warn"} <= set(actions):
        raise ValueError(f"binding {binding['metadata']['name']}: Deny and Warn together")
    return actions


class _Collector:
    """dispatcher.go ``auditAnnotationCollector``: distinct values per key, joined."""

    def __init__(self) -> None:
        self.values: dict[str, list[str]] = {}

    def add(self, key: str, value: str) -> None:
        value = value.encode()[:MAX_AUDIT_VALUE_BYTES].decode(errors="ignore")
        if value not in self.values.setdefault(key, []):
            self.values[key].append(value)

    def publish(self, policy: str) -> list[tuple[str, str]]:
        return [(f"{policy}/{key}", ", ".join(values)) for key, values in self.values.items()]


def evaluate(
    policies: Sequence[Mapping[str, Any]],
    bindings: Sequence[Mapping[str, Any]],
    request: Mapping[str, Any],
    namespace_object: Mapping[str, Any] | None,
    version: Version = DEFAULT_VERSION,
) -> Outcome:
    """dispatcher.go ``Dispatch`` over ``policies`` (admissionregistration.k8s.io/v1
    ValidatingAdmissionPolicy dicts) and their ``bindings`` for ``request``
    (``admission_request``), ``namespace_object`` being the request's Namespace."""
    denied: list[tuple[str, str, _Decision]] = []  # (policy, binding, decision)
    warnings: list[str] = []
    audit: list[tuple[str, str]] = []
    errors: list[str] = []
    namespace_name = request.get("namespace", "")
    kind = request["kind"]
    if (kind["group"], kind["version"], kind["kind"]) == ("", "v1", "Namespace"):
        namespace_name = ""  # dispatcher.go: a Namespace has no namespace object
    if namespace_name and namespace_object is None:
        raise ValueError(f'namespaces "{namespace_name}" not found')
    namespace = namespace_object if namespace_name else None
    base = {
        "object": request.get("object"),
        "oldObject": request.get("oldObject"),
        "request": cel_request(request),
        "params": None,
    }
    for policy in policies:
        spec, policy_name = policy["spec"], policy["metadata"]["name"]
        if spec.get("paramKind"):
            raise NotImplementedError("paramKind/paramRef are not supported by this harness")
        try:
            if not matches(spec.get("matchConstraints") or {}, request, namespace_object):
                continue
        except MatchError:
            continue  # Dispatch overwrites DefinitionMatches' error: the policy is skipped
        failure_policy = spec.get("failurePolicy") or "Fail"
        collector = _Collector()
        for binding in bindings:
            if binding["spec"].get("policyName") != policy_name:
                continue
            actions = _check_binding(binding)
            binding_name = binding["metadata"]["name"]
            try:
                resources = binding["spec"].get("matchResources")
                if resources is not None and not matches(resources, request, namespace_object):
                    continue
            except MatchError as err:
                errors.append(str(err))
                if failure_policy == "Fail":
                    decision = _Decision("deny", f"failed to configure binding: {err}")
                    denied.append((policy_name, binding_name, decision))
                continue
            variables = spec.get("variables") or []
            version_data = {**base, "namespaceObject": cel_namespace_object(namespace)}
            activation = Activation(version, version_data, variables)
            # matcher.go Match passes no namespace to the matchConditions' ForInput.
            match_activation = Activation(version, {**base, "namespaceObject": None}, variables)
            evaluation, seen = _validate(spec, activation, match_activation)
            errors.extend(seen)
            for index, decision in enumerate(evaluation.decisions):
                if decision.action != "deny":
                    continue
                for action in actions:
                    if action == "Deny":
                        denied.append((policy_name, binding_name, decision))
                    elif action == "Audit":
                        failure = {
                            "message": decision.message,
                            "policy": binding["spec"]["policyName"],
                            "binding": binding_name,
                            "expressionIndex": index,
                            "validationActions": actions,
                        }
                        audit.append((VALIDATION_FAILURE_KEY, _go_json([failure])))
                    elif action == "Warn":
                        warnings.append(
                            f"Validation failed for ValidatingAdmissionPolicy '{policy_name}' "
                            f"with binding '{binding_name}': {decision.message}"
                        )
            for action, key, text in evaluation.annotations:
                if action == "publish":
                    collector.add(key, text)
                else:  # failurePolicy Fail: an audit annotation error denies, whatever actions
                    errors.append(text)
                    denied.append((policy_name, binding_name, _Decision("deny", text, error=True)))
        audit.extend(collector.publish(policy_name))
    messages = [
        f"ValidatingAdmissionPolicy '{p}' with binding '{b}' denied request: {d.message}"
        for p, b, d in denied
    ]
    reason = (denied[0][2].reason or "Invalid") if denied else ""
    return Outcome(
        denied=bool(denied),
        messages=messages,
        warnings=warnings,
        audit=audit,
        errors=errors,
        reason=reason,
        code=REASON_CODES.get(reason, 422) if denied else 0,
    )
