"""Tolerations in CEL: which taint one tolerates (`Toleration.ToleratesTaint`), how it is
named in a message, and whether its tolerationSeconds bound an eviction.

The API server validates tolerations before any admission policy runs, so the CEL reads
only valid ones: a key-less toleration is `Exists`, seconds go with `NoExecute`.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..k8s.labels import INT64_MAX
from ..k8s.tolerations import parse_canonical_int
from .cel import literal


def field(t: str, name: str) -> str:
    return f"{t}.?{name}.orValue('')"


def tolerates(t: str, taint: Mapping[str, str], comparison: bool) -> str:
    """`t` tolerates the taint (a constant): `k8s.tolerations.Toleration.tolerates`."""
    key, value, effect = taint["key"], taint.get("value", ""), taint["effect"]
    operator = field(t, "operator")
    numeric = parse_canonical_int(value) is not None
    if comparison and numeric:  # no table taint has a numeric value: say so if one does
        raise NotImplementedError(f"Lt/Gt against the numeric value of {key}")
    return (
        f"({field(t, 'effect')} in ['', {literal(effect)}])"
        f" && ({field(t, 'key')} in ['', {literal(key)}])"
        f" && ({operator} == 'Exists'"
        f" || ({operator} in ['', 'Equal'] && {field(t, 'value')} == {literal(value)}))"
    )


def describe(t: str) -> str:
    """`toleration {key: k, operator: Exists, effect: NoExecute, tolerationSeconds: 30}`:
    every field that is set, so two tolerations are told apart on UPDATE by their text."""
    parts = " + ".join(
        f"({t}.?{name}.orValue('') != '' ? '{name}: ' + {t}.{name} + ', ' : '')"
        for name in ("key", "operator", "value", "effect")
    )
    seconds = (
        f"({t}.?tolerationSeconds.hasValue()"
        f" ? 'tolerationSeconds: ' + string({t}.tolerationSeconds) : '')"
    )
    return f"('toleration {{' + {parts} + {seconds} + '}}').replace(', }}', '}}')"


# 2^64 split so that the taint manager's wrapping int64 multiply (seconds * 1e9) can be
# redone in CEL, whose arithmetic refuses to overflow: see `forever`.
_TWO_32 = 2**32


def forever(seconds: str) -> str:
    """The taint manager never evicts for these seconds (`k8s.eviction.eviction_delay` is
    None): int64's maximum (its "unset"), or a value whose nanoseconds wrap negative. The
    wrap is computed in uint64 halves: s = a*2^32 + b, s*1e9 mod 2^64 =
    ((a*1e9 mod 2^32) * 2^32 + b*1e9) mod 2^64, negative when at least 2^63."""
    a = f"(uint({seconds}) / {_TWO_32}u)"
    b = f"(uint({seconds}) % {_TWO_32}u)"
    high = f"((({a} * 1000000000u) % {_TWO_32}u) * {_TWO_32}u)"
    low = f"({b} * 1000000000u)"
    # high + low may pass 2^64: then the wrapped sum is high - (2^64 - low)
    top = "18446744073709551615u"
    wrapped = f"({high} > {top} - {low} ? {high} - ({top} - {low}) - 1u : {high} + {low})"
    wraps_negative = f"{wrapped} >= 9223372036854775808u"
    return f"({seconds} == {INT64_MAX} || ({seconds} > 9223372036 && {wraps_negative}))"


def bounded(t: str) -> str:
    """`t` has tolerationSeconds the taint manager counts down (0 and below: at once)."""
    return f"({t}.?tolerationSeconds.hasValue() && !{forever(t + '.tolerationSeconds')})"
