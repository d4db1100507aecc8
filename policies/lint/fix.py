"""Fixing a manifest's text: the safe fixes applied in place, keeping its layout (the
command, `cli.fix`, reads and writes the files).

The fixes are the mutating webhook's operations (`remedy`): every finding that offers a
safe `fix` (with --unsafe-fixes, any `fix`: see `Applicability`), among the rules the policy
and --select/--ignore leave on, applied one at a time and re-checked until none is left, so
a second `fix` changes nothing. The findings whose unsafe fixes were left are counted in the
summary, which says how to apply them. Inline
`# evictguard: disable=...` comments are honoured as lint honours them: what lint would not
report is not fixed, and neither is a fix that would move a finding silenced on its own line
off that line (adding `resources` to a container moves a missing-limit finding from the
container's `name:` line to the `resources:` line; a note says so).

Files are edited, not re-written: see `yaml.writeback`. Only the documents that change are
re-emitted, and of those only the lines that change; every other byte (other documents,
`---` lines, comments, quoting, line breaks, a byte-order mark, the encoding) stays. Every
edit is read back and must load as exactly the fixed objects (and silence no less), or the
file is left alone with a `fix-error`. JSON files (a text that is wholly one JSON object)
are fixed too, re-dumped at their own indentation through the same line merge.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..engine.check import ObjectResult, check_object
from ..engine.remedy import remedy
from ..model import Applicability, ErrorCode, Finding, InputError, JsonPatch
from ..patch import json_equal
from ..policy.model import Policy
from ..yaml.loader import LoadedObject, LoadedSource, load_text
from .directives import InlineDirectives, parse_directives

# `writeback` (and ruamel.yaml under it) is imported only when `fix` runs: the command line
# imports this module for every command to register `fix`.


# --- one text ------------------------------------------------------------------------------


@dataclass
class FixResult:
    name: str
    text: str
    fixed: str  # == text when nothing changed (or could not be)
    # The findings lint reported that the fixes settle, with file, line and column.
    applied: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)  # the text could not be read
    failures: list[InputError] = field(default_factory=list)  # it could not be edited safely
    notes: list[str] = field(default_factory=list)
    # Findings lint reports that only an unsafe fix (not applied: no --unsafe-fixes) settles.
    unsafe_left: int = 0

    @property
    def changed(self) -> bool:
        return self.fixed != self.text


@dataclass
class _Seen:
    """A finding as lint sees it: where it is and whether an inline comment silences it."""

    finding: Finding
    line: int
    silenced: bool
    on_its_line: bool  # silenced by a comment on its line only (moving it would un-silence)


def _directives(loaded: LoadedSource) -> InlineDirectives | None:
    return parse_directives(
        loaded.text, lambda line, column: any(d.holds_text_at(line, column) for d in loaded.parsed)
    )


def _seen(
    item: LoadedObject, findings: list[Finding], directives: InlineDirectives | None
) -> list[_Seen]:
    document = item.document
    seen = []
    for finding in findings:
        line, _ = item.position(finding.pointer)
        silenced = on_line = False
        if directives is not None:
            first, last = document.first_line, document.last_line
            silenced = directives.silences(finding.rule, line, first, last)
            on_line = silenced and not directives.silences(finding.rule, None, first, last)
        seen.append(_Seen(finding, line, silenced, on_line))
    return seen


def _reported(
    item: LoadedObject, result: ObjectResult, directives: InlineDirectives | None
) -> list[_Seen]:
    """The findings as lint sees them: each with whether a comment silences it, and in the
    stead of a silenced one, the findings left out for it (`ObjectResult.placed`)."""
    left_out_for = result.left_out_for()
    seen: list[_Seen] = []
    for finding in result.findings:
        left_out = _seen(item, left_out_for.get(id(finding), []), directives)
        all_silenced = bool(left_out) and all(s.silenced for s in left_out)
        if all_silenced:  # it says only its own part (ObjectResult.placed)
            finding = result.alone.get(id(finding), finding)
        [kept] = _seen(item, [finding], directives)
        seen.append(kept)
        if kept.silenced or all_silenced:  # stand-ins, or silenced lines to protect
            seen += left_out
    return seen


def _on_path(path: str, pointer: str) -> bool:
    """Whether an operation at `path` writes `pointer` or a parent of it."""
    return pointer == path or pointer.startswith(path + "/") or path == ""


def _acceptor(
    item: LoadedObject,
    directives: InlineDirectives | None,
    protected: list[_Seen],
    blocked: dict[tuple[str, str], _Seen],
    unsafe: bool = False,
) -> Callable[[Finding], bool]:
    def accept(finding: Finding) -> bool:
        if finding.applicability is not Applicability.SAFE and not unsafe:
            return False  # a guess, or a change of behaviour: only with --unsafe-fixes
        if directives is not None and _seen(item, [finding], directives)[0].silenced:
            return False
        for keep in protected:
            if any(_on_path(op["path"], keep.finding.pointer) for op in finding.fix or ()):
                blocked.setdefault((finding.rule, finding.pointer), keep)
                return False
        return True

    return accept


def _load_errors(loaded: LoadedSource, skip_non_kubernetes: bool) -> list[InputError]:
    errors = loaded.errors
    if skip_non_kubernetes:
        errors = [e for e in errors if e.code is not ErrorCode.NOT_AN_OBJECT]
    return errors


def _check_loaded(
    loaded: LoadedSource, expected: list[Any], skip_non_kubernetes: bool
) -> str | None:
    """Why a rewritten text does not hold exactly the expected objects (None: it does)."""
    errors = _load_errors(loaded, skip_non_kubernetes)
    if errors:
        return errors[0].message
    if len(loaded.objects) != len(expected):
        return f"{len(loaded.objects)} objects read back, {len(expected)} expected"
    for item, want in zip(loaded.objects, expected, strict=True):
        if not json_equal(item.obj, want):
            return f"object at {item.base or '/'} does not read back as fixed"
    return None


def _visible_counts(loaded: LoadedSource, policy: Policy) -> tuple[Counter[Any], Counter[Any]]:
    """(reported, silenced) findings per (object index, rule), as lint would count them."""
    directives = _directives(loaded)
    reported: Counter[Any] = Counter()
    silenced: Counter[Any] = Counter()
    for index, item in enumerate(loaded.objects):
        for seen in _reported(item, check_object(item.obj, policy), directives):
            (silenced if seen.silenced else reported)[index, seen.finding.rule] += 1
    return reported, silenced


def fix_text(
    text: str,
    name: str,
    policy: Policy,
    skip_non_kubernetes: bool = False,
    unsafe: bool = False,
) -> FixResult:
    """Fix every object in a text (the safe fixes; with `unsafe`, all); the text as it was
    when anything stands in the way."""
    from ..yaml import roundtrip as rt
    from ..yaml.writeback import write_back

    result = FixResult(name, text, text)
    loaded = load_text(text, name)
    errors = _load_errors(loaded, skip_non_kubernetes)
    if errors:
        result.errors.extend(errors)
        return result
    directives = _directives(loaded)
    fixed: dict[int, Any] = {}
    patches: dict[int, JsonPatch] = {}
    for index, item in enumerate(loaded.objects):
        before = _reported(item, check_object(item.obj, policy), directives)
        protected = [s for s in before if s.on_its_line]
        blocked: dict[tuple[str, str], _Seen] = {}
        outcome = remedy(item.obj, policy, _acceptor(item, directives, protected, blocked, unsafe))
        reported = {(s.finding.rule, s.finding.pointer) for s in before if not s.silenced}
        fixed_after_all = {(f.rule, f.pointer) for f in outcome.applied}  # by its own fix
        for (rule, pointer), keep in blocked.items():
            if (rule, pointer) not in reported or (rule, pointer) in fixed_after_all:
                continue
            line, column = item.position(pointer)
            result.notes.append(
                f"{name}:{line}:{column}: note: {rule} not fixed: its fix would move the "
                f"{keep.finding.rule} finding silenced on line {keep.line} off that line"
            )
        after = (
            _reported(item, check_object(outcome.fixed, policy), directives)
            if outcome.applied
            else None
        )
        if not unsafe:
            left = before if after is None else after
            result.unsafe_left += sum(
                1
                for seen in left
                if not seen.silenced
                and seen.finding.fix is not None
                and seen.finding.applicability is not Applicability.SAFE
            )
        if not outcome.applied:
            continue
        fixed[index] = outcome.fixed
        patches[index] = outcome.patch
        # What lint reported and no longer will: one fix may settle several findings (a
        # limit and a request set together), so remedy's rounds are not the count.
        remaining = {(s.finding.rule, s.finding.pointer) for s in after or () if not s.silenced}
        for seen in before:
            finding = seen.finding
            if not seen.silenced and (finding.rule, finding.pointer) not in remaining:
                line, column = item.position(finding.pointer)
                result.applied.append(
                    dataclasses.replace(finding, file=name, line=line, column=column)
                )
    result.applied.sort(key=lambda f: (f.line or 0, f.column or 0, f.rule))
    if not fixed:
        return result

    def reads_back(candidate: str, objects: list[Any]) -> str | None:
        return _check_loaded(load_text(candidate, name), objects, skip_non_kubernetes)

    try:
        new_text = write_back(text, name, loaded.objects, fixed, patches, reads_back, "fixed")
        expected = [fixed.get(i, item.obj) for i, item in enumerate(loaded.objects)]
        reread = load_text(new_text, name)
        problem = _check_loaded(reread, expected, skip_non_kubernetes)
        if problem:
            raise rt.RoundTripError(f"the edited file does not read back as fixed ({problem})")
        unsilenced = _unsilenced(loaded, reread, policy)
        if unsilenced:
            raise rt.RoundTripError(
                f"fixing would un-silence an inline-suppressed {unsilenced} finding"
            )
    except rt.RoundTripError as exc:
        result.applied.clear()
        line = None if exc.line is None else exc.line + 1
        result.failures.append(
            InputError(name, line, f"cannot fix: {exc}", code=ErrorCode.CANNOT_FIX)
        )
        return result
    result.fixed = new_text
    return result


def _unsilenced(before: LoadedSource, after: LoadedSource, policy: Policy) -> str | None:
    """A rule whose inline-silenced finding the edit would make lint report, if any."""
    reported_before, silenced_before = _visible_counts(before, policy)
    reported_after, silenced_after = _visible_counts(after, policy)
    for key, count in silenced_before.items():
        if silenced_after[key] < count and reported_after[key] > reported_before[key]:
            return str(key[1])
    return None


# --- files ---------------------------------------------------------------------------------


__all__ = ["FixResult", "fix_text"]
