"""Suppression in three layers: policy exemptions, the `evictguard.io/exempt` annotation
(both honoured at admission and in lint), and inline `# evictguard:` comments (lint only).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from . import pointer as jp
from .config import Exemption, Policy
from .model import ObjectRef

EXEMPT_ANNOTATION = "evictguard.io/exempt"
ALL = "*"
# In the annotation, `all` means every rule as `*` does: it always has, and annotations
# written with it are in use (README: Suppressing findings). Policy files take `*` only.
ANNOTATION_ALL = (ALL, "all")


def _matches(value: str | None, patterns: tuple[str, ...] | None) -> bool:
    if patterns is None:
        return True
    return value is not None and any(fnmatchcase(value, p) for p in patterns)


def _exemption_applies(exemption: Exemption, ref: ObjectRef, obj: Mapping[str, Any]) -> bool:
    return (
        _matches(ref.namespace, exemption.namespaces)
        and _matches(ref.name, exemption.names)
        and _matches(ref.kind, exemption.kinds)
        and _annotated(obj, exemption.annotations)
    )


def _annotated(obj: Mapping[str, Any], wanted: tuple[tuple[str, str], ...] | None) -> bool:
    """The object's own annotations (not its pod template's: a Helm hook is annotated on
    the Job) carry every wanted key with a value matching its glob."""
    if wanted is None:
        return True
    metadata = obj.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    if not isinstance(annotations, Mapping):
        return False
    return all(
        isinstance(annotations.get(key), str) and fnmatchcase(annotations[key], glob)
        for key, glob in wanted
    )


def _annotation_rules(obj: Mapping[str, Any], metadata_pointer: str) -> set[str]:
    node: Any = obj
    for token in jp.split(metadata_pointer):
        node = node.get(token) if isinstance(node, Mapping) else None
    annotations = node.get("annotations") if isinstance(node, Mapping) else None
    value = annotations.get(EXEMPT_ANNOTATION) if isinstance(annotations, Mapping) else None
    if not isinstance(value, str):
        return set()
    parts = {part.strip() for part in value.split(",") if part.strip()}
    return {ALL if part in ANNOTATION_ALL else part for part in parts}


def exempted_rules(
    obj: Mapping[str, Any], ref: ObjectRef, policy: Policy, template_metadata: str | None
) -> set[str]:
    """Rule ids (or `*`) this object is exempt from: policy exemptions, then the annotation
    on the object and on its pod template (Pods made from it carry the same annotation)."""
    exempt: set[str] = set()
    for exemption in policy.exemptions:
        if _exemption_applies(exemption, ref, obj):
            exempt |= {ALL} if exemption.rules is None else set(exemption.rules)
    if policy.annotation_exemptions:  # off: an object's author cannot exempt it
        exempt |= _annotation_rules(obj, "/metadata")
        if template_metadata and template_metadata != "/metadata":
            exempt |= _annotation_rules(obj, template_metadata)
    return exempt


# The verb must end there (`disabled`, `disable-next-line` are not directives), and the list
# ends at the first word not joined by a comma, so an explanation may follow it.
_DIRECTIVE = re.compile(
    r"#\s*evictguard:\s*(?P<verb>disable-file|disable)(?![\w-])"
    r"(?:\s*=\s*(?P<rules>[\w*-]+(?:\s*,\s*[\w*-]+)*))?"
)


@dataclass
class InlineDirectives:
    """`# evictguard: disable=rule-a,rule-b` after code on a line silences those rules on
    that line; on a line of its own, in the whole object (document) it stands in;
    `# evictguard: disable-file` silences the file. No rule list means every rule."""

    file_rules: set[str] = field(default_factory=set)
    line_rules: dict[int, set[str]] = field(default_factory=dict)
    standalone: list[tuple[int, set[str]]] = field(default_factory=list)

    def silences(self, rule: str, line: int | None, first_line: int, last_line: int) -> bool:
        if _covers(self.file_rules, rule):
            return True
        if line is not None and _covers(self.line_rules.get(line, set()), rule):
            return True
        return any(
            first_line <= at <= last_line and _covers(rules, rule) for at, rules in self.standalone
        )


def _covers(rules: set[str], rule: str) -> bool:
    return rule in rules or ALL in rules


def _no_text_anywhere(line: int, column: int) -> bool:
    return False


def parse_directives(
    text: str, is_content: Callable[[int, int], bool] = _no_text_anywhere
) -> InlineDirectives | None:
    """None when the text has no directive (the common case costs one substring search).

    `is_content(line, column)` says whether a `#` found there is part of a string (a
    script in a block scalar, a quoted value) rather than a comment: those are not
    directives."""
    if "evictguard:" not in text:
        return None
    directives = InlineDirectives()
    for number, line in enumerate(text.splitlines(), start=1):
        if "evictguard:" not in line:
            continue
        match = _DIRECTIVE.search(line)
        if not match or is_content(number, match.start()):
            continue
        listed = match.group("rules")
        rules = {r.strip() for r in listed.split(",") if r.strip()} if listed else {ALL}
        if match.group("verb") == "disable-file":
            directives.file_rules |= rules
        elif line.lstrip().startswith("#"):
            directives.standalone.append((number, rules))
        else:
            directives.line_rules.setdefault(number, set()).update(rules)
    return directives
