"""What the API server refuses of a PodDisruptionBudget's spec: such a budget never exists in
a cluster (kubectl apply fails with the reason), so the drain rules stand down on it, as the
memory rules leave an invalid quantity to memory-quantity-invalid.

Ports kubernetes `pkg/apis/policy/validation/validation.go` `ValidatePodDisruptionBudgetSpec`:
- both `minAvailable` and `maxUnavailable` set;
- each of them: `ValidatePositiveIntOrPercent` (`pkg/apis/apps/validation`: a string must be
  `IsValidPercent`, apimachinery `pkg/util/validation` `^[0-9]+%$`, so no sign, no space; an
  integer must be >= 0) and `IsNotMoreThan100Percent` (a valid percentage above 100);
- `unhealthyPodEvictionPolicy` one of its two values (`supportedUnhealthyPodEvictionPolicies`);
- a selector `LabelSelectorAsSelector` accepts (k8s.selectors);
and the decoding before it: an IntOrString is a JSON integer (int32) or a string.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .drain import MAX_UNAVAILABLE, MIN_AVAILABLE, is_int_or_string
from .selectors import budget_selector, parse_selector

PERCENT = re.compile(r"[0-9]+%")  # IsValidPercent's percentFmt, anchored (fullmatch)
INT32 = range(-(2**31), 2**31)  # IntOrString.IntVal: json.Unmarshal into an int32
UNHEALTHY_POD_EVICTION_POLICY = "unhealthyPodEvictionPolicy"
IF_HEALTHY_BUDGET, ALWAYS_ALLOW = "IfHealthyBudget", "AlwaysAllow"
UNHEALTHY_POD_EVICTION_POLICIES = frozenset({IF_HEALTHY_BUDGET, ALWAYS_ALLOW})


def refusal(spec: Mapping[str, Any]) -> str | None:
    """The first reason the API server refuses this spec, worded as it words it; None when
    it accepts it."""
    return next(_refusals(spec), None)


def _refusals(spec: Mapping[str, Any]) -> Iterator[str]:
    if spec.get(MIN_AVAILABLE) is not None and spec.get(MAX_UNAVAILABLE) is not None:
        yield "spec: minAvailable and maxUnavailable cannot be both set"
    for field in (MIN_AVAILABLE, MAX_UNAVAILABLE):
        value = spec.get(field)
        if value is not None:
            yield from (f"spec.{field}: {reason}" for reason in _int_or_percent(value))
    policy = spec.get(UNHEALTHY_POD_EVICTION_POLICY)
    if policy is not None and not (
        isinstance(policy, str) and policy in UNHEALTHY_POD_EVICTION_POLICIES
    ):
        yield f"spec.{UNHEALTHY_POD_EVICTION_POLICY}: Unsupported value: {policy!r}"
    if parse_selector(spec.get("selector")) is None:
        yield "spec.selector: Invalid value: not a label selector the API accepts"


def _int_or_percent(value: Any) -> Iterator[str]:
    if not is_int_or_string(value) or (isinstance(value, int) and value not in INT32):
        yield "cannot be decoded as an integer (int32) or a string"
    elif isinstance(value, int):
        if value < 0:
            yield "must be greater than or equal to 0"
    elif PERCENT.fullmatch(value) is None:
        yield "a valid percent string must be a numeric string followed by an ending '%'"
    elif int(value[:-1]) > 100:
        yield "must not be greater than 100%"


def protecting_spec(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The spec of a PodDisruptionBudget that can keep a pod from eviction: one the API
    server accepts (else it never exists) whose selector selects some pod (not null, nor
    `{}` in policy/v1beta1: `selectors.budget_selector`). None for any other."""
    spec = obj.get("spec")
    if not isinstance(spec, Mapping) or refusal(spec) is not None:
        return None
    selector = budget_selector(str(obj.get("apiVersion", "")), spec.get("selector"))
    return None if selector is None or selector.nothing else spec
