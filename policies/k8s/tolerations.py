"""A toleration as the API server decodes it, and how it matches a taint.

`tolerates` is `Toleration.ToleratesTaint` (k8s.io/api core/v1 toleration.go): an empty
key or effect matches any, `Equal` (or no operator) compares the value exactly, `Exists`
ignores it, `Lt`/`Gt` compare canonical decimal integers and only with the
TaintTolerationComparisonOperators feature on, any other operator matches nothing.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import pointer as jp
from ..yaml.goyaml import STR, plain_tag
from ..yaml.values import go_json_kind, type_name
from .labels import INT64_MAX, INT64_MIN, decimal_integer_errors, parse_int64
from .taints import EQUAL, EXISTS, GT, LT, NO_EXECUTE

STRING_FIELDS = ("key", "operator", "value", "effect")
SECONDS = "tolerationSeconds"
FIELDS = (*STRING_FIELDS, SECONDS)
# The Go struct each field decodes into, for messages that read like the API server's.
GO_TYPES = {"key": "string", "operator": "string", "value": "string", "effect": "string"}
GO_TYPES[SECONDS] = "int64"


@dataclass(frozen=True)
class Toleration:
    key: str = ""
    operator: str = ""
    value: str = ""
    effect: str = ""
    seconds: int | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Toleration:
        """From a well-typed mapping (our own data: defaults, fixes, policy allowlists)."""
        return cls(
            key=data.get("key") or "",
            operator=data.get("operator") or "",
            value=data.get("value") or "",
            effect=data.get("effect") or "",
            seconds=data.get(SECONDS),
        )

    @property
    def is_equal(self) -> bool:
        return self.operator in ("", EQUAL)

    @property
    def is_wildcard(self) -> bool:
        """Key-less `Exists`: every key, every value (and every effect if none is set)."""
        return self.key == "" and self.operator == EXISTS

    @property
    def covers_no_execute(self) -> bool:
        return self.effect in ("", NO_EXECUTE)

    def tolerates(self, key: str, value: str, effect: str, comparison: bool = False) -> bool:
        if self.effect and self.effect != effect:
            return False
        if self.key and self.key != key:
            return False
        if self.is_equal:
            return self.value == value
        if self.operator == EXISTS:
            return True
        if self.operator in (LT, GT):
            return comparison and compare_numbers(self.value, value, self.operator)
        return False

    def tolerates_taint(self, taint: Mapping[str, str], comparison: bool = False) -> bool:
        return self.tolerates(taint["key"], taint.get("value", ""), taint["effect"], comparison)

    def identity(self) -> tuple[str, str, str, str]:
        """`MatchToleration`: the same toleration whatever its tolerationSeconds."""
        return (self.key, self.operator, self.value, self.effect)

    def as_dict(self) -> dict[str, Any]:
        """The fields that are set, in the order the API documents them."""
        out: dict[str, Any] = {}
        for name in STRING_FIELDS:
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.seconds is not None:
            out[SECONDS] = self.seconds
        return out


def parse_canonical_int(text: str) -> int | None:
    """What `Lt`/`Gt` compare: a canonical decimal that fits in int64, else no match."""
    if decimal_integer_errors(text):
        return None
    number, _ = parse_int64(text)
    return number


def compare_numbers(toleration_value: str, taint_value: str, operator: str) -> bool:
    """`Gt`: the taint's value is greater than the toleration's; `Lt`: smaller. Equal
    values match neither."""
    mine, theirs = parse_canonical_int(toleration_value), parse_canonical_int(taint_value)
    if mine is None or theirs is None:
        return False
    return theirs > mine if operator == GT else theirs < mine


def describe(data: Mapping[str, Any]) -> str:
    """`{key: a, operator: Exists, effect: NoExecute}`: the fields as written, in flow style."""
    parts = [f"{k}: {_show(v)}" for k, v in data.items() if k in FIELDS]
    parts += [f"{k}: {_show(v)}" for k, v in data.items() if k not in FIELDS]
    return "{" + ", ".join(parts) + "}"


def _show(value: Any) -> str:
    """A value as YAML flow style would need it: quoted where plain text would read as
    something else (`"true"`, `"5"`, `""`) or would not parse."""
    if isinstance(value, str):
        plain = (
            value
            and value.strip() == value
            and not any(c in value for c in ":{}[],#'\"&*!|>%@`")
            and plain_tag(value) == STR  # kubectl would read `y`, `1e3`, `08` otherwise
        )
        return value if plain else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))  # as JSON carries it to the API server: 300.0 is 300
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_show(str(k))}: {_show(v)}" for k, v in value.items()) + "}"
    return str(value)


@dataclass(frozen=True)
class DecodeProblem:
    """A field the API server cannot decode (the request fails before validation), or one it
    does not know (rejected under strict field validation, kubectl's default; dropped with a
    warning otherwise)."""

    field: str
    pointer: str
    message: str
    unknown: bool = False


@dataclass(frozen=True)
class TolerationView:
    data: Mapping[str, Any]
    pointer: str
    index: int
    toleration: Toleration | None  # None when a field cannot be decoded
    problems: tuple[DecodeProblem, ...] = field(default=())

    def describe(self) -> str:
        return f"toleration #{self.index} {describe(self.data)}"

    def field_pointer(self, name: str) -> str:
        return jp.child(self.pointer, name)

    def field_path(self, name: str | None = None) -> str:
        """The API server's field path (`spec.template.spec.tolerations[0].key`)."""
        own = jp.to_dotted(self.pointer)
        return f"{own}.{name}" if name else own


def _decode_problem(name: str, value: Any, pointer: str) -> DecodeProblem:
    kind = go_json_kind(value)
    hint = ""
    if isinstance(value, bool) and name in STRING_FIELDS:
        hint = " (YAML reads true/false/yes/no/on/off as booleans: quote the value)"
    elif isinstance(value, (int, float)) and name in STRING_FIELDS:
        hint = " (YAML reads it as a number: quote the value)"
    elif isinstance(value, str) and name == SECONDS:
        hint = " (write the number without quotes)"
    return DecodeProblem(
        name,
        pointer,
        f"is {type_name(value)}, not a{'n' if name == SECONDS else ''} "
        f"{'integer' if name == SECONDS else 'string'}: the API server fails to decode it "
        f"(cannot unmarshal {kind} into Go struct field Toleration.{name} of type "
        f"{GO_TYPES[name]}){hint}",
    )


def _seconds(value: Any) -> int | None:
    """An int64 as JSON decoding reads it: integral numbers only (YAML's `300.0` becomes
    JSON `300`), within int64."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        return None
    number = int(value)
    return number if INT64_MIN <= number <= INT64_MAX else None


def _key_text(key: Any) -> str:
    """A mapping key as sigs.k8s.io/yaml writes it into JSON (`true`, not `True`)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    return key if isinstance(key, str) else _show(key)


def read_toleration(data: Mapping[str, Any], pointer: str, index: int) -> TolerationView:
    """Decode one toleration; `null` fields are absent, as Go's JSON decoding leaves them."""
    problems: list[DecodeProblem] = []
    values: dict[str, Any] = {}
    for name in STRING_FIELDS:
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            values[name] = value
        else:
            problems.append(_decode_problem(name, value, jp.child(pointer, name)))
    seconds = data.get(SECONDS)
    if seconds is not None:
        number = _seconds(seconds)
        if number is None:
            problems.append(_decode_problem(SECONDS, seconds, jp.child(pointer, SECONDS)))
        else:
            values["seconds"] = number
    for raw_name in data:
        if raw_name in FIELDS:
            continue
        name = _key_text(raw_name)
        close = difflib.get_close_matches(str(name), FIELDS, n=1, cutoff=0.6)
        lowered = [f for f in FIELDS if f.lower() == str(name).lower()]
        suggestion = (lowered or close or [None])[0]
        hint = f"; did you mean {suggestion}?" if suggestion else ""
        problems.append(
            DecodeProblem(
                name,
                jp.child(pointer, name),
                f'unknown field "{name}": strict field validation (kubectl\'s default) '
                f"rejects it, other clients drop it with a warning{hint}",
                unknown=True,
            )
        )
    decodable = all(p.unknown for p in problems)
    toleration = Toleration(**values) if decodable else None
    return TolerationView(data, pointer, index, toleration, tuple(problems))


def is_superset(ss: Toleration, t: Toleration) -> bool:
    """`IsSuperset` (k8s pkg/util/tolerations): whether `ss` tolerates everything `t` does, as
    PodTolerationRestriction checks a pod toleration against a whitelist entry. Note that an
    entry with `Equal` covers only `Equal` tolerations, not ones with the operator left out."""
    if ss == t:
        return True
    if t.key != ss.key and not (ss.key == "" and ss.operator == EXISTS):
        return False
    if t.effect != ss.effect and ss.effect != "":
        return False
    bounded = ss.effect == NO_EXECUTE and ss.seconds is not None
    if bounded and (t.seconds is None or t.seconds > ss.seconds):
        return False
    if ss.operator in ("", EQUAL):
        return t.operator == EQUAL and t.value == ss.value
    return ss.operator == EXISTS
