"""Set `caBundle` in webhook configurations by editing the text, not by re-dumping YAML, so
comments, key order, quoting and layout stay exactly as the author wrote them.

PyYAML's composer (the pure-Python one: its marks are character offsets into the text)
finds where each webhook's `clientConfig.caBundle` value sits; only those spans change.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from .files import write_atomic

WEBHOOK_KINDS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")
_COLON = re.compile(r"[ \t]*:")


class InjectError(ValueError):
    """A manifest that cannot be edited safely; the message names the file and webhook."""


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class FileResult:
    """What inject_files did to one manifest."""

    path: Path
    configurations: int  # webhook configuration objects found
    fields: int  # caBundle fields set (replaced or added)


def _get(mapping: yaml.MappingNode, key: str) -> yaml.Node | None:
    for key_node, value in mapping.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value
    return None


def _scalar(mapping: yaml.MappingNode, key: str) -> str | None:
    node = _get(mapping, key)
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _objects(root: yaml.Node) -> Iterator[yaml.MappingNode]:
    """The document, or the items of a `kind: ...List` (what `kubectl get -o yaml` prints)."""
    if not isinstance(root, yaml.MappingNode):
        return
    yield root
    items = _get(root, "items")
    if (_scalar(root, "kind") or "").endswith("List") and isinstance(items, yaml.SequenceNode):
        yield from (item for item in items.value if isinstance(item, yaml.MappingNode))


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _replace_value(text: str, key: yaml.Node, value: yaml.ScalarNode, bundle: str) -> _Edit:
    start, end = value.start_mark.index, value.end_mark.index
    if start == end:  # `caBundle:` with nothing after it: write the value after the colon
        colon = _COLON.match(text, key.end_mark.index)
        if colon is None:
            raise InjectError(f"line {_line_of(text, start)}: cannot find the caBundle value")
        return _Edit(colon.end(), colon.end(), f" {bundle}")
    quote = value.style if value.style in ("'", '"') else ""
    span = text[start:end]
    trailing = span[len(span.rstrip()) :]  # block scalars own the line breaks after them
    keep = trailing[trailing.index("\n") :] if "\n" in trailing else ""
    return _Edit(start, end, f"{quote}{bundle}{quote}{keep}")


def _add_field(text: str, client_config: yaml.MappingNode, bundle: str) -> _Edit | None:
    """A `caBundle:` line above the first key of a block `clientConfig`, at its indentation."""
    if client_config.flow_style or not client_config.value:
        return None
    first = client_config.value[0][0].start_mark.index
    line_start = text.rfind("\n", 0, first) + 1
    indent = text[line_start:first]
    if indent.strip(" "):
        return None
    line_end = text.find("\n", first)
    newline = "\r\n" if line_end > 0 and text[line_end - 1] == "\r" else "\n"
    return _Edit(line_start, line_start, f"{indent}caBundle: {bundle}{newline}")


def _webhook_edits(text: str, config: yaml.MappingNode, bundle: str) -> Iterator[_Edit]:
    kind = _scalar(config, "kind")
    metadata = _get(config, "metadata")
    name = _scalar(metadata, "name") if isinstance(metadata, yaml.MappingNode) else None
    where = f"{kind} {name or '(unnamed)'}"
    webhooks = _get(config, "webhooks")
    if webhooks is None or (
        isinstance(webhooks, yaml.ScalarNode) and webhooks.tag.endswith("null")
    ):
        return
    if not isinstance(webhooks, yaml.SequenceNode):
        raise InjectError(f"{where}: webhooks is not a list")
    for number, webhook in enumerate(webhooks.value, start=1):
        if not isinstance(webhook, yaml.MappingNode):
            raise InjectError(f"{where}: webhook #{number} is not a mapping")
        label = f"webhook {_scalar(webhook, 'name') or f'#{number}'!r} in {where}"
        line = _line_of(text, webhook.start_mark.index)
        client_config = _get(webhook, "clientConfig")
        if not isinstance(client_config, yaml.MappingNode):
            raise InjectError(f"{label} (line {line}) has no clientConfig mapping")
        fields = [(k, v) for k, v in client_config.value if getattr(k, "value", None) == "caBundle"]
        if not fields:
            edit = _add_field(text, client_config, bundle)
            if edit is None:
                raise InjectError(
                    f"{label} (line {line}): clientConfig has no caBundle key and is not a "
                    'block mapping it can be added to; add `caBundle: ""` and run again'
                )
            yield edit
        for key, value in fields:
            if not isinstance(value, yaml.ScalarNode):
                raise InjectError(f"{label} (line {line}): clientConfig.caBundle is not a string")
            yield _replace_value(text, key, value, bundle)


def inject_text(text: str, bundle: str) -> tuple[str, int, int]:
    """(new text, webhook configurations found, caBundle fields set).

    Raises InjectError (naming the webhook and line) or yaml.YAMLError.
    """
    edits: dict[tuple[int, int], _Edit] = {}  # keyed by span: an alias reaches a node twice
    configurations = 0
    for root in yaml.compose_all(text, Loader=yaml.SafeLoader):
        for obj in _objects(root):
            if _scalar(obj, "kind") in WEBHOOK_KINDS:
                configurations += 1
                for edit in _webhook_edits(text, obj, bundle):
                    edits[(edit.start, edit.end)] = edit
    out = text
    for edit in sorted(edits.values(), key=lambda e: e.start, reverse=True):
        out = out[: edit.start] + edit.text + out[edit.end :]
    return out, configurations, len(edits)


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
            new, configurations, fields = inject_text(text, bundle)
        except InjectError as exc:
            raise InjectError(f"{path}: {exc}") from None
        except (yaml.YAMLError, RecursionError) as exc:
            raise InjectError(f"{path}: not valid YAML: {exc}") from None
        planned.append((path, text, new, FileResult(path, configurations, fields)))
    for path, old, new, _ in planned:
        if new != old:
            target = path.resolve()  # edit a symlink's target, do not replace the link
            write_atomic(target, new.encode("utf-8"), stat.S_IMODE(os.stat(target).st_mode))
    return [result for *_, result in planned]
