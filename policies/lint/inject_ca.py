"""Set `caBundle` in webhook configurations (`certs inject-ca`) as `fix` edits manifests: the
objects' data is changed and `yaml.writeback` writes back only the lines that change, so
comments, key order, quoting, other documents and line breaks stay as the author wrote them.

It lives beside `fix` (it edits manifests), not in `certs`, which holds only TLS material
and imports nothing else of evictguard. Every webhook of every Validating- or
MutatingWebhookConfiguration (a document, or an item of a `kind: ...List`) gets
`clientConfig.caBundle`: replaced where it is, added as the first key of a block
`clientConfig` where it is not.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import pointer as jp
from ..certs.files import write_atomic  # stdlib only: the one atomic write
from ..model import JsonPatch
from ..patch import apply_patch, json_equal
from ..yaml.loader import LoadedObject
from ..yaml.stream import ParsedDocument, parse_documents

WEBHOOK_KINDS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")


class InjectError(ValueError):
    """A manifest that cannot be edited safely; the message names the file and webhook."""


@dataclass(frozen=True)
class FileResult:
    """What inject_files did to one manifest."""

    path: Path
    configurations: int  # webhook configuration objects found
    fields: int  # caBundle fields set (replaced or added)


def _configurations(document: ParsedDocument, data: Any) -> Iterator[LoadedObject]:
    """The webhook configurations of a document: itself, or the items of a `kind: ...List`
    (what `kubectl get -o yaml` prints). Unlike lint's loader, no apiVersion is required."""
    if not isinstance(data, dict):
        return
    objects = [("", data)]
    items = data.get("items")
    if str(data.get("kind") or "").endswith("List") and isinstance(items, list):
        objects += [(jp.child("", "items", i), item) for i, item in enumerate(items)]
    for base, obj in objects:
        if isinstance(obj, dict) and obj.get("kind") in WEBHOOK_KINDS:
            yield LoadedObject(obj, document, base)


def _node_at(node: yaml.Node, pointer: str) -> yaml.Node | None:
    """The composed node a pointer names: the data cannot say whether a mapping was
    written in flow style, nor which two places one alias is."""
    for token in jp.split(pointer):
        if isinstance(node, yaml.SequenceNode) and token.isdigit():
            node = node.value[int(token)]
        elif isinstance(node, yaml.MappingNode):
            found = [v for k, v in node.value if getattr(k, "value", None) == token]
            if not found:
                return None
            node = found[-1]  # the last of duplicate keys, as the loader keeps
        else:
            return None
    return node


def _patch(item: LoadedObject, bundle: str) -> JsonPatch:
    """The operations setting every webhook's caBundle; InjectError for a webhook that
    has nowhere to put one."""
    config = item.obj
    metadata = config.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    where = f"{config['kind']} {name or '(unnamed)'}"
    webhooks = config.get("webhooks")
    if webhooks is None:
        return []
    if not isinstance(webhooks, list):
        raise InjectError(f"{where}: webhooks is not a list")
    ops: JsonPatch = []
    for index, webhook in enumerate(webhooks):
        if not isinstance(webhook, dict):
            raise InjectError(f"{where}: webhook #{index + 1} is not a mapping")
        pointer = jp.child("", "webhooks", index)
        hook = webhook.get("name")
        label = f"webhook {hook if isinstance(hook, str) and hook else f'#{index + 1}'!r}"
        label += f" in {where} (line {item.position(pointer)[0]})"
        client_config = webhook.get("clientConfig")
        if not isinstance(client_config, dict):
            raise InjectError(f"{label} has no clientConfig mapping")
        pointer = jp.child(pointer, "clientConfig")
        if "caBundle" in client_config:
            if isinstance(client_config["caBundle"], (dict, list)):
                raise InjectError(f"{label}: clientConfig.caBundle is not a string")
            ops.append({"op": "replace", "path": pointer + "/caBundle", "value": bundle})
            continue
        node = _node_at(item.document.node, item.base + pointer)
        if not client_config or getattr(node, "flow_style", True):
            raise InjectError(
                f"{label}: clientConfig has no caBundle key and is not a block mapping it "
                'can be added to; add `caBundle: ""` and run again'
            )
        # The whole clientConfig, so that caBundle comes first (where kubectl, sorting, shows it).
        added = {"caBundle": bundle, **client_config}
        ops.append({"op": "replace", "path": pointer, "value": added})
    return ops


def _documents(text: str, name: str) -> list[tuple[ParsedDocument, Any]]:
    documents, errors = parse_documents(text, name)
    if errors:
        raise InjectError(f"not valid YAML: line {errors[0].line}: {errors[0].message}")
    return documents


def _found(documents: list[tuple[ParsedDocument, Any]]) -> list[LoadedObject]:
    return [item for document, data in documents for item in _configurations(document, data)]


def _same(found: Sequence[Any], expected: Sequence[Any]) -> bool:
    return len(found) == len(expected) and all(map(json_equal, found, expected))


def _reads_back(name: str) -> Callable[[str, list[Any]], str | None]:
    """`writeback`'s check of an edited document: it holds exactly the new configurations."""

    def reads_back(candidate: str, expected: list[Any]) -> str | None:
        try:
            found = [item.obj for item in _found(_documents(candidate, name))]
        except InjectError as exc:
            return str(exc)
        return None if _same(found, expected) else "the webhook configurations differ"

    return reads_back


def inject_text(text: str, bundle: str, name: str = "<text>") -> tuple[str, int, int]:
    """(new text, webhook configurations found, caBundle fields set).

    Raises InjectError (naming the webhook and line, or the line the edit failed at).
    """
    from ..yaml import roundtrip as rt
    from ..yaml.writeback import write_back

    documents = _documents(text, name)
    configurations = _found(documents)
    patches = {i: _patch(item, bundle) for i, item in enumerate(configurations)}
    # Fields are counted once each however many webhooks reach them (through an alias).
    fields = len(
        {
            id(_node_at(item.document.node, item.base + op["path"].removesuffix("/caBundle")))
            for i, item in enumerate(configurations)
            for op in patches[i]
        }
    )
    changed = {i: apply_patch(item.obj, patches[i]) for i, item in enumerate(configurations)}
    changed = {i: obj for i, obj in changed.items() if not json_equal(obj, configurations[i].obj)}
    if not changed:
        return text, len(configurations), fields
    try:
        new = write_back(text, name, configurations, changed, patches, _reads_back(name))
    except rt.RoundTripError as exc:
        where = "" if exc.line is None else f"line {exc.line + 1}: "
        raise InjectError(f"{where}cannot set caBundle: {exc}") from None
    # The whole text once more: every other document and object must read as it did.
    expected = [data for _, data in documents]
    for i in changed:
        item = configurations[i]
        index = next(k for k, (document, _) in enumerate(documents) if document is item.document)
        ops = [{**op, "path": item.base + op["path"]} for op in patches[i]]
        expected[index] = apply_patch(expected[index], ops)
    if not _same([data for _, data in _documents(new, name)], expected):
        raise InjectError("cannot set caBundle: the edited text does not read back as it should")
    return new, len(configurations), fields


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InjectError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InjectError(f"{path}: is a directory, not a manifest file") from None
    except UnicodeDecodeError as exc:
        raise InjectError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InjectError(f"{path}: cannot read: {exc.strerror or exc}") from None


def inject_files(paths: Sequence[str | Path], bundle: str) -> list[FileResult]:
    """Set caBundle in every webhook configuration in `paths`, each file rewritten atomically.

    Every file is read and edited in memory first: if any one cannot be, InjectError is
    raised and no file is touched.
    """
    planned: list[tuple[Path, str, str, FileResult]] = []
    for raw in paths:
        path = Path(raw)
        text = _read_text(path)
        try:
            new, configurations, fields = inject_text(text, bundle, str(path))
        except InjectError as exc:
            raise InjectError(f"{path}: {exc}") from None
        planned.append((path, text, new, FileResult(path, configurations, fields)))
    for path, old, new, _ in planned:
        if new != old:
            target = path.resolve()  # edit a symlink's target, do not replace the link
            write_atomic(target, new.encode("utf-8"), stat.S_IMODE(os.stat(target).st_mode))
    return [result for *_, result in planned]
