"""Which requests a policy's matchConstraints or a binding's matchResources select.

Ports of k8s.io/apiserver/pkg/admission/plugin/policy/matching/matching.go (``Matches``,
``matchesResourceRules``) and the webhook predicates it uses: predicates/rules/rules.go
(``Matcher.Matches``: scope, operation, group, version, resource with ``res/sub``),
predicates/namespace/matcher.go (``MatchNamespaceSelector``, ``GetNamespaceLabels``),
predicates/object/matcher.go (``MatchObjectSelector``). ``matchPolicy: Equivalent`` is treated
as ``Exact``: there is no RESTMapper here to find equivalent resources (a request for
apps/v1 deployments is not matched by a rule for extensions/v1beta1 deployments); for
requests in the version a rule names the two agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evictguard.k8s.selectors import parse_selector

NAMESPACES = {"group": "", "version": "v1", "resource": "namespaces"}


class MatchError(Exception):
    """A matcher error (a selector LabelSelectorAsSelector refuses, a missing namespace)."""


def _exact_or_wildcard(items: Sequence[str] | None, requested: str) -> bool:
    return any(item in ("*", requested) for item in items or ())


def _split_resource(text: str) -> tuple[str, str]:
    res, _, sub = text.partition("/")
    return res, sub


def _scope(rule: Mapping[str, Any], request: Mapping[str, Any]) -> bool:
    """rules.go ``scope``: Namespace objects are cluster-scoped."""
    scope = rule.get("scope") or "*"
    is_namespace = dict(request["resource"]) == NAMESPACES
    if scope == "*":
        return True
    if scope == "Namespaced":
        return not is_namespace and request.get("namespace", "") != ""
    if scope == "Cluster":
        return is_namespace or request.get("namespace", "") == ""
    return False


def rule_matches(rule: Mapping[str, Any], request: Mapping[str, Any]) -> bool:
    """rules.go ``Matcher.Matches``."""
    resource = request["resource"]
    operation = request["operation"]
    op_res, op_sub = resource["resource"], request.get("subResource", "")
    resources = (_split_resource(r) for r in rule.get("resources") or ())
    return (
        _scope(rule, request)
        and any(op in ("*", operation) for op in rule.get("operations") or ())
        and _exact_or_wildcard(rule.get("apiGroups"), resource["group"])
        and _exact_or_wildcard(rule.get("apiVersions"), resource["version"])
        and any(res in ("*", op_res) and sub in ("*", op_sub) for res, sub in resources)
    )


def _resource_rules_match(rules: Sequence[Mapping[str, Any]], request: Mapping[str, Any]) -> bool:
    """matching.go ``matchesResourceRules`` (exact part): resourceNames against the name."""
    for rule in rules:
        if not rule_matches(rule, request):
            continue
        names = rule.get("resourceNames") or []
        if not names or request.get("name", "") in names:
            return True
    return False


def _selector(raw: Any) -> Any:
    # API defaulting turns an absent selector into {} (everything).
    selector = parse_selector({} if raw is None else raw)
    if selector is None:
        raise MatchError(f"invalid label selector: {raw!r}")
    return selector


def _labels(obj: Mapping[str, Any] | None) -> dict[str, str]:
    return dict(((obj or {}).get("metadata") or {}).get("labels") or {})


def _namespace_matches(
    raw: Any, request: Mapping[str, Any], namespace: Mapping[str, Any] | None
) -> bool:
    """namespace/matcher.go ``MatchNamespaceSelector``: cluster-scoped requests other than
    Namespaces always match; a Namespace being created or updated is judged by its own
    labels (``GetNamespaceLabels``)."""
    is_namespaces = request["resource"]["resource"] == "namespaces"
    if not request.get("namespace") and not is_namespaces:
        return True
    selector = _selector(raw)
    if selector.everything:
        return True
    own = (
        is_namespaces
        and not request.get("subResource")
        and request["operation"]
        in (
            "CREATE",
            "UPDATE",
        )
    )
    if own:
        return selector.matches(_labels(request.get("object")))
    if namespace is None:
        raise MatchError(f'namespaces "{request.get("namespace")}" not found')
    return selector.matches(_labels(namespace))


def _object_matches(raw: Any, request: Mapping[str, Any]) -> bool:
    """object/matcher.go ``MatchObjectSelector``: the new or the old object's labels."""
    selector = _selector(raw)
    if selector.everything:
        return True
    return any(
        obj is not None and selector.matches(_labels(obj))
        for obj in (request.get("object"), request.get("oldObject"))
    )


def matches(
    criteria: Mapping[str, Any], request: Mapping[str, Any], namespace: Mapping[str, Any] | None
) -> bool:
    """matching.go ``Matcher.Matches``: selectors, then excludeResourceRules, then
    resourceRules (none: everything); selector errors count only if the rest matches."""
    ns_error = obj_error = None
    try:
        if not _namespace_matches(criteria.get("namespaceSelector"), request, namespace):
            return False
    except MatchError as err:
        ns_error = err
    try:
        if not _object_matches(criteria.get("objectSelector"), request):
            return False
    except MatchError as err:
        obj_error = err
    if _resource_rules_match(criteria.get("excludeResourceRules") or [], request):
        return False
    rules = criteria.get("resourceRules") or []
    if rules and not _resource_rules_match(rules, request):
        return False
    if ns_error is not None:
        raise ns_error
    if obj_error is not None:
        raise obj_error
    return True
