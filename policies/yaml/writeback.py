"""Put changed Kubernetes objects back into the text they were read from, changing only the
lines the change needs: the one place `fix` and `certs inject-ca` write manifests.

Each document holding a changed object is edited through `roundtrip` and spliced back; every
other document, `---` line, comment and byte stays. ruamel indents a whole document one way:
a document indented one way is edited in one go, one indented several ways one group of
operations at a time, each with the indentation found along its path. Of the merges
`roundtrip` offers, the caller's `reads_back` keeps those that load as exactly the changed
objects, and of those the one that rewrites fewest lines wins. A text that is wholly one
JSON object is re-dumped at its own indentation instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import pointer as jp
from ..model import JsonPatch
from ..patch import apply_patch, json_equal
from . import roundtrip as rt
from .linediff import changed_lines, split_lines
from .loader import LoadedObject
from .stream import parse_documents

# (a document's edited text, the objects it must hold in order) -> why it does not (None: it
# does).
ReadsBack = Callable[[str, list[Any]], str | None]


def _steps(
    items: list[tuple[int, LoadedObject]], changed: dict[int, Any], patches: dict[int, JsonPatch]
) -> list[tuple[dict[int, Any], list[str]]]:
    """The objects of a document as they go from written to changed, one group of operations
    (those on one parent) at a time: (objects after the step, the pointers it writes)."""
    current = {i: item.obj for i, item in items}
    steps: list[tuple[dict[int, Any], list[str]]] = []
    for i, item in items:
        if i not in changed:
            continue
        groups: dict[str, JsonPatch] = {}
        for op in patches[i]:
            groups.setdefault(jp.join(*jp.split(op["path"])[:-1]), []).append(op)
        for ops in groups.values():
            current = {**current, i: apply_patch(current[i], ops)}
            steps.append((current, [item.base + op["path"] for op in ops]))
        current = {**current, i: changed[i]}  # the same data, as the caller built it
    if steps:
        steps[-1] = (current, steps[-1][1])
    return steps


def _edit_document(
    region: list[str],
    name: str,
    items: list[tuple[int, LoadedObject]],
    changed: dict[int, Any],
    patches: dict[int, JsonPatch],
    reads_back: ReadsBack,
    done: str,
) -> list[str]:
    """A document's lines (its node's first line to its last) holding the changed objects."""
    node = items[0][1].document.node
    layouts = rt.detect_layouts(node)
    if len(layouts) == 1:
        objects = {**{i: item.obj for i, item in items}, **changed}
        pointers = [
            item.base + op["path"] for i, item in items if i in changed for op in patches[i]
        ]
        steps = [(objects, pointers)]
    else:
        steps = _steps(items, changed, patches)
    current = {i: item.obj for i, item in items}
    for objects, pointers in steps:
        edits = [
            rt.Edit(item.base, current[i], objects[i])
            for i, item in items
            if not json_equal(current[i], objects[i])
        ]
        expected = [objects[i] for i, _ in items]
        tried = [rt.path_layout(node, jp.split(p), layouts[0]) for p in pointers] + layouts
        best: tuple[int, list[str]] | None = None
        problem = ""
        for layout in dict.fromkeys(tried):
            for candidate in rt.edit_yaml(region, edits, layout):
                problem = reads_back(candidate, expected) or ""
                if problem:
                    continue
                candidate_lines = split_lines(candidate)
                cost = changed_lines(region, candidate_lines)
                if best is None or cost < best[0]:
                    best = (cost, candidate_lines)
        if best is None:
            raise rt.RoundTripError(f"the edited document does not read back as {done} ({problem})")
        region, current = best[1], objects
        if len(steps) > 1:
            node = parse_documents("".join(region), name)[0][0][0].node
            layouts = rt.detect_layouts(node)
    return region


def write_back(
    text: str,
    name: str,
    objects: Sequence[LoadedObject],
    changed: dict[int, Any],
    patches: dict[int, JsonPatch],
    reads_back: ReadsBack,
    done: str = "edited",
) -> str:
    """The text with `objects[i]` made `changed[i]` by `patches[i]` (relative to the
    object); raises RoundTripError (`line`: 0-based in the text) when no edit reads back.
    `done` names the change in that message ("fixed")."""
    data = rt.load_json(text)
    if data is not None:
        ops = [
            {**op, "path": objects[i].base + op["path"]}
            for i, patch in patches.items()
            for op in patch
        ]
        return rt.edit_json(text, data, apply_patch(data, ops))
    lines = split_lines(text)
    by_document: dict[int, list[tuple[int, LoadedObject]]] = {}
    for index, item in enumerate(objects):
        by_document.setdefault(id(item.document), []).append((index, item))
    # Back to front, so the line numbers of the documents not yet spliced stay valid.
    documents = sorted(
        (items for items in by_document.values() if any(i in changed for i, _ in items)),
        key=lambda items: items[0][1].document.first_line,
        reverse=True,
    )
    for items in documents:
        document = items[0][1].document
        start = document.node.start_mark.line + document.line_offset
        end = document.last_line
        try:
            region = _edit_document(
                lines[start:end], name, items, changed, patches, reads_back, done
            )
        except rt.RoundTripError as exc:
            exc.line = start + (exc.line or 0)  # in the file (0-based), else its first line
            raise
        lines[start:end] = region
    return "".join(lines)
