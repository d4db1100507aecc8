"""Building and applying RFC 6902 patches: the form every safe fix takes.

The mutating webhook returns these operations, `evictguard fix` applies them to files, and
the tests apply them to prove a fix silences its rule.
"""

from __future__ import annotations

import copy
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
    parent the earlier one created is folded into it, so no operation undoes another."""
    merged: JsonPatch = []
    for patch in patches:
        for op in patch or ():
            for earlier in merged:
                prefix = earlier["path"] + "/"
                if op["path"].startswith(prefix) and isinstance(earlier.get("value"), dict):
                    rest = jp.split("/" + op["path"][len(prefix) :])
                    target = earlier["value"]
                    for token in rest[:-1]:
                        target = target.setdefault(token, {})
                    target[rest[-1]] = op["value"]
                    break
            else:
                merged.append(copy.deepcopy(op))
    return merged


def _parent(doc: Any, tokens: list[str]) -> tuple[Any, str]:
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, list):
            node = node[int(token)]
        elif isinstance(node, dict):
            node = node[token]
        else:
            raise PatchError(f"cannot descend into {type(node).__name__}")
    return node, tokens[-1]


def apply_patch(doc: Any, patch: JsonPatch) -> Any:
    """Apply add/replace/remove/test operations to a deep copy of `doc`."""
    result = copy.deepcopy(doc)
    for op in patch:
        tokens = jp.split(op["path"])
        if not tokens:
            if op["op"] in ("add", "replace"):
                result = copy.deepcopy(op["value"])
                continue
            raise PatchError(f"unsupported operation on the root: {op['op']}")
        kind = op["op"]
        try:
            parent, key = _parent(result, tokens)
            if isinstance(parent, list):
                index = len(parent) if key == "-" else int(key)
                if kind == "add":
                    parent.insert(index, copy.deepcopy(op["value"]))
                elif kind == "replace":
                    parent[index] = copy.deepcopy(op["value"])
                elif kind == "remove":
                    del parent[index]
                elif kind == "test":
                    if parent[index] != op["value"]:
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
                    if parent.get(key) != op["value"]:
                        raise PatchError(f"test failed at {op['path']}")
                else:
                    raise PatchError(f"unsupported operation {kind!r}")
            else:
                raise PatchError(f"{op['path']}: parent is not a container")
        except (KeyError, IndexError, ValueError) as exc:
            raise PatchError(f"cannot apply {kind} at {op['path']}: {exc}") from exc
    return result
