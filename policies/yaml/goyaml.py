"""Plain YAML scalars read the way kubectl reads them, not the way PyYAML does.

kubectl, Helm and the API server turn YAML into JSON with sigs.k8s.io/yaml, which resolves
plain (unquoted) scalars with go-yaml v2's rules (`resolve.go`), not PyYAML's YAML 1.1:

- `y`, `Y`, `n`, `N` are booleans too (PyYAML: strings); `yes/no/on/off/true/false` agree;
- integers are Go's `strconv.ParseInt(s, 0, 64)` after removing `_`: `0o17` and `0x1F` and
  `017` are numbers, `08` is not an integer but a float, `1:30` is a string (PyYAML: 90);
- floats match `[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?`: `1e3` is 1000.0
  (PyYAML: a string);
- timestamps stay strings when decoded into untyped JSON (PyYAML: datetimes).

Reading manifests this way makes a toleration `value: 1e3` the number the API server
rejects, and `memory: 0o20000000000` the 2Gi it accepts. Only resolution changes: the safe
constructor still builds nothing but plain data.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import yaml

BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
MERGE = "tag:yaml.org,2002:merge"

_TRUE = ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")
_FALSE = ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")
_BOOLEANS = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_SPECIAL_FLOATS = {
    **dict.fromkeys((".nan", ".NaN", ".NAN"), float("nan")),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), float("inf")),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), float("-inf")),
}
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_GO_DECIMAL_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_BASES = {"0x": 16, "0X": 16, "0o": 8, "0O": 8, "0b": 2, "0B": 2}
_DIGITS = {2: "01", 8: "01234567", 10: "0123456789", 16: "0123456789abcdefABCDEF"}
UINT64_MAX = 2**64 - 1
INT64_MIN = -(2**63)


def go_parse_integer(text: str) -> int | None:
    """`strconv.ParseInt(text, 0, 64)`, else `ParseUint(text, 0, 64)`: the value or None."""
    sign, body = 1, text
    if body[:1] in ("+", "-"):
        sign, body = (-1 if body[0] == "-" else 1), body[1:]
    base = _BASES.get(body[:2], 0)
    if base:
        body = body[2:]
    elif len(body) > 1 and body[0] == "0":
        base, body = 8, body[1:]
    else:
        base = 10
    if not body or any(c not in _DIGITS[base] for c in body):
        return None
    value = sign * int(body, base)
    if INT64_MIN <= value < 2**63:
        return value
    if text[:1] not in ("+", "-") and value <= UINT64_MAX:  # ParseUint takes no sign
        return value
    return None


@lru_cache(maxsize=8192)  # manifests repeat the same words (keys, kinds) endlessly
def plain_tag(value: str) -> str:
    """The tag go-yaml v2 gives a plain scalar (`resolve` in yaml.v2's resolve.go)."""
    if value in _NULLS:
        return NULL
    if value in _BOOLEANS:
        return BOOL
    if value in _SPECIAL_FLOATS:
        return FLOAT
    if value == "<<":
        return MERGE
    first = value[0]
    if first == ".":
        return FLOAT if _GO_DECIMAL_FLOAT.fullmatch(value) else STR
    if first in "+-0123456789":
        plain = value.replace("_", "")
        if go_parse_integer(plain) is not None:
            return INT
        if _YAML_STYLE_FLOAT.fullmatch(plain):
            return FLOAT
    return STR


class KubernetesLoader(BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader (libyaml when available) with go-yaml v2's scalar resolution."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return plain_tag(value)
        return super().resolve(kind, value, implicit)


def _construct_bool(loader: Any, node: yaml.ScalarNode) -> bool:
    value = loader.construct_scalar(node)
    if value not in _BOOLEANS:  # an explicit `!!bool` on something else
        raise ValueError(f"cannot read {value!r} as a boolean")
    return _BOOLEANS[value]


def _construct_int(loader: Any, node: yaml.ScalarNode) -> Any:
    value = loader.construct_scalar(node)
    number = go_parse_integer(value.replace("_", ""))
    if number is None:  # an explicit `!!int` on something Go cannot parse
        raise ValueError(f"cannot read {value!r} as an integer")
    return number


def _construct_float(loader: Any, node: yaml.ScalarNode) -> float:
    value = loader.construct_scalar(node)
    if value in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[value]
    try:
        return float(value.replace("_", ""))
    except ValueError:
        raise ValueError(f"cannot read {value!r} as a number") from None


KubernetesLoader.add_constructor(BOOL, _construct_bool)
KubernetesLoader.add_constructor(INT, _construct_int)
KubernetesLoader.add_constructor(FLOAT, _construct_float)


_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class NotPlain(Exception):
    """A node `build_plain` leaves to PyYAML's constructor (tags, merge keys, odd keys)."""


def build_plain(node: yaml.Node) -> Any:
    """What the safe constructor builds from a composed document, built directly.

    PyYAML's constructor handles anchors, merge keys and every tag through generic,
    generator-based machinery; a manifest is nearly always plain mappings, lists and the
    five implicit scalar types, which this builds several times faster. Anything else
    raises NotPlain (or the error the constructor would also meet), and the caller lets
    the constructor build the document, so the result and every error stay its own.
    Callers pass only documents without aliases: a shared node would be built twice.
    """
    cls = node.__class__
    if cls is yaml.ScalarNode:
        return _SCALARS.get(node.tag, _not_plain)(node.value)
    if cls is yaml.MappingNode and node.tag == _MAP:
        return {_key(k): build_plain(v) for k, v in node.value}
    if cls is yaml.SequenceNode and node.tag == _SEQ:
        return [build_plain(item) for item in node.value]
    raise NotPlain(node.tag)


def _key(node: yaml.Node) -> Any:
    if node.__class__ is not yaml.ScalarNode or node.tag == MERGE:
        raise NotPlain(node.tag)  # a collection key (unhashable) or a merge
    return _SCALARS.get(node.tag, _not_plain)(node.value)


def _not_plain(value: str) -> Any:
    raise NotPlain(value)


def _int(value: str) -> int:
    number = go_parse_integer(value.replace("_", ""))
    if number is None:
        raise NotPlain(value)
    return number


def _float(value: str) -> float:
    special = _SPECIAL_FLOATS.get(value)
    return special if special is not None else float(value.replace("_", ""))


_SCALARS: dict[str, Any] = {
    STR: str,
    NULL: lambda value: None,
    BOOL: lambda value: _BOOLEANS[value],
    INT: _int,
    FLOAT: _float,
}
