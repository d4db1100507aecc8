"""Each exported policy's CEL costed as the API server spends its budget on it.

Each expression is one cel-go program with its own `PER_CALL_LIMIT`: a variable too (the
validating and mutating plugins evaluate it lazily, once per policy evaluation, and report
its cost to the composition context, admission/plugin/cel/composition.go); the rest of the
evaluation's `RUNTIME_BUDGET` is passed from expression to expression (cel/activation.go,
validating/validator.go). The total here charges every variable once and every
expression, match conditions included, as if all of them ran: an upper bound.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .cost import CostModel
from .sizes import Shape, Sizes

# Where a policy spec keeps CEL, besides `variables`.
EXPRESSION_KEYS = ("expression", "messageExpression", "valueExpression")


@dataclass(frozen=True)
class ExpressionCost:
    where: str  # `variables.found`, `validations[0].messageExpression`, ...
    cost: int


@dataclass(frozen=True)
class PolicyCost:
    name: str
    expressions: tuple[ExpressionCost, ...]

    @property
    def total(self) -> int:
        return sum(e.cost for e in self.expressions)

    @property
    def largest(self) -> ExpressionCost:
        return max(self.expressions, key=lambda e: e.cost)


def _expressions(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """(where, CEL) of every expression under `value`, `variables` left out."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "variables":
                continue
            if key in EXPRESSION_KEYS and isinstance(item, str):
                yield f"{where}.{key}".lstrip("."), item
            else:
                yield from _expressions(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _expressions(item, f"{where}[{index}]")


def policy_cost(policy: dict[str, Any], sizes: Sizes) -> PolicyCost:
    """The upper bound of each of the policy's expressions, variables first (in order: a
    variable may read the ones before it)."""
    spec = policy["spec"]
    shapes: dict[str, Shape] = {}
    costs = []
    for variable in spec.get("variables", []):
        estimate = CostModel(sizes, dict(shapes)).estimate(variable["expression"])
        shapes[variable["name"]] = estimate.shape
        costs.append(ExpressionCost(f"variables.{variable['name']}", estimate.cost))
    model = CostModel(sizes, shapes)
    for where, text in _expressions(spec, ""):
        costs.append(ExpressionCost(where, model.estimate(text).cost))
    return PolicyCost(policy["metadata"]["name"], tuple(costs))
