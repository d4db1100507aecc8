"""Tolerations in CEL: which taint one tolerates (`Toleration.ToleratesTaint`), how it is
named in a message, and whether its tolerationSeconds bound an eviction.

The API server validates tolerations before any admission policy runs, so the CEL reads
only valid ones: a key-less toleration is `Exists`, seconds go with `NoExecute`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..k8s.labels import INT64_MAX
from ..k8s.taints import (
    DAEMONSET_HOST_NETWORK_TOLERATIONS,
    DAEMONSET_TOLERATIONS,
    LIFECYCLE_KEYS,
    default_toleration,
)
from ..k8s.tolerations import SECONDS, STRING_FIELDS, parse_canonical_int
from .cel import all_of, any_of, literal
from .subject import Subject


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


# --- who wrote a toleration, and which one the taint manager uses --------------------
# `k8s.eviction._origins` and `_effective_tolerations`, restated over the list the object
# carries. CEL has no list indices to iterate over, so "the first toleration that ..." is
# `filter(...)[0]`, and an element is told apart from the others by its value: the first
# match for a taint can have no equal element before it (that one would match first).


def equals(t: str, data: Mapping[str, Any]) -> str:
    """`t` is exactly the toleration `data` (a constant): all four strings, and the seconds
    (or their absence)."""
    fields = [f"{field(t, name)} == {literal(data.get(name) or '')}" for name in STRING_FIELDS]
    seconds = data.get(SECONDS)
    if seconds is None:
        fields.append(f"!{t}.?tolerationSeconds.hasValue()")
    else:
        fields.append(
            f"{t}.?tolerationSeconds.hasValue() && {t}.tolerationSeconds == {literal(seconds)}"
        )
    return f"({all_of(fields)})"


def same_but_seconds(t: str, data: Mapping[str, Any]) -> str:
    """`MatchToleration`: equal but for tolerationSeconds."""
    fields = [f"{field(t, name)} == {literal(data.get(name) or '')}" for name in STRING_FIELDS]
    return f"({all_of(fields)})"


def covers_for_default_seconds(t: str, key: str) -> str:
    """DefaultTolerationSeconds' test (`k8s.eviction.covers_for_default_seconds`)."""
    return (
        f"({field(t, 'key')} in ['', {literal(key)}] && {field(t, 'effect')} in ['', 'NoExecute'])"
    )


def added_by_default_seconds(tolerations: str, key: str, var: str = "d") -> str:
    """The plugin's toleration for `key` is in the list (the first one covering `key` is
    exactly it): that one element is DefaultTolerationSeconds', not its author's."""
    covering = f"{tolerations}.filter({var}, {covers_for_default_seconds(var, key)})"
    return f"({covering}.size() > 0 && {equals(covering + '[0]', default_toleration(key))})"


def controller_tolerations(subject: Subject) -> list[tuple[str, Mapping[str, Any]]]:
    """(condition, toleration) the DaemonSet controller puts on a daemon pod
    (`k8s.eviction.daemonset_tolerations`)."""
    host_network = f"{subject.spec}.?hostNetwork.orValue(false) == true"
    return [(subject.daemon, data) for data in DAEMONSET_TOLERATIONS] + [
        (f"{subject.daemon} && {host_network}", data) for data in DAEMONSET_HOST_NETWORK_TOLERATIONS
    ]


def by_controller(t: str, subject: Subject) -> str:
    """`t` is one the DaemonSet controller puts there (exactly)."""
    made = controller_tolerations(subject)
    return any_of(f"({cond}) && {equals(t, data)}" for cond, data in made)


def written(subject: Subject) -> str:
    """`k8s.eviction.written_tolerations` (as values): the tolerations the object's author
    wrote, less the DaemonSet controller's (on daemon pods) and the one of each key that
    DefaultTolerationSeconds added. A written copy of a default toleration stays in (one
    copy: the findings are compared as a set). Whether the plugin added each is decided
    once, outside the filter, so the list is read a fixed number of times."""
    tolerations = subject.tolerations
    added = [added_by_default_seconds(tolerations, key) for key in LIFECYCLE_KEYS]
    defaults = [default_toleration(key) for key in LIFECYCLE_KEYS]

    def kept(plugin: tuple[bool, ...]) -> str:
        parts = [f"!({by_controller('w', subject)})"]
        parts += [f"!{equals('w', d)}" for d, on in zip(defaults, plugin, strict=True) if on]
        return f"{tolerations}.filter(w, {all_of(parts)})"

    def choose(plugin: tuple[bool, ...]) -> str:
        if len(plugin) == len(added):
            return kept(plugin)
        condition = added[len(plugin)]
        return f"({condition} ? {choose((*plugin, True))} : {choose((*plugin, False))})"

    extra = []
    for plugin, default in zip(added, defaults, strict=True):
        copies = f"{tolerations}.filter(c, {equals('c', default)})"
        extra.append(f"({plugin} && {copies}.size() > 1 ? [{copies}[1]] : [])")
    return f"({choose(())} + " + " + ".join(extra) + ")"


def matching(subject: Subject, taint: Mapping[str, str], comparison: bool) -> str:
    """The object's tolerations of `taint`, in order: `[0]` is the one the taint manager
    uses, unless none is written (then an appended one, never a written one)."""
    return f"{subject.tolerations}.filter(m, {tolerates('m', taint, comparison)})"


def first_of(items: str) -> str:
    """`[the first of items]`, or `[]`: `.filter(v, ...)` and `.map(v, ...)` on it read the
    first item as `v`, so the list is filtered once however often `v` is used (CEL has no
    `let` in Kubernetes 1.30)."""
    return f"[{items}].filter(l, l.size() > 0).map(l, l[0])"


def is_used_for(subject: Subject, taint: Mapping[str, str], f: str, comparison: bool) -> str:
    """`f` is the toleration the taint manager uses for `taint`."""
    return f"[{matching(subject, taint, comparison)}].exists(l, l.size() > 0 && l[0] == {f})"


def used_as_written(subject: Subject, taint: Mapping[str, str], f: str) -> str:
    """`f`, the first toleration of `taint`, takes effect as its author wrote it (`Effective
    .written`): it is not DefaultTolerationSeconds' own, and on a DaemonSet (a template:
    the controller edits it once) not replaced by the controller's toleration of the same
    key, operator, value and effect (`add_or_update`: replaced unless one is exactly it).
    The cheap comparisons come first, so the list is read again only where they hold."""
    parts = []
    if taint["key"] in LIFECYCLE_KEYS:
        default = default_toleration(taint["key"])
        plugin = added_by_default_seconds(subject.tolerations, taint["key"])
        parts.append(f"!({equals(f, default)} && {plugin})")
    template = f"{subject.obj}.kind != 'Pod'"
    for cond, data in controller_tolerations(subject):
        replaced = (
            f"{same_but_seconds(f, data)} && {template} && ({cond})"
            f" && !{subject.tolerations}.exists(x, {equals('x', data)})"
        )
        parts.append(f"!({replaced})")
    return all_of(parts)


def first_used_for(
    subject: Subject, taints: Sequence[Mapping[str, str]], f: str, comparison: bool
) -> str:
    """The keys of `taints` for which `f` (a toleration of the object) is the one the
    taint manager uses, joined with ' and ' (`k8s.eviction.lifecycle_first_matches`)."""
    keys = [
        f"({is_used_for(subject, taint, f, comparison)}"
        f" ? [{literal(taint['key'] + ':NoExecute')}] : [])"
        for taint in taints
    ]
    return "(" + " + ".join(keys) + ").join(' and ')"


def written_first_matches(
    subject: Subject,
    taints: Sequence[Mapping[str, str]],
    comparison: bool,
    conditions: Sequence[str],
    message: str,
) -> str:
    """For each of `taints`, the toleration the taint manager uses for it, as `f`, when its
    author wrote it so (`used_as_written`) and `conditions` hold; once, at the first taint
    it is used for; mapped to `message`: the findings of the seconds rules."""
    parts = []
    for index, taint in enumerate(taints):
        judged = [
            *conditions,
            used_as_written(subject, taint, "f"),
            # one used for an earlier taint of the list is reported there already
            *(f"!{is_used_for(subject, other, 'f', comparison)}" for other in taints[:index]),
        ]
        parts.append(
            f"{first_of(matching(subject, taint, comparison))}"
            f".filter(f, {' && '.join(judged)}).map(f, {message})"
        )
    return " + ".join(parts)


def tolerates_own_key(t: str) -> str:
    """`t` tolerates the NoSchedule taint of its own key with no value (how the node
    lifecycle controller sets the pressure and unavailable taints): Lt/Gt compare numbers,
    and an empty value is none."""
    return (
        f"({field(t, 'effect')} in ['', 'NoSchedule'] && ({field(t, 'operator')} == 'Exists'"
        f" || ({field(t, 'operator')} in ['', 'Equal'] && {field(t, 'value')} == '')))"
    )
