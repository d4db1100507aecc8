"""noexecute-unbounded in CEL: for each not-ready, unreachable and out-of-service NoExecute
taint, the first toleration that tolerates it (the taint manager's first match) has no
bound. Tolerations DefaultTolerationSeconds adds come after the written ones and are
bounded, so the first written match decides; DaemonSets and their Pods are let be."""

from __future__ import annotations

from ...k8s.features import COMPARISON_GATE
from ...k8s.taints import DEAD_NODE_NOEXECUTE_TAINTS, EFFECTS, NO_EXECUTE, WELL_KNOWN_TAINTS
from ..cel import literal
from ..subject import OBJECT, Subject
from ..tolerations import bounded, describe, first_of, tolerates
from .base import CelRule, ExportContext


def findings(subject: Subject, ctx: ExportContext) -> str:
    comparison = ctx.policy.feature(COMPARISON_GATE)
    parts = []
    for taint in DEAD_NODE_NOEXECUTE_TAINTS:
        matching = f"{subject.tolerations}.filter(t, {tolerates('t', taint, comparison)})"
        # the first match, filtered once (`first_of`) however often it is read
        parts.append(
            f"{first_of(matching)}.filter(f, !{bounded('f')})"
            f".map(f, {describe('f')} + ' tolerates {taint['key']}:NoExecute forever')"
        )
    return f"{subject.daemon} ? [] : " + " + ".join(parts)


def _other_effects(t: str) -> str:
    """The effects an empty-effect toleration also covered, besides NoExecute, in the API's
    order: the taint's own for a well-known key, else every one (`rules.noexecute_unbounded
    ._other_effects`)."""
    known = {
        key: [e for e in EFFECTS if e in taint.effects and e != NO_EXECUTE]
        for key, taint in WELL_KNOWN_TAINTS.items()
        # a first match for a dead-node taint has one of their keys, or none
        if taint.effects is not None and key in {t["key"] for t in DEAD_NODE_NOEXECUTE_TAINTS}
    }
    every = [e for e in EFFECTS if e != NO_EXECUTE]
    key = f"{t}.?key.orValue('')"
    return f"({key} in {literal(known)} ? {literal(known)}[{key}] : {literal(every)})"


def _patch(t: str, index: str, seconds: int) -> str:
    """The fix of toleration `t` at `index`: its tolerationSeconds; an empty-effect one also
    becomes NoExecute, with a copy appended for each other effect it covered. The copy's
    values are all `dyn` (its effect too): Kubernetes' CEL refuses a map literal mixing
    types (ValidateHomogeneousAggregateLiterals)."""
    base = f"variables.specPath + '/tolerations/' + string({index})"
    set_seconds = f"JSONPatch{{op: 'add', path: {base} + '/tolerationSeconds', value: {seconds}}}"
    set_effect = f"JSONPatch{{op: 'add', path: {base} + '/effect', value: 'NoExecute'}}"
    copy = (
        f"{{?'key': {t}.?key, ?'operator': {t}.?operator, ?'value': {t}.?value, 'effect': dyn(e)}}"
    )
    copies = (
        f"{_other_effects(t)}.map(e, JSONPatch{{op: 'add',"
        f" path: variables.specPath + '/tolerations/-', value: {copy}}})"
    )
    return (
        f"({t}.?effect.orValue('') == 'NoExecute' ? [{set_seconds}]"
        f" : [{set_effect}, {set_seconds}] + {copies})"
    )


def mutation(ctx: ExportContext) -> tuple[list[tuple[str, str]], str]:
    """For each dead-node taint in turn, the first matching toleration (`firstMatch<n>`: its
    index, -1 for none), once, if unbounded."""
    comparison = ctx.policy.feature(COMPARISON_GATE)
    seconds = ctx.params["tolerationSeconds"]
    tolerations = OBJECT.tolerations
    variables = []
    for n, taint in enumerate(DEAD_NODE_NOEXECUTE_TAINTS):
        matching = f"{tolerations}.filter(t, {tolerates('t', taint, comparison)})"
        first = f"{matching}.size() > 0 ? {tolerations}.indexOf({matching}[0]) : -1"
        variables.append((f"firstMatch{n}", first))
    count = len(variables)
    for n in range(count):
        first = f"variables.firstMatch{n}"
        earlier = [f"{first} != variables.firstMatch{m}" for m in range(n)]
        bounded_first = bounded(f"{tolerations}[{first}]")
        variables.append((f"fix{n}", " && ".join([f"{first} >= 0", *earlier, f"!{bounded_first}"])))
    parts = []
    for n in range(count):
        first = f"variables.firstMatch{n}"
        parts.append(
            f"(variables.fix{n} ? {_patch(f'{tolerations}[{first}]', first, seconds)} : [])"
        )
    return variables, f"{OBJECT.daemon} ? [] : " + " + ".join(parts)


RULE = CelRule("noexecute-unbounded", findings, mutation=mutation)
