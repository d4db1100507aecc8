"""ephemeral-storage-limit-zero in CEL: some container sets an ephemeral-storage limit and
`PodLimits` totals them below one byte (the larger of the regular and sidecar containers'
limits added and, for each other init container, its limit plus the sidecars' before it),
on a pod the kubelet may evict (`k8s.critical.why_critical`).

CEL has no fold over a list of quantities, so the total is compared in whole millibytes:
a value the engine counts is rounded up to 1m (`round_up_to_milli`, as the API server's
defaulting stores it), every value is at least 0, so the total is below one byte only if
every value is, and then each is a whole number of millibytes below 1000: `milli` finds it
exactly (a float guess, settled by quantity comparisons), and lists' `sum` adds them."""

from __future__ import annotations

from ...k8s.critical import CRITICAL_CLASSES, MIRROR_ANNOTATION, SYSTEM_CRITICAL_PRIORITY
from ..cel import literal, strings
from ..subject import Subject, template_metadata
from ..volumes import EPHEMERAL, has_ephemeral_limit, is_sidecar, limit, regular, sidecars_up_to
from .base import CelRule, ExportContext


def amount(container: str) -> str:
    """The container's ephemeral-storage limit as a quantity (null and unset: 0)."""
    written = limit(container, EPHEMERAL)
    return f"quantity({written}.orValue(null) == null ? '0' : string({written}.value()))"


def milli(quantity: str) -> str:
    """A quantity in [0, 1) rounded up to whole millibytes, as an int: the float guess k
    is off by at most one, so the smallest of k-1, k, k+1 (millibytes) not below it."""
    k = f"int({quantity}.asApproximateFloat() * 1000.0)"
    return (
        f"({quantity}.compareTo(quantity(string({k} - 1) + 'm')) <= 0 ? {k} - 1"
        f" : {quantity}.compareTo(quantity(string({k}) + 'm')) <= 0 ? {k} : {k} + 1)"
    )


def _critical(subject: Subject) -> str:
    """`why_critical`: spec.priority at least SystemCriticalPriority (where an int priority
    is written, the class is not read), else a system priority class; or a mirror pod."""
    spec = subject.spec
    annotations = f"({template_metadata(subject.obj)}).?annotations.orValue({{}})"
    return (
        f"((type({spec}.?priority.orValue(null)) == int"
        f" ? {spec}.priority >= {SYSTEM_CRITICAL_PRIORITY}"
        f" : {spec}.?priorityClassName.orValue('') in {strings(sorted(CRITICAL_CLASSES))})"
        f" || {literal(MIRROR_ANNOTATION)} in {annotations})"
    )


def below_one_byte(subject: Subject) -> str:
    # a negative limit (the API server refuses it) makes the engine stand down too
    every_below = (
        f"{subject.containers}.all(c, !{amount('c')}.isLessThan(quantity('0'))"
        f" && {amount('c')}.isLessThan(quantity('1')))"
    )
    running = f"({regular(subject)} + {subject.init}.filter(c, {is_sidecar('c')}))"
    running_total = f"{running}.map(c, {milli(amount('c'))}).sum() < 1000"
    init_peaks = (
        f"{subject.init}.all(c, {is_sidecar('c')} || {milli(amount('c'))}"
        f" + {sidecars_up_to(subject, 'c')}.map(s, {milli(amount('s'))}).sum() < 1000)"
    )
    return f"{every_below} && {running_total} && {init_peaks}"


def findings(subject: Subject, ctx: ExportContext) -> str:
    written = limit("c", EPHEMERAL)
    listed = (
        f"{subject.containers}.filter(c, {written}.hasValue())"
        f".map(c, {subject.label('c')} + ' '"
        f" + ({written}.value() == null ? 'null' : string({written}.value())))"
    )
    return (
        f"{has_ephemeral_limit(subject)} && !{_critical(subject)} && {below_one_byte(subject)}"
        f" ? ['the ephemeral-storage limits total less than 1 byte (' + {listed}.join(', ')"
        " + '): evicted as soon as it runs'] : []"
    )


RULE = CelRule("ephemeral-storage-limit-zero", findings)
