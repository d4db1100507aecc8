"""What the input-wide drain rules need to know of each object, read once where the object is
parsed (lint's worker processes, kustomize builds in the parent) and compared in one place
(`lint.across`): small, picklable facts, no positions of their own.

- the workloads whose controllers the disruption controller scales against
  (`pkg/controller/disruption/disruption.go` `finders`: ReplicationController, Deployment,
  ReplicaSet, StatefulSet), with their pod template's labels and `spec.replicas` (unset: 1,
  the API default);
- HorizontalPodAutoscalers (autoscaling/v1 and v2), whose `minReplicas` (unset: 1) is the
  lowest count the target runs at: the HPA owns `spec.replicas`;
- PodDisruptionBudgets;
- every object that makes pods (`PodSource`), with the labels its pod template gives them
  where the object shows them: what pdb-selects-nothing compares a budget's selector with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model import ObjectRef
from .podspec import ExtraKind, api_group, pod_shapes, unchecked_pods, value_at
from .selectors import budget_selector

# (API group, kind) of the controllers `getExpectedScale` knows.
SCALED_KINDS = frozenset(
    {
        ("", "ReplicationController"),
        ("apps", "Deployment"),
        ("apps", "ReplicaSet"),
        ("apps", "StatefulSet"),
    }
)
SCALER = ("autoscaling", "HorizontalPodAutoscaler")
BUDGET = ("policy", "PodDisruptionBudget")
# Labels the controllers add to the pods they make, beyond their template's: a selector
# naming one can match pods whose template does not show it (label key -> who adds it).
CONTROLLER_POD_LABELS = {
    "pod-template-hash": "the Deployment controller (ReplicaSets and their pods)",
    "controller-revision-hash": "the StatefulSet and DaemonSet controllers",
    "statefulset.kubernetes.io/pod-name": "the StatefulSet controller",
    "apps.kubernetes.io/pod-index": "the StatefulSet controller (1.28+)",
    "pod-template-generation": "the DaemonSet controller",
    "controller-uid": "the Job controller (legacy)",
    "job-name": "the Job controller (legacy)",
    "batch.kubernetes.io/controller-uid": "the Job controller",
    "batch.kubernetes.io/job-name": "the Job controller",
    "batch.kubernetes.io/job-completion-index": "the Job controller (Indexed Jobs)",
}
DEFAULT_REPLICAS = 1  # apps/v1 and core/v1 defaulting; the HPA's minReplicas too


@dataclass(frozen=True)
class Workload:
    scope: str  # which input it belongs to: the run's files, or one kustomize build
    file: str  # where it is written (several files may hold versions of one object)
    kind: str
    namespace: str | None
    name: str
    labels: Mapping[str, str]
    replicas: int


@dataclass(frozen=True)
class Scaler:
    scope: str
    file: str
    namespace: str | None
    target_kind: str
    target_name: str
    min_replicas: int


@dataclass(frozen=True)
class BudgetFacts:
    scope: str
    file: str
    ref: ObjectRef
    spec: Mapping[str, Any]
    # rule id -> (file, line, column) of the finding it would have, None where an inline
    # comment silences it there; and the rules its exemptions leave out.
    places: Mapping[str, tuple[str, int | None, int | None] | None] = field(default_factory=dict)
    exempt: frozenset[str] = frozenset()
    api_version: str = "policy/v1"  # how its selector reads (k8s.selectors.budget_selector)

    @property
    def namespace(self) -> str | None:
        return self.ref.namespace

    @property
    def describe(self) -> str:
        return self.ref.describe()  # "PodDisruptionBudget shop/web"


@dataclass(frozen=True)
class PodSource:
    """An object that makes pods, with the labels of its pod template (None: pods whose
    labels the object does not show: an operator builds them, the kind is one no table
    knows, or the object holds no pod template, as a kustomize patch)."""

    scope: str
    file: str
    kind: str
    namespace: str | None
    name: str
    labels: Mapping[str, str] | None


def _metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = obj.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def _namespace(obj: Mapping[str, Any]) -> str | None:
    namespace = _metadata(obj).get("namespace")
    return namespace if isinstance(namespace, str) and namespace else None


def _count(value: Any) -> int | None:
    if value is None:
        return DEFAULT_REPLICAS
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def kind_of(obj: Mapping[str, Any]) -> tuple[str, str]:
    return api_group(str(obj.get("apiVersion", ""))), str(obj.get("kind", ""))


def read_workload(obj: Mapping[str, Any], scope: str, file: str) -> Workload | None:
    """A scaled controller with a name, labels on its pod template and a readable count."""
    group, kind = kind_of(obj)
    if (group, kind) not in SCALED_KINDS:
        return None
    name, spec = _metadata(obj).get("name"), obj.get("spec")
    if not isinstance(name, str) or not isinstance(spec, Mapping):
        return None
    template = spec.get("template")
    meta = template.get("metadata") if isinstance(template, Mapping) else None
    labels = meta.get("labels") if isinstance(meta, Mapping) else None
    replicas = _count(spec.get("replicas"))
    if not isinstance(labels, Mapping) or replicas is None:
        return None
    shown = {str(k): str(v) for k, v in labels.items()}
    return Workload(scope, file, kind, _namespace(obj), name, shown, replicas)


def read_scaler(obj: Mapping[str, Any], scope: str, file: str) -> Scaler | None:
    if kind_of(obj) != SCALER:
        return None
    spec = obj.get("spec")
    target = spec.get("scaleTargetRef") if isinstance(spec, Mapping) else None
    if not isinstance(target, Mapping) or not isinstance(spec, Mapping):
        return None
    kind, name = target.get("kind"), target.get("name")
    least = _count(spec.get("minReplicas"))
    if not isinstance(kind, str) or not isinstance(name, str) or least is None:
        return None
    return Scaler(scope, file, _namespace(obj), kind, name, least)


def selected(budget: BudgetFacts, workloads: list[Workload]) -> list[Workload] | None:
    """The workloads of the budget's namespace whose pods its selector selects (none for a
    null selector, or `{}` in v1beta1; None: a selector the API refuses, which the Eviction
    API skips)."""
    selector = budget_selector(budget.api_version, budget.spec.get("selector"))
    if selector is None:
        return None
    where = (budget.scope, budget.namespace)
    found: dict[tuple[str, str], Workload] = {}
    for w in workloads:
        if (w.scope, w.namespace) == where and selector.matches(w.labels):
            # One object in a cluster, however many files of the input hold a version of it
            # (overlays, test data): counted once, the version in the budget's own file if
            # there is one, else the one with the fewest replicas.
            seen = found.get((w.kind, w.name))
            if seen is None or _closer(w, seen, budget.file):
                found[(w.kind, w.name)] = w
    return list(found.values())


def _closer(w: Workload, seen: Workload, file: str) -> bool:
    if (w.file == file) != (seen.file == file):
        return w.file == file
    return w.replicas < seen.replicas


def least_replicas(workload: Workload, scalers: list[Scaler]) -> tuple[int, Scaler | None]:
    """The fewest replicas it runs at: an HPA targeting it owns the count (its minReplicas;
    the version in the workload's own file first, as for workloads)."""
    target = (workload.scope, workload.namespace, workload.kind, workload.name)
    found = [s for s in scalers if (s.scope, s.namespace, s.target_kind, s.target_name) == target]
    if not found:
        return workload.replicas, None
    scaler = min(found, key=lambda s: (s.file != workload.file, s.min_replicas))
    return scaler.min_replicas, scaler


def read_pod_source(
    obj: Mapping[str, Any], scope: str, file: str, extra: tuple[ExtraKind, ...] = ()
) -> PodSource | None:
    """The pods `obj` makes and their labels (see PodSource); None when it makes none, or
    none that this can see (a Service, a custom resource without containers)."""
    api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
    shapes = pod_shapes(api_version, kind, extra)
    if not shapes and unchecked_pods(obj) is None:
        return None
    labels = _template_labels(obj, shapes[0].path) if len(shapes) == 1 else None
    if shapes and shapes[0].operated:
        labels = None
    name = _metadata(obj).get("name")
    return PodSource(scope, file, kind, _namespace(obj), str(name), labels)


def _template_labels(obj: Mapping[str, Any], path: tuple[str, ...]) -> dict[str, str] | None:
    """The labels in the metadata beside the pod spec at `path` (a template's, or a Pod's
    own); {} where that metadata has none; None without a pod spec there."""
    holder = value_at(obj, path[:-1]) if path[:-1] else obj
    if not isinstance(holder, Mapping) or not isinstance(value_at(obj, path), Mapping):
        return None
    meta = holder.get("metadata")
    shown = meta.get("labels") if isinstance(meta, Mapping) else None
    if shown is not None and not isinstance(shown, Mapping):
        return None
    return {str(k): str(v) for k, v in (shown or {}).items()}
