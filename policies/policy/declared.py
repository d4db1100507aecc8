"""What the rules' declarations put into the policy: each rule's entry in the default preset
and its fragment of the policy schema. Derived here so that a rule's module is the one place
its mode, parameters and their types are written (yamllint's `CONF`/`DEFAULT` are the model).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from ..k8s.quantity import MAX_INT64
from ..rules.base import Param, ParamType, Rule

# The largest tolerationSeconds the taint manager can hold: its int64 nanoseconds.
MAX_SECONDS = MAX_INT64 // 10**9

# The JSON side of each type (`policy.validate` checks the rest by the same type).
_TYPE_SCHEMAS: Mapping[ParamType, Mapping[str, Any]] = {
    ParamType.QUANTITY: {"$ref": "#/$defs/quantity"},
    ParamType.MEMORY_SIZE: {"$ref": "#/$defs/quantity"},
    ParamType.RATIO: {"type": "number", "exclusiveMinimum": 0},
    ParamType.SECONDS: {"type": "integer", "minimum": 0, "maximum": MAX_SECONDS},
    ParamType.KNOWN_TAINTS: {"$ref": "#/$defs/knownTaints"},
    ParamType.ALLOWLISTS: {"$ref": "#/$defs/allowlists"},
    ParamType.MOUNT_PATHS: {"type": "array", "items": {"type": "string"}},
}

_MUTATE_SCHEMA = {"description": "The mutating webhook applies this rule's fix.", "type": "boolean"}


def param_schema(param: Param) -> dict[str, Any]:
    fragment = {"description": param.doc, **_TYPE_SCHEMAS[param.type]}
    if param.minimum is not None:
        fragment["minimum"] = param.minimum
    return fragment


def rule_schema(rule: Rule) -> dict[str, Any]:
    """`mode`, the declared parameters and, for a rule with fixes, `mutate`; nothing else."""
    properties: dict[str, Any] = {"mode": {"$ref": "#/$defs/mode"}}
    properties.update((param.name, param_schema(param)) for param in rule.params)
    if rule.fixable:
        properties["mutate"] = dict(_MUTATE_SCHEMA)
    return {"type": "object", "additionalProperties": False, "properties": properties}


def rules_schema(rules: Iterable[Rule]) -> dict[str, Any]:
    return {rule.id: rule_schema(rule) for rule in rules}


def default_params(rule: Rule) -> dict[str, Any]:
    """What a rule reads when no policy sets it: its declared defaults, and `mutate` for a
    rule with fixes (kept under `extends: none`, as the preset file's values were)."""
    params = {param.name: copy.deepcopy(param.default) for param in rule.params}
    if rule.fixable:
        params["mutate"] = rule.mutate
    return params


def default_rules(rules: Iterable[Rule]) -> dict[str, dict[str, Any]]:
    """The default preset's `rules:` section, as if written in presets/default.yaml."""
    return {rule.id: {"mode": rule.default_mode.value, **default_params(rule)} for rule in rules}
