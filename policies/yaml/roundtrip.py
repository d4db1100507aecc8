"""Change the data of a YAML or JSON text and keep every byte that does not have to change.

Only the lines that change are touched, by a three-way merge:

- O: the original lines;
- A: O loaded with ruamel.yaml (round trip) and dumped unchanged;
- B: the same round-trip tree, with the new data reconciled into it, dumped.

A and B differ only where the data changed; O and A differ only where ruamel writes
something its own way (spacing after a colon, a comment's column, a flow collection over
several lines, indentation it could not follow). The result is O with A's changes to B
applied: every line A kept is O's own line, and ruamel's way of writing survives only in a
block it had to rewrite anyway. ruamel is configured with the document's own indentation
(mapping, sequence, dash offset), quotes kept as written and no line wrapping, so that A is
O for ordinary manifests and the lines B adds look like their neighbours.

ruamel indents a whole document one way, so a document indented several ways is tried with
each (and with the indentation found along the path of each change). Lines added next to a
block ruamel writes differently can go next to it as written or replace it with ruamel's
version; added lines can go above trailing comments and blank lines or below them. `edit_yaml`
returns each such merge; the caller reads each back, keeps those that hold exactly the new
data, and of those the one that changes fewest lines.

Reconciling (not re-dumping the new data) keeps every comment, anchor and quoting of what
did not change: mappings gain or lose members in place, lists are aligned item by item, and
only values that differ are replaced. New keys go after the members they follow in the new
data; a new mapping of scalars is written in flow style where its siblings are
(`requests: {memory: 64Mi}` gets `limits: {memory: 64Mi}`). New strings that kubectl
(go-yaml v2) would read as something else (`y`, `1e3`, `0o17`) are quoted, in the quotes the
document uses most; in a document that quotes every string (JSON written as YAML), all are.

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
from collections.abc import Iterator, Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any

import yaml

from .. import pointer as jp
from ..patch import json_equal
from .goyaml import STR, plain_tag


class RoundTripError(Exception):
    """The text cannot be changed as asked (or not without rewriting more than the change);
    `line` (0-based, in the text given) where there is one."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


# Line breaks as YAML (PyYAML, ruamel) counts them, so line numbers agree with the parser's.
_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


def split_lines(text: str) -> list[str]:
    """Lines with their line breaks (the last one may have none)."""
    lines: list[str] = []
    start = 0
    for match in _BREAK.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def _split_break(line: str) -> tuple[str, str]:
    match = _BREAK.search(line)
    return (line[: match.start()], line[match.start() :]) if match else (line, "")


def dominant_break(lines: Sequence[str]) -> str:
    """The line break most lines end with ("\\n" when none does)."""
    counts = Counter(b for b in (_split_break(line)[1] for line in lines) if b)
    return counts.most_common(1)[0][0] if counts else "\n"


# --- line diffs ------------------------------------------------------------------------------

Opcode = tuple[str, int, int, int, int]  # difflib's: (tag, a1, a2, b1, b2)
# Pairs of equal lines (a line of `a` times its copies in `b`) above which difflib's exact
# matching gets slow: it is quadratic in how often lines repeat.
_DIFFLIB_WORK = 20_000


def opcodes(a: Sequence[str], b: Sequence[str]) -> list[Opcode]:
    """difflib-style opcodes turning `a` into `b`. difflib's exact matching where it is
    fast enough; where lines repeat too much for it (a List of hundreds of Pods repeats
    `- name: app` and `memory: 1Gi` hundreds of times, and difflib is quadratic in that),
    patience style first: common ends, then lines found exactly once on each side (in
    order) as anchors, cutting the texts into pieces difflib handles."""
    raw: list[Opcode] = []
    stack = [(0, len(a), 0, len(b))]
    while stack:
        a1, a2, b1, b2 = stack.pop()
        in_b = Counter(b[b1:b2])
        if sum(in_b[line] for line in a[a1:a2]) <= _DIFFLIB_WORK:
            # Small enough for difflib, whose longest-block-first matching lines up
            # reindented blocks best.
            matcher = SequenceMatcher(None, a[a1:a2], b[b1:b2], autojunk=False)
            raw.extend(
                (tag, a1 + i1, a1 + i2, b1 + j1, b1 + j2)
                for tag, i1, i2, j1, j2 in matcher.get_opcodes()
            )
            continue
        head = 0
        while a1 + head < a2 and b1 + head < b2 and a[a1 + head] == b[b1 + head]:
            head += 1
        tail = 0
        while (
            a2 - tail > a1 + head and b2 - tail > b1 + head and a[a2 - tail - 1] == b[b2 - tail - 1]
        ):
            tail += 1
        if head:
            raw.append(("equal", a1, a1 + head, b1, b1 + head))
        if tail:
            raw.append(("equal", a2 - tail, a2, b2 - tail, b2))
        a1, a2, b1, b2 = a1 + head, a2 - tail, b1 + head, b2 - tail
        if a1 == a2 and b1 == b2:
            continue
        if a1 == a2 or b1 == b2:
            raw.append(("insert" if a1 == a2 else "delete", a1, a2, b1, b2))
            continue
        anchors = _anchors(a, a1, a2, b, b1, b2)
        if not anchors:
            matcher = SequenceMatcher(None, a[a1:a2], b[b1:b2], autojunk=True)
            raw.extend(
                (tag, a1 + i1, a1 + i2, b1 + j1, b1 + j2)
                for tag, i1, i2, j1, j2 in matcher.get_opcodes()
            )
            continue
        previous_a, previous_b = a1, b1
        for i, j in anchors:
            stack.append((previous_a, i, previous_b, j))
            raw.append(("equal", i, i + 1, j, j + 1))
            previous_a, previous_b = i + 1, j + 1
        stack.append((previous_a, a2, previous_b, b2))
    raw.sort(key=lambda op: (op[1], op[3], op[2], op[4]))
    merged: list[Opcode] = []
    for op in raw:
        if op[1] == op[2] and op[3] == op[4]:
            continue
        if merged and merged[-1][0] == op[0] == "equal":
            last = merged[-1]
            merged[-1] = ("equal", last[1], op[2], last[3], op[4])
        elif merged and merged[-1][0] != "equal" and op[0] != "equal":
            last = merged[-1]
            merged[-1] = ("replace", last[1], op[2], last[3], op[4])
        else:
            merged.append(op)
    return [
        ("insert" if a1 == a2 else "delete" if b1 == b2 else tag, a1, a2, b1, b2)
        if tag != "equal"
        else (tag, a1, a2, b1, b2)
        for tag, a1, a2, b1, b2 in merged
    ]


def _anchors(
    a: Sequence[str], a1: int, a2: int, b: Sequence[str], b1: int, b2: int
) -> list[tuple[int, int]]:
    """Lines once in a[a1:a2] and once in b[b1:b2], the longest run in the same order."""
    seen_a: Counter[str] = Counter(a[a1:a2])
    seen_b: Counter[str] = Counter(b[b1:b2])
    where_b = {b[j]: j for j in range(b1, b2) if seen_b[b[j]] == 1}
    pairs = [(i, where_b[a[i]]) for i in range(a1, a2) if seen_a[a[i]] == 1 and a[i] in where_b]
    # Longest increasing subsequence of the b positions (patience sorting).
    tails: list[int] = []
    links: list[int] = [-1] * len(pairs)
    tail_index: list[int] = []
    for k, (_, j) in enumerate(pairs):
        low, high = 0, len(tails)
        while low < high:
            middle = (low + high) // 2
            if tails[middle] < j:
                low = middle + 1
            else:
                high = middle
        if low == len(tails):
            tails.append(j)
            tail_index.append(k)
        else:
            tails[low] = j
            tail_index[low] = k
        links[k] = tail_index[low - 1] if low else -1
    chain: list[tuple[int, int]] = []
    k = tail_index[-1] if tail_index else -1
    while k >= 0:
        chain.append(pairs[k])
        k = links[k]
    return chain[::-1]


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
                    node[key] = updated
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


# --- the three-way merge ---------------------------------------------------------------------


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _movable(text: str, indent: int) -> bool:
    """A blank line, or a comment less indented than new lines at `indent`: it belongs to
    what follows, so lines added after the member before it go above it."""
    stripped = text.strip()
    return not stripped or (stripped.startswith("#") and _indent(text) < indent)


def _content_indent(line: str) -> int:
    """The column of a line's content past its indentation and any `- ` item dashes."""
    column = _indent(line)
    while line[column : column + 2] == "- " or line[column:].rstrip() == "-":
        column += 1
        while line[column : column + 1] == " ":
            column += 1
    return column


def _is_content(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip().startswith("#")


def _opens_block(line: str) -> bool:
    """Whether a line ends with a key whose value follows on the next lines (`key:`)."""
    code = line.split(" #", 1)[0].rstrip()
    return code.endswith(":")


def _edge_fits(
    original: Sequence[str], base: Sequence[str], added: Sequence[str], strict: bool
) -> bool:
    """Whether lines `added` next to a block that ruamel writes differently (`base`) than
    it is written (`original`) can go next to the block as written: strictly, when the two
    differ only within lines, in comments and in blank lines (not in the indentation of
    their content); else when their lines at the added lines' level or above (by where
    their content starts) are indented alike."""
    last_original = next((x for x in reversed(original) if _is_content(x)), "")
    last_base = next((x for x in reversed(base) if _is_content(x)), "")
    if _opens_block(last_original) != _opens_block(last_base):
        # `resources: ~` written, `resources:` as ruamel writes it: children added below
        # belong under the key ruamel wrote, not under the null as written.
        return False
    if strict:
        return [_indent(x) for x in original if _is_content(x)] == [
            _indent(x) for x in base if _is_content(x)
        ]
    level = _indent(next((line for line in added if line.strip()), ""))

    def spine(lines: Sequence[str]) -> list[int]:
        columns = (_content_indent(x) for x in lines if _is_content(x))
        return [c for c in columns if c <= level]

    return spine(original) == spine(base)


def _blocks(
    original: list[str], base: list[str], fine: bool
) -> Iterator[tuple[str, int, int, int, int]]:
    """How `base` lines up with `original`: difflib's opcodes; with `fine`, a block of
    lines that differ is cut further, each line that differs only in spacing (ruamel's
    indentation, the spaces before a comment) a block of its own, so a change next to it
    does not rewrite it."""
    for tag, o1, o2, b1, b2 in opcodes(original, base):
        if tag != "replace" or not fine:
            yield tag, o1, o2, b1, b2
            continue
        spaced = opcodes(
            [" ".join(line.split()) for line in original[o1:o2]],
            [" ".join(line.split()) for line in base[b1:b2]],
        )
        for sub, p1, p2, q1, q2 in spaced:
            if sub != "equal":
                yield sub, o1 + p1, o1 + p2, b1 + q1, b1 + q2
                continue
            for k in range(p2 - p1):
                yield "replace", o1 + p1 + k, o1 + p1 + k + 1, b1 + q1 + k, b1 + q1 + k + 1


def merge3(
    original: list[str],
    base: list[str],
    changed: list[str],
    hoist: bool = True,
    strict: bool = False,
    fine: bool = True,
) -> list[tuple[str, int | None]]:
    """`original` with the changes from `base` to `changed`: (line, index in `original` or
    None for a line of `changed`). Lines have no line breaks.

    Where ruamel writes a block differently than it is written and the change falls inside
    it, the block is taken as ruamel writes it; lines added at its edge go next to it as
    written when they fit there (see `_edge_fits`, `strict`). With `hoist`, added lines go
    above the blank lines and outdented comments that end the member they follow."""
    kept = [False] * len(base)
    added: list[list[str]] = [[] for _ in range(len(base) + 1)]
    for tag, i1, i2, j1, j2 in opcodes(base, changed):
        if tag == "equal":
            for k in range(i2 - i1):
                kept[i1 + k] = True
        else:
            added[i2].extend(changed[j1:j2])
    out: list[tuple[str, int | None]] = []
    emitted: set[int] = set()

    def emit_added(at: int) -> None:
        if at in emitted or not added[at]:
            return
        emitted.add(at)
        lines = added[at]
        position = len(out)
        if hoist:
            first = next((line for line in lines if line.strip()), "")
            indent = _indent(first)
            while (
                position > 0
                and out[position - 1][1] is not None
                and _movable(out[position - 1][0], indent)
            ):
                position -= 1
        out[position:position] = [(line, None) for line in lines]

    for tag, o1, o2, b1, b2 in _blocks(original, base, fine):
        if tag == "equal":
            for k in range(b2 - b1):
                emit_added(b1 + k)
                if kept[b1 + k]:
                    out.append((original[o1 + k], o1 + k))
            continue
        edges = [
            i
            for i in (b1, b2)
            if added[i] and not _edge_fits(original[o1:o2], base[b1:b2], added[i], strict)
        ]
        touched = (
            any(not kept[i] for i in range(b1, b2))
            or any(added[i] for i in range(b1 + 1, b2))
            or bool(edges)
        )
        if touched:
            for i in range(b1, b2):
                emit_added(i)
                if kept[i]:
                    out.append((base[i], None))
            if edges:
                emit_added(b2)
        else:
            if b1 < b2:
                emit_added(b1)
            out.extend((original[o], o) for o in range(o1, o2))
    emit_added(len(base))
    return out


def _with_breaks(merged: list[tuple[str, int | None]], original_lines: list[str]) -> list[str]:
    """Merged lines with line breaks: a kept line its own, a new one the text's usual one;
    the last line ends as the original's last line did (perhaps with none)."""
    default = dominant_break(original_lines)
    breaks = [_split_break(line)[1] for line in original_lines]
    lines: list[str] = []
    for text, origin in merged:
        ending = breaks[origin] if origin is not None else default
        lines.append(text + (ending or default))
    if lines:
        last_break = breaks[-1] if breaks else default
        text, _ = _split_break(lines[-1])
        lines[-1] = text + last_break
    return lines


def _merged_texts(
    original_lines: list[str], base_text: str, changed_text: str, hoist: bool = True
) -> list[str]:
    """The merges worth trying, the likeliest first, without repeats."""
    original = [_split_break(line)[0] for line in original_lines]
    base = [_split_break(line)[0] for line in split_lines(base_text)]
    changed = [_split_break(line)[0] for line in split_lines(changed_text)]
    merges = (
        "".join(_with_breaks(merge3(original, base, changed, h, s, f), original_lines))
        for f in (True, False)
        for h in ((True, False) if hoist else (False,))
        for s in (False, True)
    )
    return list(dict.fromkeys(merges))


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

    text = "".join(_split_break(line)[0] + "\n" for line in lines)
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
    return _merged_texts(lines, unchanged, changed)


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
    return _merged_texts(lines, base, changed_text, hoist=False)[0]
