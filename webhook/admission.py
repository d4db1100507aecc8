"""AdmissionReview in, AdmissionReview out: the webhook's logic with no web framework inside.

The API server's side of the contract (`k8s.io/api/admission/v1`, `VerifyAdmissionResponse`):
the response echoes `apiVersion`, `kind` and `uid`; a denial carries a Status with a code
of 400 or more; a patch is base64 JSON Patch with `patchType: JSONPatch`, sent only when it
changes something; warnings hold no control characters and stay short.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from .. import pointer as jp
from ..engine.check import EvaluationTimeout, ObjectResult, RuleCrash, check_object, where_raised
from ..engine.registry import OBJECT_RULES, judged_whole
from ..engine.remedy import remedy
from ..k8s.controllers import (
    CONTROLLER_MANAGER,
    DAEMONSET_CONTROLLERS,
    SERVED_TEMPLATE_OWNERS,
    TEMPLATE_CONTROLLERS,
)
from ..k8s.features import COMPARISON_GATE
from ..k8s.podspec import CUSTOM_KINDS, POD_SPEC_PATHS, extract_pod_specs, pod_spec_path
from ..k8s.taints import GT, LT
from ..model import Finding, JsonPatch, Mode, Severity
from ..patch import diff
from ..policy.model import Policy

VERSIONS = ("admission.k8s.io/v1", "admission.k8s.io/v1beta1")
OPERATIONS = ("CREATE", "UPDATE", "DELETE", "CONNECT")
CHECKED_OPERATIONS = ("CREATE", "UPDATE")
MAX_ECHO = 80  # characters of a client's value quoted back in an error
MUTATED_ANNOTATION = "evictguard.io/mutated"
DENY_CODE = 403
# The API server drops a warning with control characters and, once their total passes
# 4096 characters, cuts every warning to 256: stay under both.
MAX_WARNING = 256
MAX_WARNINGS_TOTAL = 4000


class ReviewError(ValueError):
    """A request that is not an AdmissionReview we can answer (answered 400)."""


@dataclass(frozen=True)
class Review:
    api_version: str
    uid: str
    operation: str
    kind: str
    group: str
    sub_resource: str
    namespace: str | None
    name: str | None
    obj: Mapping[str, Any] | None
    old_obj: Mapping[str, Any] | None
    dry_run: bool
    username: str = ""


@dataclass
class Decision:
    allowed: bool = True
    message: str | None = None
    warnings: list[str] = field(default_factory=list)
    patch: JsonPatch | None = None
    findings: list[Finding] = field(default_factory=list)  # what was found, for logs/metrics
    denied_by: list[Finding] = field(default_factory=list)
    skipped: str | None = None  # why the object was not checked at all
    exempted: frozenset[str] = frozenset()  # for the log: exemptions leave a trace
    internal_error: str | None = None  # what failed, when evaluating failed

    @property
    def outcome(self) -> str:
        if self.internal_error and not self.denied_by:  # a denial by a rule that ran wins
            return "internal_error"
        if self.skipped:
            return "skipped"
        if not self.allowed:
            return "denied"
        return "patched" if self.patch else "allowed"


def checked_kinds(policy: Policy) -> frozenset[str]:
    """The kinds judged here (and metric labels): the same tables as lint's."""
    custom = {kind for _, kind in CUSTOM_KINDS}
    whole = {kind for _, kind in OBJECT_RULES}
    return frozenset(POD_SPEC_PATHS) | custom | whole | {k.kind for k in policy.extra_kinds}


def _echo(value: Any) -> str:
    """A client's value in an error message, cut short: the message is logged and returned."""
    text = json.dumps(value, default=str)
    return text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 1] + "…"


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ReviewError(f"{what} must be an object")
    return value


def _optional_object(request: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    value = request.get(key)
    if value is None:
        return None
    return _mapping(value, f"request.{key}")


def parse_review(data: Any) -> Review:
    """Check the shape the API server always sends; anything else is a ReviewError."""
    review = _mapping(data, "the body")
    api_version = review.get("apiVersion")
    if api_version not in VERSIONS:
        raise ReviewError(
            f"apiVersion must be one of {', '.join(VERSIONS)}, not {_echo(api_version)}"
        )
    if review.get("kind") != "AdmissionReview":
        raise ReviewError(f"kind must be AdmissionReview, not {_echo(review.get('kind'))}")
    request = _mapping(review.get("request"), "request")
    uid = request.get("uid")
    if not isinstance(uid, str) or not uid:
        raise ReviewError("request.uid must be a non-empty string")
    operation = request.get("operation")
    if not isinstance(operation, str) or not operation:
        raise ReviewError("request.operation must be a non-empty string")
    kind = _mapping(request.get("kind"), "request.kind")
    name, namespace = request.get("name"), request.get("namespace")
    user = request.get("userInfo")
    username = user.get("username") if isinstance(user, Mapping) else None
    return Review(
        api_version=api_version,
        uid=uid,
        operation=operation,
        kind=str(kind.get("kind") or ""),
        group=str(kind.get("group") or ""),
        sub_resource=str(request.get("subResource") or ""),
        namespace=namespace if isinstance(namespace, str) and namespace else None,
        name=name if isinstance(name, str) and name else None,
        obj=_optional_object(request, "object"),
        old_obj=_optional_object(request, "oldObject"),
        dry_run=request.get("dryRun") is True,
        username=username if isinstance(username, str) else "",
    )


# Subresources whose review carries a whole object to judge: an in-place resize (beta, on
# by default since 1.33) changes a running Pod's requests and limits, and its review's
# `object` and `oldObject` are the whole Pod. It is judged as a Pod UPDATE. The others need
# nothing: `status` is the kubelet's report, `ephemeralcontainers` may not set resources and
# changes nothing else, `binding` and `eviction` carry other kinds (README: Subresources).
JUDGED_SUBRESOURCES = {("Pod", "resize")}


def _checked_object(review: Review, policy: Policy) -> tuple[Mapping[str, Any] | None, str]:
    """The object to check, with the request's namespace filled in (a Pod created with
    `kubectl -n shop` carries none), or None and the reason it is let through untouched."""
    if review.operation not in CHECKED_OPERATIONS:
        return None, f"{review.operation} is not checked"
    if review.sub_resource and (review.kind, review.sub_resource) not in JUDGED_SUBRESOURCES:
        return None, f"subresource {review.sub_resource} is not checked"
    obj = review.obj
    if obj is None:
        raise ReviewError(f"request.object is required for {review.operation}")
    api_version = str(obj.get("apiVersion", ""))
    kind = str(obj.get("kind", ""))
    if pod_spec_path(api_version, kind, policy.extra_kinds) is None and not judged_whole(
        api_version, kind
    ):
        return None, f"{obj.get('kind')} has no pod spec"
    metadata = obj.get("metadata")
    # The request's namespace is the API server's word (it refuses an object whose own
    # differs): the object's is read only when the request names none.
    written = metadata.get("namespace") if isinstance(metadata, Mapping) else None
    namespace = review.namespace or (written if isinstance(written, str) else None)
    if policy.is_ignored_namespace(namespace):
        # The shipped configurations never send these (namespaceSelector); lint does not
        # check them either. Said, so a configuration that does send them is no surprise.
        return None, f"namespace {namespace} is left out of admission (ignoredNamespaces)"
    if review.namespace and not (isinstance(metadata, Mapping) and metadata.get("namespace")):
        # A shallow copy: nothing downstream writes into the object (fixes copy first).
        meta = metadata if isinstance(metadata, Mapping) else {}
        obj = {**obj, "metadata": {**meta, "namespace": review.namespace}}
    return obj, ""


def _uses_comparison_operators(obj: Mapping[str, Any] | None, policy: Policy) -> bool:
    """`allowTaintTolerationComparisonOperators(oldSpec)`: an existing object that already
    uses Lt/Gt keeps validating with them (ratcheting), whatever the feature gate says."""
    if obj is None:
        return False
    pods, _ = extract_pod_specs(obj, policy.extra_kinds)
    return any(t.data.get("operator") in (LT, GT) for pod in pods for t in pod.tolerations)


def _policy_for(review: Review, policy: Policy) -> Policy:
    if review.operation == "UPDATE" and _uses_comparison_operators(review.old_obj, policy):
        gates = {**policy.feature_gates, COMPARISON_GATE: True}
        return dataclasses.replace(policy, feature_gates=gates)
    return policy


def _place(obj: Mapping[str, Any], pointer: str) -> str:
    """A field path naming list items by name where they have one
    (`spec.containers[app].resources.requests.memory`): indices shift, names do not."""
    out: list[str] = []
    node: Any = obj
    for token in jp.split(pointer):
        if isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
            name = node.get("name") if isinstance(node, Mapping) else None
            out[-1] += f"[{name if isinstance(name, str) and name else token}]"
        else:
            node = node.get(token) if isinstance(node, Mapping) else None
            out.append(token)
    return ".".join(out)


def _identity(node: Any) -> str:
    """How a list item is recognised across an update: containers by name, anything else
    (tolerations) by content."""
    if isinstance(node, Mapping) and isinstance(node.get("name"), str):
        return f"name={node['name']}"
    return _canonical(node)


def _canonical(node: Any) -> str:
    return json.dumps(node, sort_keys=True, default=str)


def finding_key(obj: Mapping[str, Any], finding: Finding) -> tuple[str, ...]:
    """A finding's place with list indices replaced by item identities, so that one a change
    only moved (a toleration inserted before it) is recognised as the same finding, then
    the offending value itself and the other values its verdict rests on: a limit changed
    from `512m` to `1m` is a new violation, not the old one."""
    key: list[str] = [finding.rule]
    node: Any = obj
    for token in jp.split(finding.pointer):
        if isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
            key.append(_identity(node))
        elif isinstance(node, Mapping) and token in node:
            node = node[token]
            key.append(token)
        else:
            node = _ABSENT
            key.append(token)
    key.append("<absent>" if node is _ABSENT else _canonical(node))
    key.extend(_canonical(value) for value in finding.evidence)
    return tuple(key)


_ABSENT = object()


@dataclass
class Comparison:
    """An object's findings split by what an UPDATE did to them."""

    new: list[Finding]  # introduced by the request
    old: list[Finding]  # the object already had them
    old_crashed: list[RuleCrash] = field(default_factory=list)  # rules that raised on the old


def _introduced(
    review: Review,
    obj: Mapping[str, Any],
    result: ObjectResult,
    policy: Policy,
    trust_owner_references: bool = True,
) -> Comparison:
    """Only UPDATE has a before; a label added to a running pod must never be blocked by an
    older violation. What the old object was exempt from has no findings there, so removing
    an exemption makes its findings new. The old object gets its own time budget, so an
    update costs no more of it than a create. A finding left out for a pre-existing one
    (`ObjectResult.superseded`) that the change introduced counts as new: removing the
    request of a container that never had a limit is judged as memory-request-missing."""
    found = result.findings
    if review.operation != "UPDATE" or review.old_obj is None:
        return Comparison(found, [])
    old, _ = _checked_object(dataclasses.replace(review, obj=review.old_obj), policy)
    if old is None:
        return Comparison(found, [])
    deadline = time.monotonic() + policy.evaluation_budget
    checked = check_object(old, policy, deadline, trust_owner_references=trust_owner_references)
    everything_before = [*checked.findings, *(left for _, left in checked.superseded)]
    before = {finding_key(old, f) for f in everything_before}
    new = [f for f in found if finding_key(obj, f) not in before]
    new_ids = {id(f) for f in new}
    stand_in = [
        (kept, left)
        for kept, left in result.superseded
        if id(kept) not in new_ids and finding_key(obj, left) not in before
    ]
    new += [left for _, left in stand_in]
    # ... and the pre-existing one it was left out for then says only its own part
    alone = {id(kept) for kept, _ in stand_in}
    old = [
        result.alone.get(id(f), f) if id(f) in alone else f for f in found if id(f) not in new_ids
    ]
    return Comparison(new, old, checked.crashed)


def _clean(text: str) -> str:
    """One line, no control characters (the API server silently drops such a warning)."""
    if not text.isprintable():  # rare: a value quoted from the object holds one
        text = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(text.split())


def _short(text: str, limit: int = MAX_WARNING) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _without_object(finding: Finding) -> str:
    """The message without its `Pod shop/web: ` prefix: the user just sent that object."""
    prefix = finding.ref.describe() + ": "
    return finding.message[len(prefix) :] if finding.message.startswith(prefix) else finding.message


def warnings_for(findings: list[tuple[str, Finding]]) -> list[str]:
    """Admission warnings, each `[rule] what`, short and clean, within the API's budget."""
    out: list[str] = []
    total = 0
    for index, (label, finding) in enumerate(findings):
        text = _short(_clean(f"{label}[{finding.rule}] {_without_object(finding)}"))
        if total + len(text) > MAX_WARNINGS_TOTAL:
            rest = len(findings) - index
            out.append(f"… and {rest} more finding(s): run `evictguard lint` on the manifest")
            break
        out.append(text)
        total += len(text)
    return out


MAX_MESSAGE = 4000  # the denial is shown to a person: enough for every rule, not a novel


def _denial(findings: list[Finding]) -> str:
    lines = [f"[{f.rule}] {_clean(_without_object(f))}" for f in findings]
    ref = _clean(findings[0].ref.describe())
    text = f"evictguard: {ref} violates {len(findings)} rule(s): " + "; ".join(lines)
    return _short(text, MAX_MESSAGE)


def controller_owner(review: Review, obj: Mapping[str, Any], policy: Policy) -> str | None:
    """The kind of the workload that made this object, when kube-controller-manager made it
    (a Deployment's ReplicaSet, a ReplicaSet's or a StatefulSet's Pods) and that kind's
    template is itself validated here. Its findings were judged on the template, where a
    change introducing them was denied; denying its Pods again would only stall rollouts
    and scale-ups of workloads that predate the policy. The requester must be a controller
    of kube-controller-manager, so an ownerReference written by hand changes nothing."""
    if not policy.controller_objects_on_template or review.sub_resource:
        return None  # a resize is never made from a template
    trusted = review.username == CONTROLLER_MANAGER or review.username in TEMPLATE_CONTROLLERS
    metadata = obj.get("metadata")
    owners = metadata.get("ownerReferences") if trusted and isinstance(metadata, Mapping) else None
    for owner in owners if isinstance(owners, list) else ():
        if not (isinstance(owner, Mapping) and owner.get("controller") is True):
            continue
        kind, api_version = str(owner.get("kind", "")), str(owner.get("apiVersion", ""))
        if api_version in SERVED_TEMPLATE_OWNERS and pod_spec_path(api_version, kind) is not None:
            return kind
    return None


def trusts_owner_references(review: Review) -> bool:
    """Whether a Pod's DaemonSet ownerReference can be believed: the API server checks only
    that its fields are set, so a bare Pod from anyone else claiming a DaemonSet owner
    would switch the NoExecute rules off. Only the DaemonSet controller's word counts."""
    return review.username in DAEMONSET_CONTROLLERS


def _crash_verdict(
    crashed: list[RuleCrash], review: Review, policy: Policy
) -> tuple[str | None, str | None]:
    """(denial, warning) for rules that raised on this object: onInternalError says what
    their silence means; the other rules' verdicts stand either way."""
    if not crashed:
        return None, None
    rules = ", ".join(sorted({c.rule for c in crashed}))
    what = review.kind or "object"
    if policy.on_internal_error == "deny":
        return (
            f"evictguard could not evaluate rule(s) {rules} on this {what} (an internal "
            "error of evictguard's); denied (onInternalError: deny)",
            None,
        )
    return None, (
        f"evictguard could not evaluate rule(s) {rules} on this {what} (an internal error "
        "of evictguard's); their verdict is missing (onInternalError: allow)"
    )


def validate(review: Review, policy: Policy) -> Decision:
    obj, why = _checked_object(review, policy)
    if obj is None:
        return Decision(skipped=why)
    policy = _policy_for(review, policy)
    deadline = time.monotonic() + policy.evaluation_budget
    trust = trusts_owner_references(review)
    checked = check_object(obj, policy, deadline, trust_owner_references=trust)
    found = checked.findings
    compared = _introduced(review, obj, checked, policy, trust)
    new, old = compared.new, compared.old
    crashed = checked.crashed + [c for c in compared.old_crashed if c not in checked.crashed]
    if compared.old_crashed and policy.on_internal_error == "allow":
        # A rule that raised on the old object cannot tell what is new: its silence there
        # reads as onInternalError says (allow: its findings as pre-existing, with a warning).
        unsure = {c.rule for c in compared.old_crashed}
        old += [f for f in new if f.rule in unsure]
        new = [f for f in new if f.rule not in unsure]
    owner = controller_owner(review, obj, policy)
    if owner is not None:  # judged on the owner's template: warn, never deny
        old, new = old + new, []
    warn = [("", f) for f in new if f.severity is Severity.WARNING]
    label = "pre-existing " if owner is None else f"enforced on the {owner} "
    warn += [(label, f) for f in old if f.severity is not Severity.INFO]
    deny = [f for f in new if f.severity is Severity.ERROR]
    crash_denial, crash_warning = _crash_verdict(crashed, review, policy)
    decision = Decision(
        findings=found,
        warnings=([crash_warning] if crash_warning else []) + warnings_for(warn),
        exempted=checked.exempted,
        internal_error=_crash_summary(crashed),
    )
    if deny or crash_denial:
        decision.allowed = False
        decision.denied_by = deny
        parts = ([_denial(deny)] if deny else []) + ([crash_denial] if crash_denial else [])
        decision.message = _short("; ".join(parts), MAX_MESSAGE)
    return decision


def _crash_summary(crashed: list[RuleCrash]) -> str | None:
    """For the log: which rule raised what where (type and place, no values)."""
    if not crashed:
        return None
    return "; ".join(f"{c.rule}: {c.error} at {c.where}" for c in crashed)


def mutate(review: Review, policy: Policy) -> Decision:
    """The fixes of the rules the policy lets mutate, for the kinds it lets mutate, as one
    patch; the annotation records what was changed. A second pass finds nothing to fix."""
    if review.operation != "CREATE":
        # Most of a Pod spec is immutable (ValidatePodUpdate): a patch to an existing Pod's
        # resources or tolerations would make the API server refuse the whole update.
        return Decision(skipped=f"{review.operation} is not mutated")
    obj, why = _checked_object(review, policy)
    if obj is None:
        return Decision(skipped=why)
    if str(obj.get("kind")) not in policy.mutate_kinds:
        return Decision(skipped=f"{obj.get('kind')} is not mutated")
    policy = _policy_for(review, policy)
    deadline = time.monotonic() + policy.evaluation_budget
    result = remedy(obj, policy, lambda f: policy.mutates(f.rule), deadline)
    crashes = _crash_summary(result.crashed)
    if not result.applied:
        return Decision(internal_error=crashes)
    fixed = result.fixed
    changes = [f"{f.rule}:{_place(obj, f.pointer)}" for f in result.applied]
    metadata = fixed.get("metadata")
    if not isinstance(metadata, dict):  # absent or null: the API server decodes it as empty
        metadata = fixed["metadata"] = {}
    annotations = metadata.get("annotations")
    annotations = dict(annotations) if isinstance(annotations, Mapping) else {}
    # A reinvocation (after another webhook added a sidecar) adds to what is recorded.
    earlier = annotations.get(MUTATED_ANNOTATION)
    recorded = [c for c in earlier.split(", ") if c] if isinstance(earlier, str) else []
    recorded += [c for c in changes if c not in recorded]
    metadata["annotations"] = {**annotations, MUTATED_ANNOTATION: ", ".join(recorded)}
    # Diff against the object as sent (not our namespaced copy): the patch applies to it.
    original = review.obj or {}
    sent = original.get("metadata")
    if not (isinstance(sent, Mapping) and "namespace" in sent):
        fixed["metadata"].pop("namespace", None)
    return Decision(patch=diff(original, fixed), findings=result.applied, internal_error=crashes)


def on_internal_error(
    review: Review, policy: Policy, exc: BaseException, mutating: bool
) -> Decision:
    """The answer when evaluating failed: a bug as `admission.onInternalError` says, an
    object over its time budget always denied (else making a Pod big enough would be a way
    past the policy: found by the hostile-input suite). The request is never failed (a 500
    fails it too, or lets it through unchecked, by failurePolicy) and the user is told.
    Mutation only ever allows, without a patch."""
    what = f"{review.kind or 'object'}"
    if isinstance(exc, EvaluationTimeout):
        deny = not mutating
        reason = "is too large to evaluate within its time budget (evaluationBudgetSeconds)"
    else:
        deny = policy.on_internal_error == "deny" and not mutating
        reason = "hit an internal error of evictguard's (onInternalError)"
    outcome = "denied" if deny else "allowed unchecked"
    text = f"evictguard could not evaluate this {what}: it {reason}; {outcome}"
    decision = Decision(internal_error=f"{type(exc).__name__} at {where_raised(exc)}")
    if deny:
        decision.allowed = False
        decision.message = text
    else:
        decision.warnings = [text]
    return decision


def respond(review: Review, decision: Decision) -> dict[str, Any]:
    """The AdmissionReview the API server expects back, in the version it asked in."""
    response: dict[str, Any] = {"uid": review.uid, "allowed": decision.allowed}
    if not decision.allowed:
        response["status"] = {
            "metadata": {},
            "status": "Failure",
            "reason": "Forbidden",
            "code": DENY_CODE,
            "message": decision.message or "denied by evictguard",
        }
    if decision.warnings:
        response["warnings"] = decision.warnings
    if decision.patch:
        encoded = orjson.dumps(decision.patch)
        response["patchType"] = "JSONPatch"
        response["patch"] = base64.b64encode(encoded).decode("ascii")
    return {"apiVersion": review.api_version, "kind": "AdmissionReview", "response": response}


def modes_of(findings: list[Finding], policy: Policy) -> list[tuple[str, Mode]]:
    return [(f.rule, policy.mode(f.rule)) for f in findings]
