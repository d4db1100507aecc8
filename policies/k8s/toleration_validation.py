"""`ValidateTolerations` (k8s pkg/apis/core/validation/validation.go), ported check for check.

Each toleration is checked on its own with no short-circuit, so one toleration can give
several errors, each at the field and with the words the API server uses. Errors render as
Go's `field.Error.Error()` does: `<path>: Invalid value: "x": <detail>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .labels import (
    decimal_integer_errors,
    go_quote,
    label_value_errors,
    parse_int64,
    qualified_name_errors,
)
from .taints import EFFECTS, EQUAL, EXISTS, GT, LT, NO_EXECUTE
from .tolerations import Toleration

INVALID = "Invalid value"
NOT_SUPPORTED = "Unsupported value"

EMPTY_KEY_OPERATOR = (
    'operator must be Exists when `key` is empty, which means "match all values and all keys"'
)
SECONDS_NEED_NO_EXECUTE = "effect must be 'NoExecute' when `tolerationSeconds` is set"
EXISTS_WITH_VALUE = "value must be empty when `operator` is 'Exists'"
NOT_AN_INTEGER = "value must be a valid integer for numeric operators"
OPERATORS = (EQUAL, EXISTS)
OPERATORS_WITH_COMPARISON = (EQUAL, EXISTS, LT, GT)


@dataclass(frozen=True)
class FieldError:
    field: str  # the toleration's field: key, operator, value or effect
    path: str  # the API server's path, `spec.tolerations[0].operator`
    type: str  # INVALID or NOT_SUPPORTED
    bad_value: Any
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.type}: {go_value(self.bad_value)}: {self.detail}"


def go_value(value: Any) -> str:
    """The bad value as `field.Error` prints it: strings quoted (`%q`, or `%#v` for the named
    string types, which prints the same)."""
    if isinstance(value, str):
        return go_quote(value)
    return str(value)


def _not_supported(values: tuple[str, ...]) -> str:
    return "supported values: " + ", ".join(go_quote(v) for v in values)


def validate_toleration(
    toleration: Toleration, path: str, comparison: bool = False
) -> list[FieldError]:
    """Every error `ValidateTolerations` gives one toleration at `path` (its own path, e.g.
    `spec.tolerations[0]`). `comparison`: TaintTolerationComparisonOperators is on."""
    errors: list[FieldError] = []

    def add(name: str, kind: str, bad: Any, detail: str) -> None:
        errors.append(FieldError(name, f"{path}.{name}", kind, bad, detail))

    t = toleration
    if t.key:
        for message in qualified_name_errors(t.key):
            add("key", INVALID, t.key, message)
    if not t.key and t.operator != EXISTS:
        add("operator", INVALID, t.operator, EMPTY_KEY_OPERATOR)
    if t.seconds is not None and t.effect != NO_EXECUTE:
        add("effect", INVALID, t.effect, SECONDS_NEED_NO_EXECUTE)
    if t.operator in ("", EQUAL):
        messages = label_value_errors(t.value)
        if messages:  # reported at .operator, joined with ";", as the API does
            add("operator", INVALID, t.value, ";".join(messages))
    elif t.operator == EXISTS:
        if t.value:  # the bad value is the value since 1.32 (the whole toleration before)
            add("operator", INVALID, t.value, EXISTS_WITH_VALUE)
    elif t.operator in (LT, GT):
        if not comparison:
            add("operator", NOT_SUPPORTED, t.operator, _not_supported(OPERATORS_WITH_COMPARISON))
        elif decimal_integer_errors(t.value) or parse_int64(t.value)[1]:
            add("value", INVALID, t.value, NOT_AN_INTEGER)
    else:
        # The default branch names only Equal and Exists, with or without the feature.
        add("operator", NOT_SUPPORTED, t.operator, _not_supported(OPERATORS))
    if t.effect and t.effect not in EFFECTS:
        add("effect", NOT_SUPPORTED, t.effect, _not_supported(EFFECTS))
    return errors
