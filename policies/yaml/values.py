"""Naming decoded YAML values in messages the way the API server's decoding errors do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def go_json_kind(value: Any) -> str:
    """The JSON kind Go's decoder names in `cannot unmarshal <kind> into ...` errors."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def type_name(value: Any) -> str:
    """JSON's name for a value ("a mapping", "a list", "null", ...)."""
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return f"a {type(value).__name__}"  # timestamps, binary, sets: YAML-only types
