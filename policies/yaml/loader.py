"""Text -> Kubernetes objects, each able to say where its fields are.

The composed node tree is kept per document (see yaml.stream) so that a finding's JSON
Pointer becomes a line and column on demand: clean documents pay nothing for positions
beyond the parse they needed anyway. `List` and typed lists (`PodList`) are expanded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import pointer as jp
from ..model import ErrorCode, InputError
from .sources import SourceText, read_sources
from .stream import ParsedDocument, Skimmed, parse_documents
from .values import type_name

__all__ = ["LoadedObject", "LoadedSource", "SourceText", "load_text", "read_sources"]


@dataclass
class LoadedObject:
    """A Kubernetes object found in a document (a `List` document yields one per item)."""

    obj: dict[str, Any]
    document: ParsedDocument
    base: str = ""  # pointer of the object inside its document ("" or "/items/3")
    skimmed: bool = False  # only apiVersion and kind were read: no rule reads the rest

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


def _object_error(
    source: str, document: ParsedDocument, base: str, message: str, code: ErrorCode
) -> InputError:
    line, col = document.position(base)
    return InputError(source, line, message, column=col, code=code)


def _missing_identity(data: Mapping[str, Any]) -> str | None:
    missing = [k for k in ("apiVersion", "kind") if not isinstance(data.get(k), str) or not data[k]]
    return " and ".join(missing) or None


def _objects_of(
    data: Any, document: ParsedDocument, source: str, base: str = "", item: str | None = None
) -> tuple[list[LoadedObject], list[InputError]]:
    """The objects in a document: the document itself, or the items of a `List` (or of a
    typed list such as `PodList`), flattened recursively as kubectl does."""
    # A List's item is wrong in the List; a document is no Kubernetes object (other YAML).
    code = ErrorCode.INVALID_LIST if item else ErrorCode.NOT_AN_OBJECT
    if not isinstance(data, Mapping):
        message = (
            f"{item} is {type_name(data)}, not an object"
            if item
            else f"document is {type_name(data)}, not a Kubernetes object (a mapping)"
        )
        return [], [_object_error(source, document, base, message, code)]
    missing = _missing_identity(data)
    if missing:
        message = (
            f"{item} has no {missing}"
            if item
            else f"object has no {missing}: not a Kubernetes object"
        )
        return [], [_object_error(source, document, base, message, code)]
    kind = data["kind"]
    if not kind.endswith("List") or "items" not in data:
        return [LoadedObject(dict(data), document, base)], []
    items = data["items"]
    if items is None:
        return [], []
    if not isinstance(items, list):
        where = jp.child(base, "items")
        message = f"{kind}.items is {type_name(items)}, not a list"
        return [], [_object_error(source, document, where, message, ErrorCode.INVALID_LIST)]
    objects: list[LoadedObject] = []
    errors: list[InputError] = []
    item_kind = kind[: -len("List")] if kind != "List" else None
    for i, item in enumerate(items):
        if item_kind and isinstance(item, Mapping) and "kind" not in item:
            # Typed lists from the API (PodList) leave kind and apiVersion off their items.
            item = {"apiVersion": data["apiVersion"], "kind": item_kind, **item}
        found, problems = _objects_of(
            item, document, source, jp.child(base, "items", i), f"{kind} item {i}"
        )
        objects.extend(found)
        errors.extend(problems)
    return objects, errors


def load_text(
    text: str, source: str, wanted: Callable[[str, str], bool] | None = None
) -> LoadedSource:
    """Every Kubernetes object in a YAML/JSON stream, and every reason some part was not one.

    `wanted(apiVersion, kind)` says which objects anything will read; the others may be
    skimmed (still checked as YAML and counted, never built). Lists are always read.
    """
    loaded = LoadedSource(source, text)
    if wanted is not None:
        needed = wanted
        wanted = lambda api_version, kind: kind.endswith("List") or needed(api_version, kind)  # noqa: E731
    documents, errors = parse_documents(text, source, wanted)
    loaded.errors.extend(errors)
    for document, data in documents:
        loaded.parsed.append(document)
        if data is None:
            continue  # an empty document (a trailing `---`) is no object, as kubectl agrees
        loaded.documents += 1
        if isinstance(data, Skimmed):
            identity = {"apiVersion": data.api_version, "kind": data.kind}
            loaded.objects.append(LoadedObject(identity, document, skimmed=True))
            continue
        objects, object_errors = _objects_of(data, document, source)
        loaded.objects.extend(objects)
        loaded.errors.extend(object_errors)
    loaded.errors.sort(key=lambda e: (e.line or 0, e.column or 0))
    return loaded
