"""What every rule may know besides the object and its own parameters: facts about the
target cluster, and the bounds the whole policy sets on values a fix writes or suggests.

A rule gets these, never the policy: what one rule reads cannot depend on another rule's
mode or parameters (issue 15), so each rule can be read, tested and switched on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from ..k8s.features import gate


@dataclass(frozen=True)
class ClusterFacts:
    """The target cluster as the policy describes it (its top-level sections)."""

    system_namespaces: tuple[str, ...] = ()  # globs: the cluster's own components
    feature_gates: Mapping[str, bool] = field(default_factory=dict)
    # The cluster's own taints, [{key, effects, values}] (`knownTaints`).
    known_taints: tuple[Mapping[str, Any], ...] = ()

    def feature(self, name: str) -> bool:
        """A feature gate as the policy sets it, else Kubernetes' default."""
        return gate(self.feature_gates, name)

    def is_system_namespace(self, namespace: str | None) -> bool:
        return namespace is not None and any(
            fnmatchcase(namespace, pattern) for pattern in self.system_namespaces
        )


@dataclass(frozen=True)
class Bounds:
    """Policy-wide bounds on values that fixes write and messages suggest, so that one rule's
    fix is never what another faults. Written in the rules that judge them (their entries
    stay where policy files set them); the policy hands them over as facts."""

    memory_floor: str  # memory-quantity-suspicious' floor and ceiling, as written
    memory_ceiling: str
    toleration_seconds: int  # noexecute-unbounded's bound for the tolerations it fixes
    min_seconds: int  # noexecute-seconds-too-low's floor
