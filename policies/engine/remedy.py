"""Every fix an object's findings offer (those the caller accepts: `fix` takes the safe ones
unless --unsafe-fixes, the mutating webhook its policy's `mutate: true` rules), applied
together as one patch.

Each finding's fix is written against the object as checked, so two fixes that both create
`resources` cannot be concatenated: the second `add` would replace what the first made.
Fixes are applied in rounds, re-checking in between, until no finding offers one; the
result is diffed against the original. A round applies the first fix, and with it every
other fix confined to a container no fix of the round touches (fixes read and write only
their own container): a pod with many containers takes a few rounds, not one per
container, each of which re-checked and copied the whole object. A second pass over the
result finds nothing to fix, so a mutating webhook built on this is idempotent
(`reinvocationPolicy: IfNeeded` is safe).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import pointer as jp
from ..k8s.podspec import container_depth
from ..model import Finding, JsonPatch
from ..patch import apply_patch, diff
from ..policy.model import Policy
from .check import ObjectResult, RuleCrash, check_object

MAX_ROUNDS = 100  # a bound on fixes per object; each round removes at least one finding


@dataclass
class Remedy:
    fixed: Any
    patch: JsonPatch  # from the original object to `fixed`; empty when nothing changed
    applied: list[Finding] = field(default_factory=list)  # as found before each fix
    crashed: list[RuleCrash] = field(default_factory=list)  # rules that raised (no fix)


def remedy(
    obj: Mapping[str, Any],
    policy: Policy,
    accept: Callable[[Finding], bool] = lambda finding: True,
    deadline: float | None = None,
) -> Remedy:
    """Apply the fixes of the findings `accept` allows (all by default) until none is left."""
    current: Any = obj
    applied: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    crashed: list[RuleCrash] = []
    for _ in range(MAX_ROUNDS):
        checked = check_object(current, policy, deadline)
        crashed += [c for c in checked.crashed if c not in crashed]
        candidates = [f for f in _offered(checked, accept) if (f.rule, f.pointer) not in seen]
        if not candidates:
            break
        round_ = _one_round(candidates)
        for finding in round_:
            seen.add((finding.rule, finding.pointer))  # a fix that did not silence its rule
        current = apply_patch(current, [op for f in round_ for op in f.fix or ()])
        applied.extend(round_)
    return Remedy(current, diff(obj, current), applied, crashed)


def _offered(checked: ObjectResult, accept: Callable[[Finding], bool]) -> list[Finding]:
    """The accepted fixes. A finding that stands for others (`ObjectResult.superseded`)
    whose fix is not accepted offers its rule's own fix (`alone`: `fix` keeps a request
    silenced by a comment as written), and if that is not accepted either, the others offer
    theirs: the mutating webhook applies memory-request-missing's fix (`mutate: true`)
    though memory-limit-missing reports the container (`mutate: false`), and `fix` the
    request rule's where a comment silences the limit rule (then lint reports it)."""
    taken: list[Finding] = []
    taken_ids: set[int] = set()
    for finding in checked.findings:
        alone = checked.alone.get(id(finding))
        for candidate in (finding, alone):
            if candidate is not None and candidate.fix and accept(candidate):
                taken.append(candidate)
                taken_ids.add(id(finding))
                break
    stand_ins = [
        left_out
        for kept, left_out in checked.superseded
        if id(kept) not in taken_ids and left_out.fix and accept(left_out)
    ]
    return taken + stand_ins


def _container_of(path: str) -> tuple[str, ...] | None:
    """The container a JSON Pointer lies strictly inside (its pointer's tokens), or None."""
    tokens = jp.split(path)
    depth = container_depth(tokens)
    return tuple(tokens[:depth]) if depth is not None and depth < len(tokens) else None


def _one_round(candidates: list[Finding]) -> list[Finding]:
    """The first fix, and the later ones each confined to a container of its own."""
    first, chosen = candidates[0], [candidates[0]]
    taken = {_scope(first)}
    if None in taken:
        return chosen  # not confined to one container: applied alone
    for finding in candidates[1:]:
        scope = _scope(finding)
        if scope is not None and scope not in taken:
            chosen.append(finding)
            taken.add(scope)
    return chosen


def _scope(finding: Finding) -> tuple[str, ...] | None:
    scopes = {_container_of(op["path"]) for op in finding.fix or ()}
    return scopes.pop() if len(scopes) == 1 else None
