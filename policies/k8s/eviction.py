"""What the taint manager will do with a pod's tolerations once the pod exists.

The tolerations a pod ends up with are not only those written: the DaemonSet controller
adds or overwrites its own (`AddOrUpdateDaemonPodTolerations`), and DefaultTolerationSeconds
appends a 300 s not-ready/unreachable toleration for each key nothing covers. For each
NoExecute taint the taint manager then uses the *first* toleration in list order that
tolerates it (`GetMatchingTolerations`); a tolerationSeconds <= 0 means evict now, none
means stay forever (`getMinTolerationTime`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import product
from typing import TypeVar

from .labels import INT64_MAX
from .podspec import PodSpecView
from .taints import (
    DAEMONSET_HOST_NETWORK_TOLERATIONS,
    DAEMONSET_TOLERATIONS,
    DEAD_NODE_NOEXECUTE_TAINTS,
    EFFECTS,
    EXISTS,
    GT,
    LIFECYCLE_KEYS,
    LT,
    NO_EXECUTE,
    default_toleration,
)
from .taints import LIFECYCLE_NOEXECUTE_TAINTS as LIFECYCLE_TAINTS
from .toleration_validation import validate_toleration
from .tolerations import Toleration, TolerationView, parse_canonical_int

MANIFEST = "manifest"
DAEMONSET_CONTROLLER = "the DaemonSet controller"
DEFAULT_TOLERATION_SECONDS = "DefaultTolerationSeconds"


@dataclass(frozen=True)
class Effective:
    toleration: Toleration
    origin: str  # MANIFEST, DAEMONSET_CONTROLLER or DEFAULT_TOLERATION_SECONDS
    view: TolerationView | None = None  # the written toleration it is (or replaced)

    @property
    def written(self) -> TolerationView | None:
        """The manifest's toleration when it takes effect as written."""
        return self.view if self.origin == MANIFEST else None


def covers_for_default_seconds(toleration: Toleration, key: str) -> bool:
    """DefaultTolerationSeconds' test: key and effect only; operator and value are ignored."""
    return toleration.key in (key, "") and toleration.effect in (NO_EXECUTE, "")


Item = TypeVar("Item")


def add_or_update(
    items: list[Item],
    added: Toleration,
    toleration_of: Callable[[Item], Toleration],
    make: Callable[[Item | None], Item],
) -> list[Item]:
    """`AddOrUpdateTolerationInPodSpec`: every item whose toleration equals `added` but for
    its seconds (`MatchToleration`) is replaced by `make(item)`; if none is, `make(None)` is
    appended; if one equals it exactly, nothing changes."""
    out: list[Item] = []
    updated = False
    for item in items:
        toleration = toleration_of(item)
        if toleration.identity() == added.identity():
            if toleration == added:
                return items
            out.append(make(item))
            updated = True
        else:
            out.append(item)
    if not updated:
        out.append(make(None))
    return out


def _add_or_update(items: list[Effective], added: Toleration) -> list[Effective]:
    return add_or_update(
        items,
        added,
        lambda item: item.toleration,
        lambda item: Effective(added, DAEMONSET_CONTROLLER, item.view if item else None),
    )


def daemonset_tolerations(pod: PodSpecView) -> tuple[Toleration, ...]:
    """What the DaemonSet controller puts on this pod, if it is a daemon pod."""
    if not pod.daemon:
        return ()
    added = DAEMONSET_TOLERATIONS
    if pod.host_network:
        added += DAEMONSET_HOST_NETWORK_TOLERATIONS
    return tuple(Toleration.of(data) for data in added)


def valid_tolerations(
    pod: PodSpecView, comparison: bool
) -> list[tuple[TolerationView, Toleration]]:
    """The tolerations the API server accepts; with any other, it rejects the whole pod
    (toleration-invalid says why), so no other rule reasons about them."""
    key = ("valid_tolerations", comparison)
    if key not in pod.memo:
        pod.memo[key] = _valid_tolerations(pod, comparison)
    return pod.memo[key]


def _valid_tolerations(
    pod: PodSpecView, comparison: bool
) -> list[tuple[TolerationView, Toleration]]:
    return [
        (view, view.toleration)
        for view in pod.tolerations
        if view.toleration is not None
        and not view.problems  # an unknown field: kubectl's strict validation rejects it
        and not validate_toleration(view.toleration, view.field_path(), comparison)
    ]


def _origins(pod: PodSpecView, comparison: bool) -> list[tuple[TolerationView, Toleration, str]]:
    """Who put each valid written toleration there. On a Pod read back from the API, the
    DaemonSet controller's and DefaultTolerationSeconds' tolerations are already written: they
    count as theirs, so a workload and its Pods get the same findings. A default toleration
    counts as the plugin's only where the plugin could have added it (nothing before it
    covers its key); elsewhere its author wrote it."""
    controller = daemonset_tolerations(pod)
    out: list[tuple[TolerationView, Toleration, str]] = []
    covered: set[str] = set()  # lifecycle keys an earlier toleration covers for the plugin
    for view, t in valid_tolerations(pod, comparison):
        origin = MANIFEST
        if t in controller:
            origin = DAEMONSET_CONTROLLER
        elif is_default_toleration(t) and t.key not in covered:
            origin = DEFAULT_TOLERATION_SECONDS
        covered.update(k for k in LIFECYCLE_KEYS if covers_for_default_seconds(t, k))
        out.append((view, t, origin))
    return out


def effective_tolerations(pod: PodSpecView, comparison: bool) -> list[Effective]:
    """The pod's tolerations after the DaemonSet controller and DefaultTolerationSeconds,
    invalid ones left out (see `valid_tolerations`, and `_origins` for who wrote which)."""
    key = ("effective_tolerations", comparison)
    if key not in pod.memo:
        pod.memo[key] = _effective_tolerations(pod, comparison)
    return list(pod.memo[key])


def _effective_tolerations(pod: PodSpecView, comparison: bool) -> list[Effective]:
    controller = daemonset_tolerations(pod)
    items = [Effective(t, origin, view) for view, t, origin in _origins(pod, comparison)]
    if not pod.is_pod:  # the controller edits the template it creates a pod from, once:
        for added in controller:  # a daemon Pod may have changed its seconds since
            items = _add_or_update(items, added)
    for key in LIFECYCLE_KEYS:
        if not any(covers_for_default_seconds(item.toleration, key) for item in items):
            items.append(
                Effective(Toleration.of(default_toleration(key)), DEFAULT_TOLERATION_SECONDS)
            )
    return items


_DEFAULTS = frozenset(Toleration.of(default_toleration(key)) for key in LIFECYCLE_KEYS)


def is_default_toleration(toleration: Toleration) -> bool:
    """Exactly what DefaultTolerationSeconds adds: every rule lets it pass."""
    return toleration in _DEFAULTS


def first_match(
    taint: Mapping[str, str], items: Sequence[Effective], comparison: bool
) -> Effective | None:
    return next((i for i in items if i.toleration.tolerates_taint(taint, comparison)), None)


def eviction_delay(seconds: int | None) -> Fraction | None:
    """Seconds the taint manager lets the pod stay (`getMinTolerationTime`): None is forever,
    and so is int64's maximum (its "unset" sentinel); <= 0 is at once. The seconds become a
    `time.Duration` by a wrapping int64 multiply, so above 9223372036 they wrap: to a negative
    duration (forever) or to some other, often tiny, delay."""
    if seconds is None or seconds == INT64_MAX:
        return None
    if seconds <= 0:
        return Fraction(0)
    nanoseconds = (seconds * 1_000_000_000 + 2**63) % 2**64 - 2**63
    return None if nanoseconds < 0 else Fraction(nanoseconds, 1_000_000_000)


MAX_EXACT_SECONDS = INT64_MAX // 1_000_000_000  # 9223372036: larger values wrap


def show_delay(delay: Fraction) -> str:
    """Exact to the nanosecond the taint manager counts in: 59.999999999, never "60"."""
    if delay.denominator == 1:
        return str(delay.numerator)
    return f"{float(delay):.9f}".rstrip("0")


# --- shadowing: can a toleration ever be the first to match? -------------------------

_FRESH_KEY = "evictguard.io/no-such-key"
_FRESH_VALUE = "evictguard-no-such-value"  # a label value no integer comparison accepts


# Lt/Gt (alpha, behind TaintTolerationComparisonOperators) are matched by scanning: past this
# many, a Lt/Gt toleration is not judged shadowed rather than cost quadratic time.
MAX_COMPARED = 64


class FirstMatchIndex:
    """The earliest of the tolerations added so far that tolerates a given taint, found in
    constant time for Equal and Exists (a scan only over Lt/Gt ones): a pod with thousands
    of tolerations must not cost a quadratic number of comparisons."""

    def __init__(self, comparison: bool) -> None:
        self.comparison = comparison
        self.numbers: set[int] = set()  # the Lt/Gt and Equal values that are integers
        self._exists: dict[tuple[str, str], tuple[int, Toleration]] = {}
        self._equal: dict[tuple[str, str, str], tuple[int, Toleration]] = {}
        self._compare: list[tuple[int, Toleration]] = []
        self._count = 0

    def add(self, toleration: Toleration) -> None:
        entry = (self._count, toleration)
        self._count += 1
        if toleration.operator == EXISTS:
            self._exists.setdefault((toleration.key, toleration.effect), entry)
        elif toleration.is_equal:
            self._equal.setdefault((toleration.key, toleration.value, toleration.effect), entry)
        elif toleration.operator in (LT, GT):
            self._compare.append(entry)
        else:
            return  # an unknown operator matches nothing
        number = parse_canonical_int(toleration.value)
        if number is not None:
            self.numbers.add(number)

    def first(self, key: str, value: str, effect: str) -> Toleration | None:
        found: list[tuple[int, Toleration]] = []
        for k in {key, ""}:
            for e in {effect, ""}:
                if (hit := self._exists.get((k, e))) is not None:
                    found.append(hit)
                if (hit := self._equal.get((k, value, e))) is not None:
                    found.append(hit)
        for entry in self._compare[:MAX_COMPARED]:
            if entry[1].tolerates(key, value, effect, self.comparison):
                found.append(entry)
                break
        return min(found, key=lambda hit: hit[0])[1] if found else None


def _witness_values(later: Toleration, numbers: set[int]) -> list[str]:
    """Taint values that tell `later` apart from the earlier tolerations: coverage of
    integers only changes next to an earlier Lt/Gt bound or Equal value, so these points and
    their neighbours inside `later`'s range are enough."""
    if later.is_equal:
        return [later.value]
    if later.operator not in (LT, GT):
        return [_FRESH_VALUE]
    bound = parse_canonical_int(later.value)
    if bound is None or len(numbers) > MAX_COMPARED:
        return []  # beyond the bound, Lt/Gt tolerations are not judged shadowed (alpha)
    points = {0, INT64_MAX, bound - 1, bound + 1}
    for number in numbers:
        points |= {number - 1, number, number + 1}
    # Taint values are label values, so never negative; Lt/Gt only read int64.
    return [str(p) for p in sorted(points) if 0 <= p <= INT64_MAX]


def covering_in(
    later: Toleration, index: FirstMatchIndex, effects: Sequence[str] | None = None
) -> list[Toleration] | None:
    """The earlier tolerations (those in `index`) that match first every taint `later`
    tolerates (of `effects`; by default NoExecute taints for a NoExecute toleration, every
    effect for one without an effect), or None when some such taint reaches `later` first."""
    if effects is None:
        effects = [NO_EXECUTE] if later.effect == NO_EXECUTE else list(EFFECTS)
    keys = [later.key or _FRESH_KEY]
    used: list[Toleration] = []
    witnessed = False
    for key, value, effect in product(keys, _witness_values(later, index.numbers), effects):
        if not later.tolerates(key, value, effect, index.comparison):
            continue
        witnessed = True
        first = index.first(key, value, effect)
        if first is None:
            return None
        if first not in used:
            used.append(first)
    return used if witnessed else None


def covering(
    later: Toleration,
    earlier: Sequence[Toleration],
    comparison: bool,
    effects: Sequence[str] | None = None,
) -> list[Toleration] | None:
    """`covering_in` over a list of earlier tolerations."""
    index = FirstMatchIndex(comparison)
    for toleration in earlier:
        index.add(toleration)
    return covering_in(later, index, effects)


def lifecycle_first_matches(
    items: Sequence[Effective],
    comparison: bool,
    taints: Sequence[Mapping[str, str]] = LIFECYCLE_TAINTS,
) -> list[tuple[Effective, list[str]]]:
    """For the not-ready and unreachable NoExecute taints (or `taints`), the toleration the
    taint manager uses (the first that matches), with the taint keys it is used for."""
    found: list[tuple[Effective, list[str]]] = []
    for taint in taints:
        first = first_match(taint, items, comparison)
        if first is None:
            continue
        for entry, keys in found:
            if entry is first:
                keys.append(taint["key"])
                break
        else:
            found.append((first, [taint["key"]]))
    return found


def dead_node_first_matches(
    items: Sequence[Effective], comparison: bool
) -> list[tuple[Effective, list[str]]]:
    """`lifecycle_first_matches` for not-ready, unreachable and out-of-service."""
    return lifecycle_first_matches(items, comparison, DEAD_NODE_NOEXECUTE_TAINTS)


def written_tolerations(
    pod: PodSpecView, comparison: bool
) -> list[tuple[TolerationView, Toleration]]:
    """The manifest's valid tolerations, less those Kubernetes' own components added
    (DefaultTolerationSeconds' on every Pod, the DaemonSet controller's on daemon pods),
    which no rule may fault."""
    return [(view, t) for view, t, origin in _origins(pod, comparison) if origin == MANIFEST]
