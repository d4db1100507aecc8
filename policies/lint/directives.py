"""Inline `# evictguard: disable=rule-a` comments: silencing findings by line, object
or file (lint and fix only; admission has no comments)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..engine.exemptions import ALL

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
