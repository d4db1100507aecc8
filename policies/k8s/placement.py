"""Whether a pod's placement chooses nodes that carry a label: its `nodeSelector` or a
node affinity term, required or preferred, that only such nodes satisfy.

Matched as the scheduler matches them (component-helpers
`scheduling/corev1/nodeaffinity/nodeaffinity.go`, apimachinery `labels.Requirement.Matches`):
nodeSelector entries are ANDed equalities; required terms are ORed and a term's expressions
ANDed; an empty term, or a preferred term of weight 0, is skipped; In and Exists need the node
to carry the key, NotIn and DoesNotExist match nodes without it (they avoid, not choose).
Gt and Lt also need the key, but an integer value, which no role label has: not counted.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from .podspec import PodSpecView
from .taints import CONTROL_PLANE_LABELS

IN, EXISTS = "In", "Exists"


def _requires(expression: Any, keys: Collection[str]) -> bool:
    """An expression only nodes carrying one of `keys` satisfy."""
    if not isinstance(expression, Mapping) or expression.get("key") not in keys:
        return False
    operator, values = expression.get("operator"), expression.get("values")
    if operator == EXISTS:
        return True
    # In with no values is a parse error (labels.NewRequirement): the term matches nothing.
    return operator == IN and isinstance(values, list) and len(values) > 0


def _term_requires(term: Any, keys: Collection[str]) -> bool:
    if not isinstance(term, Mapping):
        return False
    expressions = term.get("matchExpressions")
    return isinstance(expressions, list) and any(_requires(e, keys) for e in expressions)


def _list(parent: Any, *path: str) -> list[Any]:
    for name in path:
        parent = parent.get(name) if isinstance(parent, Mapping) else None
    return parent if isinstance(parent, list) else []


def _weighed(term: Any) -> bool:
    """A preferred term the scheduler scores (NewPreferredSchedulingTerms skips weight 0)."""
    weight = term.get("weight") if isinstance(term, Mapping) else None
    # A negative weight (which the API server refuses: 1-100) would mean "avoid".
    return isinstance(weight, int) and not isinstance(weight, bool) and weight > 0


def chooses_nodes_labelled(
    spec: Mapping[str, Any], keys: Collection[str], selector: Any = None
) -> bool:
    """The pod selects, requires (in one of its ORed terms) or prefers nodes carrying one of
    `keys`, with any value. `selector`: its node selector, where the kind keeps it outside
    the pod spec (else `spec.nodeSelector`)."""
    if selector is None:
        selector = spec.get("nodeSelector")
    if isinstance(selector, Mapping) and any(k in keys for k in selector):
        return True
    node_affinity = spec.get("affinity")
    required = _list(
        node_affinity,
        "nodeAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
        "nodeSelectorTerms",
    )
    if any(_term_requires(term, keys) for term in required):
        return True
    preferred = _list(
        node_affinity, "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution"
    )
    return any(
        _weighed(term) and _term_requires(term.get("preference"), keys) for term in preferred
    )


def chooses_control_plane(pod: PodSpecView) -> bool:
    """The pod is meant for control-plane nodes: tolerating their taints is its opt-in."""
    return chooses_nodes_labelled(pod.spec, CONTROL_PLANE_LABELS, pod.node_selector)
