"""Line diffs and a three-way line merge: pure text algorithms, no YAML.

`roundtrip` changes a document's data through ruamel.yaml, which writes some things its own
way; these functions carry over into the original text only the lines the change itself
touched (`merged_texts`), so that everything else stays byte for byte. `opcodes` is also
what `fix --diff` and the fewest-changed-lines choice (`changed_lines`) count with.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from difflib import SequenceMatcher

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


def split_break(line: str) -> tuple[str, str]:
    match = _BREAK.search(line)
    return (line[: match.start()], line[match.start() :]) if match else (line, "")


def dominant_break(lines: Sequence[str]) -> str:
    """The line break most lines end with ("\\n" when none does)."""
    counts = Counter(b for b in (split_break(line)[1] for line in lines) if b)
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


def changed_lines(before: Sequence[str], after: Sequence[str]) -> int:
    """How many lines an edit rewrites (the larger side of each changed block): the
    measure by which the least intrusive of several equivalent edits is chosen."""
    return sum(
        max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in opcodes(before, after) if tag != "equal"
    )


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
    breaks = [split_break(line)[1] for line in original_lines]
    lines: list[str] = []
    for text, origin in merged:
        ending = breaks[origin] if origin is not None else default
        lines.append(text + (ending or default))
    if lines:
        last_break = breaks[-1] if breaks else default
        text, _ = split_break(lines[-1])
        lines[-1] = text + last_break
    return lines


def merged_texts(
    original_lines: list[str], base_text: str, changed_text: str, hoist: bool = True
) -> list[str]:
    """The merges worth trying, the likeliest first, without repeats."""
    original = [split_break(line)[0] for line in original_lines]
    base = [split_break(line)[0] for line in split_lines(base_text)]
    changed = [split_break(line)[0] for line in split_lines(changed_text)]
    merges = (
        "".join(_with_breaks(merge3(original, base, changed, h, s, f), original_lines))
        for f in (True, False)
        for h in ((True, False) if hoist else (False,))
        for s in (False, True)
    )
    return list(dict.fromkeys(merges))
