"""Whether a pod's nodeSelector or node affinity chooses nodes carrying a label, in CEL:
`k8s.placement.chooses_nodes_labelled` on the object as admitted (every field already of
its type, so the Python's type checks have nothing left to refuse)."""

from __future__ import annotations

from collections.abc import Collection

from .cel import strings
from .subject import Subject

AFFINITY = "affinity.?nodeAffinity"


def _requires(expression: str, keys: str) -> str:
    """An expression only nodes carrying one of `keys` satisfy: Exists, or In with values."""
    return (
        f"({expression}.?key.orValue('') in {keys} && ({expression}.?operator.orValue('') =="
        f" 'Exists' || ({expression}.?operator.orValue('') == 'In'"
        f" && {expression}.?values.orValue([]).size() > 0)))"
    )


def _term_requires(term: str, keys: str, var: str) -> str:
    return f"{term}.?matchExpressions.orValue([]).exists({var}, {_requires(var, keys)})"


def chooses_nodes_labelled(subject: Subject, labels: Collection[str]) -> str:
    """The pod selects, requires (in one of its ORed terms) or prefers (weight above 0)
    nodes carrying one of `labels`, with any value."""
    keys = strings(sorted(labels))
    spec = subject.spec
    required = (
        f"{spec}.?{AFFINITY}.?requiredDuringSchedulingIgnoredDuringExecution"
        ".?nodeSelectorTerms.orValue([])"
    )
    preferred = f"{spec}.?{AFFINITY}.?preferredDuringSchedulingIgnoredDuringExecution.orValue([])"
    return (
        f"({spec}.?nodeSelector.orValue({{}}).exists(k, k in {keys})"
        f" || {required}.exists(r, {_term_requires('r', keys, 'e')})"
        f" || {preferred}.exists(p, p.?weight.orValue(0) > 0"
        f" && {_term_requires('p.?preference.orValue({})', keys, 'e')}))"
    )
