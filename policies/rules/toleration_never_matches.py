"""toleration-never-matches: a valid toleration aimed at a taint it can never match, or one
written in the deprecated annotation `scheduler.alpha.kubernetes.io/tolerations`, which the
API server validates and nothing reads (see `toleration_annotation`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..k8s.eviction import (
    covers_for_default_seconds,
    effective_tolerations,
    eviction_delay,
    first_match,
    written_tolerations,
)
from ..k8s.placement import chooses_control_plane
from ..k8s.taints import (
    CONTROL_PLANE_ALIASES,
    DISTRIBUTION_TAINTS,
    EFFECTS,
    EXISTS,
    GT,
    HOST_NETWORK_KEYS,
    LIFECYCLE_KEYS,
    LIFECYCLE_NOEXECUTE_TAINTS,
    LT,
    NO_EXECUTE,
    NO_SCHEDULE,
    OTHER,
    PRESSURE,
    RETIRED_TAINTS,
    ROLE,
    UNAVAILABLE,
    WELL_KNOWN_TAINTS,
    KnownTaint,
)
from ..k8s.toleration_annotation import NO_EFFECT, TOLERATIONS_ANNOTATION
from ..k8s.toleration_annotation import read as read_annotation
from ..k8s.tolerations import Toleration, describe, parse_canonical_int
from ..model import Mode, Violation
from .base import Context, Param, ParamType, Rule
from .suggest import suggest_taint_key


def known_taints(listed: Iterable[Mapping[str, Any]]) -> dict[str, KnownTaint]:
    """Kubernetes' own taints plus the cluster's, from the policy's `knownTaints`."""
    known = dict(WELL_KNOWN_TAINTS)
    for entry in listed:
        effects, values = entry.get("effects"), entry.get("values")
        known[entry["key"]] = KnownTaint(
            entry["key"],
            frozenset(effects) if effects else None,
            frozenset(values) if values is not None else None,
            OTHER,
            "the policy's knownTaints",
        )
    return known


def _one_of(options: frozenset[str]) -> str:
    shown = sorted(f'"{o}"' if o else "an empty value" for o in options)
    return " or ".join(shown)


def _value_never_matches(t: Toleration, taint: KnownTaint) -> str | None:
    if taint.values is None:
        return None
    if t.is_equal and t.value not in taint.values:
        if taint.values == frozenset({""}):
            return f'{taint.key} never carries a value (this toleration wants "{t.value}")'
        return f'{taint.key} always carries {_one_of(taint.values)}, never "{t.value}"'
    if t.operator in (LT, GT) and not any(parse_canonical_int(v) is not None for v in taint.values):
        return f"{taint.key} never carries a number for operator {t.operator} to compare"
    return None


def _intended(
    t: Toleration, taint: KnownTaint, bound: tuple[int, int] | None
) -> list[dict[str, Any]]:
    """The toleration the author most likely meant: the right key, an effect the taint has,
    and Exists where the value could not match. With `bound` (the policy's default seconds
    and floor, for pods the NoExecute rules judge), a not-ready/unreachable toleration is
    suggested bounded as those rules want it, split in two when it has no effect, so that
    following the suggestion does not trade this finding for theirs."""
    fixed = t.as_dict()
    fixed["key"] = taint.key
    if taint.effects is not None and t.effect and t.effect not in taint.effects:
        wanted = NO_EXECUTE if t.seconds is not None else t.effect
        if wanted not in taint.effects:
            wanted = next(e for e in EFFECTS if e in taint.effects)
        fixed["effect"] = wanted
        if wanted != NO_EXECUTE:
            fixed.pop("tolerationSeconds", None)
    if _value_never_matches(t, taint):
        fixed.pop("value", None)
        fixed["operator"] = EXISTS
    order = ("key", "operator", "value", "effect", "tolerationSeconds")
    intended = {k: fixed[k] for k in order if k in fixed}
    if bound is None or taint.key not in LIFECYCLE_KEYS:
        return [intended]
    seconds, floor = bound
    if intended.get("effect", "") == "":
        return [
            {**intended, "effect": NO_EXECUTE, "tolerationSeconds": seconds},
            {**intended, "effect": NO_SCHEDULE},
        ]
    written = intended.get("tolerationSeconds")
    if intended["effect"] == NO_EXECUTE and (
        written is None
        or eviction_delay(written) is None  # wraps to forever
        or eviction_delay(written) != max(written, 0)  # wraps to something else
        or written < floor
    ):
        intended["tolerationSeconds"] = seconds
    return [intended]


def _problem(t: Toleration, known: Mapping[str, KnownTaint]) -> tuple[str, str, KnownTaint] | None:
    """(field, why it never matches, the taint it aims at), or None."""
    if not t.key:
        return None
    if t.key in RETIRED_TAINTS:
        taint = known[RETIRED_TAINTS[t.key]]
        return "key", f"no current Kubernetes sets the retired taint {t.key}", taint
    if t.key not in known:
        intended = suggest_taint_key(t.key, sorted(known))
        if intended is None:
            return None
        reason = f"{t.key} is not a taint Kubernetes sets (nor one in knownTaints)"
        return "key", reason, known[intended]
    taint = known[t.key]
    if taint.effects is not None and t.effect and t.effect not in taint.effects:
        return "effect", f"{t.key} is only ever a {_one_of(taint.effects)} taint", taint
    reason = _value_never_matches(t, taint)
    if reason:
        return ("value" if t.value else "operator"), reason, taint
    return None


def _untolerated_lifecycle_keys(ctx: Context) -> set[str]:
    """The lifecycle taints nothing on the pod tolerates: the DaemonSet controller and
    DefaultTolerationSeconds have had their say."""
    items = effective_tolerations(ctx.pod, ctx.comparison)
    return {
        taint["key"]
        for taint in LIFECYCLE_NOEXECUTE_TAINTS
        if first_match(taint, items, ctx.comparison) is None
    }


def _evicted_at_once(ctx: Context, t: Toleration, untolerated: set[str]) -> list[str]:
    """The lifecycle taints this toleration stops DefaultTolerationSeconds from covering
    (it checks key and effect only) while nothing else tolerates them."""
    if ctx.pod.daemon:
        return []  # the DaemonSet controller adds its own
    return [
        taint["key"]
        for taint in LIFECYCLE_NOEXECUTE_TAINTS
        if covers_for_default_seconds(t, taint["key"]) and taint["key"] in untolerated
    ]


def _aliased(t: Toleration, written: list[Toleration]) -> bool:
    """An older cluster's key for the control-plane taint, listed beside a toleration of the
    current key that covers its effect: a deliberate alias, and what it would suggest is
    already there."""
    current = CONTROL_PLANE_ALIASES.get(t.key)
    return current is not None and any(
        o.key == current and o.effect in ("", t.effect) for o in written
    )


def check(ctx: Context) -> Iterator[Violation]:
    known = known_taints(ctx.cluster.known_taints)
    untolerated: set[str] | None = None  # computed once, when first needed
    written = written_tolerations(ctx.pod, ctx.comparison)
    for view, t in written:
        found = _problem(t, known)
        if found is None or _aliased(t, [o for _, o in written]):
            continue
        if untolerated is None:
            untolerated = _untolerated_lifecycle_keys(ctx)
        field, reason, taint = found
        consequence = "so this toleration never matches"
        lifecycle = _evicted_at_once(ctx, t, untolerated)
        if lifecycle:
            consequence += (
                ", and DefaultTolerationSeconds, which looks only at key and effect, counts "
                "it as tolerating " + " and ".join(lifecycle) + " and adds no 300 s "
                "toleration of its own: the pod is evicted the moment the taint appears"
            )
        suggestions = " and ".join(describe(d) for d in _intended(t, taint, _bound(ctx)))
        note = ""
        if t.key in DISTRIBUTION_TAINTS:
            note = f" (Only {DISTRIBUTION_TAINTS[t.key]}: list it in knownTaints if yours does.)"
        objecting = _objecting_rule(ctx, taint)
        notes: tuple[tuple[str, str], ...] = ()  # said where that rule is on (engine decides)
        if objecting:
            notes = (
                (objecting, f" (Tolerating {taint.key} at all is what {objecting} warns about.)"),
            )
        yield Violation(
            pointer=view.field_pointer(field),
            message=f"{ctx.ref.describe()}: {view.describe()}: {reason}, {consequence}; "
            f"did you mean {suggestions}?{note}",
            notes=notes,
        )
    yield from _annotated(ctx)


def _annotated(ctx: Context) -> Iterator[Violation]:
    """One finding for the annotation, when the API server accepts it (an invalid one is
    `toleration-invalid`'s): its tolerations tolerate nothing."""
    found = read_annotation(ctx.obj, ctx.pod, ctx.comparison)
    if found is None or not found.ignored:
        return
    count = len(found.ignored)
    listed = ", ".join(t.fields() for t in found.ignored)
    yield Violation(
        pointer=found.pointer,
        message=f"{ctx.ref.describe()}: annotation {TOLERATIONS_ANNOTATION} holds "
        f"{count} toleration{'s' if count > 1 else ''} ({listed}) that "
        f"tolerate{'s' if count == 1 else ''} nothing: {NO_EFFECT}, and the API server only "
        f"validates the annotation; move {'it' if count == 1 else 'them'} to "
        "spec.tolerations (where the other toleration rules check them)",
    )


def _objecting_rule(ctx: Context, taint: KnownTaint) -> str | None:
    """The rule that would fault the intended toleration itself on this pod, were it on."""
    if ctx.pod.daemon:
        return None
    rule = {
        PRESSURE: "toleration-node-pressure",
        ROLE: "toleration-control-plane",
        UNAVAILABLE: "toleration-node-unavailable",
    }.get(taint.category)
    if rule is None:
        return None
    if rule != "toleration-node-pressure" and ctx.in_system_namespace:
        return None
    if rule == "toleration-control-plane" and chooses_control_plane(ctx.pod):
        return None
    if rule == "toleration-node-unavailable" and ctx.pod.host_network:
        return None if taint.key in HOST_NETWORK_KEYS else rule
    return rule


def _bound(ctx: Context) -> tuple[int, int] | None:
    """(default seconds, floor) where the NoExecute rules will judge the suggestion."""
    if ctx.pod.daemon:
        return None  # the DaemonSet controller overwrites these tolerations anyway
    return ctx.bounds.toleration_seconds, ctx.bounds.min_seconds


RULE = Rule(
    id="toleration-never-matches",
    summary="A toleration aimed at a well-known taint can match it: the key is spelt right "
    "and current, the effect is one the taint has, the value one it carries; and none is "
    "left in the deprecated scheduler.alpha.kubernetes.io/tolerations annotation.",
    why="Tolerations match taints by exact string comparison, so a misspelt or retired key, "
    "an effect the taint never has or a value it never carries passes validation and "
    "tolerates nothing: the pod is kept off the nodes meant for it, or evicted at once "
    "instead of after the intended delay. For not-ready and unreachable it is worse: "
    "DefaultTolerationSeconds looks only at key and effect, so an Equal toleration with a "
    "value suppresses the default 300 s toleration and the pod is evicted the moment the "
    "taint appears. Tolerations in the annotation scheduler.alpha.kubernetes.io/tolerations "
    "tolerate nothing at all: since Kubernetes 1.6 the scheduler, the taint manager and "
    "DefaultTolerationSeconds read only spec.tolerations, and the API server merely "
    "validates the annotation.",
    remediation="Use the key, effect and value the taint really has (the message suggests "
    "the toleration); list the cluster's own taints in the policy's knownTaints; move "
    "tolerations from the annotation to spec.tolerations.",
    example="""\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx
  tolerations:
    - key: node.kubernetes.io/unreachble   # typo: tolerates nothing
      operator: Exists
      effect: NoExecute
      tolerationSeconds: 120
""",
    check=check,
    params=(
        Param(
            "knownTaints",
            ParamType.KNOWN_TAINTS,
            [],
            "The older place of the top-level knownTaints (still read, added to it): the "
            "cluster's own taints are a fact about the cluster, which other rules read too",
            moved_to="knownTaints",
        ),
    ),
    default_mode=Mode.WARN,
)
