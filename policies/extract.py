"""Where each kind keeps its pod spec: one table, and the containers found there.

Like kube-linter's `extract/pod_spec.go`, this is the only place that knows workload
shapes; rules see a PodSpecView and never walk `spec.template.spec` themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import pointer as jp
from .tolerations import TolerationView, read_toleration
from .values import type_name

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
    daemon: bool | tuple[tuple[str, ...], str] = False


def _template(daemon: bool = False) -> PodShape:
    return PodShape(TEMPLATE, daemon=daemon)


def _operated(name: str, default_request: str | None = None, **more: Any) -> PodShape:
    main = MainContainer(name, ("spec", "resources"), default_request)
    return PodShape(("spec",), main, **more)


# Well-known custom resources, by (API group, kind): README "Custom resources" gives the
# types each row was read from. Any version of the group matches.
RELOADERS = ("config-reloader", "init-config-reloader")  # memory limit from operator flags
CUSTOM_KINDS: dict[tuple[str, str], PodShape] = {
    ("argoproj.io", "Rollout"): _template(),  # or workloadRef: a Deployment's template
    ("apps.kruise.io", "CloneSet"): _template(),
    ("apps.kruise.io", "StatefulSet"): _template(),  # Advanced StatefulSet
    # Advanced DaemonSet: its controller makes pods with `daemon/util.CreatePodTemplate`,
    # which adds the DaemonSet tolerations, as the apps/v1 DaemonSet controller does.
    ("apps.kruise.io", "DaemonSet"): _template(daemon=True),
    ("serving.knative.dev", "Service"): _template(),  # RevisionSpec inlines a PodSpec
    ("serving.knative.dev", "Configuration"): _template(),
    ("serving.knative.dev", "Revision"): PodShape(("spec",)),
    ("keda.sh", "ScaledJob"): PodShape(("spec", "jobTargetRef", "template", "spec")),
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
    def shape(self) -> PodShape:
        return PodShape(self.path, self.main)


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
    spec: Mapping[str, Any], spec_pointer: str
) -> tuple[tuple[TolerationView, ...], list[StructureProblem]]:
    items = spec.get("tolerations")
    field_pointer = jp.child(spec_pointer, "tolerations")
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


def pod_shape(api_version: str, kind: str, extra: Iterable[ExtraKind] = ()) -> PodShape | None:
    """Where objects of this kind keep their pods: the policy's podSpecKinds first, then
    the built-in kinds, then the well-known custom resources."""
    group = api_group(api_version)
    for custom in extra:
        if custom.kind == kind and custom.api_group in (None, group):
            return custom.shape
    known = POD_SPEC_PATHS.get(kind)
    if known and group in known[0]:
        return PodShape(known[1])
    return CUSTOM_KINDS.get((group, kind))


def pod_spec_path(
    api_version: str, kind: str, extra: Iterable[ExtraKind] = ()
) -> tuple[str, ...] | None:
    shape = pod_shape(api_version, kind, extra)
    return None if shape is None else shape.path


def may_hold_unknown_pods(api_version: str) -> bool:
    """Whether an object of this API version may be a custom resource: a group with a dot
    that Kubernetes does not reserve (`*.k8s.io`). Built-in groups' kinds with pods are
    all in POD_SPEC_PATHS; a custom resource of a kind no table knows may hold pods."""
    group = api_group(api_version)
    return "." in group and not group.endswith(".k8s.io")


def unchecked_pod_spec(obj: Mapping[str, Any]) -> str | None:
    """The pointer of the pod spec or container list of an object whose kind no table
    knows, when it holds one at a usual place (`spec.template.spec.containers`,
    `spec.containers`, ...), else None."""
    for path in UNCHECKED_PATHS:
        node: Any = obj
        for token in path:
            node = node.get(token) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping) and isinstance(node.get("containers"), list):
            return jp.join(*path, "containers")
    return None


def value_at(obj: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at `path` (mapping keys), or None where the path does not lead."""
    node: Any = obj
    for token in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(token)
    return node


def _is_daemon_shape(shape: PodShape, obj: Mapping[str, Any]) -> bool:
    if isinstance(shape.daemon, tuple):
        path, value = shape.daemon
        return value_at(obj, path) == value
    return shape.daemon


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
    """The object's pod spec, or None for kinds without one (or partial objects without a
    pod spec, such as kustomize patches); malformed shapes are problems."""
    shape = pod_shape(str(obj.get("apiVersion", "")), str(obj.get("kind", "")), extra)
    if shape is None:
        return None, []
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
            view = ContainerView(item, item_pointer, i, field_name)
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
    tolerations, toleration_problems = _tolerations(node, spec_pointer)
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
        pod_level=shape.main is None,
    )
    return view, problems
