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


def glob_regex(glob: str) -> str | None:
    """An fnmatch glob (the policy's namespaces, names, kinds, annotation values) as an RE2
    pattern matching the whole text, as `fnmatch.translate` reads it: `*` any run, `?` one
    character, `[...]` a set (`[!...]` its complement; an empty range such as `z-a` is
    dropped, as fnmatch drops it, for RE2 refuses it), everything else literal. None: the
    glob matches nothing (a set left empty)."""
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
            body, i = glob[i:j], j + 1
            negate = body.startswith("!")
            members = _set_members(body[1:] if negate else body)
            if not members:
                if not negate:
                    return None  # an empty set: nothing matches
                out.append(".")  # the complement of nothing: any character
                continue
            out.append("[" + ("^" if negate else "") + members + "]")
        else:
            out.append(_escape(c))
    out.append("$")
    return "(?s)" + "".join(out)


def _set_members(body: str) -> str:
    """A bracket set's members as RE2 text: ranges kept in order, empty ones (`z-a`)
    dropped, as `fnmatch._translate` does; every member escaped."""
    members: list[str] = []
    k = 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            low, high = body[k], body[k + 2]
            if low <= high:
                members.append(_escape_in_set(low) + "-" + _escape_in_set(high))
            k += 3
        else:
            members.append(_escape_in_set(body[k]))
            k += 1
    return "".join(members)


def _escape_in_set(c: str) -> str:
    return "\\" + c if c in "\\^[]-" else c


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
    regexes = [r for r in (glob_regex(g) for g in patterns) if r is not None]
    parts += [f"{value}.matches({literal(r)})" for r in regexes]
    return "(" + " || ".join(parts) + ")" if parts else "false"


def all_of(parts: Iterable[str]) -> str:
    parts = [p for p in parts if p != "true"]
    return " && ".join(f"({p})" for p in parts) if parts else "true"


def any_of(parts: Iterable[str]) -> str:
    parts = [p for p in parts if p != "false"]
    return " || ".join(f"({p})" for p in parts) if parts else "false"
