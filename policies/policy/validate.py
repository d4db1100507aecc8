"""Checking a policy document: the JSON Schema shipped in `schema/`, then what a schema
cannot say (the quantity grammar, rule names, settings that only conflict after layering).

Every problem is one `FILE: path: message` line, and all of them are found in one run.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..engine.registry import RULES
from ..k8s.features import COMPARISON_GATE, gate
from ..k8s.labels import label_value_errors, qualified_name_errors
from ..k8s.mounts import clean
from ..k8s.quantity import BINARY_SI, MAX_INT64, QuantityError, parse_manifest_quantity
from ..k8s.toleration_validation import validate_toleration
from ..k8s.tolerations import Toleration
from ..model import Mode
from ..rules.base import ParamType
from .declared import rules_schema

if TYPE_CHECKING:
    from .model import Policy


@cache
def schema() -> dict[str, Any]:
    """schema/policy.schema.json with `rules` filled in from the rules' declarations."""
    text = resources.files(__package__).joinpath("schema/policy.schema.json").read_text("utf-8")
    document = json.loads(text)
    document["properties"]["rules"]["properties"] = rules_schema(RULES.values())
    return document


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
    """What the schema cannot say: each rule parameter checked by the type its rule declares
    (quantity grammar, tolerations the API accepts), rule ids in exemptions, exemptions that
    would match everything. Checked even when the schema fails, so one run lists it all."""
    problems = param_problems(data, label)
    admission = data.get("admission")
    budget = admission.get("evaluationBudgetSeconds") if isinstance(admission, dict) else None
    if isinstance(budget, float) and math.isnan(budget):  # passes every schema comparison
        problems.append(f"{label}: admission.evaluationBudgetSeconds: nan is not a number")
    exemptions = data.get("exemptions")
    for i, exemption in enumerate(exemptions if isinstance(exemptions, list) else ()):
        if not isinstance(exemption, dict):
            continue
        listed = exemption.get("rules")
        for rule_id in listed if isinstance(listed, list) else ():
            if isinstance(rule_id, str) and rule_id not in RULES and rule_id != "*":
                problems.append(f"{label}: exemptions.{i}.rules: unknown rule {rule_id!r}")
        selectors = ("namespaces", "names", "kinds", "annotations", "rules")
        if exemption and not any(k in exemption for k in selectors):
            problems.append(
                f"{label}: exemptions.{i}: names no namespaces, names, kinds, annotations or "
                f"rules, so it would exempt every object from every rule"
            )
    return problems


def param_problems(data: dict[str, Any], label: str) -> list[str]:
    """Every parameter a rule declares, checked by its declared type whatever its name: a
    value that passes here cannot make the rule fail on every object. (JSON types and
    ranges are the schema's, derived from the same declarations.)"""
    problems: list[str] = []
    rules = data.get("rules")
    gates = data.get("featureGates") if isinstance(data.get("featureGates"), dict) else {}
    comparison = gate(gates, COMPARISON_GATE)
    for rule_id, settings in rules.items() if isinstance(rules, dict) else ():
        rule = RULES.get(rule_id)
        if rule is None or not isinstance(settings, dict):
            continue  # the schema reports both
        for param in rule.params:
            if param.name in settings:
                path = f"rules.{rule_id}.{param.name}"
                problems += [
                    f"{label}: {problem}"
                    for problem in _CHECKS[param.type](settings[param.name], path, comparison)
                ]
    if "knownTaints" in data:  # the cluster section the rule parameter moved to
        check = _CHECKS[ParamType.KNOWN_TAINTS]
        problems += [f"{label}: {p}" for p in check(data["knownTaints"], "knownTaints", comparison)]
    return problems


def _quantity_problems(value: Any, where: str, comparison: bool) -> list[str]:
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return []  # a type the schema reports
    try:
        quantity = parse_manifest_quantity(value)
    except QuantityError as exc:
        return [f"{where}: {value!r} is not a Kubernetes quantity ({exc})"]
    return [f"{where}: {value!r} is negative"] if quantity.value < 0 else []


def _memory_size_problems(value: Any, where: str, comparison: bool) -> list[str]:
    """A size a fix writes must be one every rule accepts once written: the mutating webhook
    would otherwise patch Pods into violations (`0`, `512m`) or into no limit (`10E`)."""
    problems = _quantity_problems(value, where, comparison)
    if problems or not isinstance(value, (str, int)) or isinstance(value, bool):
        return problems
    quantity = parse_manifest_quantity(value)
    if quantity.value < 1 or not quantity.is_integer():
        return [f"{where}: {value!r} is not a whole number of bytes of at least 1"]
    capped = quantity.format == BINARY_SI and quantity.value == MAX_INT64  # 8Ei and up
    if quantity.value > MAX_INT64 or capped:
        return [f"{where}: {value!r} is 2^63 bytes or more, which no node reads as a size"]
    return []


def _ratio_problems(value: Any, where: str, comparison: bool) -> list[str]:
    if isinstance(value, float) and not math.isfinite(value):  # YAML .inf and .nan
        return [f"{where}: {value!r} is not a finite number"]
    return []


def _seconds_problems(value: Any, where: str, comparison: bool) -> list[str]:
    return []  # an integer from 0 to 9223372036: all the schema's to say


def _allowlist_problems(value: Any, where: str, comparison: bool) -> list[str]:
    """Allowlisted tolerations must be ones the API server accepts, or they cover nothing."""
    problems: list[str] = []
    for i, entry in enumerate(value if isinstance(value, list) else ()):
        listed = entry.get("tolerations") if isinstance(entry, dict) else None
        for j, item in enumerate(listed if isinstance(listed, list) else ()):
            if not isinstance(item, dict) or not _well_typed(item):
                continue  # the schema reports it
            at = f"{where}.{i}.tolerations.{j}"
            problems += [str(e) for e in validate_toleration(Toleration.of(item), at, comparison)]
    return problems


def _known_taint_problems(value: Any, where: str, comparison: bool) -> list[str]:
    """Known taints need keys and values a node taint can have, or they match nothing."""
    problems: list[str] = []
    for i, taint in enumerate(value if isinstance(value, list) else ()):
        key = taint.get("key") if isinstance(taint, dict) else None
        at = f"{where}.{i}"
        if isinstance(key, str) and key:
            problems += [f"{at}.key: {key!r}: {m}" for m in qualified_name_errors(key)]
        values = taint.get("values") if isinstance(taint, dict) else None
        for item in values if isinstance(values, list) else ():
            if isinstance(item, str):
                problems += [f"{at}.values: {item!r}: {m}" for m in label_value_errors(item)]
    return problems


def _mount_path_problems(value: Any, where: str, comparison: bool) -> list[str]:
    """A path a mount rule compares with cleaned mount paths: written otherwise it would
    never be equal to one (`etc/nginx`, `/etc/nginx/`), so it is refused, not guessed."""
    problems: list[str] = []
    for i, path in enumerate(value if isinstance(value, list) else ()):
        if isinstance(path, str) and (not path.startswith("/") or clean(path) != path):
            meant = clean("/" + path)
            problems.append(f"{where}.{i}: {path!r} is not an absolute, clean path ({meant!r})")
    return problems


# type -> check(value, its path in the policy, comparison operators on) -> problems
_CHECKS: dict[ParamType, Callable[[Any, str, bool], list[str]]] = {
    ParamType.QUANTITY: _quantity_problems,
    ParamType.MEMORY_SIZE: _memory_size_problems,
    ParamType.RATIO: _ratio_problems,
    ParamType.SECONDS: _seconds_problems,
    ParamType.ALLOWLISTS: _allowlist_problems,
    ParamType.KNOWN_TAINTS: _known_taint_problems,
    ParamType.MOUNT_PATHS: _mount_path_problems,
}


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
    problems += _suspicious_size_problems(policy, label)
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


SUSPICIOUS = "memory-quantity-suspicious"


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


def _suspicious_size_problems(policy: Policy, label: str) -> list[str]:
    """A size a fix writes (every MEMORY_SIZE parameter, whichever rule declares it) must not
    be what memory-quantity-suspicious faults, when that rule is on."""
    if policy.mode(SUSPICIOUS) is Mode.OFF:
        return []
    params = policy.params(SUSPICIOUS)
    floor = parse_manifest_quantity(params["floor"])
    ceiling = parse_manifest_quantity(params["ceiling"])
    if floor > ceiling:
        return []  # _floor_ceiling_problems says so; no size could pass
    problems: list[str] = []
    for rule_id, rule in RULES.items():
        if policy.mode(rule_id) is Mode.OFF:
            continue
        for param in rule.params:
            if param.type is not ParamType.MEMORY_SIZE or param.name not in policy.params(rule_id):
                continue
            value = policy.params(rule_id)[param.name]
            if not floor <= parse_manifest_quantity(value) <= ceiling:
                problems.append(
                    f"{label}: rules.{rule_id}.{param.name}: {value!r} is outside "
                    f"rules.{SUSPICIOUS}'s floor {params['floor']!r} and ceiling "
                    f"{params['ceiling']!r} (its fix would write a value that rule faults; values "
                    "after layering over the preset)"
                )
    return problems


def _bounded_seconds_problems(policy: Policy, label: str) -> list[str]:
    """The noexecute-unbounded fix must not produce what noexecute-seconds-too-low or
    noexecute-seconds-too-high faults, and no bound may be both too low and too high (each
    pair checked when both of its rules are on)."""
    bounds = [
        # (lower rule, parameter, upper rule, parameter, what would go wrong)
        (
            "noexecute-seconds-too-low",
            "minSeconds",
            "noexecute-unbounded",
            "tolerationSeconds",
            "its fix would give pods a toleration that rule faults",
        ),
        (
            "noexecute-unbounded",
            "tolerationSeconds",
            "noexecute-seconds-too-high",
            "maxSeconds",
            "noexecute-unbounded's fix would give pods a toleration this rule faults",
        ),
        (
            "noexecute-seconds-too-low",
            "minSeconds",
            "noexecute-seconds-too-high",
            "maxSeconds",
            "every bounded toleration would be faulted by one of the two",
        ),
    ]
    problems: list[str] = []
    for low_rule, low_param, high_rule, high_param, why in bounds:
        if any(policy.mode(r) is Mode.OFF for r in (low_rule, high_rule)):
            continue
        low = policy.params(low_rule)[low_param]
        high = policy.params(high_rule)[high_param]
        if high < low:
            problems.append(
                f"{label}: rules.{high_rule}.{high_param}: {high} is below "
                f"rules.{low_rule}.{low_param} {low} ({why}; values after layering over the "
                "preset)"
            )
    return problems
