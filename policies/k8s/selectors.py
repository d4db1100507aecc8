"""Label selectors as Kubernetes evaluates them (apimachinery `pkg/apis/meta/v1/helpers.go`
`LabelSelectorAsSelector`, `pkg/labels/selector.go` `Requirement.Matches`).

A null selector selects nothing (`labels.Nothing()`), an empty one (`{}`) everything
(`labels.Everything()`); otherwise every `matchLabels` pair AND every `matchExpressions`
requirement must hold. policy/v1 PodDisruptionBudgets use this as is: the disruption
controller's `getPodsForPdb` and the Eviction API's `getPodDisruptionBudgets` list the pods
of the budget's namespace with it. policy/v1beta1 read `{}` as nothing, and the API server
still does for a budget written in v1beta1 (`pkg/apis/policy/v1beta1/conversion.go` turns it
into `NonV1beta1MatchNoneSelector`): `budget_selector`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

IN, NOT_IN, EXISTS, DOES_NOT_EXIST = "In", "NotIn", "Exists", "DoesNotExist"


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str
    values: frozenset[str]

    def matches(self, labels: Mapping[str, str]) -> bool:
        """`Requirement.Matches`: NotIn and DoesNotExist hold where the key is absent."""
        has = self.key in labels
        if self.operator == IN:
            return has and labels[self.key] in self.values
        if self.operator == NOT_IN:
            return not has or labels[self.key] not in self.values
        if self.operator == EXISTS:
            return has
        return not has  # DoesNotExist


@dataclass(frozen=True)
class Selector:
    """None requirements: selects nothing (a null selector)."""

    requirements: tuple[Requirement, ...] | None

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.requirements is None:
            return False
        return all(r.matches(labels) for r in self.requirements)

    @property
    def everything(self) -> bool:
        return self.requirements == ()

    @property
    def nothing(self) -> bool:
        return self.requirements is None


# Whether a PodDisruptionBudget's selector without requirements (`{}`, or empty
# matchLabels/matchExpressions: the conversion compares with apiequality.Semantic, where
# empty and nil are equal) selects every pod, by the budget's apiVersion.
EMPTY_BUDGET_SELECTOR_SELECTS_ALL = {"policy/v1beta1": False}


def parse_selector(raw: Any) -> Selector | None:
    """`LabelSelectorAsSelector`; None for a selector it refuses (an unknown operator, values
    with Exists/DoesNotExist or none with In/NotIn: `NewRequirement`), or one the API cannot
    decode. The Eviction API skips a budget whose selector it refuses."""
    if raw is None:
        return Selector(None)
    if not isinstance(raw, Mapping):
        return None
    match_labels = raw.get("matchLabels") or {}
    expressions = raw.get("matchExpressions") or []
    if not isinstance(match_labels, Mapping) or not isinstance(expressions, list):
        return None
    requirements = [Requirement(str(k), IN, frozenset({str(v)})) for k, v in match_labels.items()]
    for expr in expressions:
        if not isinstance(expr, Mapping):
            return None
        operator, values = expr.get("operator"), expr.get("values") or []
        if not isinstance(values, list) or not isinstance(expr.get("key"), str):
            return None
        if operator in (IN, NOT_IN) and not values:
            return None
        if operator in (EXISTS, DOES_NOT_EXIST) and values:
            return None
        if operator not in (IN, NOT_IN, EXISTS, DOES_NOT_EXIST):
            return None
        requirements.append(Requirement(expr["key"], operator, frozenset(map(str, values))))
    return Selector(tuple(requirements))


def budget_selector(api_version: str, raw: Any) -> Selector | None:
    """The pods a PodDisruptionBudget of this apiVersion selects (None: a selector the API
    refuses): null selects nothing in every version, `{}` everything but in v1beta1."""
    selector = parse_selector(raw)
    empty_is_all = EMPTY_BUDGET_SELECTOR_SELECTS_ALL.get(api_version, True)
    if selector is not None and selector.everything and not empty_is_all:
        return Selector(None)
    return selector
