"""The one evaluation every door shares: an object and a policy in, findings out.

Knows nothing of files, Flask or the command line. Selection (the policy's modes and
--select/--ignore) and exemptions are decided here, never inside rules: a rule sees only the
object, its own parameters and the shared facts (`rules.base.Context`); what it says depends
on other rules only through what it declares on a violation, resolved here (`_resolved`).
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import pointer as jp
from ..k8s.podspec import (
    PodSpecView,
    StructureProblem,
    api_group,
    container_depth,
    extract_pod_specs,
)
from ..model import SEVERITY_OF_MODE, Finding, Mode, ObjectRef, Violation
from ..policy.model import Policy
from ..rules.base import Context
from .exemptions import ALL, exempted_rules
from .registry import OBJECT_RULES, RULES


@dataclass(frozen=True)
class RuleCrash:
    """A rule that raised on this object: its verdict is missing, the others' stand."""

    rule: str
    error: str  # the exception's type
    where: str  # file:line of the innermost frame (no values: it is logged)


@dataclass
class ObjectResult:
    ref: ObjectRef
    findings: list[Finding] = field(default_factory=list)
    problems: list[StructureProblem] = field(default_factory=list)
    exempted: frozenset[str] = frozenset()  # rule ids (or `*`) skipped by an exemption
    crashed: list[RuleCrash] = field(default_factory=list)
    # (kept, left out): findings another one on the same container already says (see
    # `Rule.supersedes`); the kept one carries its `cover` (says both). The left-out ones
    # are not lost: their fixes stay available (`remedy`: the mutating webhook may apply a
    # rule's fix whose finding is not reported), one stands in again where the finding kept
    # for it is silenced, and the kept one says only its own part (`alone`) where they are
    # silenced (`placed`); on UPDATE one the change introduced is new (webhook.admission).
    superseded: list[tuple[Finding, Finding]] = field(default_factory=list)
    # id() of a kept finding that took its cover -> the finding as its rule reported it
    alone: dict[int, Finding] = field(default_factory=dict)

    def placed(self, place: Callable[[Finding], Finding | None]) -> list[Finding]:
        """The findings as `place` reports them (None: silenced there, by an inline comment
        on its line). Silencing one rule never silences another: a finding left out for a
        silenced one is placed in its stead; and one whose left-out findings are all
        silenced where they would be reported says only its own part, and offers only its
        own fix (a comment silencing memory-request-missing keeps the request as written)."""
        left_out_for = self.left_out_for()
        out: list[Finding] = []
        for finding in self.findings:
            left_out = left_out_for.get(id(finding), [])
            if left_out and all(place(f) is None for f in left_out):
                finding, left_out = self.alone.get(id(finding), finding), []
            located = place(finding)
            if located is not None:
                out.append(located)
                continue
            for other in left_out:
                if (instead := place(other)) is not None:
                    out.append(instead)
        return out

    def left_out_for(self) -> dict[int, list[Finding]]:
        """The findings left out, by the id() of the finding they were left out for."""
        by_kept: dict[int, list[Finding]] = {}
        for kept, left_out in self.superseded:
            by_kept.setdefault(id(kept), []).append(left_out)
        return by_kept


def object_ref(obj: Mapping[str, Any]) -> ObjectRef:
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    name, generate_name = metadata.get("name"), metadata.get("generateName")
    namespace, uid = metadata.get("namespace"), metadata.get("uid")
    return ObjectRef(
        api_version=str(obj.get("apiVersion", "")),
        kind=str(obj.get("kind", "")),
        namespace=namespace if isinstance(namespace, str) else None,
        name=name if isinstance(name, str) and name else None,
        generate_name=generate_name if isinstance(generate_name, str) else None,
        uid=uid if isinstance(uid, str) and uid else None,
    )


class EvaluationTimeout(Exception):
    """The object took longer than its time budget (admission: `evaluationBudgetSeconds`)."""


def where_raised(exc: BaseException) -> str:
    """file:line of the innermost frame: enough to find a bug, with no value in it."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno}"


def check_object(
    obj: Mapping[str, Any],
    policy: Policy,
    deadline: float | None = None,
    *,
    trust_owner_references: bool = True,
) -> ObjectResult:
    """`deadline` (time.monotonic()): raise EvaluationTimeout rather than start a rule
    after it, so a pathological object cannot hold the caller much past its budget.
    `trust_owner_references`: whether a Pod's DaemonSet owner reference may be believed
    (admission believes it only from the DaemonSet controller; see `k8s.podspec.is_daemon`)."""
    ref = object_ref(obj)
    result = ObjectResult(ref)
    kind = (api_group(ref.api_version), ref.kind)
    if kind in OBJECT_RULES:  # a kind judged as a whole object: no pod spec in it
        exempt = exempted_rules(obj, ref, policy, None)
        if ALL not in exempt:
            rule_ids = [
                r
                for r in policy.active_rules()
                if kind in RULES[r].kinds and RULES[r].check_input is None
            ]
            _run_rules(obj, ref, None, rule_ids, policy, exempt, deadline, result)
        result.exempted = frozenset(exempt)
        return result
    pods, problems = extract_pod_specs(obj, policy.extra_kinds, trust_owner_references)
    result.problems.extend(problems)
    exempted: set[str] = set()
    for pod in pods:  # one per component: each judged as its own pod spec
        exempt = exempted_rules(obj, ref, policy, pod.metadata_pointer)
        exempted |= exempt
        if ALL not in exempt:
            rule_ids = [r for r in policy.active_rules() if not RULES[r].kinds]
            _run_rules(obj, ref, pod, rule_ids, policy, exempt, deadline, result)
    result.exempted = frozenset(exempted)
    _leave_out_superseded(result)
    return result


def _run_rules(
    obj: Mapping[str, Any],
    ref: ObjectRef,
    pod: PodSpecView | None,
    rule_ids: Iterable[str],
    policy: Policy,
    exempt: set[str],
    deadline: float | None,
    result: ObjectResult,
) -> None:
    """The rules on one pod spec of the object (None: on the object whole). A finding
    already found on another (tolerations several components share) is said once."""
    seen = {(f.rule, f.pointer, f.message) for f in result.findings}
    for rule_id in rule_ids:
        if rule_id in exempt:
            continue
        if deadline is not None and time.monotonic() > deadline:
            raise EvaluationTimeout(f"{ref.describe()}: evaluation stopped before {rule_id}")
        rule = RULES[rule_id]
        severity = SEVERITY_OF_MODE[policy.mode(rule_id)]
        context = Context(obj, ref, pod, policy.params(rule_id), policy.cluster, policy.bounds)
        try:
            violations = _resolved(rule.check(context), policy, exempt)
        except Exception as exc:  # a bug in one rule must not hide the others' findings
            crash = RuleCrash(rule_id, type(exc).__name__, where_raised(exc))
            if crash in result.crashed:
                continue
            result.crashed.append(crash)
            result.problems.append(
                StructureProblem(
                    "",
                    f"internal error in rule {rule_id}: {type(exc).__name__}: {exc}",
                    internal=True,
                )
            )
            continue
        for violation in violations:
            if (rule_id, violation.pointer, violation.message) in seen:
                continue
            result.findings.append(
                Finding(
                    rule=rule_id,
                    severity=severity,
                    ref=ref,
                    pointer=violation.pointer,
                    message=violation.message,
                    container=violation.container,
                    fix=violation.fix,
                    applicability=violation.applicability,
                    evidence=violation.evidence,
                    container_at=violation.container_at,
                    cover=violation.cover,
                )
            )


def _resolved(violations: Iterable[Violation], policy: Policy, exempt: set[str]) -> list[Violation]:
    """What a rule declared about other rules, decided: a case deferred to a rule that judges
    the object is that rule's; a note on a rule is said where the policy turns it on."""
    out: list[Violation] = []
    for violation in violations:
        owner = violation.deferred_to
        if owner is not None and policy.mode(owner) is not Mode.OFF and owner not in exempt:
            continue
        notes = "".join(text for rule, text in violation.notes if policy.mode(rule) is not Mode.OFF)
        out.append(
            dataclasses.replace(violation, message=violation.message + notes)
            if notes
            else violation
        )
    return out


def _container(finding: Finding) -> tuple[str, ...] | None:
    """Which container a finding is about: the container's pointer where the rule says it;
    else its name (unique in a pod the API server accepts), else its place in a container
    list (an unnamed container); None for pod-level findings."""
    if finding.container_at is not None:
        return ("at", finding.container_at)
    if finding.container is not None:
        return ("name", finding.container)
    tokens = jp.split(finding.pointer)
    depth = container_depth(tokens)
    if depth is not None:
        return tuple(tokens[:depth])
    # Pod-level (`spec.resources`): findings on the very same value are about one thing.
    return ("value", finding.pointer)


def _leave_out_superseded(result: ObjectResult) -> None:
    """One problem, one finding: a finding is left out when one of a rule that supersedes
    its rule is on the same container and at least as severe; that one then takes its
    cover. Linear in the findings (a Pod of 10,000 bare containers has 20,000, and an
    admission request must stay within its budget)."""
    findings = result.findings
    strongest: dict[tuple[Any, str], Finding] = {}  # (container, superseded rule) -> finding
    for finding in findings:
        covered = RULES[finding.rule].supersedes
        if covered and (where := _container(finding)) is not None:
            for rule in covered:
                current = strongest.get((where, rule))
                if current is None or finding.severity.rank > current.severity.rank:
                    strongest[(where, rule)] = finding
    if not strongest:
        return
    superseded_rules = {rule for _, rule in strongest}
    kept: list[Finding] = []
    left_out: dict[int, list[Finding]] = {}
    for finding in findings:
        by = None
        if finding.rule in superseded_rules and (where := _container(finding)) is not None:
            by = strongest.get((where, finding.rule))
        if by is not None and by.severity.rank >= finding.severity.rank:
            left_out.setdefault(id(by), []).append(finding)
        else:
            kept.append(finding)
    result.findings = []
    for finding in kept:
        others = left_out.get(id(finding))
        if others and finding.cover is not None:
            alone = finding
            finding = dataclasses.replace(
                finding, message=finding.cover.message, fix=finding.cover.fix, cover=None
            )
            result.alone[id(finding)] = alone
        result.findings.append(finding)
        result.superseded.extend((finding, other) for other in others or ())
