"""A parser for the CEL `evictguard export` emits, into a small tree the cost model walks.

Covers what the exporter writes (cel-spec's grammar, langdef.md): literals, identifiers,
lists, maps (with `?'k': v` optional entries), struct literals (`JSONPatch{op: ...}`),
`.f`, `.?f`, `[e]`, `[?e]`, calls and member calls, the macros `has`, `all`, `exists`,
`exists_one`, `map`, `filter` (kept as macros: the cost model charges their expansion),
unary `!` and `-`, binary operators with CEL's precedence, `?:` and parentheses. Anything
else is a `CelSyntaxError`, so an exported expression this cannot read fails its test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class CelSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Lit:
    value: Any  # str, int, float, bool or None
    kind: str  # string, bytes, int, uint, double, bool, null


@dataclass(frozen=True)
class Ident:
    name: str


@dataclass(frozen=True)
class Select:
    operand: Node
    field: str
    optional: bool = False  # `.?f`


@dataclass(frozen=True)
class Index:
    operand: Node
    index: Node
    optional: bool = False  # `[?e]`


@dataclass(frozen=True)
class Call:
    function: str
    target: Node | None
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Macro:
    """`target.kind(var, *args)` (all, exists, exists_one, map, filter) or `has(arg)`."""

    kind: str
    target: Node | None
    var: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class ListLit:
    elements: tuple[Node, ...]


@dataclass(frozen=True)
class MapLit:
    entries: tuple[tuple[Node, Node], ...]
    optional: tuple[int, ...] = ()  # the indices of `?key: value` entries


@dataclass(frozen=True)
class StructLit:
    name: str
    fields: tuple[tuple[str, Node], ...]


@dataclass(frozen=True)
class Unary:
    op: str  # ! or -
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Ternary:
    condition: Node
    truthy: Node
    falsy: Node


Node = (
    Lit
    | Ident
    | Select
    | Index
    | Call
    | Macro
    | ListLit
    | MapLit
    | StructLit
    | Unary
    | Binary
    | Ternary
)

COMPREHENSIONS = {"all", "exists", "exists_one", "map", "filter"}
KEYWORDS = {"true": Lit(True, "bool"), "false": Lit(False, "bool"), "null": Lit(None, "null")}

_TOKEN = re.compile(
    r"""(?P<space>\s+)
    |(?P<double>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)|\d+\.\d+)
    |(?P<uint>(?:0x[0-9a-fA-F]+|\d+)[uU])
    |(?P<int>0x[0-9a-fA-F]+|\d+)
    |(?P<string>[rR]?[bB]?(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>\|\||&&|==|!=|<=|>=|\.\?|[-+*/%!<>?:.,()\[\]{}])
    """,
    re.VERBOSE | re.DOTALL,
)

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "'": "'", "`": "`", "?": "?"}
_ESCAPES |= {"a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unquote(token: str) -> tuple[str, str]:
    """(kind, text) of a string or bytes literal, escapes decoded (cel-spec: String Literals)."""
    raw = token[0] in "rR"
    token = token[1:] if raw else token
    kind = "bytes" if token[0] in "bB" else "string"
    token = token[1:] if kind == "bytes" else token
    quote = 3 if token[:3] in ('"""', "'''") else 1
    body = token[quote:-quote]
    if raw:
        return kind, body
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = body[i + 1]
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            i += 2
        elif e in "uU":
            width = 4 if e == "u" else 8
            out.append(chr(int(body[i + 2 : i + 2 + width], 16)))
            i += 2 + width
        elif e in "xX":
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
        elif e in "0123":
            out.append(chr(int(body[i + 1 : i + 4], 8)))
            i += 4
        else:
            raise CelSyntaxError(f"unknown escape \\{e}")
    return kind, "".join(out)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise CelSyntaxError(f"unexpected {text[pos : pos + 20]!r} at {pos}")
        pos = m.end()
        if m.lastgroup != "space":
            out.append((m.lastgroup or "", m.group()))
    out.append(("end", ""))
    return out


# Binary operators by precedence, lowest first (cel-spec: Syntax).
_LEVELS = [["||"], ["&&"], ["==", "!=", "<", "<=", ">", ">=", "in"], ["+", "-"], ["*", "/", "%"]]


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self, ahead: int = 0) -> tuple[str, str]:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self, expected: str | None = None) -> tuple[str, str]:
        kind, text = self.peek()
        if expected is not None and text != expected:
            raise CelSyntaxError(f"expected {expected!r}, found {text!r} (token {self.pos})")
        self.pos += 1
        return kind, text

    def accept(self, text: str) -> bool:
        if self.peek()[1] == text and self.peek()[0] in ("op", "ident"):
            self.pos += 1
            return True
        return False

    def expression(self) -> Node:
        condition = self.binary(0)
        if self.accept("?"):
            truthy = self.binary(0)
            self.take(":")
            return Ternary(condition, truthy, self.expression())
        return condition

    def binary(self, level: int) -> Node:
        if level == len(_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek()[1] in _LEVELS[level] and self.peek()[0] in ("op", "ident"):
            op = self.take()[1]
            left = Binary(op, left, self.binary(level + 1))
        return left

    def unary(self) -> Node:
        if self.accept("!"):
            return Unary("!", self.unary())
        if self.accept("-"):
            kind, text = self.peek()
            if kind in ("int", "double"):  # a negative literal is one constant
                self.pos += 1
                literal = self.literal(kind, text)
                return Lit(-literal.value, literal.kind)
            return Unary("-", self.unary())
        return self.member(self.primary())

    def member(self, node: Node) -> Node:
        while True:
            if self.accept(".") or self.peek()[1] == ".?":
                optional = self.accept(".?")
                name = self.take()[1]
                if not optional and self.peek()[1] == "(":
                    self.take("(")
                    node = self.call(name, node)
                else:
                    node = Select(node, name, optional)
            elif self.accept("["):
                optional = self.accept("?")
                index = self.expression()
                self.take("]")
                node = Index(node, index, optional)
            else:
                return node

    def arguments(self, close: str) -> list[Node]:
        args: list[Node] = []
        while not self.accept(close):
            args.append(self.expression())
            if not self.accept(","):
                self.take(close)
                break
        return args

    def call(self, name: str, target: Node | None) -> Node:
        args = self.arguments(")")
        if target is not None and name in COMPREHENSIONS:
            if not args or not isinstance(args[0], Ident):
                raise CelSyntaxError(f"{name}: the first argument must be a name")
            return Macro(name, target, args[0].name, tuple(args[1:]))
        if target is None and name == "has":
            if len(args) != 1 or not isinstance(args[0], Select):
                raise CelSyntaxError("has() takes one field selection")
            return Macro("has", None, "", tuple(args))
        return Call(name, target, tuple(args))

    def literal(self, kind: str, text: str) -> Lit:
        if kind == "int":
            return Lit(int(text, 0), "int")
        if kind == "uint":
            return Lit(int(text[:-1], 0), "uint")
        if kind == "double":
            return Lit(float(text), "double")
        literal_kind, value = _unquote(text)
        return Lit(value, literal_kind)

    def primary(self) -> Node:
        kind, text = self.take()
        if kind in ("int", "uint", "double", "string"):
            return self.literal(kind, text)
        if kind == "ident":
            if text in KEYWORDS:
                return KEYWORDS[text]
            if self.peek()[1] == "(":
                self.take("(")
                return self.call(text, None)
            if self.peek()[1] == "{":
                return self.struct(text)
            return Ident(text)
        if text == "(":
            node = self.expression()
            self.take(")")
            return node
        if text == "[":
            elements = []
            while not self.accept("]"):
                self.accept("?")  # an optional element costs what a plain one does
                elements.append(self.expression())
                if not self.accept(","):
                    self.take("]")
                    break
            return ListLit(tuple(elements))
        if text == "{":
            entries = []
            optional = []
            while not self.accept("}"):
                if self.accept("?"):
                    optional.append(len(entries))
                key = self.expression()
                self.take(":")
                entries.append((key, self.expression()))
                if not self.accept(","):
                    self.take("}")
                    break
            return MapLit(tuple(entries), tuple(optional))
        raise CelSyntaxError(f"unexpected {text!r} (token {self.pos - 1})")

    def struct(self, name: str) -> Node:
        self.take("{")
        fields = []
        while not self.accept("}"):
            self.accept("?")
            field = self.take()[1]
            self.take(":")
            fields.append((field, self.expression()))
            if not self.accept(","):
                self.take("}")
                break
        return StructLit(name, tuple(fields))


def parse(text: str) -> Node:
    parser = _Parser(text)
    node = parser.expression()
    if parser.peek()[0] != "end":
        raise CelSyntaxError(f"unexpected {parser.peek()[1]!r} after the expression")
    return node
