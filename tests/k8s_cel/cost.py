"""An upper bound of the runtime cost the API server charges for an exported expression.

The API server evaluates admission policies with cel-go's runtime cost tracking
(interpreter/runtimecost.go) and Kubernetes' library.CostEstimator
(k8s.io/apiserver/pkg/cel/library/cost.go); an expression whose cost passes
`PER_CALL_LIMIT`, or a policy evaluation passing `RUNTIME_BUDGET`, fails at runtime
("operation cancelled: actual cost limit exceeded") and `failurePolicy: Fail` refuses the
request. `object` is Dyn, so nothing checks this when the policy is created.

This walks the expression tree charging each node what cel-go charges when it runs, with
every size at its bound (`sizes.Sizes`), every `&&`/`||` evaluating both sides, every
ternary its dearer branch and every comprehension running to the end:
- an identifier 1 (SelectAndIdentCost), each `.f`/`.?f`/`[i]` qualifier 1 more (a
  computed index also its own cost); a select on a computed value 1 for its attribute;
  a ternary 0 itself, and a branch that is a plain attribute is resolved unobserved, so
  its own 1 is not charged (its qualifiers are); literals 0;
- list, map and struct literals 10, 30 and 40 (ListCreateBaseCost, ...) plus their parts;
- calls: cel-go's defaults (1; string `+` and `==`/`!=` ceil(0.1 * the sizes); `in` a
  list the list's size; `matches` ceil(0.1 * (1 + len)) * ceil(0.25 * len(regex)); ...)
  and the Kubernetes library's (quantity(), split, join, trim, indexOf, ...): `CALLS`;
- a comprehension: its range, then per element what its macro's expansion
  (cel-go parser/macro.go) charges: all 3 + body, exists 4 + body, exists_one 2 + body,
  map 12 + transform (`@result + [f]`: the accumulator 1, the list 10, the concatenation
  1), filter 13 + predicate; plus 10 for the empty accumulator list of map and filter and
  1 (2 for exists_one) for the result. A range of strings split from one string (whose
  parts sum to its length L) costs n * f(1) + f(L) - f(0), f the per-element cost at a
  part's length: exact for f linear in ceil(c * length) with c <= 1, as here;
- variables: evaluated once per policy evaluation, each by its own program; a reference
  `variables.x` costs what the select does (2).
Tested against the costs cel-go's own tests state (tests/test_export_cost.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

from .parse import (
    Binary,
    Call,
    Ident,
    Index,
    ListLit,
    Lit,
    Macro,
    MapLit,
    Node,
    Select,
    StructLit,
    Ternary,
    Unary,
    parse,
)
from .sizes import (
    REGEX_LENGTH,
    SCALAR,
    STRING_TRAVERSAL,
    Shape,
    Sizes,
    ceil,
    field_shape,
    join,
    string,
)

PER_CALL_LIMIT = 1_000_000  # k8s.io/apiserver/pkg/apis/cel/config.go PerCallLimit
RUNTIME_BUDGET = 10_000_000  # RuntimeCELCostBudget: one policy evaluation
LIST_CREATE, MAP_CREATE, STRUCT_CREATE = 10, 30, 40  # cel-go common/cost.go
INT64_DIGITS = 20  # string(int): "-9223372036854775808"

ROOTS = ("object", "oldObject", "request", "params", "namespaceObject")


@dataclass(frozen=True)
class Estimate:
    cost: int
    shape: Shape


def _attribute(node: Node) -> bool:
    """An identifier or select/index chain: one cel-go attribute, charged 1 when evaluated
    and its qualifiers 1 each."""
    return isinstance(node, Ident | Select | Index)


def _qualifiable(node: Node) -> bool:
    """Qualifiers extend it rather than start a relative attribute of their own."""
    return _attribute(node) or isinstance(node, Ternary)


def _string_of(shape: Shape) -> Shape:
    if shape.kind not in ("string", "scalar"):
        raise TypeError(f"a {shape.kind} where a string is expected")
    return shape


def _trim(t: Shape, args: list[Shape]) -> tuple[int, Shape]:
    return ceil(_string_of(t).size * STRING_TRAVERSAL), t


def _replace(t: Shape, args: list[Shape]) -> tuple[int, Shape]:
    old, new = args
    grows = new.size > old.size
    size = t.size + (t.size // max(old.size, 1) + 1) * new.size if grows else t.size
    return ceil(t.size * 2 * STRING_TRAVERSAL), string(size)


def _split(t: Shape, args: list[Shape]) -> tuple[int, Shape]:
    """At most len + 1 parts, summing to at most len (a one-character separator)."""
    size = _string_of(t).size
    parts = Shape("list", size + 1, string(size), total=size, traversal=size)
    return ceil(size * 2 * STRING_TRAVERSAL), parts


def _join(t: Shape, args: list[Shape]) -> tuple[int, Shape]:
    if t.elem is None:
        return 1, string(0)
    parts = t.total if t.total is not None else t.size * t.elem.size
    separators = max(t.size - 1, 0) * (args[0].size if args else 0)
    result = string(parts + separators)
    return ceil(result.size * 2 * STRING_TRAVERSAL), result


def _traverse(t: Shape, args: list[Shape]) -> tuple[int, Shape]:
    if t.kind == "string":
        return t.traversal or 0, SCALAR
    if t.traversal is None and t.kind == "list" and t.elem is not None:
        # a list the expression built (`.map(c, c.name)`, `.map(c, ...).sum()`): each element
        # as traversalCost charges it, 1 for a number, a string by its length
        if t.elem.kind == "scalar":
            return t.size, SCALAR
        if t.elem.kind == "string":
            return t.size * (1 + (t.elem.traversal or 0)), SCALAR
    if t.traversal is None:
        raise TypeError(f"no traversal cost known for this {t.kind} (sizes.FIELDS)")
    return t.traversal, SCALAR


def _matches(t: Shape, args: list[Shape]) -> tuple[int, Shape]:
    regex = args[-1]
    text = t if len(args) == 1 else args[0]
    cost = ceil((1.0 + text.size) * STRING_TRAVERSAL) * ceil(regex.size * REGEX_LENGTH)
    return cost, SCALAR


def _product(t: Shape, args: list[Shape]) -> tuple[int, Shape]:
    return ceil(t.size * STRING_TRAVERSAL) * ceil(args[0].size * STRING_TRAVERSAL), SCALAR


def _traversal_of_target(t: Shape, args: list[Shape]) -> tuple[int, Shape]:
    return ceil(t.size * STRING_TRAVERSAL), SCALAR


def _quantity(t: Shape, args: list[Shape]) -> tuple[int, Shape]:
    return ceil(_string_of(t).size * STRING_TRAVERSAL), SCALAR


def _nominal(result: Shape) -> Callable[[Shape, list[Shape]], tuple[int, Shape]]:
    return lambda t, args: (1, result)


def _string_conversion(t: Shape, args: list[Shape]) -> tuple[int, Shape]:
    return 1, t if t.kind == "string" else string(INT64_DIGITS)


def _or_value(t: Shape, args: list[Shape]) -> tuple[int, Shape]:
    return 1, join(t, args[0])


def _same(t: Shape, args: list[Shape]) -> tuple[int, Shape]:
    return 1, t


TYPE_NAMES = frozenset({"int", "uint", "double", "bool", "string", "bytes", "list", "map"})

# function -> (receiver: the target, or a global call's first argument; the other
# arguments' shapes) -> (the call's own cost, the result's shape).
CALLS: dict[str, Callable[..., tuple[int, Shape]]] = {
    # cel-go runtimecost.go
    "size": _nominal(SCALAR),
    "string": _string_conversion,
    "int": _nominal(SCALAR),
    "uint": _nominal(SCALAR),
    "double": _nominal(SCALAR),
    "bool": _nominal(SCALAR),
    "dyn": _same,
    "type": _nominal(SCALAR),
    "startsWith": _traversal_of_target,
    "endsWith": _traversal_of_target,
    "contains": _product,
    "matches": _matches,
    "orValue": _or_value,
    "value": _same,
    "hasValue": _nominal(SCALAR),
    # k8s.io/apiserver/pkg/cel/library/cost.go
    "quantity": _quantity,
    "isQuantity": _quantity,
    "sign": _nominal(SCALAR),
    "compareTo": _nominal(SCALAR),
    "isGreaterThan": _nominal(SCALAR),
    "isLessThan": _nominal(SCALAR),
    "asInteger": _nominal(SCALAR),
    "isInteger": _nominal(SCALAR),
    "asApproximateFloat": _nominal(SCALAR),
    "add": _nominal(SCALAR),
    "sub": _nominal(SCALAR),
    "trim": _trim,
    "lowerAscii": _trim,
    "upperAscii": _trim,
    "replace": _replace,
    "split": _split,
    "join": _join,
    "indexOf": _traverse,
    "lastIndexOf": _traverse,
    "isSorted": _traverse,
    "sum": _traverse,
    "min": _traverse,
    "max": _traverse,
}

# Per element, what the macro's expansion charges besides the body (module docstring).
_PER_ELEMENT = {"all": 3, "exists": 4, "exists_one": 2, "map": 12, "filter": 13}
_SETUP = {"all": 1, "exists": 1, "exists_one": 2, "map": LIST_CREATE + 1, "filter": LIST_CREATE + 1}


@lru_cache(maxsize=4096)
def _parsed(text: str) -> Node:
    return parse(text)


@dataclass
class CostModel:
    sizes: Sizes = field(default_factory=Sizes)
    variables: Mapping[str, Shape] = field(default_factory=dict)
    inputs: Mapping[str, Shape] = field(default_factory=dict)  # other declared names

    def estimate(self, text: str) -> Estimate:
        return self.cost(_parsed(text), {})

    def cost(self, node: Node, env: Mapping[str, Shape]) -> Estimate:
        method: Callable[[Node, Mapping[str, Shape]], Estimate] = getattr(
            self, "_" + type(node).__name__
        )
        return method(node, env)

    def _Lit(self, node: Lit, env: Mapping[str, Shape]) -> Estimate:
        if node.kind in ("string", "bytes"):
            return Estimate(0, string(len(node.value)))
        return Estimate(0, SCALAR)

    def _Ident(self, node: Ident, env: Mapping[str, Shape]) -> Estimate:
        if node.name in env:
            return Estimate(1, env[node.name])
        if node.name in self.inputs:
            return Estimate(1, self.inputs[node.name])
        if node.name == "variables":
            return Estimate(1, Shape("node", role="variables"))
        if node.name in TYPE_NAMES:  # `type(x) == int`: a type constant, charged as an ident
            return Estimate(1, SCALAR)
        if node.name in ROOTS:
            return Estimate(1, Shape("node", self.sizes.fields, role=node.name))
        raise NameError(f"unknown identifier {node.name}")

    def _Select(self, node: Select, env: Mapping[str, Shape]) -> Estimate:
        operand = self.cost(node.operand, env)
        cost = operand.cost + 1 + (0 if _qualifiable(node.operand) else 1)
        if operand.shape.role == "variables":
            return Estimate(cost, self.variables[node.field])
        return Estimate(cost, field_shape(operand.shape, node.field, self.sizes))

    def _Index(self, node: Index, env: Mapping[str, Shape]) -> Estimate:
        operand = self.cost(node.operand, env)
        index = self.cost(node.index, env)
        if isinstance(node.index, Lit):
            qualifier = 1
        else:
            qualifier = index.cost + (0 if _attribute(node.index) else 1)
        cost = operand.cost + (0 if _qualifiable(node.operand) else 1) + qualifier
        shape = operand.shape
        if shape.kind in ("list", "map") and shape.elem is not None:
            return Estimate(cost, shape.elem)
        if shape.kind == "node" and isinstance(node.index, Lit):
            return Estimate(cost, field_shape(shape, str(node.index.value), self.sizes))
        raise TypeError(f"indexing a {shape.kind} of unknown elements")

    def _Call(self, node: Call, env: Mapping[str, Shape]) -> Estimate:
        if node.function not in CALLS:
            raise NotImplementedError(f"no cost known for {node.function}() (cost.CALLS)")
        target = None if node.target is None else self.cost(node.target, env)
        args = [self.cost(a, env) for a in node.args]
        parts = sum(a.cost for a in args) + (target.cost if target else 0)
        receiver, rest = (target, args) if target is not None else (args[0], args[1:])
        own, shape = CALLS[node.function](receiver.shape, [a.shape for a in rest])
        return Estimate(parts + own, shape)

    def _Unary(self, node: Unary, env: Mapping[str, Shape]) -> Estimate:
        operand = self.cost(node.operand, env)
        return Estimate(operand.cost + 1, SCALAR)

    def _Binary(self, node: Binary, env: Mapping[str, Shape]) -> Estimate:
        left, right = self.cost(node.left, env), self.cost(node.right, env)
        parts = left.cost + right.cost
        a, b = left.shape, right.shape
        if node.op in ("&&", "||"):
            return Estimate(parts, SCALAR)
        if node.op in ("==", "!="):
            return Estimate(parts + ceil(min(a.size, b.size) * STRING_TRAVERSAL), SCALAR)
        if node.op in ("<", "<=", ">", ">=") and a.kind == "string":
            return Estimate(parts + ceil(min(a.size, b.size) * STRING_TRAVERSAL), SCALAR)
        if node.op == "in":
            return Estimate(parts + (b.size if b.kind == "list" else 1), SCALAR)
        if node.op == "+":
            return self._add(parts, a, b)
        return Estimate(parts + 1, SCALAR)

    def _add(self, parts: int, a: Shape, b: Shape) -> Estimate:
        if a.kind == "string" and b.kind == "string":
            return Estimate(
                parts + ceil((a.size + b.size) * STRING_TRAVERSAL), string(a.size + b.size)
            )
        if a.kind == "list" and b.kind == "list":
            same_class = bool(a.cls) and a.cls == b.cls  # parts of one object's class
            size = max(a.size, b.size) if same_class else a.size + b.size
            elem = a.elem if b.elem is None else b.elem if a.elem is None else join(a.elem, b.elem)
            total = None if a.total is None or b.total is None else a.total + b.total
            traversal = (
                None if a.traversal is None or b.traversal is None else a.traversal + b.traversal
            )
            cls = a.cls if same_class else ""
            return Estimate(parts + 1, Shape("list", size, elem, cls, total, traversal))
        if a.kind == "scalar" and b.kind == "scalar":
            return Estimate(parts + 1, SCALAR)
        raise TypeError(f"adding a {a.kind} and a {b.kind}")

    def _Ternary(self, node: Ternary, env: Mapping[str, Shape]) -> Estimate:
        condition = self.cost(node.condition, env)
        branches = [self.cost(b, env) for b in (node.truthy, node.falsy)]
        charged = [
            e.cost - (1 if _attribute(b) else 0)
            for e, b in zip(branches, (node.truthy, node.falsy), strict=True)
        ]
        return Estimate(condition.cost + max(charged), join(*(e.shape for e in branches)))

    def _ListLit(self, node: ListLit, env: Mapping[str, Shape]) -> Estimate:
        items = [self.cost(e, env) for e in node.elements]
        elem = None
        for item in items:
            elem = item.shape if elem is None else join(elem, item.shape)
        traversals = [i.shape.traversal for i in items]
        traversal = None if None in traversals else sum(t or 0 for t in traversals)
        shape = Shape("list", len(items), elem, traversal=traversal)
        return Estimate(LIST_CREATE + sum(i.cost for i in items), shape)

    def _MapLit(self, node: MapLit, env: Mapping[str, Shape]) -> Estimate:
        cost, elem = MAP_CREATE, None
        for key, value in node.entries:
            k, v = self.cost(key, env), self.cost(value, env)
            cost += k.cost + v.cost
            elem = v.shape if elem is None else join(elem, v.shape)
        return Estimate(cost, Shape("map", len(node.entries), elem, role="literal"))

    def _StructLit(self, node: StructLit, env: Mapping[str, Shape]) -> Estimate:
        cost = STRUCT_CREATE + sum(self.cost(v, env).cost for _, v in node.fields)
        return Estimate(cost, Shape("node", len(node.fields), role=node.name))

    def _Macro(self, node: Macro, env: Mapping[str, Shape]) -> Estimate:
        if node.kind == "has":
            return Estimate(self.cost(node.args[0], env).cost, SCALAR)
        assert node.target is not None
        source = self.cost(node.target, env)
        items = source.shape
        if items.kind == "list" and items.size == 0 and items.elem is None:
            items = replace(items, elem=SCALAR)  # `[]`: the body never runs
        if items.kind == "map":  # a map's comprehension ranges over its keys
            items = Shape("list", items.size, string(self.sizes.key))
        if items.kind != "list" or items.elem is None:
            raise TypeError(f"{node.kind}() over a {items.kind} of no known size class")

        def per_element(elem: Shape) -> tuple[int, Shape]:
            inner = {**env, node.var: elem}
            costs = [self.cost(a, inner) for a in node.args]
            body = sum(c.cost for c in costs)
            return _PER_ELEMENT[node.kind] + body, costs[-1].shape

        at_max, result_elem = per_element(items.elem)
        if items.total is not None and items.elem.kind == "string":
            one, _ = per_element(string(1))
            empty, _ = per_element(string(0))
            longest, _ = per_element(string(items.total))
            loop = items.size * one + longest - empty
        else:
            loop = items.size * at_max
        cost = source.cost + _SETUP[node.kind] + loop
        if node.kind == "map":
            return Estimate(cost, Shape("list", items.size, result_elem))
        if node.kind == "filter":
            return Estimate(cost, replace(items, cls=""))
        return Estimate(cost, SCALAR)
