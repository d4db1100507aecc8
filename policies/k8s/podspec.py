"""Where each kind keeps its pod spec: one table, and the containers found there.

Like kube-linter's `extract/pod_spec.go`, this is the only place that knows workload
shapes; rules see a PodSpecView and never walk `spec.template.spec` themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import pointer as jp
from ..yaml.values import type_name
from .tolerations import TolerationView, read_toleration

TEMPLATE = ("spec", "template", "spec")

# kind -> (API groups that define it, path of the pod spec inside the object)
POD_SPEC_PATHS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "Pod": (frozenset({""}), ("spec",)),
    "PodTemplate": (frozenset({""}), ("template", "spec")),
    "ReplicationController": (frozenset({""}), TEMPLATE),
    "Deployment": (frozenset({"apps", "extensions"}), TEMPLATE),
    "StatefulSet": (frozenset({"apps"}), TEMPLATE),
    "DaemonSet": (frozenset({"apps", "extensions"}), TEMPLATE),
    "ReplicaSet": (frozenset({"apps", "extensions"}), TEMPLATE),
    "Job": (frozenset({"batch"}), TEMPLATE),
    "CronJob": (frozenset({"batch"}), ("spec", "jobTemplate", "spec", "template", "spec")),
}


@dataclass(frozen=True)
class MainContainer:
    """A container the kind's controller builds itself from fields of the object (the
    `prometheus` container prometheus-operator builds from `spec.resources`), where the
    object lists only extra containers. `spec.containers` entries of the same name are
    strategic-merge patches of it (prometheus-operator's `k8s.MergePatchContainers`)."""

    name: str
    resources: tuple[str, ...]  # the path of its `resources` in the object
    # The memory request the controller sets when the object sets none (the key absent).
    default_request: str | None = None


@dataclass(frozen=True)
class PodShape:
    """Where a kind keeps what its pods are made of: a pod spec at `path`, or (with `main`)
    a container spec: containers, initContainers and tolerations at `path`, beside the
    controller's own main container."""

    path: tuple[str, ...]
    main: MainContainer | None = None
    # Other containers the controller generates, with resources it sets itself (from its
    # flags or other fields): entries of those names patch containers not seen here.
    generated: tuple[str, ...] = ()
    # Its pods are a DaemonSet's (the DaemonSet controller adds its tolerations): always,
    # or when the field at the path has the value (PrometheusAgent's `spec.mode`).
    daemon: bool | tuple[tuple[str, ...], Any] = False
    # Where its tolerations are, when not `tolerations` beside the containers (CloudNativePG
    # `spec.affinity.tolerations`, the ClusterPolicy's `spec.daemonsets.tolerations`).
    tolerations: tuple[str, ...] | None = None
    # The part of the object these pods belong to, where one object makes several kinds of
    # pods (the ClusterPolicy's driver DaemonSet): messages name it.
    component: str | None = None
    # Made only when the field at the path is true, or absent and the default is true (the
    # ClusterPolicy's `<component>.enabled`, defaulted by the operator's `IsEnabled`).
    enabled: tuple[tuple[str, ...], bool] | None = None
    # Where the node selector its pods get is, when not `nodeSelector` in the pod spec
    # (CloudNativePG `spec.affinity.nodeSelector`, tigera `spec.controlPlaneNodeSelector`):
    # placement decides whether a control-plane toleration is an opt-in.
    node_selector: tuple[str, ...] | None = None

    @property
    def operated(self) -> bool:
        """Its pods are built by an operator from fields admission defaulting does not
        see (no pod spec of its own): judged as written, `resources` never pod-level."""
        return self.main is not None or self.component is not None


def _template(daemon: bool = False) -> tuple[PodShape, ...]:
    return (PodShape(TEMPLATE, daemon=daemon),)


def _operated(name: str, default_request: str | None = None, **more: Any) -> tuple[PodShape, ...]:
    main = MainContainer(name, ("spec", "resources"), default_request)
    return (PodShape(("spec",), main, **more),)


# NVIDIA gpu-operator: ClusterPolicy field -> the main container of the DaemonSet the
# operator makes from it (assets/state-*/*daemonset.yaml), whether `enabled` defaults to
# true (`IsEnabled`). The operator gives `<field>.resources`, when set, to every container
# of that DaemonSet (controllers/object_controls.go), and `daemonsets.tolerations`, when
# set, replaces the tolerations of all of them. Components that default to off and whose
# assets size their containers themselves (ccManager, vfioManager) are not in the table.
GPU_OPERATOR_DAEMONSETS: dict[str, tuple[str, bool]] = {
    "driver": ("nvidia-driver-ctr", True),
    "toolkit": ("nvidia-container-toolkit-ctr", True),
    "devicePlugin": ("nvidia-device-plugin", True),
    "dcgm": ("nvidia-dcgm-ctr", True),
    "dcgmExporter": ("nvidia-dcgm-exporter", True),
    "gfd": ("gpu-feature-discovery", True),
    "migManager": ("nvidia-mig-manager", True),
    "nodeStatusExporter": ("nvidia-node-status-exporter", False),
    "validator": ("nvidia-operator-validator", True),  # always deployed: no `enabled`
}


def _gpu_operator() -> tuple[PodShape, ...]:
    return tuple(
        PodShape(
            ("spec", field),
            MainContainer(container, ("spec", field, "resources")),
            daemon=True,
            tolerations=("spec", "daemonsets", "tolerations"),
            component=field,
            enabled=None if field == "validator" else (("spec", field, "enabled"), default),
        )
        for field, (container, default) in GPU_OPERATOR_DAEMONSETS.items()
    )


# tigera operator: Installation/APIServer override field -> whether it is a DaemonSet. Each
# holds `spec.template.spec` with `containers`/`initContainers` (name and resources: they
# replace the resources of the operator's container of that name) and `tolerations` (they
# replace the component's).
TIGERA_OVERRIDES: dict[str, bool] = {
    "calicoNodeDaemonSet": True,
    "calicoNodeWindowsDaemonSet": True,
    "csiNodeDriverDaemonSet": True,
    "typhaDeployment": False,
    "calicoKubeControllersDeployment": False,
}


def _tigera(overrides: Iterable[str], daemons: Mapping[str, bool]) -> tuple[PodShape, ...]:
    return tuple(
        PodShape(("spec", field, *TEMPLATE), daemon=daemons[field], component=field)
        for field in overrides
    )


# `controlPlaneTolerations`: added to the operator's control-plane Deployments (not to
# calico-node, which tolerates everything): judged once, as a Deployment's tolerations.
CONTROL_PLANE = PodShape(
    ("spec",),
    tolerations=("spec", "controlPlaneTolerations"),
    component="controlPlane",
    node_selector=("spec", "controlPlaneNodeSelector"),  # given to the same Deployments
)


# Well-known custom resources, by (API group, kind): README "Custom resources" gives the
# types each row was read from. Any version of the group matches.
RELOADERS = ("config-reloader", "init-config-reloader")  # memory limit from operator flags
CUSTOM_KINDS: dict[tuple[str, str], tuple[PodShape, ...]] = {
    ("argoproj.io", "Rollout"): _template(),  # or workloadRef: a Deployment's template
    ("apps.kruise.io", "CloneSet"): _template(),
    ("apps.kruise.io", "StatefulSet"): _template(),  # Advanced StatefulSet
    # Advanced DaemonSet: its controller makes pods with `daemon/util.CreatePodTemplate`,
    # which adds the DaemonSet tolerations, as the apps/v1 DaemonSet controller does.
    ("apps.kruise.io", "DaemonSet"): _template(daemon=True),
    ("serving.knative.dev", "Service"): _template(),  # RevisionSpec inlines a PodSpec
    ("serving.knative.dev", "Configuration"): _template(),
    ("serving.knative.dev", "Revision"): (PodShape(("spec",)),),
    ("keda.sh", "ScaledJob"): (PodShape(("spec", "jobTargetRef", "template", "spec")),),
    ("monitoring.coreos.com", "Prometheus"): _operated(
        "prometheus", generated=(*RELOADERS, "thanos-sidecar")
    ),
    ("monitoring.coreos.com", "PrometheusAgent"): _operated(
        "prometheus", generated=RELOADERS, daemon=(("spec", "mode"), "DaemonSet")
    ),
    ("monitoring.coreos.com", "Alertmanager"): _operated(
        "alertmanager", "200Mi", generated=RELOADERS
    ),
    ("monitoring.coreos.com", "ThanosRuler"): _operated(
        "thanos-ruler", "200Mi", generated=RELOADERS
    ),
    # CloudNativePG: the instance pods' `postgres` container takes `spec.resources`, their
    # tolerations are `spec.affinity.tolerations` (pkg/specs/pods.go); a Pooler's
    # `spec.template` is a PodTemplateSpec the operator completes (pgbouncer/deployments.go).
    ("postgresql.cnpg.io", "Cluster"): _operated(
        "postgres",
        tolerations=("spec", "affinity", "tolerations"),
        # its `spec.affinity.nodeAffinity` is where a pod spec's is
        node_selector=("spec", "affinity", "nodeSelector"),
    ),
    ("postgresql.cnpg.io", "Pooler"): _template(),
    ("nvidia.com", "ClusterPolicy"): _gpu_operator(),
    ("operator.tigera.io", "Installation"): (
        CONTROL_PLANE,
        *_tigera(TIGERA_OVERRIDES, TIGERA_OVERRIDES),
    ),
    ("operator.tigera.io", "APIServer"): _tigera(
        ["apiServerDeployment"], {"apiServerDeployment": False}
    ),
}

# Where an object of a kind none of the tables knows may hold pods: named in the report as
# not checked (a pod template, a CronJob-like job template, or a container list in spec).
UNCHECKED_PATHS: tuple[tuple[str, ...], ...] = (
    TEMPLATE,
    ("spec", "jobTemplate", "spec", "template", "spec"),
    ("spec",),
)

# container list field -> how messages call its entries
ROLE_OF_FIELD = {
    "containers": "container",
    "initContainers": "init container",
    "ephemeralContainers": "ephemeral container",
}
CONTAINER_FIELDS = ("containers", "initContainers")  # may carry resources
EPHEMERAL_FIELD = "ephemeralContainers"  # may not (the API forbids it)
SIDECAR_ROLE = "sidecar container"  # an init container with restartPolicy: Always


_CONTAINER_LISTS = frozenset((*CONTAINER_FIELDS, EPHEMERAL_FIELD))


def container_depth(tokens: list[str]) -> int | None:
    """How many of a pointer's tokens lead to the container it is about (`containers`, its
    index), or None when it lies in no container."""
    for i, token in enumerate(tokens[:-1]):
        if token in _CONTAINER_LISTS and tokens[i + 1].isdigit():
            return i + 2
    return None


@dataclass(frozen=True)
class ExtraKind:
    """A pod-spec-bearing kind from the policy (OpenShift DeploymentConfig, your own CRDs);
    with `main`, a container spec (see PodShape)."""

    kind: str
    path: tuple[str, ...]
    api_group: str | None = None  # None: any group
    main: MainContainer | None = None

    @property
    def shapes(self) -> tuple[PodShape, ...]:
        return (PodShape(self.path, self.main),)


@dataclass(frozen=True)
class ContainerView:
    data: Mapping[str, Any]
    pointer: str
    index: int
    field: str  # containers | initContainers | ephemeralContainers
    # A main container (MainContainer): where its resources come from, for messages, and
    # the `spec.containers` entry of its name that patches them.
    origin: str | None = None
    patch: ContainerView | None = None

    @property
    def name(self) -> str | None:
        name = self.data.get("name")
        return name if isinstance(name, str) else None

    @property
    def is_sidecar(self) -> bool:
        """Runs for the pod's whole life (KEP-753), so its memory adds to the containers'."""
        return self.field == "initContainers" and self.data.get("restartPolicy") == "Always"

    @property
    def role(self) -> str:
        return SIDECAR_ROLE if self.is_sidecar else ROLE_OF_FIELD[self.field]

    def describe(self) -> str:
        label = self.name if self.name is not None else f"#{self.index}"
        if self.origin is not None:
            return f'{self.role} "{label}" ({self.origin})'
        return f'{self.role} "{label}"'


@dataclass(frozen=True)
class StructureProblem:
    """A pod spec too malformed to check (the API server would reject it on decoding)."""

    pointer: str
    message: str
    internal: bool = False  # a bug of ours (a rule raised), not a problem of the object


@dataclass(frozen=True)
class PodSpecView:
    spec: Mapping[str, Any]
    pointer: str  # of the pod spec inside the object
    is_pod: bool  # a Pod (API defaulting applies) rather than a template
    containers: tuple[ContainerView, ...]  # regular, init and sidecar containers
    ephemeral: tuple[ContainerView, ...]
    metadata_pointer: str  # of the metadata that pods created from it carry
    tolerations: tuple[TolerationView, ...] = ()
    daemon: bool = False  # a DaemonSet's pods: the DaemonSet controller adds tolerations
    # `spec.resources` is pod-level resources (a pod spec), not a container spec's main
    # container's resources.
    pod_level: bool = True
    # The node selector its pods get (`spec.nodeSelector`, or where the kind keeps it).
    node_selector: Any = None
    # What several rules derive from this pod spec (valid and effective tolerations), kept
    # so that each is computed once per check.
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def host_network(self) -> bool:
        return self.spec.get("hostNetwork") is True

    @property
    def resources(self) -> Any:
        """Pod-level `spec.resources` (beta, on by default since Kubernetes 1.34)."""
        return self.spec.get("resources") if self.pod_level else None


# The only DaemonSet version the API serves (extensions/v1beta1, apps/v1beta1 and
# apps/v1beta2 were removed in 1.16): an owner reference naming another version points at
# nothing, so no controller made the Pod and the garbage collector never deletes it.
SERVED_DAEMONSET_VERSIONS = frozenset({"apps/v1"})


def is_daemon(obj: Mapping[str, Any], trust_owner_references: bool = True) -> bool:
    """A DaemonSet, or a Pod whose controller (ownerReference with controller: true) is a
    served DaemonSet. The API server checks only that an owner reference's fields are set,
    so anyone can write one: admission believes it only from the DaemonSet controller
    (`trust_owner_references=False` otherwise); lint assumes a Pod in a file carrying one was
    read back from a cluster, where only the controller could have set it."""
    kind, group = obj.get("kind"), api_group(str(obj.get("apiVersion", "")))
    if kind == "DaemonSet":
        return group in POD_SPEC_PATHS["DaemonSet"][0]
    if kind != "Pod" or not trust_owner_references:
        return False
    metadata = obj.get("metadata")
    owners = metadata.get("ownerReferences") if isinstance(metadata, Mapping) else None
    return any(
        isinstance(owner, Mapping)
        and owner.get("controller") is True
        and owner.get("kind") == "DaemonSet"
        and owner.get("apiVersion") in SERVED_DAEMONSET_VERSIONS
        for owner in (owners if isinstance(owners, list) else ())
    )


def _tolerations(
    spec: Mapping[str, Any], spec_pointer: str, key: str = "tolerations"
) -> tuple[tuple[TolerationView, ...], list[StructureProblem]]:
    items = spec.get(key)
    field_pointer = jp.child(spec_pointer, key)
    if items is None:
        return (), []
    if not isinstance(items, list):
        where = jp.to_dotted(field_pointer)
        return (), [StructureProblem(field_pointer, f"{where} is {type_name(items)}, not a list")]
    views: list[TolerationView] = []
    problems: list[StructureProblem] = []
    for i, item in enumerate(items):
        item_pointer = jp.child(field_pointer, i)
        if item is None:  # JSON null in []Toleration decodes to an empty toleration
            views.append(read_toleration({}, item_pointer, i))
        elif isinstance(item, Mapping):
            views.append(read_toleration(item, item_pointer, i))
        else:
            where = jp.to_dotted(item_pointer)
            problems.append(
                StructureProblem(item_pointer, f"{where} is {type_name(item)}, not a toleration")
            )
    return tuple(views), problems


def api_group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def pod_shapes(
    api_version: str, kind: str, extra: Iterable[ExtraKind] = ()
) -> tuple[PodShape, ...]:
    """Where objects of this kind keep their pods (one place per component), none for kinds
    without: the policy's podSpecKinds first, then the built-in kinds, then the well-known
    custom resources."""
    group = api_group(api_version)
    for custom in extra:
        if custom.kind == kind and custom.api_group in (None, group):
            return custom.shapes
    known = POD_SPEC_PATHS.get(kind)
    if known and group in known[0]:
        return (PodShape(known[1]),)
    return CUSTOM_KINDS.get((group, kind), ())


def pod_spec_path(
    api_version: str, kind: str, extra: Iterable[ExtraKind] = ()
) -> tuple[str, ...] | None:
    """The path of the first (for most kinds the only) place the kind keeps pods."""
    shapes = pod_shapes(api_version, kind, extra)
    return shapes[0].path if shapes else None


def may_hold_unknown_pods(api_version: str) -> bool:
    """Whether an object of this API version may be a custom resource: a group with a dot
    that Kubernetes does not reserve (`*.k8s.io`). Built-in groups' kinds with pods are
    all in POD_SPEC_PATHS; a custom resource of a kind no table knows may hold pods."""
    group = api_group(api_version)
    return "." in group and not group.endswith(".k8s.io")


# What an object of a kind no table knows was seen to hold (NotChecked.seen).
SEEN_CONTAINERS = "containers"
SEEN_RESOURCES = "container resources"
SEEN_TOLERATIONS = "tolerations"
TOLERATION_FIELDS = frozenset({"key", "operator", "value", "effect", "tolerationSeconds"})
MAX_SEEN_DEPTH = 16  # deeper than any operator's CRD nests them: not walked further
# Not walked: label selector requirements look like tolerations ({key, operator}), and an
# Argo CD Application's Helm values make pods only through a chart, linted on its own.
NOT_WALKED = frozenset({"matchExpressions", "matchFields", "valuesObject", "status"})


def unchecked_pods(obj: Mapping[str, Any]) -> tuple[str, str] | None:
    """(pointer, what was seen) in an object whose kind no table knows, when it holds
    pods or what an operator makes pods from: a pod spec or container list at a usual
    place (`spec.template.spec.containers`, `spec.containers`, ...), else anywhere in its
    spec container resources with a memory value or a list of tolerations, else anywhere
    in its spec a container list or a single container (a PyTorchJob's replica templates,
    an Argo Workflow's `templates[].container`); else None. Resources and tolerations come
    before containers found deeper, so what was named before is named the same way."""
    for path in UNCHECKED_PATHS:
        node = value_at(obj, path)
        if isinstance(node, Mapping) and isinstance(node.get("containers"), list):
            return jp.join(*path, "containers"), SEEN_CONTAINERS
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return None
    containers: list[str] = []  # the first container list or container, in document order
    found = _seen_in(spec, ("spec",), containers)
    if found is None and containers:
        return containers[0], SEEN_CONTAINERS
    return found


def pods_at(
    obj: Mapping[str, Any], extra: Iterable[ExtraKind] = ()
) -> tuple[str, str | None] | None:
    """(pointer, what was seen) where an object holds pods, whatever its kind: the first pod
    spec a kind the tables know has (seen: None), else what `unchecked_pods` finds; None
    when it holds none (a Service, an image-only patch of an unknown kind)."""
    shapes = pod_shapes(str(obj.get("apiVersion", "")), str(obj.get("kind", "")), extra)
    if shapes:
        held = (shape.path for shape in shapes if isinstance(value_at(obj, shape.path), dict))
        return next(((jp.join(*path), None) for path in held), None)
    return unchecked_pods(obj)


def _seen_in(
    node: Mapping[str, Any], path: tuple[str, ...], containers: list[str]
) -> tuple[str, str] | None:
    """The first ResourceRequirements with memory, or list of tolerations under a key
    naming them (`tolerations`, `podTolerations`), under `node`; the pointer of each
    container list or single container met on the way is appended to `containers`."""
    for key, value in node.items():
        if not isinstance(key, str) or key in NOT_WALKED:
            continue
        if key == "resources" and _has_memory(value):
            return jp.join(*path, key), SEEN_RESOURCES
        if (
            key.lower().endswith("tolerations")  # tolerations, podTolerations, ...
            and isinstance(value, list)
            and value
            and all(map(_is_toleration, value))
        ):
            return jp.join(*path, key), SEEN_TOLERATIONS
        if not containers and _CONTAINER_SHAPED.get(key, _never)(value):
            containers.append(jp.join(*path, key))
        if len(path) < MAX_SEEN_DEPTH:
            children = value if isinstance(value, list) else (value,)
            for i, child in enumerate(children):
                if isinstance(child, Mapping):
                    step = (key, str(i)) if isinstance(value, list) else (key,)
                    if (found := _seen_in(child, (*path, *step), containers)) is not None:
                        return found
    return None


def _is_container(item: Any) -> bool:
    """Container-shaped: a mapping with an `image` or a `name` string (a pod template in
    a patch or an operator's CRD may leave the image to the operator)."""
    return isinstance(item, Mapping) and (
        isinstance(item.get("image"), str) or isinstance(item.get("name"), str)
    )


def _is_container_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(map(_is_container, value))


def _is_single_container(value: Any) -> bool:
    """One container written alone, as Argo Workflows' templates do (`container`, and
    `script`, a container with its source): it runs an image."""
    return isinstance(value, Mapping) and isinstance(value.get("image"), str)


def _never(_: Any) -> bool:
    return False


# Keys under which a kind no table knows holds containers, and how their value is shaped.
_CONTAINER_SHAPED: dict[str, Callable[[Any], bool]] = {
    **{name: _is_container_list for name in CONTAINER_FIELDS},  # containers, initContainers
    "container": _is_single_container,
    "script": _is_single_container,
}


def _has_memory(value: Any) -> bool:
    """ResourceRequirements-shaped: `limits` or `requests` holding `memory`."""
    return isinstance(value, Mapping) and any(
        isinstance(value.get(section), Mapping) and "memory" in value[section]
        for section in ("limits", "requests")
    )


def _is_toleration(item: Any) -> bool:
    """Toleration-shaped: only a toleration's fields, with an operator or an effect (a
    list of `{key, value}` pairs is not)."""
    return (
        isinstance(item, Mapping)
        and item.keys() <= TOLERATION_FIELDS
        and ("operator" in item or "effect" in item)
    )


def value_at(obj: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at `path` (mapping keys), or None where the path does not lead."""
    node: Any = obj
    for token in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(token)
    return node


def _holds(obj: Mapping[str, Any], path: tuple[str, ...], value: Any) -> bool:
    """Whether the field at `path` is `value`, of its type (`enabled: 0` is not false)."""
    found = value_at(obj, path)
    return type(found) is type(value) and found == value


def _is_daemon_shape(shape: PodShape, obj: Mapping[str, Any]) -> bool:
    if isinstance(shape.daemon, tuple):
        path, value = shape.daemon
        return _holds(obj, path, value)
    return shape.daemon


def _is_made(shape: PodShape, obj: Mapping[str, Any]) -> bool:
    """Whether the operator makes this component's pods (its `enabled` switch)."""
    if shape.enabled is None:
        return True
    path, default = shape.enabled
    found = value_at(obj, path)
    return found if isinstance(found, bool) else default


def _main_container(
    main: MainContainer, obj: Mapping[str, Any], patch: ContainerView | None
) -> ContainerView:
    """The controller's main container as it builds it: `resources` from the object (with
    the controller's default memory request where the object sets none), patched by the
    `spec.containers` entry of its name (`patch`, see resources.container_memory)."""
    resources = value_at(obj, main.resources)
    if main.default_request is not None and isinstance(resources, Mapping | None):
        resources = dict(resources or {})
        requests = resources.get("requests")
        if isinstance(requests, Mapping | None) and "memory" not in (requests or {}):
            resources["requests"] = {**(requests or {}), "memory": main.default_request}
    data: dict[str, Any] = {"name": main.name}
    if resources is not None:
        data["resources"] = resources
    owner = jp.join(*main.resources[:-1])
    origin = jp.to_dotted(jp.join(*main.resources))
    return ContainerView(data, owner, 0, "containers", origin=origin, patch=patch)


def extract_pod_spec(
    obj: Mapping[str, Any], extra: Iterable[ExtraKind] = (), trust_owner_references: bool = True
) -> tuple[PodSpecView | None, list[StructureProblem]]:
    """The object's (first) pod spec, or None for kinds without one (or partial objects
    without a pod spec, such as kustomize patches); malformed shapes are problems."""
    views, problems = extract_pod_specs(obj, extra, trust_owner_references)
    return (views[0] if views else None), problems


def extract_pod_specs(
    obj: Mapping[str, Any], extra: Iterable[ExtraKind] = (), trust_owner_references: bool = True
) -> tuple[list[PodSpecView], list[StructureProblem]]:
    """Each pod spec of the object, one per component its kind's table row names (those the
    object holds and makes), and the problems of all of them, each said once."""
    views: list[PodSpecView] = []
    problems: dict[StructureProblem, None] = {}  # in order; shared tolerations' once
    shapes = pod_shapes(str(obj.get("apiVersion", "")), str(obj.get("kind", "")), extra)
    for shape in shapes:
        if not _is_made(shape, obj):
            continue
        view, found = _extract_shape(obj, shape, trust_owner_references)
        if view is not None:
            views.append(view)
        problems.update(dict.fromkeys(found))
    return views, list(problems)


def _extract_shape(
    obj: Mapping[str, Any], shape: PodShape, trust_owner_references: bool
) -> tuple[PodSpecView | None, list[StructureProblem]]:
    path = shape.path
    node: Any = obj
    for depth, token in enumerate(path):
        if not isinstance(node, Mapping):
            where = jp.join(*path[:depth])
            return None, [
                StructureProblem(
                    where, f"{jp.to_dotted(where)} is {type_name(node)}, not an object"
                )
            ]
        if node.get(token) is None:
            # A partial object (a kustomize patch, an apply configuration): nothing to check,
            # and no error either, since the repository that holds it is not wrong.
            return None, []
        node = node[token]
    spec_pointer = jp.join(*path)
    if not isinstance(node, Mapping):
        return None, [
            StructureProblem(
                spec_pointer, f"{jp.to_dotted(spec_pointer)} is {type_name(node)}, not an object"
            )
        ]

    problems: list[StructureProblem] = []
    containers: list[ContainerView] = []
    ephemeral: list[ContainerView] = []
    main_patch: ContainerView | None = None
    for field_name in (*CONTAINER_FIELDS, EPHEMERAL_FIELD):
        items = node.get(field_name)
        field_pointer = jp.child(spec_pointer, field_name)
        if items is None:
            continue
        if not isinstance(items, list):
            problems.append(
                StructureProblem(
                    field_pointer,
                    f"{jp.to_dotted(field_pointer)} is {type_name(items)}, not a list",
                )
            )
            continue
        for i, item in enumerate(items):
            item_pointer = jp.child(field_pointer, i)
            if not isinstance(item, Mapping):
                problems.append(
                    StructureProblem(
                        item_pointer,
                        f"{jp.to_dotted(item_pointer)} is {type_name(item)}, not a container",
                    )
                )
                continue
            view = ContainerView(item, item_pointer, i, field_name, origin=shape.component)
            if shape.main is not None and field_name != EPHEMERAL_FIELD:
                if view.name in shape.generated:
                    continue  # patches a container the controller sizes itself
                if view.name == shape.main.name and field_name == "containers":
                    main_patch = view  # merged into the main container below
                    continue
            (ephemeral if field_name == EPHEMERAL_FIELD else containers).append(view)
    if shape.main is not None:
        containers.insert(0, _main_container(shape.main, obj, main_patch))
    metadata_pointer = jp.join(*path[:-1], "metadata")
    if shape.tolerations is None:
        tolerations, toleration_problems = _tolerations(node, spec_pointer)
    else:
        holder = value_at(obj, shape.tolerations[:-1])  # malformed above: said elsewhere
        holder = holder if isinstance(holder, Mapping) else {}
        *where, key = shape.tolerations
        tolerations, toleration_problems = _tolerations(holder, jp.join(*where), key)
    problems += toleration_problems
    view = PodSpecView(
        spec=node,
        pointer=spec_pointer,
        is_pod=path == ("spec",) and obj.get("kind") == "Pod",
        containers=tuple(containers),
        ephemeral=tuple(ephemeral),
        metadata_pointer=metadata_pointer,
        tolerations=tolerations,
        daemon=is_daemon(obj, trust_owner_references) or _is_daemon_shape(shape, obj),
        pod_level=not shape.operated,
        node_selector=(
            node.get("nodeSelector")
            if shape.node_selector is None
            else value_at(obj, shape.node_selector)
        ),
    )
    return view, problems
