"""Feature gates of the target cluster that change what the API server accepts or does.

Each gate has Kubernetes' default here, the one default every reader uses; a policy's
`featureGates` (schema: `featureGates`) says otherwise for its cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

COMPARISON_GATE = "TaintTolerationComparisonOperators"
POD_LEVEL_GATE = "PodLevelResources"

GATE_DEFAULTS: Mapping[str, bool] = MappingProxyType(
    {
        COMPARISON_GATE: False,  # alpha in 1.35: tolerations with operator Lt/Gt
        POD_LEVEL_GATE: True,  # beta, on by default since 1.34: pod-level `spec.resources`
    }
)


def gate(gates: Mapping[str, Any], name: str) -> bool:
    """The gate as `gates` (a policy's `featureGates`) sets it, else Kubernetes' default.
    An unknown name is a KeyError: a typo in the code, not in a policy (the schema refuses
    gates it does not know)."""
    value = gates.get(name)
    return value if isinstance(value, bool) else GATE_DEFAULTS[name]
