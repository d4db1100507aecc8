"""Checking a policy document: the JSON Schema shipped in `schema/`, then what a schema
cannot say (the quantity grammar, rule names, settings that only conflict after layering).

Every problem is one `FILE: path: message` line, and all of them are found in one run.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from .labels import label_value_errors, qualified_name_errors
from .model import Mode
from .quantity import QuantityError, parse_manifest_quantity
from .registry import RULES
from .toleration_validation import validate_toleration
from .tolerations import Toleration

if TYPE_CHECKING:
    from .config import Policy


@cache
def schema() -> dict[str, Any]:
    text = resources.files("policies").joinpath("schema/policy.schema.json").read_text("utf-8")
    return json.loads(text)


def _path_of(error: Any) -> str:  # a jsonschema.ValidationError
    parts = [str(p) for p in error.absolute_path]
    return ".".join(parts) if parts else "(root)"


def _schema_problems(data: Any, label: str) -> list[str]:
    """Schema errors; an unknown rule id is named at its own path, with a likely spelling."""
    import jsonschema  # a tenth of a second to import: only when a policy file is read

    validator = jsonschema.Draft202012Validator(schema())
    problems: list[str] = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        if error.validator == "additionalProperties" and list(error.path) == ["rules"]:
            for rule_id in error.instance:
                if rule_id not in RULES:
                    close = difflib.get_close_matches(str(rule_id), list(RULES), n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    problems.append(f"{label}: rules.{rule_id}: unknown rule{hint}")
            continue
        problems.append(f"{label}: {_path_of(error)}: {error.message}")
    return problems


def _semantic_problems(data: dict[str, Any], label: str) -> list[str]:
    """What the schema cannot say: quantity grammar, rule ids in exemptions, exemptions that
    would match everything. Checked even when the schema fails, so one run lists it all."""
    problems: list[str] = []
    rules = data.get("rules")
    for rule_id, settings in rules.items() if isinstance(rules, dict) else ():
        if not isinstance(settings, dict):
            continue
        for key in ("defaultLimit", "defaultRequest", "floor", "ceiling"):
            value = settings.get(key)
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                continue  # absent, or a type the schema already reports
            try:
                quantity = parse_manifest_quantity(value)
            except QuantityError as exc:
                where = f"{label}: rules.{rule_id}.{key}"
                problems.append(f"{where}: {value!r} is not a Kubernetes quantity ({exc})")
                continue
            if quantity.value < 0:
                problems.append(f"{label}: rules.{rule_id}.{key}: {value!r} is negative")
    problems += _toleration_problems(data, label)
    exemptions = data.get("exemptions")
    for i, exemption in enumerate(exemptions if isinstance(exemptions, list) else ()):
        if not isinstance(exemption, dict):
            continue
        listed = exemption.get("rules")
        for rule_id in listed if isinstance(listed, list) else ():
            if isinstance(rule_id, str) and rule_id not in RULES and rule_id != "*":
                problems.append(f"{label}: exemptions.{i}.rules: unknown rule {rule_id!r}")
        if exemption and not any(k in exemption for k in ("namespaces", "names", "kinds", "rules")):
            problems.append(
                f"{label}: exemptions.{i}: names no namespaces, names, kinds or rules, so it "
                f"would exempt every object from every rule"
            )
    return problems


def _toleration_problems(data: dict[str, Any], label: str) -> list[str]:
    """Allowlisted tolerations must be ones the API server accepts, and known taints must
    have keys and values a node taint can have: otherwise they would match nothing."""
    problems: list[str] = []
    rules = data.get("rules") if isinstance(data.get("rules"), dict) else {}
    gates = data.get("featureGates") if isinstance(data.get("featureGates"), dict) else {}
    comparison = gates.get("TaintTolerationComparisonOperators") is True
    settings = rules.get("toleration-not-allowed") or {}
    allowlists = settings.get("allowlists") if isinstance(settings, dict) else None
    for i, entry in enumerate(allowlists if isinstance(allowlists, list) else ()):
        listed = entry.get("tolerations") if isinstance(entry, dict) else None
        for j, item in enumerate(listed if isinstance(listed, list) else ()):
            if not isinstance(item, dict) or not _well_typed(item):
                continue  # the schema reports it
            path = f"rules.toleration-not-allowed.allowlists.{i}.tolerations.{j}"
            for error in validate_toleration(Toleration.of(item), path, comparison):
                problems.append(f"{label}: {error}")
    settings = rules.get("toleration-never-matches") or {}
    known = settings.get("knownTaints") if isinstance(settings, dict) else None
    for i, taint in enumerate(known if isinstance(known, list) else ()):
        key = taint.get("key") if isinstance(taint, dict) else None
        where = f"{label}: rules.toleration-never-matches.knownTaints.{i}"
        if isinstance(key, str) and key:
            problems += [f"{where}.key: {key!r}: {m}" for m in qualified_name_errors(key)]
        values = taint.get("values") if isinstance(taint, dict) else None
        for value in values if isinstance(values, list) else ():
            if isinstance(value, str):
                problems += [f"{where}.values: {value!r}: {m}" for m in label_value_errors(value)]
    return problems


def _well_typed(item: dict[str, Any]) -> bool:
    strings = all(isinstance(item.get(k, ""), str) for k in ("key", "operator", "value", "effect"))
    seconds = item.get("tolerationSeconds")
    return strings and (
        seconds is None or (isinstance(seconds, int) and not isinstance(seconds, bool))
    )


def validate_document(data: Any, label: str) -> list[str]:
    """Schema errors and semantic errors (quantities, rule names), as `FILE: path: msg`."""
    problems = _schema_problems(data, label)
    if isinstance(data, dict):
        problems += _semantic_problems(data, label)
    return problems


def layered_problems(policy: Policy, label: str) -> list[str]:
    """Checks that span layers: a default request above the default limit would make the
    memory-limit-missing fix produce an object the API server rejects; a suspicious-memory
    floor above its ceiling would make every non-zero value suspicious."""
    problems = _bounded_seconds_problems(policy, label)
    problems += _floor_ceiling_problems(policy, label)
    params = policy.params("memory-limit-missing")
    request = parse_manifest_quantity(params["defaultRequest"])
    limit = parse_manifest_quantity(params["defaultLimit"])
    if request > limit:
        problems.append(
            f"{label}: rules.memory-limit-missing.defaultRequest: {params['defaultRequest']!r} "
            f"is above defaultLimit {params['defaultLimit']!r} (the API server rejects a "
            f"request above its limit; values after layering over the preset, so set both)"
        )
    return problems


def _floor_ceiling_problems(policy: Policy, label: str) -> list[str]:
    """memory-quantity-suspicious faults values below `floor` and above `ceiling`: with the
    floor above the ceiling no value passes (memory-limit-missing reads the two as well)."""
    params = policy.params("memory-quantity-suspicious")
    floor = parse_manifest_quantity(params["floor"])
    ceiling = parse_manifest_quantity(params["ceiling"])
    if floor <= ceiling:
        return []
    return [
        f"{label}: rules.memory-quantity-suspicious.ceiling: {params['ceiling']!r} is below "
        f"floor {params['floor']!r} (every non-zero memory value would be suspicious; values "
        "after layering over the preset)"
    ]


def _bounded_seconds_problems(policy: Policy, label: str) -> list[str]:
    """The noexecute-unbounded fix must not produce what noexecute-seconds-too-low faults
    (when both are on)."""
    if any(
        policy.mode(r) is Mode.OFF for r in ("noexecute-unbounded", "noexecute-seconds-too-low")
    ):
        return []
    seconds = policy.params("noexecute-unbounded")["tolerationSeconds"]
    floor = policy.params("noexecute-seconds-too-low")["minSeconds"]
    if seconds < floor:
        return [
            f"{label}: rules.noexecute-unbounded.tolerationSeconds: {seconds} is below "
            f"rules.noexecute-seconds-too-low.minSeconds {floor} (its fix would give pods a "
            "toleration that rule faults; values after layering over the preset)"
        ]
    return []
