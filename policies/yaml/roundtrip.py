"""Change the data of a YAML or JSON text through ruamel.yaml's round-trip tree, keeping
comments, anchors, quoting and key order of everything that did not change.

Two texts come out of one round-trip tree: A, the document loaded and dumped unchanged, and
B, the same tree with the new data reconciled into it, dumped. `linediff.merged_texts`
carries A's changes to B into the original lines, so ruamel's own way of writing (spacing
after a colon, a comment's column, a flow collection over several lines, indentation it
could not follow) survives only in a block it had to rewrite anyway. ruamel is configured
with the document's own indentation (mapping, sequence, dash offset), quotes kept as written
and no line wrapping, so that A is the original for ordinary manifests and the lines B adds
look like their neighbours.

ruamel indents a whole document one way, so a document indented several ways is tried with
each (and with the indentation found along the path of each change). `edit_yaml` returns
each merge worth trying; the caller (`writeback`) reads each back, keeps those that hold
exactly the new data, and of those the one that changes fewest lines.

Reconciling (not re-dumping the new data) keeps every comment, anchor and quoting of what
did not change: mappings gain or lose members in place, lists are aligned item by item, and
only values that differ are replaced (a replaced string keeps its quotes; a one-line string
replacing a block scalar is written inline; a trailing comment keeps its column, or its gap
when the new value pushes it). New keys go after the members they follow in the new data; a
new mapping of scalars is written in flow style where its siblings are (`requests: {memory:
64Mi}` gets `limits: {memory: 64Mi}`). New strings that kubectl (go-yaml v2) would read as
something else (`y`, `1e3`, `0o17`) are quoted, in the quotes the document uses most; in a
document that quotes every string (JSON written as YAML), all are.

JSON text (a whole text `json.loads` reads as an object) is re-dumped with `json.dumps` at
its own indentation, through the same merge.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from .. import pointer as jp
from ..patch import json_equal
from .goyaml import STR, plain_tag
from .linediff import merged_texts, opcodes, split_break, split_lines


class RoundTripError(Exception):
    """The text cannot be changed as asked (or not without rewriting more than the change);
    `line` (0-based, in the text given) where there is one."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


# --- layout ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Layout:
    """How a YAML document indents, in ruamel.yaml's terms: nested mappings by `mapping`,
    a sequence's items (their content) by `sequence`, its dashes by `offset`, all relative
    to the parent key's column; `quote` is the quote character new strings get when they
    must be quoted (or when the document quotes every string)."""

    mapping: int = 2
    sequence: int = 2
    offset: int = 0
    quote: str = '"'
    quote_all: bool = False  # every string is quoted (JSON written as YAML): new ones too


def _ranked(counts: Counter[Any], default: Any, limit: int) -> list[Any]:
    """Values by how often they occur (ties: the smaller first), at most `limit`."""
    if not counts:
        return [default]
    return sorted(counts, key=lambda value: (-counts[value], value))[:limit]


def detect_layouts(node: yaml.Node, limit: int = 3) -> list[Layout]:
    """The indentations a composed document (PyYAML node tree) uses, the commonest first:
    ruamel indents a whole document one way, so a document indented two ways is tried
    both ways (the caller keeps the one that changes fewest lines)."""
    mappings: Counter[int] = Counter()
    sequences: Counter[tuple[int, int]] = Counter()
    quotes: Counter[str] = Counter()
    stack: list[yaml.Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.ScalarNode):
            if current.style in ("'", '"'):
                quotes[current.style] += 1
            elif not current.style and plain_tag(current.value) == STR:
                quotes["plain"] += 1
            continue
        if isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
            continue
        if not isinstance(current, yaml.MappingNode):
            continue
        for key, value in current.value:
            stack.extend((key, value))
            if current.flow_style is True or not isinstance(key, yaml.ScalarNode):
                continue
            column = key.start_mark.column
            if getattr(value, "flow_style", None) is True or not value.value:
                continue
            if isinstance(value, yaml.MappingNode):
                if value.start_mark.line > key.start_mark.line:
                    mappings[value.start_mark.column - column] += 1
            elif isinstance(value, yaml.SequenceNode):
                first = value.value[0]
                if first.start_mark.line == value.start_mark.line:
                    offset = value.start_mark.column - column
                    sequences[offset, first.start_mark.column - column] += 1
    quote = "'" if quotes["'"] > quotes['"'] else '"'
    quote_all = quotes["plain"] == 0 and quotes[quote] > 0
    layouts = []
    for mapping in _ranked(mappings, 2, 2):
        for offset, sequence in _ranked(sequences, (0, max(2, mapping)), limit):
            offset = max(0, offset)
            sequence = max(offset + 2, sequence)
            layout = Layout(max(1, mapping), sequence, offset, quote, quote_all)
            if layout not in layouts:
                layouts.append(layout)
    return layouts[:limit]


def path_layout(node: yaml.Node, tokens: Sequence[str], fallback: Layout) -> Layout:
    """The indentation found along a path (the deepest nesting of each kind on the way),
    the fallback's where the path shows none: what lines added at its end should use."""
    mapping, offset, sequence = fallback.mapping, fallback.offset, fallback.sequence
    current = node
    for token in tokens:
        if isinstance(current, yaml.SequenceNode):
            if not token.isdigit() or int(token) >= len(current.value):
                break
            current = current.value[int(token)]
            continue
        if not isinstance(current, yaml.MappingNode):
            break
        pair = next(
            ((k, v) for k, v in reversed(current.value) if getattr(k, "value", None) == token),
            None,
        )
        if pair is None:
            break
        key, value = pair
        column = key.start_mark.column
        block = current.flow_style is not True and getattr(value, "flow_style", None) is not True
        if block and isinstance(value, yaml.MappingNode) and value.value:
            if value.start_mark.line > key.start_mark.line:
                mapping = max(1, value.start_mark.column - column)
        elif block and isinstance(value, yaml.SequenceNode) and value.value:
            first = value.value[0]
            if first.start_mark.line == value.start_mark.line:
                offset = max(0, value.start_mark.column - column)
                sequence = max(offset + 2, first.start_mark.column - column)
        current = value
    return dataclasses.replace(fallback, mapping=mapping, sequence=sequence, offset=offset)


# --- reconciling new data into a round-trip tree -------------------------------------------


def _rt() -> tuple[Any, Any, Any, Any]:
    """ruamel's round-trip types (imported when first needed: only `fix` needs them)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    return CommentedMap, CommentedSeq, DoubleQuotedScalarString, SingleQuotedScalarString


def _new_scalar(value: Any, layout: Layout) -> Any:
    if isinstance(value, str) and (layout.quote_all or value == "" or plain_tag(value) != STR):
        _, _, double, single = _rt()
        return single(value) if layout.quote == "'" else double(value)
    return value


def _is_flow(node: Any) -> bool:
    fa = getattr(node, "fa", None)
    return bool(fa is not None and fa.flow_style())


def _is_leaf(value: Any) -> bool:
    """A mapping of scalars only (`{memory: 64Mi}`, a toleration)."""
    return isinstance(value, Mapping) and not any(
        isinstance(v, (Mapping, list)) for v in value.values()
    )


def _flow_like_siblings(container: Any, value: Any) -> bool:
    """Whether a new mapping of scalars should be written in flow style: when every such
    mapping already in `container` is (`requests: {memory: 64Mi}` gets
    `limits: {memory: 64Mi}`). Anything deeper is written in block style (unless it sits in
    a flow collection, where ruamel writes flow anyway)."""
    if not _is_leaf(value):
        return False
    values = container.values() if isinstance(container, Mapping) else container
    leaves = [v for v in values if _is_leaf(v)]
    return bool(leaves) and all(_is_flow(v) for v in leaves)


def new_node(value: Any, layout: Layout, flow: bool = False) -> Any:
    """Plain JSON data as round-trip nodes, in flow style when `flow`."""
    commented_map, commented_seq, _, _ = _rt()
    if isinstance(value, Mapping):
        node = commented_map()
        for key, item in value.items():
            node[_new_scalar(key, layout)] = new_node(item, layout)
        if flow:
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        seq = commented_seq(new_node(item, layout) for item in value)
        if flow:
            seq.fa.set_flow_style()
        return seq
    return _new_scalar(value, layout)


def _key_of(node: Mapping[Any, Any], token: str) -> Any:
    """The round-trip key that reads as `token` (the last, as the safe loader keeps)."""
    found = [key for key in node if str(key) == token]
    if not found:
        raise RoundTripError(f"no key {token!r} in the round-trip document")
    return found[-1]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _width(value: Any) -> int:
    """About how many columns a scalar takes after its key's colon (a null none)."""
    if value is None:
        return 0
    _, _, double, single = _rt()
    quotes = 2 if isinstance(value, (double, single)) else 0
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return 1 + len(text) + quotes


def _replace_value(node: Any, key: Any, value: Any) -> None:
    """Set `node[key]` as a person editing the line would. ruamel gives a new string the
    old one's style: its quotes, wanted, but also a block scalar's, which would turn a
    one-line value into a `|-` block; such a value is written inline, with the blank lines
    and comments that followed the block. A trailing comment keeps its column, and where a
    longer value pushes it, the gap before it."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString, ScalarString

    old = node[key]
    slots = node.ca.items.get(key) or ()
    comment = slots[2] if len(slots) > 2 else None
    if isinstance(old, (LiteralScalarString, FoldedScalarString)):
        if isinstance(value, str) and "\n" not in value:
            if comment is not None:  # the block ended its line; the inline value does not
                indent = "" if comment.value.startswith("\n") else " " * comment.column
                comment.value = "\n" + indent + comment.value
            super(CommentedMap, node).__setitem__(key, value)  # skips the style carry-over
            return
    elif isinstance(old, ScalarString) and type(value) is str:
        value = type(old)(value)  # as ruamel would: its width below counts the quotes
    if comment is not None and not any(isinstance(v, (Mapping, list)) for v in (old, value)):
        comment.column += max(0, _width(value) - _width(old))
    node[key] = value


def reconcile(node: Any, before: Any, after: Any, layout: Layout) -> Any:
    """Make `node` (a round-trip tree that reads as `before`) read as `after`, changing only
    what differs; returns the node to put in its place (itself, unless replaced)."""
    if json_equal(before, after):
        return node
    commented_map, commented_seq, _, _ = _rt()
    if isinstance(before, dict) and isinstance(after, dict) and isinstance(node, commented_map):
        for token in before:
            if token not in after:
                del node[_key_of(node, token)]
        previous: Any = None
        for token, value in after.items():
            if token in before:
                key = _key_of(node, token)
                updated = reconcile(node[key], before[token], value, layout)
                if updated is not node[key]:
                    _replace_value(node, key, updated)
                previous = key
                continue
            created = new_node(value, layout, flow=_flow_like_siblings(node, value))
            key = _new_scalar(token, layout)
            keys = list(node)
            position = keys.index(previous) + 1 if previous is not None else 0
            if position >= len(keys):
                node[key] = created
            else:
                node.insert(position, key, created)
            previous = key
        return node
    if isinstance(before, list) and isinstance(after, list) and isinstance(node, commented_seq):
        if len(node) != len(before):
            raise RoundTripError("a sequence reads differently in the round-trip document")
        matched = opcodes([_canonical(v) for v in before], [_canonical(v) for v in after])
        # Back to front, so the indices of the blocks not yet handled stay valid.
        for tag, i1, i2, j1, j2 in reversed(matched):
            if tag == "equal":
                continue
            paired = min(i2 - i1, j2 - j1)
            for k in range(paired):
                updated = reconcile(node[i1 + k], before[i1 + k], after[j1 + k], layout)
                if updated is not node[i1 + k]:
                    node[i1 + k] = updated
            for index in reversed(range(i1 + paired, i2)):
                del node[index]
            for k in range(paired, j2 - j1):
                value = after[j1 + k]
                node.insert(i1 + k, new_node(value, layout, _flow_like_siblings(node, value)))
        return node
    return new_node(after, layout, flow=_is_flow(node))


def _navigate(node: Any, base: str) -> tuple[Any, Any]:
    """(parent, key) of the member `base` names in a round-trip tree; (None, None) for ""."""
    parent: Any = None
    key: Any = None
    current = node
    for token in jp.split(base):
        parent = current
        if isinstance(current, list):
            if not token.isdigit() or int(token) >= len(current):
                raise RoundTripError(f"no item {token} in the round-trip document")
            key = int(token)
        elif isinstance(current, Mapping):
            key = _key_of(current, token)
        else:
            raise RoundTripError(f"cannot descend into {type(current).__name__}")
        current = current[key]
    return parent, key


# --- YAML ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Edit:
    """Make the member at `base` (a JSON Pointer into the document; "" for the whole
    document) read as `after` instead of `before`."""

    base: str
    before: Any
    after: Any


def _yaml(layout: Layout, explicit_start: bool) -> Any:
    from ruamel.yaml import YAML

    handler = YAML(typ="rt")
    handler.preserve_quotes = True
    handler.width = 1 << 30  # never wrap a line
    handler.indent(mapping=layout.mapping, sequence=layout.sequence, offset=layout.offset)
    handler.explicit_start = explicit_start
    handler.allow_duplicate_keys = True  # as the safe loader; the read-back check decides
    return handler


def _dump(handler: Any, data: Any) -> str:
    out = io.StringIO()
    handler.dump(data, out)
    return out.getvalue()


def edit_yaml(lines: list[str], edits: Sequence[Edit], layout: Layout) -> list[str]:
    """The lines of one YAML document (from its node's first line to its last, breaks
    included) with the edits made: the merges worth trying, the likeliest first (the caller
    reads each back and keeps the one that holds the right data and changes fewest lines)."""
    from ruamel.yaml.error import YAMLError as RuamelError

    text = "".join(split_break(line)[0] + "\n" for line in lines)
    handler = _yaml(layout, explicit_start=bool(lines) and lines[0].startswith("---"))
    try:
        tree = handler.load(text)
        unchanged = _dump(handler, tree)  # dumping leaves the tree as it was
        for edit in edits:
            parent, key = _navigate(tree, edit.base)
            target = tree if parent is None else parent[key]
            updated = reconcile(target, edit.before, edit.after, layout)
            if parent is None:
                tree = updated
            elif updated is not target:
                parent[key] = updated
        changed = _dump(handler, tree)
    except RuamelError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RoundTripError(
            f"ruamel.yaml cannot read this document: {problem}",
            None if mark is None else mark.line,
        ) from exc
    return merged_texts(lines, unchanged, changed)


# --- JSON ------------------------------------------------------------------------------------


def load_json(text: str) -> Any:
    """The JSON value of a text, or None when it is not (wholly) a JSON object."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _json_format(text: str) -> dict[str, Any]:
    lines = text.splitlines()
    indent: int | str | None = None
    for previous, line in itertools.pairwise(lines):
        if previous.rstrip().endswith(("{", "[")) and line.strip():
            whitespace = line[: len(line) - len(line.lstrip())]
            indent = whitespace if "\t" in whitespace else len(whitespace)
            break
    options: dict[str, Any] = {"indent": indent}
    if indent is None:
        options["separators"] = (", ", ": ") if re.search(r'":\s', text) else (",", ":")
    ascii_only = text.isascii() and "\\u" in text
    options["ensure_ascii"] = ascii_only
    return options


def edit_json(text: str, data: Any, changed: Any) -> str:
    """JSON text whose value `data` becomes `changed`, re-dumped at its own indentation;
    only the lines that differ are replaced."""
    options = _json_format(text)
    lines = split_lines(text)
    base, changed_text = (json.dumps(value, **options) + "\n" for value in (data, changed))
    return merged_texts(lines, base, changed_text, hoist=False)[0]
