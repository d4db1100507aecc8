"""Paths, stdin and text -> Kubernetes objects, each able to say where its fields are.

YAML is composed into nodes by libyaml (PyYAML's C loader when present) and constructed
with the *safe* constructor only. The composed node tree is kept per document so that a
finding's JSON Pointer can be turned into a line and column on demand: clean documents
pay nothing for positions beyond the parse they needed anyway.
"""

from __future__ import annotations

import itertools
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from . import pointer as jp
from .model import InputError
from .values import type_name

SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN_NAME = "<stdin>"

# Alias expansion is bounded the way Kubernetes' YAML decoder (go-yaml) bounds it: a small
# document whose aliases expand to millions of nodes ("billion laughs") is refused before
# anything walks it.
MAX_EXPANDED_NODES = 1_000_000
MAX_ALIAS_RATIO = 10
MIN_NODES_FOR_RATIO = 10_000
# go-yaml refuses collections nested deeper than this; libyaml's composer recurses in C once
# per level and crashes the process (a segfault, no exception) some 30,000 levels down.
MAX_DEPTH = 10_000
_LIBYAML_DEPTH_PROBLEM = "exceeded maximum nesting depth"
TOO_DEEP = "document nests collections too deeply (refused before it can exhaust the parser)"

# `\r?$`: with re.MULTILINE `$` matches only before "\n", so CRLF files need the `\r`.
_DOC_START = re.compile(r"^---(?:[ \t]|\r?$)", re.MULTILINE)


@dataclass
class ParsedDocument:
    """One YAML document of a source: its node tree (for positions) and its line range."""

    source: str
    index: int
    node: yaml.Node
    line_offset: int  # lines before the chunk this node was parsed from
    first_line: int  # 1-based, includes comments that precede the document
    last_line: int

    def position(self, pointer: str) -> tuple[int, int]:
        """(line, column), 1-based, of the node the pointer names, or of its nearest existing
        parent."""
        line, col = locate(self.node, jp.split(pointer))
        return line + self.line_offset, col


@dataclass
class LoadedObject:
    """A Kubernetes object found in a document (a `List` document yields one per item)."""

    obj: dict[str, Any]
    document: ParsedDocument
    base: str = ""  # pointer of the object inside its document ("" or "/items/3")

    def position(self, pointer: str) -> tuple[int, int]:
        return self.document.position(self.base + pointer)


@dataclass
class LoadedSource:
    name: str
    text: str
    objects: list[LoadedObject] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    documents: int = 0
    parsed: list[ParsedDocument] = field(default_factory=list)


_NULL_TAG = "tag:yaml.org,2002:null"


def locate(node: yaml.Node, tokens: list[str]) -> tuple[int, int]:
    """Walk a node tree along pointer tokens, stopping at the deepest node that exists.

    A mapping value that is a collection or null is reported at its key (`resources:`);
    a mapping in a sequence
    (a container) is reported at its `name:` key when it has one.
    """
    mark = node.start_mark
    current = node
    for token in tokens:
        if isinstance(current, yaml.MappingNode):
            # The last of duplicate keys: the constructor keeps the last value, so must we.
            match = next(
                (
                    (k, v)
                    for k, v in reversed(current.value)
                    if isinstance(k, yaml.ScalarNode) and k.value == token
                ),
                None,
            )
            if match is None:
                break
            key_node, value_node = match
            current = value_node
            # A block collection starts on the next line and an empty value (`resources:`)
            # just past the colon: both are reported at their key.
            at_key = not isinstance(value_node, yaml.ScalarNode) or value_node.tag == _NULL_TAG
            mark = key_node.start_mark if at_key else value_node.start_mark
        elif isinstance(current, yaml.SequenceNode):
            if not token.isdigit() or int(token) >= len(current.value):
                break
            current = current.value[int(token)]
            mark = current.start_mark
            if isinstance(current, yaml.MappingNode):
                for key_node, _ in current.value:
                    if isinstance(key_node, yaml.ScalarNode) and key_node.value == "name":
                        mark = key_node.start_mark
                        break
        else:
            break
    return mark.line + 1, mark.column + 1


class _AliasCycle(Exception):
    pass


def expanded_size(node: yaml.Node, limit: int) -> tuple[int, int]:
    """(distinct nodes, nodes after alias expansion), stopping early once `limit` is passed.

    Raises _AliasCycle for an anchor that contains itself, which Kubernetes also refuses.
    """
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def size(n: yaml.Node) -> int:
        key = id(n)
        cached = sizes.get(key)
        if cached is not None:
            return cached
        if key in in_progress:
            raise _AliasCycle
        in_progress.add(key)
        total = 1
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                total += size(k) + size(v)
                if total > limit:
                    break
        elif isinstance(n, yaml.SequenceNode):
            for item in n.value:
                total += size(item)
                if total > limit:
                    break
        in_progress.discard(key)
        sizes[key] = total
        return total

    expanded = size(node)
    return len(sizes), expanded


def _alias_problem(node: yaml.Node) -> str | None:
    try:
        distinct, expanded = expanded_size(node, MAX_EXPANDED_NODES)
    except _AliasCycle:
        return "an anchor contains an alias to itself (refused, as Kubernetes refuses it)"
    except RecursionError:
        return "document is nested too deeply"
    if expanded > MAX_EXPANDED_NODES:
        return (
            f"document contains excessive aliasing: its aliases expand to more than "
            f"{MAX_EXPANDED_NODES:,} nodes (refused, as Kubernetes refuses it)"
        )
    if expanded > MIN_NODES_FOR_RATIO and expanded > MAX_ALIAS_RATIO * distinct:
        return (
            f"document contains excessive aliasing: {distinct:,} nodes expand to {expanded:,} "
            f"(refused, as Kubernetes refuses it)"
        )
    return None


def too_deep(text: str) -> int | None:
    """The 0-based line of the first collection nested deeper than MAX_DEPTH, else None.

    Each level needs an opening bracket or one more column of indentation (at most two
    levels per column), so ordinary input is cleared by that bound without a second parse;
    the exact check walks libyaml's parser events, which keep their own heap stack.
    """
    if len(text) <= MAX_DEPTH:
        return None
    longest = max(map(len, text.split("\n")))
    if text.count("[") + text.count("{") + 2 * longest + 2 <= MAX_DEPTH:
        return None
    depth = 0
    try:
        for event in yaml.parse(text, Loader=SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark.line
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None and _LIBYAML_DEPTH_PROBLEM in str(getattr(exc, "problem", "")):
            return int(mark.line)  # newer libyaml (PyYAML >= 6.0.4) stops at 1,000 levels
        return None  # the composer reports the syntax error, with its place
    return None


_UNKNOWN_TAG = "could not determine a constructor for the tag "


def _mark_error(source: str, exc: yaml.YAMLError, line_offset: int) -> InputError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    text = getattr(exc, "problem", None) or str(exc)
    if text.startswith(_UNKNOWN_TAG):
        # `!!python/object...` and friends: say what happened in words a user can act on.
        tag = text[len(_UNKNOWN_TAG) :].strip("'\"").replace("tag:yaml.org,2002:", "!!")
        text = f"tag {tag} is not allowed: only plain data (mappings, lists, scalars) is loaded"
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark is not None and context_mark is not mark:
        text += f" ({context} started at line {context_mark.line + 1 + line_offset})"
    elif context:
        text += f" ({context})"
    if mark is None:
        return InputError(source, None, f"invalid YAML: {text}")
    line = mark.line + 1 + line_offset
    return InputError(source, line, f"invalid YAML: {text}", column=mark.column + 1)


def _parse_stream(
    text: str, source: str, line_offset: int, first_index: int
) -> tuple[list[tuple[ParsedDocument, Any]], list[InputError], bool]:
    """Compose and construct every document; stop at the first syntax error.

    Returns (documents with their data, errors, whether a syntax error stopped the stream).
    """
    results: list[tuple[ParsedDocument, Any]] = []
    errors: list[InputError] = []
    deep_line = too_deep(text)
    if deep_line is not None:
        errors.append(InputError(source, deep_line + 1 + line_offset, TOO_DEEP))
        return results, errors, True
    check_aliases = "*" in text
    loader = SafeLoader(text)
    previous_end = 0
    markers: list[int] | None = None
    index = first_index
    try:
        while True:
            try:
                if not loader.check_node():
                    break
                node = loader.get_node()
            except yaml.YAMLError as exc:
                errors.append(_mark_error(source, exc, line_offset))
                return results, errors, True
            except RecursionError:  # the pure-Python composer, when libyaml is missing
                errors.append(InputError(source, line_offset + 1, TOO_DEEP))
                return results, errors, True
            end = node.end_mark
            last_line = end.line + (0 if end.column == 0 and end.line > 0 else 1)
            if end.column != 0:
                # A flow or scalar document ends mid-line, so the comments after it are still
                # its own up to the next `---` (or the end), not the next document's.
                markers = _marker_lines(text) if markers is None else markers
                last_line = next((m for m in markers if m > end.line), _line_count(text))
            document = ParsedDocument(
                source=source,
                index=index,
                node=node,
                line_offset=line_offset,
                first_line=previous_end + 1 + line_offset,
                last_line=max(last_line, previous_end + 1) + line_offset,
            )
            previous_end = last_line
            index += 1
            problem = _alias_problem(node) if check_aliases else None
            if problem:
                line, col = node.start_mark.line + 1 + line_offset, node.start_mark.column + 1
                errors.append(InputError(source, line, problem, column=col))
                continue
            try:
                data = loader.construct_document(node)
            except yaml.YAMLError as exc:
                errors.append(_mark_error(source, exc, line_offset))
                continue
            except Exception as exc:
                # PyYAML's constructors fail in their own ways on a scalar that does not fit
                # its explicit tag (`!!int ''` IndexError, `!!bool x` KeyError, `!!timestamp
                # ''` AttributeError): one bad document, never a crash of the whole run.
                readable = (ValueError, TypeError, OverflowError, RecursionError)
                detail = str(exc) if isinstance(exc, readable) else "a scalar does not fit its tag"
                line = node.start_mark.line + 1 + line_offset
                errors.append(InputError(source, line, f"invalid YAML value: {detail}"))
                continue
            results.append((document, data))
    finally:
        loader.dispose()
    return results, errors, False


def _marker_lines(text: str) -> list[int]:
    """0-based line numbers of the `---` lines in a stream."""
    lines: list[int] = []
    line, position = 0, 0
    for match in _DOC_START.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        lines.append(line)
    return lines


def _line_count(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Split a stream at `---` lines: (line offset, chunk), so one broken document does not
    hide the documents after it."""
    starts = [m.start() for m in _DOC_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    starts.append(len(text))
    for begin, end in itertools.pairwise(starts):
        yield text.count("\n", 0, begin), text[begin:end]


def parse_documents(
    text: str, source: str
) -> tuple[list[tuple[ParsedDocument, Any]], list[InputError]]:
    results, errors, broken = _parse_stream(text, source, 0, 0)
    if not broken:
        return results, errors
    # A syntax error ends libyaml's stream: parse each `---` chunk on its own instead.
    results, errors = [], []
    index = 0
    for offset, chunk in _chunks(text):
        chunk_results, chunk_errors, _ = _parse_stream(chunk, source, offset, index)
        index += max(1, len(chunk_results))
        results.extend(chunk_results)
        errors.extend(chunk_errors)
    return results, errors


def _object_error(source: str, document: ParsedDocument, base: str, message: str) -> InputError:
    line, col = document.position(base)
    return InputError(source, line, message, column=col)


def _objects_of(
    data: Any, document: ParsedDocument, source: str
) -> tuple[list[LoadedObject], list[InputError]]:
    if not isinstance(data, Mapping):
        message = f"document is {type_name(data)}, not a Kubernetes object (a mapping)"
        return [], [_object_error(source, document, "", message)]
    missing = [k for k in ("apiVersion", "kind") if not isinstance(data.get(k), str) or not data[k]]
    if missing:
        what = " and ".join(missing)
        return [], [
            _object_error(source, document, "", f"object has no {what}: not a Kubernetes object")
        ]
    kind = data["kind"]
    if not kind.endswith("List") or "items" not in data:
        return [LoadedObject(data, document)], []
    items = data.get("items")
    if items is None:
        return [], []
    if not isinstance(items, list):
        return [], [
            _object_error(
                source, document, "/items", f"{kind}.items is {type_name(items)}, not a list"
            )
        ]
    objects: list[LoadedObject] = []
    errors: list[InputError] = []
    item_kind = kind[: -len("List")] if kind != "List" else None
    for i, item in enumerate(items):
        base = jp.join("items", i)
        if not isinstance(item, Mapping):
            errors.append(
                _object_error(
                    source, document, base, f"{kind} item {i} is {type_name(item)}, not an object"
                )
            )
            continue
        if item_kind and "kind" not in item:
            # Typed lists from the API (PodList) leave kind and apiVersion off their items.
            item = {"apiVersion": data["apiVersion"], "kind": item_kind, **item}
        missing = [
            k for k in ("apiVersion", "kind") if not isinstance(item.get(k), str) or not item[k]
        ]
        if missing:
            what = " and ".join(missing)
            errors.append(_object_error(source, document, base, f"{kind} item {i} has no {what}"))
            continue
        objects.append(LoadedObject(dict(item), document, base))
    return objects, errors


def load_text(text: str, source: str) -> LoadedSource:
    """Every Kubernetes object in a YAML/JSON stream, and every reason some part was not one."""
    loaded = LoadedSource(source, text)
    documents, errors = parse_documents(text, source)
    loaded.errors.extend(errors)
    for document, data in documents:
        loaded.parsed.append(document)
        if data is None:
            continue  # an empty document (a trailing `---`) is no object, as kubectl agrees
        loaded.documents += 1
        objects, object_errors = _objects_of(data, document, source)
        loaded.objects.extend(objects)
        loaded.errors.extend(object_errors)
    loaded.errors.sort(key=lambda e: (e.line or 0, e.column or 0))
    return loaded


def decode(raw: bytes, source: str) -> tuple[str | None, InputError | None]:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), None
        except UnicodeDecodeError as exc:
            return None, InputError(source, None, f"cannot decode UTF-16 text: {exc.reason}")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return None, InputError(source, line, f"not UTF-8 text (byte {exc.start}: {exc.reason})")


@dataclass(frozen=True)
class SourceText:
    name: str
    text: str | None
    error: InputError | None = None
    is_file: bool = True  # False for a path that does not exist or an empty folder


def _is_hidden(name: str) -> bool:
    return name.startswith(".") and name not in (".", "..")


def expand_paths(paths: Iterable[str]) -> Iterator[tuple[str, InputError | None]]:
    """Files named on the command line, and the manifest files under named folders (sorted,
    hidden files and folders skipped); a missing path is an error, not a silent skip."""
    for path in paths:
        if path == "-":
            yield path, None
        elif os.path.isdir(path):
            found = False
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not _is_hidden(d))
                for name in sorted(files):
                    if _is_hidden(name) or not name.lower().endswith(MANIFEST_SUFFIXES):
                        continue
                    found = True
                    yield os.path.join(root, name), None
            if not found:
                yield path, InputError(path, None, "folder holds no .yaml, .yml or .json file")
        elif os.path.exists(path):
            yield path, None
        else:
            yield path, InputError(path, None, "no such file or folder")


def read_sources(paths: Iterable[str], stdin: Any = None) -> Iterator[SourceText]:
    for path, error in expand_paths(paths):
        if error is not None:
            yield SourceText(path, None, error, is_file=False)
            continue
        if path == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            raw = stream.read()
            name = STDIN_NAME
        else:
            name = path
            try:
                with open(path, "rb") as handle:
                    raw = handle.read()
            except OSError as exc:
                yield SourceText(name, None, InputError(name, None, f"cannot read: {exc.strerror}"))
                continue
        if isinstance(raw, str):
            yield SourceText(name, raw)
            continue
        text, decode_error = decode(raw, name)
        yield SourceText(name, text, decode_error)
