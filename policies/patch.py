"""Building, applying and diffing RFC 6902 patches: the form every fix takes.

Each finding carries its fix as operations against the object as linted; `remedy` applies
them one after another and `diff` turns the result back into one patch (Polaris' way:
edit a copy, then diff it against the original).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from . import pointer as jp
from .model import JsonPatch


class PatchError(ValueError):
    pass


def set_value_ops(obj: Mapping[str, Any], pointer: str, value: Any) -> JsonPatch | None:
    """The operations that make `pointer` hold `value`, creating missing (or null) parent
    mappings with one `add`; None when a parent exists but is not a mapping."""
    tokens = jp.split(pointer)
    node: Any = obj
    for depth, token in enumerate(tokens):
        if isinstance(node, list):
            if not token.isdigit() or int(token) >= len(node):
                return None
            node = node[int(token)]
            continue
        if not isinstance(node, Mapping):
            return None
        child = node.get(token)
        if child is None or depth == len(tokens) - 1:
            nested: Any = value
            for inner in reversed(tokens[depth + 1 :]):
                nested = {inner: nested}
            op = "replace" if token in node else "add"
            return [{"op": op, "path": jp.join(*tokens[: depth + 1]), "value": nested}]
        node = child
    return None


def merge_ops(*patches: JsonPatch | None) -> JsonPatch:
    """Several set-value patches against the same object as one patch: a later `add` of a
    parent the earlier one created (or of the same parent: both a missing limit and a
    missing request create `resources`) is folded into it, so no operation undoes another."""
    merged: JsonPatch = []
    for patch in patches:
        for op in patch or ():
            if not any(_fold(earlier, op) for earlier in merged):
                merged.append(copy.deepcopy(op))
    return merged


def _fold(earlier: dict[str, Any], op: dict[str, Any]) -> bool:
    """Put `op`'s value inside the value `earlier` creates, when `earlier` creates op's
    path or a parent of it; False (nothing changed) otherwise."""
    if earlier["op"] not in ("add", "replace") or op["op"] not in ("add", "replace"):
        return False
    target = earlier.get("value")
    if op["path"] == earlier["path"]:
        rest: list[str] = []
    elif op["path"].startswith(earlier["path"] + "/"):
        rest = jp.split(op["path"][len(earlier["path"]) :])
    else:
        return False
    for token in rest[:-1]:
        if not isinstance(target, dict):
            return False
        target = target.get(token, {})
    if not isinstance(target, dict) or (not rest and not isinstance(op["value"], dict)):
        return False
    target = earlier["value"]
    for token in rest[:-1]:
        target = target.setdefault(token, {})
    if rest:
        target[rest[-1]] = copy.deepcopy(op["value"])
    else:
        _deep_merge(target, op["value"])
    return True


def _deep_merge(into: dict[str, Any], value: Mapping[str, Any]) -> None:
    for key, item in value.items():
        if isinstance(into.get(key), dict) and isinstance(item, Mapping):
            _deep_merge(into[key], item)
        else:
            into[key] = copy.deepcopy(item)


_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


def _index(key: str, size: int, kind: str) -> int:
    """An RFC 6901 array index: no sign, no leading zero; `-` (the end) only for `add`;
    at most the length for `add` and below it for every other operation."""
    if key == "-" and kind == "add":
        return size
    if not _ARRAY_INDEX.fullmatch(key):
        raise PatchError(f"{key!r} is not an array index")
    index = int(key)
    if index > size or (index == size and kind != "add"):
        raise PatchError(f"array index {index} is out of range (length {size})")
    return index


def _parent(doc: Any, tokens: list[str]) -> tuple[Any, str]:
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, list):
            node = node[_index(token, len(node), "get")]
        elif isinstance(node, dict):
            node = node[token]
        else:
            raise PatchError(f"cannot descend into {type(node).__name__}")
    return node, tokens[-1]


def json_equal(a: Any, b: Any) -> bool:
    """RFC 6902 `test` equality: numbers by value, but a boolean is no number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def diff(original: Any, changed: Any, path: str = "") -> JsonPatch:
    """The operations that turn `original` into `changed`: members added, removed or
    replaced one by one; a list that changed length is replaced whole (list items have no
    identity to match them by). Equality is decided at the leaves, so each node is
    compared once, and a member's pointer is spelled only when an operation names it."""
    ops: JsonPatch = []
    _diff(original, changed, [path] if path else [], ops)
    return ops


def _diff(original: Any, changed: Any, at: list[str], ops: JsonPatch) -> None:
    if isinstance(original, dict) and isinstance(changed, dict):
        for key in original:
            if key not in changed:
                ops.append({"op": "remove", "path": _spell(at, key)})
        for key, value in changed.items():
            if key not in original:
                ops.append({"op": "add", "path": _spell(at, key), "value": copy.deepcopy(value)})
            else:
                at.append("/" + jp.escape(key))
                _diff(original[key], value, at, ops)
                at.pop()
        return
    if isinstance(original, list) and isinstance(changed, list) and len(original) == len(changed):
        for i, (before, after) in enumerate(zip(original, changed, strict=True)):
            at.append(f"/{i}")
            _diff(before, after, at, ops)
            at.pop()
        return
    if not json_equal(original, changed):
        ops.append({"op": "replace", "path": "".join(at), "value": copy.deepcopy(changed)})


def _spell(at: list[str], key: str) -> str:
    return "".join(at) + "/" + jp.escape(key)


def json_copy(node: Any) -> Any:
    """A copy as a JSON round trip makes it: a YAML alias becomes a value of its own, so a
    patch changes only the member it names (deepcopy would keep aliased members shared)."""
    if isinstance(node, Mapping):
        return {key: json_copy(value) for key, value in node.items()}
    if isinstance(node, list):
        return [json_copy(item) for item in node]
    return node


def apply_patch(doc: Any, patch: JsonPatch) -> Any:
    """Apply add/replace/remove/test operations to a JSON copy of `doc`."""
    result = json_copy(doc)
    for op in patch:
        tokens = jp.split(op["path"])
        kind = op["op"]
        if not tokens:
            if kind in ("add", "replace"):
                result = copy.deepcopy(op["value"])
                continue
            if kind == "test":
                if not json_equal(result, op["value"]):
                    raise PatchError(f"test failed at {op['path']!r}")
                continue
            raise PatchError(f"unsupported operation on the root: {kind}")
        try:
            parent, key = _parent(result, tokens)
            if isinstance(parent, list):
                index = _index(key, len(parent), kind)
                if kind == "add":
                    parent.insert(index, copy.deepcopy(op["value"]))
                elif kind == "replace":
                    parent[index] = copy.deepcopy(op["value"])
                elif kind == "remove":
                    del parent[index]
                elif kind == "test":
                    if not json_equal(parent[index], op["value"]):
                        raise PatchError(f"test failed at {op['path']}")
                else:
                    raise PatchError(f"unsupported operation {kind!r}")
            elif isinstance(parent, dict):
                if kind == "add":
                    parent[key] = copy.deepcopy(op["value"])
                elif kind == "replace":
                    if key not in parent:
                        raise PatchError(f"replace of a missing member {op['path']}")
                    parent[key] = copy.deepcopy(op["value"])
                elif kind == "remove":
                    del parent[key]
                elif kind == "test":
                    if key not in parent or not json_equal(parent[key], op["value"]):
                        raise PatchError(f"test failed at {op['path']}")
                else:
                    raise PatchError(f"unsupported operation {kind!r}")
            else:
                raise PatchError(f"{op['path']}: parent is not a container")
        except (KeyError, IndexError, ValueError) as exc:
            if isinstance(exc, PatchError):
                raise
            raise PatchError(f"cannot apply {kind} at {op['path']}: {exc}") from exc
    return result


_ABSENT = object()


def _lookup(doc: Any, tokens: list[str]) -> Any:
    node = doc
    for token in tokens:
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return _ABSENT
    return node


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def compose(obj: Any, fixes: list[JsonPatch | None]) -> list[JsonPatch | None]:
    """The fixes of one object, each rewritten so that applying them in order works and none
    undoes another (as RFC 6902 `add` of an existing member replaces it, two fixes that both
    create `resources` would otherwise leave only the second's). Each operation is re-aimed
    at the object with the earlier ones applied: one that would replace a mapping an earlier
    fix created or changed adds its members one by one instead. Fixes that touch no path
    another touches are returned as they are; a fix that cannot be re-aimed is too."""
    written: list[str] = []
    for fix in fixes:
        paths = [op["path"] for op in fix or ()]
        if any(_overlaps(p, q) for p in paths for q in written):
            break
        written.extend(paths)
    else:
        return list(fixes)
    current = json_copy(obj)
    out: list[JsonPatch | None] = []
    for fix in fixes:
        if fix is None:
            out.append(None)
            continue
        state, rebased = current, []
        try:
            for op in fix:
                ops = _rebase(op, obj, state)
                state = apply_patch(state, ops)
                rebased.extend(ops)
        except PatchError:
            out.append(fix)
            continue
        current = state
        out.append(rebased)
    return out


def _rebase(op: dict[str, Any], original: Any, current: Any) -> JsonPatch:
    if op["op"] not in ("add", "replace"):
        return [op]
    tokens = jp.split(op["path"])
    parent = _lookup(current, tokens[:-1]) if tokens else _ABSENT
    if not isinstance(parent, Mapping) or tokens[-1] not in parent:
        return [op]  # a new member, or an item inserted into a list (never merged into one)
    now, before = parent[tokens[-1]], _lookup(original, tokens)
    if before is not _ABSENT and json_equal(now, before):
        return [op]  # no earlier fix changed it: replacing it is this fix's own doing
    if isinstance(now, Mapping) and isinstance(op["value"], Mapping):
        ops: JsonPatch = []
        for key, value in op["value"].items():
            member = {"op": "add", "path": jp.child(op["path"], key), "value": value}
            ops.extend(_rebase(member, original, current))
        return ops
    return [op]
