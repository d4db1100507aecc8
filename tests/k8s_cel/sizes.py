"""How large the values an exported expression reads can be: the size classes the cost
model multiplies by, and what selecting a field of a Kubernetes object gives.

`object` and `oldObject` are Dyn to the API server's CEL, so sizes come from the API's own
limits (or a stated ceiling where the API sets none), by field name: a list is one of the
size classes (containers, tolerations, volumes, volume mounts, owner references), a string
is as long as its field may be. A field the table does not know is an object ("node"):
iterating one, or using one as a string, raises, so a rule reading something new makes
whoever adds it extend this table instead of getting a silent guess.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

STRING_TRAVERSAL = 0.1  # cel-go common/cost.go StringTraversalCostFactor
REGEX_LENGTH = 0.25  # RegexStringLengthCostFactor


@dataclass(frozen=True)
class Sizes:
    """Upper bounds of one admission request's object (the test's ceiling by default)."""

    containers: int = 100  # init + regular containers of one pod spec, together
    tolerations: int = 100
    volumes: int = 100
    mounts: int = 20  # volumeMounts of one container
    owner_references: int = 10
    node_selector: int = 100  # nodeSelector entries
    terms: int = 10  # node affinity terms, required or preferred
    match_expressions: int = 20  # matchExpressions of one term
    values: int = 100  # values of one match expression
    annotations: int = (
        256 * 1024
    )  # metadata.annotations, keys and values: TotalAnnotationSizeLimitB
    name: int = 253  # names, kinds, users, operators, effects: a DNS subdomain's 253
    key: int = 317  # a qualified name: 253-character prefix, '/', 63-character name
    label_value: int = 63  # a label value, a toleration's value
    quantity: int = 64  # a quantity as the API server re-serializes it (canonical: digits+suffix)
    fields: int = 1000  # keys of one object (only ever the smaller side of an equality)


@dataclass(frozen=True)
class Shape:
    """What the cost model knows of a value: cel-go's `actualSize` bound (string length,
    list or map entries; 1 for scalars, as cel-go counts them) and what its parts are."""

    kind: str  # string, list, map, scalar, node (a Kubernetes object: a map of named fields)
    size: int = 1
    elem: Shape | None = None  # a list's elements, a map's values
    cls: str = ""  # a list's size class: lists of one class concatenate up to its bound
    total: int | None = None  # the summed sizes of a list's elements, when less than n * max
    traversal: int | None = None  # k8s library traversalCost bound; None: not known
    role: str = "node"  # which field table a node's fields come from


SCALAR = Shape("scalar", traversal=1)


def string(length: int) -> Shape:
    return Shape("string", length, traversal=int(length * STRING_TRAVERSAL))


def join(a: Shape, b: Shape) -> Shape:
    """A value that is one of `a` or `b` (a ternary's, `orValue`'s): the larger bound."""
    if a.kind != b.kind:
        if {a.kind, b.kind} <= {"node", "map"}:  # `{}` as the default of an object
            return a if a.kind == "node" else b
        if {a.kind, b.kind} == {"node", "string"}:  # an IntOrString read as its string
            return a if a.kind == "string" else b
        if "scalar" in (a.kind, b.kind) and a.size == 1:  # null or a bool: the other
            return b
        if "scalar" in (a.kind, b.kind) and b.size == 1:
            return a
        raise TypeError(f"no common shape of {a.kind} and {b.kind}")
    elem = a.elem if b.elem is None else b.elem if a.elem is None else join(a.elem, b.elem)
    return replace(
        a,
        size=max(a.size, b.size),
        elem=elem,
        cls=a.cls if a.cls == b.cls or b.size == 0 else b.cls if a.size == 0 else "",
        total=None if a.total is None or b.total is None else max(a.total, b.total),
        traversal=None
        if a.traversal is None or b.traversal is None
        else max(a.traversal, b.traversal),
        role=a.role if a.role == b.role else "node",
    )


def traversal_cost(value: object) -> int:
    """`traversalCost` of k8s.io/apiserver/pkg/cel/library/cost.go, on a Python value: the
    cost `indexOf`, `isSorted`, `sum`, `min`, `max` charge for traversing their list."""
    if isinstance(value, str):
        return int(len(value) * STRING_TRAVERSAL)
    if isinstance(value, list):
        return sum(traversal_cost(v) for v in value)
    if isinstance(value, dict):
        return sum(traversal_cost(k) + traversal_cost(v) for k, v in value.items())
    return 1


def worst_toleration(s: Sizes) -> dict[str, object]:
    """The toleration of the largest traversal cost the API server accepts."""
    return {
        "key": "k" * s.key,
        "operator": "Exists",
        "value": "v" * s.label_value,
        "effect": "PreferNoSchedule",
        "tolerationSeconds": 1,
    }


def _list(size: Callable[[Sizes], int], cls: str, elem: Callable[[Sizes], Shape]):
    def shape(s: Sizes) -> Shape:
        n, e = size(s), elem(s)
        traversal = None if e.traversal is None else n * e.traversal
        return Shape("list", n, e, cls, traversal=traversal)

    return shape


def _node(role: str = "node", traversal: Callable[[Sizes], int] | None = None):
    return lambda s: Shape(
        "node", s.fields, role=role, traversal=None if traversal is None else traversal(s)
    )


_CONTAINERS = _list(lambda s: s.containers, "containers", _node("container"))


def _strings(length: Callable[[Sizes], int]) -> Callable[[Sizes], Shape]:
    """A map of strings (annotations, labels): at most as many entries as bytes."""
    return lambda s: Shape("map", s.annotations, string(length(s)), role="strings")


# Field name -> its shape, wherever it appears (pod specs, metadata, the request).
FIELDS: dict[str, Callable[[Sizes], Shape]] = {
    "containers": _CONTAINERS,
    "initContainers": _CONTAINERS,
    "ephemeralContainers": _CONTAINERS,
    "tolerations": _list(
        lambda s: s.tolerations,
        "tolerations",
        _node("toleration", lambda s: traversal_cost(worst_toleration(s))),
    ),
    "volumes": _list(lambda s: s.volumes, "volumes", _node()),
    "volumeMounts": _list(lambda s: s.mounts, "volumeMounts", _node()),
    "ownerReferences": _list(lambda s: s.owner_references, "ownerReferences", _node()),
    "nodeSelectorTerms": _list(lambda s: s.terms, "terms", _node()),
    "preferredDuringSchedulingIgnoredDuringExecution": _list(lambda s: s.terms, "terms", _node()),
    "matchExpressions": _list(lambda s: s.match_expressions, "matchExpressions", _node()),
    "matchFields": _list(lambda s: s.match_expressions, "matchExpressions", _node()),
    "values": _list(lambda s: s.values, "values", lambda s: string(s.label_value)),
    "weight": lambda s: SCALAR,
    "nodeSelector": lambda s: Shape("map", s.node_selector, string(s.label_value), role="strings"),
    "annotations": _strings(lambda s: s.annotations),
    "labels": _strings(lambda s: s.label_value),
    "limits": lambda s: Shape("map", s.fields, string(s.quantity), role="quantities"),
    "requests": lambda s: Shape("map", s.fields, string(s.quantity), role="quantities"),
    "key": lambda s: string(s.key),
    "value": lambda s: string(s.label_value),
    "tolerationSeconds": lambda s: SCALAR,
    "controller": lambda s: SCALAR,
    "sizeLimit": lambda s: string(s.quantity),
    # IntOrString: an int, or a percentage the API server validated (digits and `%`)
    "maxUnavailable": lambda s: string(21),
    "minAvailable": lambda s: string(21),
    "priority": lambda s: SCALAR,
    **{
        name: (lambda s: string(s.name))
        for name in (
            "name",
            "generateName",
            "namespace",
            "kind",
            "apiVersion",
            "operator",
            "effect",
            "username",
            "operation",
            "subResource",
            "mountPath",
            "subPath",
            "medium",
            "image",
        )
    },
}


def field_shape(parent: Shape, name: str, s: Sizes) -> Shape:
    """The shape of `parent.name`: a map of quantities or strings gives its values; any
    other object its field from `FIELDS`, an object when the table does not name it."""
    if parent.kind == "map" and parent.role in ("quantities", "strings") and parent.elem:
        return parent.elem
    if parent.kind == "map" and parent.role == "literal" and parent.elem:
        return parent.elem  # a map the expression built: any of its values, the largest
    if parent.kind not in ("node", "map"):
        raise TypeError(f"selecting {name!r} of a {parent.kind}")
    return FIELDS.get(name, _node())(s)


def ceil(x: float) -> int:
    """Go's math.Ceil of the same float64 product (30 * 0.1 is 3.0000000000000004 in both,
    so 4: cel-go charges that too)."""
    return math.ceil(x)
