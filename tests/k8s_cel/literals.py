"""Kubernetes' `cel.ValidateHomogeneousAggregateLiterals()` (in the base environment from
1.29): every list literal's elements, and every map literal's keys and values, must have
equivalent types as cel-go's checker infers them — `string` and `dyn` in one literal are a
compile error (cel-go `homogeneousAggregateLiteralValidator`: "expected type 'string' but
found 'dyn'"). cel-expr-python does not apply it, so this module infers the types the
checker would, for the CEL `evictguard export` writes, and reports each mixed literal.

Types are strings: `string`, `int`, `uint`, `double`, `bool`, `null`, `dyn`, `quantity`,
`type`, `list(T)`, `map(K, V)`, `optional(T)`, and `request`-side objects by name. What
the checker does with `dyn` (object, oldObject and everything read from them) is the rule:
an operator or function with a `dyn` argument is resolved by its other arguments where
they decide (`'a' + dyn` is `string`), else `dyn`; a ternary whose branches differ is `dyn`.
"""

from __future__ import annotations

from collections.abc import Mapping

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

DYN = "dyn"
# `request` and `namespaceObject` are typed (plugin/cel/compile.go BuildRequestType).
REQUEST_FIELDS = {
    "kind": "gvk",
    "resource": "gvr",
    "requestKind": "gvk",
    "requestResource": "gvr",
    "subResource": "string",
    "requestSubResource": "string",
    "name": "string",
    "namespace": "string",
    "operation": "string",
    "userInfo": "userInfo",
    "dryRun": "bool",
    "options": DYN,
}
OBJECT_FIELDS = {
    "gvk": {"group": "string", "version": "string", "kind": "string"},
    "gvr": {"group": "string", "version": "string", "resource": "string"},
    "userInfo": {"username": "string", "uid": "string", "groups": "list(string)"},
    "request": REQUEST_FIELDS,
}
RESULTS = {
    "size": "int",
    "string": "string",
    "int": "int",
    "uint": "uint",
    "double": "double",
    "bool": "bool",
    "type": "type",
    "dyn": DYN,
    "quantity": "quantity",
    "isQuantity": "bool",
    "sign": "int",
    "compareTo": "int",
    "isLessThan": "bool",
    "isGreaterThan": "bool",
    "isInteger": "bool",
    "asInteger": "int",
    "asApproximateFloat": "double",
    "add": "quantity",
    "sub": "quantity",
    "matches": "bool",
    "startsWith": "bool",
    "endsWith": "bool",
    "contains": "bool",
    "hasValue": "bool",
    "split": "list(string)",
    "join": "string",
    "trim": "string",
    "lowerAscii": "string",
    "upperAscii": "string",
    "replace": "string",
    "indexOf": "int",
    "lastIndexOf": "int",
    "isSorted": "bool",
}
BOOLEAN_OPS = {"&&", "||", "==", "!=", "<", "<=", ">", ">=", "in"}


def _inner(t: str, wrapper: str) -> str | None:
    prefix = wrapper + "("
    return t[len(prefix) : -1] if t.startswith(prefix) and t.endswith(")") else None


def _unify(a: str, b: str) -> str:
    return a if a == b else DYN


class Checker:
    def __init__(self, variables: Mapping[str, str] | None = None):
        self.variables = dict(variables or {})
        self.mixed: list[str] = []  # one line per mixed literal

    def check(self, text: str) -> str:
        return self.type(parse(text), {})

    def type(self, node: Node, env: Mapping[str, str]) -> str:
        method = getattr(self, "_" + type(node).__name__)
        return method(node, env)

    def _Lit(self, node: Lit, env: Mapping[str, str]) -> str:
        return node.kind

    def _Ident(self, node: Ident, env: Mapping[str, str]) -> str:
        if node.name in env:
            return env[node.name]
        if node.name == "request":
            return "request"
        if node.name == "variables":
            return "variables"
        if node.name in ("int", "uint", "double", "bool", "string", "bytes", "list", "map"):
            return "type"
        return DYN  # object, oldObject, params, namespaceObject (read as untyped here)

    def _Select(self, node: Select, env: Mapping[str, str]) -> str:
        operand = self.type(node.operand, env)
        if operand == "variables":
            found = self.variables.get(node.field, DYN)
        elif operand in OBJECT_FIELDS:
            found = OBJECT_FIELDS[operand].get(node.field, DYN)
        elif _inner(operand, "optional") is not None:
            return f"optional({DYN})"  # a field of an optional value: dyn, still optional
        elif (value := _map_value(operand)) is not None:
            found = value
        else:
            found = DYN
        return f"optional({found})" if node.optional else found

    def _Index(self, node: Index, env: Mapping[str, str]) -> str:
        operand = self.type(node.operand, env)
        self.type(node.index, env)
        inner = _inner(operand, "optional")
        base = inner if inner is not None else operand
        element = _inner(base, "list") or _map_value(base) or DYN
        return f"optional({element})" if node.optional or inner is not None else element

    def _Call(self, node: Call, env: Mapping[str, str]) -> str:
        target = self.type(node.target, env) if node.target is not None else None
        args = [self.type(a, env) for a in node.args]
        if node.function in ("orValue",) and target is not None:
            inner = _inner(target, "optional") or DYN
            return _unify(inner, args[0]) if args else inner
        if node.function == "value" and target is not None:
            return _inner(target, "optional") or DYN
        if node.function in ("sum", "min", "max") and target is not None:
            return _inner(target, "list") or DYN
        return RESULTS.get(node.function, DYN)

    def _Macro(self, node: Macro, env: Mapping[str, str]) -> str:
        if node.kind == "has":
            self.type(node.args[0], env)
            return "bool"
        assert node.target is not None
        source = self.type(node.target, env)
        element = _inner(source, "list") or _map_key(source) or DYN
        inner = {**env, node.var: element}
        results = [self.type(a, inner) for a in node.args]
        if node.kind == "map":
            return f"list({results[-1]})"
        if node.kind == "filter":
            return source if source.startswith("list(") else f"list({DYN})"
        return "bool"

    def _ListLit(self, node: ListLit, env: Mapping[str, str]) -> str:
        types = [self.type(e, env) for e in node.elements]
        return f"list({self._homogeneous(types, 'list')})"

    def _MapLit(self, node: MapLit, env: Mapping[str, str]) -> str:
        keys = [self.type(k, env) for k, _ in node.entries]
        values = []
        for index, (_, value) in enumerate(node.entries):
            t = self.type(value, env)
            # an optional entry `?k: v` holds v's value: the validator reads its parameter
            values.append((_inner(t, "optional") or t) if index in node.optional else t)
        return f"map({self._homogeneous(keys, 'map key')}, {self._homogeneous(values, 'map')})"

    def _StructLit(self, node: StructLit, env: Mapping[str, str]) -> str:
        for _, value in node.fields:
            self.type(value, env)
        return node.name

    def _Unary(self, node: Unary, env: Mapping[str, str]) -> str:
        t = self.type(node.operand, env)
        return "bool" if node.op == "!" else t

    def _Binary(self, node: Binary, env: Mapping[str, str]) -> str:
        left, right = self.type(node.left, env), self.type(node.right, env)
        if node.op in ("==", "!="):
            self._same_kind(left, right, node.op)
        if node.op in BOOLEAN_OPS:
            return "bool"
        if node.op == "+" and "string" in (left, right):
            return "string"
        if left.startswith("list(") and right.startswith("list("):
            return left if left == right else f"list({DYN})"
        return _unify(left, right)

    def _Ternary(self, node: Ternary, env: Mapping[str, str]) -> str:
        self.type(node.condition, env)
        truthy, falsy = self.type(node.truthy, env), self.type(node.falsy, env)
        self._same_kind(truthy, falsy, "?:")  # `_?_:_` is (bool, A, A) -> A
        return _unify(truthy, falsy)

    def _same_kind(self, a: str, b: str, what: str) -> None:
        """Two types that no type parameter unifies (neither is or holds dyn, null aside):
        a checker error in cel-go."""
        if a != b and DYN not in a and DYN not in b and "null" not in (a, b):
            numbers = {"int", "uint", "double"}  # CrossTypeNumericComparisons (1.28+)
            if not (what in ("==", "!=", "<", "<=", ">", ">=") and {a, b} <= numbers):
                self.mixed.append(f"{what} with {a} and {b}")

    def _homogeneous(self, types: list[str], what: str) -> str:
        if not types:
            return DYN
        first = types[0]
        for other in types[1:]:
            if other != first:
                self.mixed.append(f"{what} literal with {first} and {other}")
                return DYN
        return first


def _map_value(t: str) -> str | None:
    inner = _inner(t, "map")
    return inner.split(", ", 1)[1] if inner and ", " in inner else None


def _map_key(t: str) -> str | None:
    inner = _inner(t, "map")
    return inner.split(", ", 1)[0] if inner and ", " in inner else None
