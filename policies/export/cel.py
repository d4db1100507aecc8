"""CEL text: literals, globs as RE2, and the few idioms every exported rule shares.

Expressions are built as strings. Every value from a policy goes through `literal`, so a
namespace or rule id can never change an expression's meaning.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


def literal(value: Any) -> str:
    """A CEL literal: strings (double-quoted, JSON escapes are CEL escapes for the
    characters JSON escapes), ints, bools, null, lists and maps of those."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # \" \\ \n \t \uXXXX: all valid CEL string escapes
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple, frozenset, set)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return "[" + ", ".join(literal(v) for v in items) + "]"
    raise TypeError(f"no CEL literal for {type(value).__name__}")


def strings(values: Iterable[str]) -> str:
    """A list literal of strings, typed `list(string)` even when empty (a bare `[]` is
    `list(dyn)`, which `in` accepts as well; kept for the reader)."""
    return literal(list(values))


def glob_regex(glob: str) -> str:
    """An fnmatch glob (the policy's namespaces, names, kinds, annotation values) as an RE2
    pattern matching the whole text: `*` any run, `?` one character, `[...]` a set
    (`[!...]` its complement); everything else literal."""
    out: list[str] = ["^"]
    i, n = 0, len(glob)
    while i < n:
        c = glob[i]
        i += 1
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            j = i
            if j < n and glob[j] == "!":
                j += 1
            if j < n and glob[j] == "]":
                j += 1
            while j < n and glob[j] != "]":
                j += 1
            if j >= n:  # no closing bracket: fnmatch reads `[` literally
                out.append("\\[")
                continue
            body = glob[i:j]
            i = j + 1
            negate = body.startswith("!")
            body = body[1:] if negate else body
            body = body.replace("\\", "\\\\").replace("^", "\\^").replace("[", "\\[")
            out.append("[" + ("^" if negate else "") + body + "]")
        else:
            out.append(_escape(c))
    out.append("$")
    return "(?s)" + "".join(out)


def _escape(c: str) -> str:
    return "\\" + c if c in ".^$*+?()[]{}|\\/" else c


def matches_any(value: str, globs: Iterable[str]) -> str:
    """`value` (a CEL string expression) matches one of the globs: exact names compare with
    `in`, the others as RE2."""
    globs = list(globs)
    exact = [g for g in globs if not any(ch in g for ch in "*?[")]
    patterns = [g for g in globs if g not in exact]
    parts = []
    if exact:
        parts.append(f"{value} in {strings(exact)}")
    parts += [f"{value}.matches({literal(glob_regex(g))})" for g in patterns]
    return "(" + " || ".join(parts) + ")" if parts else "false"


def all_of(parts: Iterable[str]) -> str:
    parts = [p for p in parts if p != "true"]
    return " && ".join(f"({p})" for p in parts) if parts else "true"


def any_of(parts: Iterable[str]) -> str:
    parts = [p for p in parts if p != "false"]
    return " || ".join(f"({p})" for p in parts) if parts else "false"
