"""A YAML stream -> composed documents, each with its node tree and its line range.

libyaml (PyYAML's C loader when present) composes; the *safe* constructor alone builds
data. A syntax error ends libyaml's stream, so the stream is then re-parsed `---` chunk by
`---` chunk: one broken document does not hide the ones after it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from .. import pointer as jp
from ..model import ErrorCode, InputError
from .goyaml import KubernetesLoader, build_plain
from .positions import in_scalar, locate
from .safety import TOO_DEEP, alias_problem, too_deep
from .skim import identity, split_documents, valid_stream

# An anchor (`&name`, where the name may itself start with `&`) after a space, a flow
# indicator, a line start, a `:` (`{"a":&x [..]}`: JSON-like keys need no space after it)
# or a byte order mark (libyaml skips one at a line start): without one, no alias can
# expand and the bound is skipped.
_ANCHOR = re.compile(r"(?:^|[\s\[{,:\ufeff])&\S", re.MULTILINE)

# `\r?$`: with re.MULTILINE `$` matches only before "\n", so CRLF files need the `\r`.
_DOC_START = re.compile(r"^---(?:[ \t]|\r?$)", re.MULTILINE)


@dataclass
class ParsedDocument:
    """One YAML document of a source: its node tree (for positions) and its line range."""

    source: str
    index: int
    composed: yaml.Node | None
    line_offset: int  # lines before the chunk this node was parsed from
    first_line: int  # 1-based, includes comments that precede the document
    last_line: int
    text: str | None = None  # a skimmed document's own text: composed only if asked

    @property
    def node(self) -> yaml.Node:
        if self.composed is None:
            assert self.text is not None
            loader = KubernetesLoader(self.text)
            try:
                self.composed = loader.get_single_node()
            finally:
                loader.dispose()
        assert self.composed is not None
        return self.composed

    def position(self, pointer: str) -> tuple[int, int]:
        """(line, column), 1-based, of the node the pointer names, or of its nearest existing
        parent."""
        line, col = locate(self.node, jp.split(pointer))
        return line + self.line_offset, col

    def holds_text_at(self, line: int, column: int) -> bool:
        """Whether 1-based `line`, 0-based `column` is inside one of its scalars."""
        return in_scalar(self.node, line - 1 - self.line_offset, column)


_UNKNOWN_TAG = "could not determine a constructor for the tag "


# libyaml reports a ReaderError's position in bytes of the UTF-8 text it was handed; the
# pure-Python reader, in characters.
_C_LOADER = getattr(yaml, "CSafeLoader", None)
_BYTE_POSITIONS = _C_LOADER is not None and issubclass(KubernetesLoader, _C_LOADER)


def _reader_error(
    source: str, exc: yaml.reader.ReaderError, text: str, line_offset: int
) -> InputError:
    """A character YAML does not allow (a control character, NUL, U+FFFE): placed on its
    line and column, instead of PyYAML's two-line message with a byte position in
    "<unicode string>"."""
    if _BYTE_POSITIONS:
        before = text.encode("utf-8", "surrogatepass")[: exc.position]
        prefix = before.decode("utf-8", "replace")
    else:
        prefix = text[: exc.position]
    line = prefix.count("\n") + 1 + line_offset
    column = len(prefix) - (prefix.rfind("\n") + 1) + 1
    character = exc.character
    code = f"U+{ord(character):04X}" if isinstance(character, str) else f"U+{character:04X}"
    message = f"invalid YAML: character {code} is not allowed ({exc.reason})"
    return InputError(source, line, message, column=column, code=ErrorCode.INVALID_YAML)


def _end_of_text(text: str | None, mark: Any) -> tuple[int, int] | None:
    """When `mark` is at the end of `text` (libyaml puts it on the line after the last, even
    with no final line break): the 0-based line and column just after the last character
    of the last line with content, where a text cut short was cut. Else None."""
    if text is None or mark is None:
        return None
    lines = text.splitlines()
    if mark.line < len(lines) and not (
        mark.line == len(lines) - 1 and mark.column >= len(lines[-1])
    ):
        return None
    for number in range(len(lines) - 1, -1, -1):
        content = lines[number].rstrip()
        if content:
            return number, len(content)
    return None


def _mark_error(
    source: str, exc: yaml.YAMLError, line_offset: int, text: str | None = None
) -> InputError:
    if isinstance(exc, yaml.reader.ReaderError) and text is not None:
        return _reader_error(source, exc, text, line_offset)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    cut = _end_of_text(text, mark)
    text = getattr(exc, "problem", None) or str(exc)
    if text.startswith(_UNKNOWN_TAG):
        # `!!python/object...` and friends: say what happened in words a user can act on.
        tag = text[len(_UNKNOWN_TAG) :].strip("'\"").replace("tag:yaml.org,2002:", "!!")
        text = f"tag {tag} is not allowed: only plain data (mappings, lists, scalars) is loaded"
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark is not None and context_mark is not mark:
        started = context_mark.line
        if cut is not None and started > cut[0]:
            started = cut[0]  # started where the text ends: on its last line
        text += f" ({context} started at line {started + 1 + line_offset})"
    elif context:
        text += f" ({context})"
    if cut is not None:
        # A file cut short (a truncated download, a JSON file missing its closing `}`): said
        # at its last line, not on a line past the end.
        text += ": the document ends before it is complete"
    if mark is None:
        return InputError(source, None, f"invalid YAML: {text}", code=ErrorCode.INVALID_YAML)
    line, column = cut if cut is not None else (mark.line, mark.column)
    where = line + 1 + line_offset
    message = f"invalid YAML: {text}"
    return InputError(source, where, message, column=column + 1, code=ErrorCode.INVALID_YAML)


def _parse_stream(
    text: str, source: str, line_offset: int, first_index: int, previous_end: int = 0
) -> tuple[list[tuple[ParsedDocument, Any]], list[InputError], bool, int, int]:
    """Compose and construct every document; stop at the first syntax error.

    `previous_end` is the last line (counted in `text`, so 0 or less) of the document
    before: the first document's range starts after it, as in one parse of the stream.
    Returns (documents with their data, errors, whether a syntax error stopped the stream,
    the index the next document would have, the last line of the last document).
    """
    results: list[tuple[ParsedDocument, Any]] = []
    errors: list[InputError] = []
    deep_line = too_deep(text)
    if deep_line is not None:
        errors.append(
            InputError(source, deep_line + 1 + line_offset, TOO_DEEP, code=ErrorCode.TOO_DEEP)
        )
        return results, errors, True, first_index + 1, previous_end + line_offset
    check_aliases = "*" in text and _ANCHOR.search(text) is not None
    try:
        loader = KubernetesLoader(text)
    except yaml.YAMLError as exc:  # the pure-Python reader checks every character first
        errors.append(_mark_error(source, exc, line_offset, text))
        return results, errors, True, first_index + 1, previous_end + line_offset
    markers: list[int] | None = None
    index = first_index
    try:
        while True:
            try:
                if not loader.check_node():
                    break
                node = loader.get_node()
            except yaml.YAMLError as exc:
                errors.append(_mark_error(source, exc, line_offset, text))
                return results, errors, True, index + 1, previous_end + line_offset
            except RecursionError:  # the pure-Python composer, when libyaml is missing
                errors.append(
                    InputError(source, line_offset + 1, TOO_DEEP, code=ErrorCode.TOO_DEEP)
                )
                return results, errors, True, index + 1, previous_end + line_offset
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
                composed=node,
                line_offset=line_offset,
                first_line=previous_end + 1 + line_offset,
                last_line=max(last_line, previous_end + 1) + line_offset,
            )
            previous_end = last_line
            index += 1
            problem = alias_problem(node) if check_aliases else None
            if problem:
                code, message = problem
                line, col = node.start_mark.line + 1 + line_offset, node.start_mark.column + 1
                errors.append(InputError(source, line, message, column=col, code=code))
                continue
            try:
                data = _build(loader, node, check_aliases)
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
                message = f"invalid YAML value: {detail}"
                errors.append(InputError(source, line, message, code=ErrorCode.INVALID_YAML))
                continue
            results.append((document, data))
    finally:
        loader.dispose()
    return results, errors, False, index, previous_end + line_offset


def _build(loader: Any, node: yaml.Node, has_aliases: bool) -> Any:
    """The document's data: built directly when it is plain (nearly always), else by the
    safe constructor, whose result and errors are the reference."""
    if not has_aliases:
        try:
            return build_plain(node)
        except Exception:  # NotPlain, or an error the constructor will report in its words
            pass
    try:
        return loader.construct_document(node)
    except Exception:
        # PyYAML keeps a failed document's pending work (a second unhashable key, say): the
        # next document it builds would run it, report this document's error as its own and
        # be lost. Each document starts clean, as in a parse of it alone.
        loader.state_generators = []
        loader.constructed_objects = {}
        loader.recursive_objects = {}
        loader.deep_construct = False
        raise


@dataclass(frozen=True)
class Skimmed:
    """The data of a document no rule reads: only its identity (see `skim`)."""

    api_version: str
    kind: str


def _parse_skimming(
    chunks: list[tuple[int, str]], source: str, wanted: Callable[[str, str], bool]
) -> tuple[list[tuple[ParsedDocument, Any]], list[InputError]] | None:
    """None when a document cannot be composed (an undefined alias, a duplicate anchor:
    libyaml's syntax check does not see those): the stream is then parsed as without
    skimming, whose way of going on after a broken document is the reference."""
    results: list[tuple[ParsedDocument, Any]] = []
    errors: list[InputError] = []
    index = 0
    end = 0  # the last line of the previous document: a root block scalar's ends early
    for offset, chunk in chunks:
        found = identity(chunk)
        if found is not None and not wanted(found.api_version, found.kind):
            document = ParsedDocument(
                source=source,
                index=index,
                composed=None,
                line_offset=offset,
                first_line=end + 1,
                last_line=offset + _line_count(chunk),
                text=chunk,
            )
            results.append((document, Skimmed(found.api_version, found.kind)))
            index += 1
            end = document.last_line
            continue
        parsed, chunk_errors, broken, index, end = _parse_stream(
            chunk, source, offset, index, end - offset
        )
        if broken:
            return None
        results.extend(parsed)
        errors.extend(chunk_errors)
    return results, errors


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
    text: str, source: str, wanted: Callable[[str, str], bool] | None = None
) -> tuple[list[tuple[ParsedDocument, Any]], list[InputError]]:
    """Each document with its data, and the errors. With `wanted` (apiVersion, kind ->
    whether anything reads the object), documents it declines may come back as Skimmed."""
    # The bounds first, as on the full path: libyaml's own depth limit depends on its
    # version, and a stream it need not refuse can be slow for it to parse.
    if wanted is not None and too_deep(text) is None and valid_stream(text):
        chunks = split_documents(text)
        skimmed = _parse_skimming(chunks, source, wanted) if chunks is not None else None
        if skimmed is not None:
            return skimmed
    results, errors, broken, _, _ = _parse_stream(text, source, 0, 0)
    if not broken:
        return results, errors
    # A syntax error ends libyaml's stream: parse each `---` chunk on its own instead.
    results, errors = [], []
    index = 0
    for offset, chunk in _chunks(text):
        chunk_results, chunk_errors, _, _, _ = _parse_stream(chunk, source, offset, index)
        index += max(1, len(chunk_results))
        results.extend(chunk_results)
        errors.extend(chunk_errors)
    return results, errors
