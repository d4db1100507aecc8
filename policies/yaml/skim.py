"""Which documents of a valid YAML stream no rule needs to read, found without building them.

Most of a repository's YAML is ConfigMaps, RBAC and CRDs: no pod spec, so no rule reads
them, yet building their Python objects is most of the cost of a lint. The stream's syntax
is checked once, in C, by libyaml (`valid_stream`); then a document is *skimmed* (counted,
its identity read, never built) only when all of these hold, and is parsed fully otherwise:

- its `kind` and `apiVersion` are the first top-level keys' plain string values, read from
  libyaml's first events, and no other top-level line could redefine them;
- nothing in it could make building it fail or differ from plain data: no anchor, alias,
  tag, merge key or collection used as a key. A cheap text search clears most documents;
  the few it cannot clear (CRDs whose prose holds `*` or `!`) are checked exactly on
  libyaml's events;
- it is within the bounds the full parse applies (yaml.safety): no alias can expand, as
  there is none, and the stream nests no deeper than MAX_DEPTH. The caller checks that
  with the full parse's own `too_deep` before `valid_stream`: libyaml's limit depends on
  its version (none before 0.2.6), and before 0.2.6 its parse of a stream nested 100,000
  deep takes some 20 s.

The checks are conservative: a document they cannot clear is parsed as before, so skimming
changes speed, never a result.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from .goyaml import STR, plain_tag

try:  # PyYAML's C extension: libyaml's parser, run to the end without building any event
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML without libyaml: nothing is skimmed
    _CParser = None

# Patterns for line starts are written `\n...` and searched in "\n" + text: a pattern that
# opens with a literal is scanned for by the regex engine several times faster than `^`.
_DOC_START = re.compile(r"\n---(?:[ \t]|\r?$)", re.MULTILINE)

# A stream whose documents are not all separated by `---` lines (`...` end markers, which
# may be followed by a bare document) or that has directives is never split by text.
_UNSPLITTABLE = re.compile(r"\n(?:\.\.\.(?:[ \t]|\r?$)|%)", re.MULTILINE)
# Nor is one with a line break other than "\n" and "\r\n" (see `_odd_line_breaks`).
_ODD_BREAKS = ("\x85", "\u2028", "\u2029")

# Lines at column 0: a plain apiVersion or kind key (group 1), or a line that is neither a
# plain key, a comment, a `---` marker nor a sequence entry (group 1 empty): a quoted,
# explicit, tagged or aliased top-level key, or a flow or scalar document.
_TOP_LINES = re.compile(
    r"\n(?:(apiVersion|kind)[ \t]*:|(?!---(?:[ \t]|\r?$)|-(?:[ \t]|\r?$))[^#\s\w])",
    re.MULTILINE,
)
# The usual head: the first lines of content are `apiVersion: <plain>` and `kind: <plain>`
# (either order), each whole on its line, and the line after them starts at column 0. The
# first is then the first key of a block mapping at column 0 and the second its next key,
# neither value runs on (a plain scalar continues only on more indented lines), and no line
# before them can run on into them: libyaml's events need not be read to be sure of them.
_PLAIN_VALUE = r"([^\s#'\"\[\]{},&*!|>%@`?:-][^\s#]*)"
_LINE_END = r"(?:[ \t]+#[^\n]*|[ \t]*)\r?(?:\n|\Z)"
_HEAD_LINES = re.compile(
    r"(?:[ \t]*(?:#[^\n]*)?\r?\n|---(?:[ \t]+#[^\n]*|[ \t]*)\r?\n)*"
    rf"(apiVersion|kind):[ \t]+{_PLAIN_VALUE}{_LINE_END}"
    rf"(apiVersion|kind):[ \t]+{_PLAIN_VALUE}{_LINE_END}"
    r"(?=[^ \t\r\n]|\Z)"  # and the next line at column 0: no value runs on onto it
)
# An anchor, alias, tag or explicit key indicator where a token can start: after
# indentation (of the text's first line too), a `- `/`? ` indicator, a `:` or a flow
# indicator. Searched in the reversed text, so that the regex engine's scan starts at
# these rare characters.
_TOKEN_REVERSED = re.compile(r"[&*!?](?:[ \t]+[-?]|[ \t]*(?:[:\[{,\n]|\Z))")
# A flow collection as a key: before `:` (in a block or a flow mapping); or, in a flow
# mapping, alone (`{[a]}`, `{x, [a]}`: a key with no value), before `,` or `}`, maybe on a
# later line, or before a comment that may stand between them. The second shape is looked
# for only where a flow mapping opens at a token start (searched in the reversed text):
# `]` before `#` is common in comments (`# [END x]`), and `}}` in templates.
_FLOW_KEY = re.compile(r"[\]}]\s*:")
_FLOW_KEY_ALONE = re.compile(r"[\]}]\s*[,}#]")
_FLOW_MAPPING_REVERSED = re.compile(r"\{[ \t]*(?:[:\[{,?\-\n]|\Z)")
# And a plain `<<`, which go-yaml resolves to a merge wherever it is: as a key, and as a
# value too (`x: <<`, `[<<]`), which no constructor builds; not a shell heredoc (`cat <<EOF`).
_MERGE = re.compile(r"<<[ \t]*(?:[:,\]}#]|\r?$)", re.MULTILINE)
_HEAD_EVENTS = 64  # identity keys further down than this: the document is parsed fully


@dataclass(frozen=True)
class Identity:
    api_version: str
    kind: str


def valid_stream(text: str) -> bool:
    """Whether libyaml parses the whole stream without a syntax error (checked in C)."""
    if _CParser is None:
        return False
    try:
        _CParser(text).raw_parse()
    except yaml.YAMLError:
        return False
    return True


def split_documents(text: str) -> list[tuple[int, str]] | None:
    """(line offset, text) of each document of a valid stream, split at its `---` lines
    (which libyaml reads as document starts wherever they are); comments before the first
    `---` stay with the first document. None when the text cannot be split safely."""
    lined = "\n" + text  # a match at i in `lined` is a line starting at i in `text`
    if _UNSPLITTABLE.search(lined) or _odd_line_breaks(text):
        return None
    starts = [m.start() for m in _DOC_START.finditer(lined)]
    if starts and starts[0] != 0 and not _has_content(text[: starts[0]]):
        starts[0] = 0  # only comments before the first `---`: they open its document
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    starts.append(len(text))
    chunks: list[tuple[int, str]] = []
    line = 0
    for begin, end in itertools.pairwise(starts):
        chunks.append((line, text[begin:end]))
        line += text.count("\n", begin, end)
    return chunks


def _odd_line_breaks(text: str) -> bool:
    """A lone "\r", NEL, LS or PS: libyaml breaks lines there too, so `^---` and counting
    "\n" would miss documents (and lines) it sees."""
    return text.count("\r") != text.count("\r\n") or any(c in text for c in _ODD_BREAKS)


_CONTENT = re.compile(r"^[ \t]*[^#\s]", re.MULTILINE)


def _has_content(text: str) -> bool:
    return _CONTENT.search(text) is not None


def identity(chunk: str) -> Identity | None:
    """The identity of a document that can be skimmed, or None when it must be built.

    `chunk` is one document of a stream `valid_stream` accepted.
    """
    if sorted(_TOP_LINES.findall("\n" + chunk)) != ["apiVersion", "kind"]:
        return None  # missing, overridable by another top-level line, or not a block mapping
    found = _head_lines(chunk) or _head_identity(chunk)
    if found is None or (_maybe_special(chunk) and not _plain_data(chunk)):
        return None
    return found


def _maybe_special(chunk: str) -> bool:
    """Whether the text may hold an anchor, alias, tag, merge key or collection key (a
    superset: prose in block scalars can look like them; `_plain_data` then decides)."""
    if _FLOW_KEY.search(chunk) or ("<<" in chunk and _MERGE.search(chunk)):
        return True
    reverse = chunk[::-1]
    if _FLOW_MAPPING_REVERSED.search(reverse) and _FLOW_KEY_ALONE.search(chunk):
        return True
    for match in _TOKEN_REVERSED.finditer(reverse):
        at = match.start()
        indicator, after = reverse[at], reverse[at - 1] if at else ""
        if indicator == "!":
            return True
        # `*name` and `&name` need a name; `?` is an indicator only before a space. In a
        # valid stream anything else at such a place is text inside a scalar.
        if (after and not after.isspace()) == (indicator != "?"):
            return True
    return False


def _nodes(chunk: str) -> Iterator[tuple[int, bool, yaml.NodeEvent]]:
    """libyaml's node events for one document, each with its depth (0: the document's root)
    and whether it is a mapping key."""
    stack: list[bool | None] = []  # per open collection: next is a key (mapping), None (list)
    parser = _CParser(chunk)
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, yaml.CollectionEndEvent):
                stack.pop()
            elif isinstance(event, yaml.NodeEvent):
                is_key = bool(stack) and stack[-1] is True
                if stack and stack[-1] is not None:
                    stack[-1] = not stack[-1]
                yield len(stack), is_key, event
                if isinstance(event, yaml.MappingStartEvent):
                    stack.append(True)
                elif isinstance(event, yaml.SequenceStartEvent):
                    stack.append(None)
    finally:
        parser.dispose()


def _head_lines(chunk: str) -> Identity | None:
    head = _HEAD_LINES.match(chunk)
    if head is None or head[1] == head[3]:
        return None
    values = {head[1]: head[2], head[3]: head[4]}
    if any(plain_tag(value) != STR for value in values.values()):
        return None
    return Identity(values["apiVersion"], values["kind"])


def _head_identity(chunk: str) -> Identity | None:
    """apiVersion and kind from the first events of a block mapping document.

    `identity` checked that no other line at column 0 can be an apiVersion or kind key;
    the keys must be there too (a block mapping's keys share one column), else a mapping
    indented as a whole could repeat them unseen, so the first values found are the values
    the document has.
    """
    values: dict[str, str] = {}
    key: str | None = None
    for count, (depth, is_key, event) in enumerate(_nodes(chunk)):
        if count > _HEAD_EVENTS:
            return None
        if depth == 0:
            if not isinstance(event, yaml.MappingStartEvent) or event.flow_style:
                return None  # a flow mapping, a list or a scalar: not read by lines
        elif depth == 1 and is_key:
            if event.start_mark.column != 0:
                return None  # an indented document: its keys are not at column 0
            key = event.value if isinstance(event, yaml.ScalarEvent) else None
        elif depth == 1 and key in ("apiVersion", "kind"):
            if not isinstance(event, yaml.ScalarEvent) or not _is_plain_string(event):
                return None
            values[key] = event.value
            if len(values) == 2:
                return Identity(values["apiVersion"], values["kind"])
    return None


def _is_plain_string(event: yaml.ScalarEvent) -> bool:
    """A non-empty value that decodes to a string, as the loader requires of both keys."""
    if event.tag is not None or event.anchor is not None or not event.value:
        return False
    return not event.implicit[0] or plain_tag(event.value) == STR


def _plain_data(chunk: str) -> bool:
    """Whether building the document could neither fail nor need more than plain data: no
    anchor, alias, tag, merge (key or value) or collection key anywhere (checked on
    libyaml's events)."""
    for _, is_key, event in _nodes(chunk):
        if isinstance(event, yaml.AliasEvent) or event.anchor is not None:
            return False
        if getattr(event, "tag", None) is not None:
            return False
        if isinstance(event, yaml.ScalarEvent) and event.implicit[0] and event.value == "<<":
            return False
        if is_key and isinstance(event, yaml.CollectionStartEvent):
            return False
    return True
