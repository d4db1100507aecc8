"""PodDisruptionBudgets in CEL: which ones keep pods from eviction at all.

Admission sees a budget the API server has validated (`k8s.pdb_validation.refusal` is
None): minAvailable and maxUnavailable not both set, each an int32 at least 0 or a
`^[0-9]+%$` string of at most 100%, a supported unhealthyPodEvictionPolicy, a selector
`LabelSelectorAsSelector` accepts. What is left of `k8s.selectors.budget_selector`: a null
selector selects no pod; one without requirements selects every pod, but in policy/v1beta1
(none there is served since 1.25, kept for parity with the engine).
"""

from __future__ import annotations

from ..k8s.selectors import EMPTY_BUDGET_SELECTOR_SELECTS_ALL
from .cel import strings


def spec(obj: str) -> str:
    return f"{obj}.?spec.orValue({{}})"


def selects_pods(obj: str) -> str:
    """The budget's selector selects some pod (`selector is not None and not nothing`)."""
    selector = f"{spec(obj)}.?selector.orValue(null)"
    empty_selects_nothing = strings(
        sorted(v for v, all_pods in EMPTY_BUDGET_SELECTOR_SELECTS_ALL.items() if not all_pods)
    )
    requirements = (
        f"({selector}.?matchLabels.orValue(null) != null"
        f" && size({selector}.matchLabels) > 0"
        f" || {selector}.?matchExpressions.orValue(null) != null"
        f" && size({selector}.matchExpressions) > 0)"
    )
    return (
        f"({selector} != null"
        f" && (!({obj}.?apiVersion.orValue('') in {empty_selects_nothing}) || {requirements}))"
    )
