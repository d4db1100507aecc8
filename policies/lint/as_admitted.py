"""`--as-admitted`: objects as the API server stores them on CREATE, and why they differ.

Lint normally checks a manifest as written. With `--as-admitted` (or `--cluster-context DIR`)
each Pod, and the pod template of each workload kind (`extract_pod_spec`: the object keeps its
shape), is first changed the way the cluster changes the Pod when it is created, in the
order the API server does it (the order is the source's, not the order the features were
asked for):

1. Decoding with defaulting, `pkg/apis/core/v1/defaults.go SetDefaults_Pod`: for each entry of
   `containers` and `initContainers` with `resources.limits`, every limit whose key is missing
   from `resources.requests` is copied there (all resources; a key that is present, even as
   `null` or 0, is kept). Defaulting runs when the request body is decoded, before any
   admission plugin, so a container with a limit and no request gets the limit as request
   and never the LimitRange's `defaultRequest` (kubernetes.io/docs
   tasks/administer-cluster/manage-resources/memory-default-namespace shows it). The rules
   model this copy themselves (`resources.effective_request`, for Pods and, as what their
   Pods get, for templates), so it is not written into the object: a copy would repeat every
   finding on the limit at the request, where the limit's `# evictguard:` comment does not
   reach. Only its effect on LimitRanger is applied. With the PodLevelResources gate on
   (beta, on by default since 1.34: policy `featureGates.PodLevelResources`),
   `defaultPodRequests` also sets a missing pod-level memory request (when
   `spec.resources.limits` is not empty) from the containers' aggregate request, else from
   the pod-level limit; the rules model that too, so it is written into the object only when
   LimitRanger then gives a container memory (the default is taken from the containers as
   they were before LimitRanger, as in the cluster).
2. LimitRanger (`plugin/pkg/admission/limitranger/admission.go`, on by default): for every
   LimitRange of the namespace, `defaultContainerResourceRequirements` reads the `type:
   Container` item's `default` (limits) and `defaultRequest` (requests), and
   `mergeContainerResources` puts into each container and init container (not ephemeral
   ones) every such resource missing from its `limits`/`requests` (key presence, as above),
   and annotates the Pod `kubernetes.io/limit-ranger: LimitRanger plugin set: ...`. The
   LimitRange is used as the API server stores it: `SetDefaults_LimitRangeItem` first makes
   `default` from `max` and `defaultRequest` from `default`, then from `min`, where missing.
   With several LimitRanges in a namespace the plugin runs each in turn and each fills only
   what is still missing, so the first one wins; their order is the informer index's (a Go
   map: no defined order). They are applied here in name order, and where another
   LimitRange would have supplied a different value the explanation says so.
3. DefaultTolerationSeconds (on by default): appends the 300 s not-ready/unreachable
   NoExecute tolerations for keys nothing covers. The rules already model it
   (`eviction.effective_tolerations`), so it is written into the object only when step 4
   merges tolerations (the merge may drop one of them): appended at the end of the pod's
   own tolerations, where the rules count them as the plugin's. A DaemonSet's template first
   gets the DaemonSet controller's tolerations (`AddOrUpdateDaemonPodTolerations`, which the
   controller applies before it creates the Pod) in that case, for the same reason.
4. PodTolerationRestriction (`plugin/pkg/admission/podtolerationrestriction/admission.go`,
   off by default): on CREATE the namespace annotation
   `scheduler.alpha.kubernetes.io/defaultTolerations` (a JSON list of v1 Tolerations; present
   and empty means none) is merged after the pod's tolerations with
   `pkg/util/tolerations.MergeTolerations` (an entry that another one is a superset of, by
   `isSuperset`, is dropped; equal entries keep the first). The merge is applied whenever the
   Namespace carries the annotation: nobody sets it unless the plugin runs. The plugin also
   adds `{key: node.kubernetes.io/memory-pressure, operator: Exists, effect: NoSchedule}` to
   every Pod that is not BestEffort (`qos.GetPodQOS`); nothing in the manifests says whether
   the plugin is enabled, so that needs `Admitter(pod_toleration_restriction=True)`. Not
   modelled: the plugin's cluster-wide `Default`/`Whitelist` configuration (a file given to
   the API server) and the whitelist check (policy `toleration-not-allowed` covers
   allowlists).

Context is the LimitRange and Namespace objects (`v1`) among the linted objects and in
`--cluster-context DIR` (YAML/JSON files, recursively; other kinds are ignored, and so are
documents that are not Kubernetes objects, but a file that does not parse is an error). An
object without `metadata.namespace` is taken to be in namespace `default`, as `kubectl
apply` would put it with the default context; this holds for LimitRanges and for the
objects linted. An object in the input replaces one of the same kind, namespace and name
from the directory. A Namespace missing from the context has no default tolerations. A
LimitRange the API server would refuse (a value that is not a quantity, a default above the
max, ...) or a Namespace whose annotation the plugin cannot decode raises `ContextError`
(a `ConfigError` whose problems are also InputErrors: file, line and column as data).

An object the API server cannot decode (a resource quantity that does not parse, a
malformed container or toleration) is left as written: the cluster refuses it before any
admission plugin runs, and the rules say why.

Each value a default supplied is recorded with its JSON Pointer; `explain(finding)` appends
` [as admitted: <what> from <source>]` to findings about it (same pointer, below it or above
it; for the rules that compare values (`Rule.compares_siblings`, `compares_containers`), also
the same resource's other value in that container, or the containers' values for a pod-level one).
A finding's `fix` is a patch against the admitted object: it is kept only when the finding
is not about a supplied value itself and the patch applies to the object as written. When
the toleration merge dropped or added entries, toleration pointers are mapped back to the
file's indexes (an added entry gets an index past the file's last toleration, so its
position is the list's, or the pod spec's) and their fixes dropped. Rule messages still
number tolerations as admitted (`toleration #3`).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .. import pointer as jp
from ..engine.registry import RULES
from ..k8s.eviction import add_or_update, covers_for_default_seconds, daemonset_tolerations
from ..k8s.features import POD_LEVEL_GATE
from ..k8s.memory import UnreadableResources, aggregate_memory_requests
from ..k8s.podspec import PodSpecView, extract_pod_spec
from ..k8s.quantity import Quantity, QuantityError, parse_manifest_quantity, round_up_to_milli
from ..k8s.taints import EXISTS, LIFECYCLE_KEYS, MEMORY_PRESSURE, NO_SCHEDULE, default_toleration
from ..k8s.toleration_annotation import V1_TOLERATION, decode
from ..k8s.tolerations import Toleration, describe, is_superset
from ..model import ErrorCode, Finding, InputError, JsonPatch
from ..patch import PatchError, apply_patch
from ..policy.model import ConfigError, Policy
from ..yaml.loader import LoadedObject, load_text, read_sources
from ..yaml.values import type_name

NS_DEFAULT_TOLERATIONS = "scheduler.alpha.kubernetes.io/defaultTolerations"
LIMIT_RANGER_ANNOTATION = "kubernetes.io/limit-ranger"
DEFAULT_NAMESPACE = "default"
CONTAINER_TYPE = "Container"
MEMORY = "memory"
QOS_RESOURCES = ("cpu", MEMORY)
RESOURCE_LISTS = ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio")

MEMORY_PRESSURE_SOURCE = "PodTolerationRestriction (every Pod that is not BestEffort)"
DTS_SOURCE = "DefaultTolerationSeconds"
DAEMONSET_SOURCE = "the DaemonSet controller"
MEMORY_PRESSURE_TOLERATION = {"key": MEMORY_PRESSURE, "operator": EXISTS, "effect": NO_SCHEDULE}


# --- context: LimitRanges and Namespaces ---------------------------------------------------


@dataclass(frozen=True)
class DefaultValue:
    """One resource a LimitRange supplies: the value as written, and the field it came from
    (`default`, or `default, from max` when SetDefaults_LimitRangeItem made it)."""

    resource: str
    raw: Any
    field: str


@dataclass(frozen=True)
class ContainerDefaults:
    """What one LimitRange's `type: Container` item gives containers that lack a value."""

    name: str  # namespace/name
    limits: tuple[DefaultValue, ...]
    requests: tuple[DefaultValue, ...]

    def describe(self, value: DefaultValue) -> str:
        return f"LimitRange {self.name} ({value.field})"


@dataclass(frozen=True)
class NamespaceDefaults:
    name: str
    # The decoded `defaultTolerations` annotation (v1 field names, empty fields left out);
    # None when the Namespace has no such annotation.
    tolerations: tuple[Mapping[str, Any], ...] | None


class ContextError(ConfigError):
    """Context the API server would refuse: each problem an InputError (file, line and
    column as data, for the lint report), and a `FILE[:LINE]: message` line of
    ConfigError's (for a usage error)."""

    def __init__(self, errors: list[InputError]):
        super().__init__([_problem_line(e) for e in errors])
        self.errors = errors


def _problem_line(error: InputError) -> str:
    line = f":{error.line}" if error.line else ""
    return f"{error.file}{line}: {error.message}"


@dataclass(frozen=True)
class _Where:
    """Where a context object came from, for its errors."""

    file: str
    position: Callable[[str], tuple[int, int]] | None = None

    def error(self, pointer: str, message: str) -> InputError:
        line, column = (None, None) if self.position is None else self.position(pointer)
        return InputError(self.file, line, message, column, code=ErrorCode.INVALID_CONTEXT)


def _name_of(obj: Mapping[str, Any]) -> tuple[str, str]:
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    namespace = metadata.get("namespace")
    name = metadata.get("name")
    namespace = namespace if isinstance(namespace, str) and namespace else DEFAULT_NAMESPACE
    return namespace, name if isinstance(name, str) else ""


def _quantity(raw: Any) -> Quantity:
    """A ResourceList value as the API server decodes it (`null` is a zero quantity)."""
    if raw is None:
        return Quantity(Fraction(0), "DecimalSI", "")
    return parse_manifest_quantity(raw)


def _shown(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if raw is None:
        return "null"
    try:
        return parse_manifest_quantity(raw).canonical()
    except QuantityError:
        return str(raw)


def _overcommit_allowed(resource: str) -> bool:
    """`helper.IsOvercommitAllowed`: native resources other than hugepages."""
    native = "/" not in resource or resource.startswith("kubernetes.io/")
    return native and not resource.startswith("hugepages-")


def read_limit_range(obj: Mapping[str, Any], where: _Where) -> ContainerDefaults:
    """The container defaults of a LimitRange as the API server stores it (decoded,
    SetDefaults_LimitRangeItem applied, ValidateLimitRange's checks on them passed)."""
    namespace, name = _name_of(obj)
    label = f"LimitRange {namespace}/{name}"
    problems: list[InputError] = []

    def problem(pointer: str, message: str) -> None:
        problems.append(where.error(pointer, f"{label}: {jp.to_dotted(pointer)}: {message}"))

    spec = obj.get("spec")
    items: Any = spec.get("limits") if isinstance(spec, Mapping) else None
    if spec is not None and not isinstance(spec, Mapping):
        problem("/spec", f"is {type_name(spec)}, not an object")
    if items is not None and not isinstance(items, list):
        problem("/spec/limits", f"is {type_name(items)}, not a list")
        items = None
    limits: dict[str, DefaultValue] = {}
    requests: dict[str, DefaultValue] = {}
    seen_types: set[str] = set()
    for i, item in enumerate(items or ()):
        item_pointer = jp.join("spec", "limits", i)
        if not isinstance(item, Mapping):
            problem(item_pointer, f"is {type_name(item)}, not an object")
            continue
        kind = item.get("type")
        if not isinstance(kind, str):
            problem(jp.child(item_pointer, "type"), f"is {type_name(kind)}, not a string")
            continue
        if kind in seen_types:  # ValidateLimitRange: field.Duplicate
            problem(jp.child(item_pointer, "type"), f'Duplicate value: "{kind}"')
        seen_types.add(kind)
        lists: dict[str, dict[str, tuple[Any, Quantity, str]]] = {}
        for list_name in RESOURCE_LISTS:
            values = item.get(list_name)
            list_pointer = jp.child(item_pointer, list_name)
            lists[list_name] = {}
            if values is None:
                continue
            if not isinstance(values, Mapping):
                problem(list_pointer, f"is {type_name(values)}, not a mapping")
                continue
            for resource, raw in values.items():
                try:
                    quantity = _quantity(raw)
                except QuantityError as exc:
                    problem(jp.child(list_pointer, str(resource)), f"not a quantity: {exc}")
                    continue
                lists[list_name][str(resource)] = (raw, quantity, list_name)
        if kind != CONTAINER_TYPE:
            for list_name in ("default", "defaultRequest"):
                if kind == "Pod" and lists[list_name]:
                    problem(
                        jp.child(item_pointer, list_name),
                        "Forbidden: may not be specified when `type` is 'Pod'",
                    )
                    lists[list_name] = {}  # ValidateLimitRange does not compare them
            _validate_limit_item(lists, item_pointer, problem)
            continue
        # SetDefaults_LimitRangeItem (pkg/apis/core/v1/defaults.go), in its order.
        default, default_request = lists["default"], lists["defaultRequest"]
        for resource, (raw, quantity, _) in lists["max"].items():
            default.setdefault(resource, (raw, quantity, "default, from max"))
        for resource, (raw, quantity, origin) in default.items():
            via = "default" if origin == "default" else "max, via default"
            field = f"defaultRequest, from {via}"
            default_request.setdefault(resource, (raw, quantity, field))
        for resource, (raw, quantity, _) in lists["min"].items():
            default_request.setdefault(resource, (raw, quantity, "defaultRequest, from min"))
        _validate_limit_item(lists, item_pointer, problem)
        # defaultContainerResourceRequirements: a later Container item would overwrite an
        # earlier one key by key (validation allows only one per LimitRange anyway).
        for resource, (raw, _, origin) in default.items():
            limits[resource] = DefaultValue(resource, raw, origin)
        for resource, (raw, _, origin) in default_request.items():
            requests[resource] = DefaultValue(resource, raw, origin)
    if problems:
        raise ContextError(problems)
    return ContainerDefaults(
        f"{namespace}/{name}",
        tuple(limits[k] for k in sorted(limits)),
        tuple(requests[k] for k in sorted(requests)),
    )


def _validate_limit_item(
    lists: Mapping[str, Mapping[str, tuple[Any, Quantity, str]]],
    item_pointer: str,
    problem: Callable[[str, str], None],
) -> None:
    """The checks of `ValidateLimitRange` (validation.go) that involve the defaults, on the
    stored (rounded up to 1m) values: a LimitRange that fails them never exists."""

    def stored(list_name: str, resource: str) -> Quantity | None:
        found = lists[list_name].get(resource)
        return None if found is None else round_up_to_milli(found[1])

    keys = sorted({k for values in lists.values() for k in values})
    for k in keys:
        low, high = stored("min", k), stored("max", k)
        default, request = stored("default", k), stored("defaultRequest", k)
        checks = [
            ("min", low, high, "min value {a} is greater than max value {b}"),
            (
                "defaultRequest",
                low,
                request,
                "min value {a} is greater than default request value {b}",
            ),
            (
                "defaultRequest",
                request,
                high,
                "default request value {a} is greater than max value {b}",
            ),
            (
                "defaultRequest",
                request,
                default,
                "default request value {a} is greater than default limit value {b}",
            ),
            ("default", low, default, "min value {a} is greater than default value {b}"),
            ("default", default, high, "default value {a} is greater than max value {b}"),
        ]
        for list_name, a, b, text in checks:
            if a is not None and b is not None and a > b:
                message = text.format(a=a.canonical(), b=b.canonical())
                problem(jp.child(item_pointer, list_name, k), f"Invalid value: {message}")
        if (
            not _overcommit_allowed(k)
            and default is not None
            and request is not None
            and default != request
        ):
            problem(
                jp.child(item_pointer, "defaultRequest", k),
                f"Invalid value: default value {default.canonical()} must equal to "
                f"defaultRequest value {request.canonical()} in {k}",
            )


def decode_tolerations_annotation(text: str) -> tuple[Mapping[str, Any], ...]:
    """`extractNSTolerations`: `json.Unmarshal` into `[]v1.Toleration`, as the pods'
    deprecated annotation is decoded (`toleration_annotation.decode`); empty text is an
    empty list. Raises ValueError with Go's words."""
    if text == "":
        return ()
    return tuple(toleration.as_dict() for _, toleration in decode(text, V1_TOLERATION))


def read_namespace(obj: Mapping[str, Any], where: _Where) -> NamespaceDefaults:
    _, name = _name_of(obj)
    metadata = obj.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    if not isinstance(annotations, Mapping) or NS_DEFAULT_TOLERATIONS not in annotations:
        return NamespaceDefaults(name, None)
    pointer = jp.join("metadata", "annotations", NS_DEFAULT_TOLERATIONS)
    text = annotations[NS_DEFAULT_TOLERATIONS]
    prefix = f"Namespace {name}: {jp.to_dotted(pointer)}"
    if text is None:
        text = ""  # JSON null in a map[string]string: the empty string
    if not isinstance(text, str):
        raise ContextError([where.error(pointer, f"{prefix}: is {type_name(text)}, not a string")])
    try:
        return NamespaceDefaults(name, decode_tolerations_annotation(text))
    except ValueError as exc:
        message = (
            f"{prefix}: PodTolerationRestriction cannot decode it ({exc}): it refuses every "
            "Pod created in the namespace"
        )
        raise ContextError([where.error(pointer, message)]) from None


def _context_objects(
    context: Iterable[Any], context_dir: str | None
) -> tuple[list[tuple[Mapping[str, Any], _Where]], list[InputError]]:
    """Directory objects first, then the input's (which replace them by identity)."""
    found: list[tuple[Mapping[str, Any], _Where]] = []
    problems: list[InputError] = []
    if context_dir is not None:
        for source in read_sources([context_dir]):
            if source.error is not None:
                problems.append(source.error)
                continue
            assert source.text is not None
            loaded = load_text(source.text, source.name)
            # Other YAML (Helm values, ...) holds no LimitRange: not a problem here.
            problems.extend(e for e in loaded.errors if e.code is not ErrorCode.NOT_AN_OBJECT)
            for item in loaded.objects:
                found.append((item.obj, _Where(source.name, item.position)))
    for entry in context:
        if isinstance(entry, LoadedObject):
            found.append((entry.obj, _Where(entry.document.source, entry.position)))
        elif isinstance(entry, Mapping):
            found.append((entry, _Where("input")))
    return found, problems


def _is_core(obj: Mapping[str, Any], kind: str) -> bool:
    return obj.get("apiVersion") == "v1" and obj.get("kind") == kind


def build_admitter(
    context: Iterable[Any],
    context_dir: str | None,
    *,
    pod_toleration_restriction: bool = False,
    problems_out: list[InputError] | None = None,
) -> Admitter:
    """An Admitter from the LimitRanges and Namespaces among `context` (the linted objects:
    dicts, or `LoadedObject`s for file:line in errors) and under `context_dir`.
    Raises ContextError (a ConfigError) for context the API server would refuse (see the
    module docstring), or, given `problems_out`, records the problems there and leaves those
    objects out, so that linting a tree goes on past one bad LimitRange."""
    objects, problems = _context_objects(context, context_dir)
    limit_ranges: dict[tuple[str, str], ContainerDefaults] = {}
    namespaces: dict[str, NamespaceDefaults] = {}
    for obj, where in objects:
        try:
            if _is_core(obj, "LimitRange"):
                limit_ranges[_name_of(obj)] = read_limit_range(obj, where)
            elif _is_core(obj, "Namespace"):
                namespace = read_namespace(obj, where)
                namespaces[namespace.name] = namespace
        except ContextError as exc:
            problems.extend(exc.errors)
    if problems and problems_out is None:
        raise ContextError(problems)
    if problems_out is not None:
        problems_out.extend(problems)
    by_namespace: dict[str, list[ContainerDefaults]] = {}
    for (namespace, _), defaults in sorted(limit_ranges.items()):
        by_namespace.setdefault(namespace, []).append(defaults)
    return Admitter(
        {k: tuple(v) for k, v in by_namespace.items()}, namespaces, pod_toleration_restriction
    )


# --- what admission did, and how a finding says so ---------------------------------------


@dataclass(frozen=True)
class Supplied:
    """A value a default supplied, at `pointer` (in the file's coordinates)."""

    pointer: str
    what: str  # "memory limit 512Mi", "toleration {key: ...}"
    source: str
    owner: str = ""  # 'container "app"': for findings about another owner's values
    siblings: tuple[str, ...] = ()  # the same resource's other value in the same container
    pod_level: tuple[str, ...] = ()  # the same resource's pod-level values

    def is_at(self, pointer: str) -> bool:
        """The finding is about this value: at it, inside it, or about what holds it."""
        return _within(pointer, self.pointer) or _within(self.pointer, pointer)

    def note_for(self, finding: Finding, pointer: str) -> tuple[int, str] | None:
        """(rank, note) for a finding that is about this value (rank 0) or about one the
        rules compare with it (1: in the same container, 2: at pod level); else None."""
        if self.is_at(pointer):
            return 0, f"{self.what} from {self.source}"
        rule = RULES.get(finding.rule)
        if rule is None:
            return None
        if rule.compares_siblings and any(_within(pointer, p) for p in self.siblings):
            return 1, f"{self.what} from {self.source}"
        if rule.compares_containers and any(_within(pointer, p) for p in self.pod_level):
            return 2, f"{self.what} of {self.owner} from {self.source}"
        return None


@dataclass(frozen=True)
class Remap:
    """A toleration list whose indexes admission changed: admitted index -> file index."""

    pointer: str
    indexes: tuple[int, ...]

    def apply(self, pointer: str) -> str | None:
        if not pointer.startswith(self.pointer + "/"):
            return None
        head, _, tail = pointer[len(self.pointer) + 1 :].partition("/")
        if not head.isdigit() or int(head) >= len(self.indexes):
            return self.pointer + "/" + pointer[len(self.pointer) + 1 :]
        rest = "/" + tail if tail else ""
        return f"{self.pointer}/{self.indexes[int(head)]}{rest}"


@dataclass(frozen=True)
class Admission:
    supplied: tuple[Supplied, ...] = ()
    remaps: tuple[Remap, ...] = ()
    original: Mapping[str, Any] | None = None  # the object as written, to test fixes on


def _within(pointer: str, ancestor: str) -> bool:
    return ancestor == "" or pointer == ancestor or pointer.startswith(ancestor + "/")


def explain_finding(admission: Admission, finding: Finding) -> Finding:
    """The finding with its pointer in the file's coordinates and, when it is about a value
    a default supplied, ` [as admitted: ...]` at the end of its message. Its fix (a patch
    against the admitted object) is kept only when it is about a value the file has and
    applies to the object as written."""
    pointer, fix = finding.pointer, finding.fix
    for remap in admission.remaps:
        mapped = remap.apply(pointer)
        if mapped is not None:
            pointer, fix = mapped, None  # its patch indexes the admitted list
    ranked: list[tuple[int, str]] = []
    for supplied in admission.supplied:
        note = supplied.note_for(finding, pointer)
        if note is None:
            continue
        ranked.append(note)
        if note[0] == 0:
            fix = None  # about a value the file does not have
    notes: list[str] = []
    for _, text in sorted(ranked, key=lambda item: item[0]):
        if text not in notes:
            notes.append(text)
    if fix is not None and not _applies(admission.original, fix):
        fix = None
    message = finding.message
    if notes:
        message += " [as admitted: " + "; ".join(notes) + "]"
    if (pointer, fix, message) == (finding.pointer, finding.fix, finding.message):
        return finding
    return dataclasses.replace(finding, pointer=pointer, fix=fix, message=message)


def _applies(original: Mapping[str, Any] | None, fix: JsonPatch) -> bool:
    if original is None:
        return True
    try:
        apply_patch(original, fix)
    except PatchError:
        return False
    return True


def _unchanged(finding: Finding) -> Finding:
    return finding


# --- the admission steps ---------------------------------------------------------------


def _copy(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


def _decodable(pod: PodSpecView, problems: Sequence[object]) -> bool:
    """Whether the API server can decode the pod spec at all (else no plugin ever sees it)."""
    if problems:
        return False
    owners = [c.data for c in pod.containers]
    if pod.resources is not None:
        owners.append(pod.spec)
    for owner in owners:
        resources = owner.get("resources")
        if resources is None:
            continue
        if not isinstance(resources, Mapping):
            return False
        for section_name in ("limits", "requests"):
            section = resources.get(section_name)
            if section is None:
                continue
            if not isinstance(section, Mapping):
                return False
            for raw in section.values():
                try:
                    _quantity(raw)
                except QuantityError:
                    return False
    return all(view.toleration is not None for view in pod.tolerations)


def _section(container: dict[str, Any], name: str) -> dict[str, Any] | None:
    """`resources.<name>` of a decodable container, created when missing."""
    resources = container.get("resources")
    if resources is None:
        resources = container["resources"] = {}
    section = resources.get(name)
    if section is None:
        section = resources[name] = {}
    return section


def _prune(container: dict[str, Any]) -> None:
    """Empty maps the steps made (Go's omitempty leaves them out of the stored object)."""
    resources = container.get("resources")
    if not isinstance(resources, dict):
        return
    for name in ("limits", "requests"):
        if resources.get(name) == {} and name in resources:
            del resources[name]
    if resources == {}:
        del container["resources"]


def _positive(raw: Any) -> bool:
    try:
        return _quantity(raw).value > 0
    except QuantityError:
        return False


def _best_effort(obj: Mapping[str, Any], pod: PodSpecView, pod_level: bool) -> bool:
    """`qos.GetPodQOS(pod) == BestEffort`: the status' class if set (a Pod read back from the
    API), else no cpu or memory request or limit above zero (the pod-level ones instead of
    the containers' when the PodLevelResources gate is on and `spec.resources` is set)."""
    if pod.is_pod:
        status = obj.get("status")
        qos = status.get("qosClass") if isinstance(status, Mapping) else None
        if isinstance(qos, str) and qos:
            return qos == "BestEffort"
    if pod_level and pod.spec.get("resources") is not None:
        owners: list[Mapping[str, Any]] = [pod.spec]
    else:
        owners = [c.data for c in pod.containers]
    for owner in owners:
        resources = owner.get("resources")
        if not isinstance(resources, Mapping):
            continue
        for section_name in ("requests", "limits"):
            section = resources.get(section_name)
            if isinstance(section, Mapping) and any(
                _positive(section[name]) for name in QOS_RESOURCES if name in section
            ):
                return False
    return True


@dataclass
class _Entry:
    data: Mapping[str, Any]
    toleration: Toleration
    original: int | None  # index in the written list; None: added by admission
    source: str | None  # None: as written


def merge_kept(items: Sequence[Toleration]) -> list[int]:
    """`MergeTolerations(first, second)` over `all = first + second` (pkg/util/tolerations):
    the indexes kept, in order. An entry is dropped when one already kept is a superset of
    it, or when a later one that is not equal to it is (equal entries keep the first)."""
    kept: list[int] = []
    for i, t in enumerate(items):
        if any(is_superset(items[k], t) for k in kept):
            continue
        if any(t != later and is_superset(later, t) for later in items[i + 1 :]):
            continue
        kept.append(i)
    return kept


def merge_tolerations(
    first: Sequence[Toleration], second: Sequence[Toleration]
) -> list[Toleration]:
    both = [*first, *second]
    return [both[i] for i in merge_kept(both)]


def _add_or_update(entries: list[_Entry], added: Toleration) -> list[_Entry]:
    return add_or_update(
        entries,
        added,
        lambda entry: entry.toleration,
        lambda entry: _Entry(
            added.as_dict(), added, entry.original if entry else None, DAEMONSET_SOURCE
        ),
    )


@dataclass(frozen=True)
class Admitter:
    """`(object, policy) -> (object as admitted, explain)`: see the module docstring.
    Plain data, so it pickles into `lint_parallel`'s worker processes."""

    limit_ranges: Mapping[str, tuple[ContainerDefaults, ...]]
    namespaces: Mapping[str, NamespaceDefaults]
    pod_toleration_restriction: bool = False  # the cluster runs PodTolerationRestriction

    def __call__(
        self, obj: dict[str, Any], policy: Policy
    ) -> tuple[dict[str, Any], Callable[[Finding], Finding]]:
        pod, problems = extract_pod_spec(obj, policy.extra_kinds)
        if pod is None or not pod.pod_level or not _decodable(pod, problems):
            # A container spec (prometheus-operator's kinds): its pods are built by an
            # operator, from fields that admission defaulting does not see; judged as written.
            return obj, _unchanged
        namespace, _ = _name_of(obj)
        pod_level = policy.feature(POD_LEVEL_GATE)
        admitted = _copy(obj)
        supplied: list[Supplied] = []
        remaps: list[Remap] = []
        spec, _ = extract_pod_spec(admitted, policy.extra_kinds)
        assert spec is not None
        pod_request = self._pod_request_default(admitted, policy, pod_level)
        self._limit_ranger(admitted, spec, namespace, supplied)
        # The rules compute the pod-level default from the containers they see: write it
        # down only when LimitRanger gave a container memory, which it did not have then.
        if pod_request is not None and any(s.pointer.endswith("/" + MEMORY) for s in supplied):
            pointer, raw, source = pod_request
            resources = spec.spec["resources"]  # type: ignore[index]
            requests = resources.get("requests")
            if requests is None:
                requests = resources["requests"] = {}
            requests[MEMORY] = raw
            supplied.append(Supplied(pointer, f"pod-level memory request {_shown(raw)}", source))
        spec, _ = extract_pod_spec(admitted, policy.extra_kinds)  # re-read the new values
        assert spec is not None
        self._tolerations(admitted, spec, namespace, pod_level, supplied, remaps)
        if not supplied and not remaps:
            return obj, _unchanged
        return admitted, functools.partial(
            explain_finding, Admission(tuple(supplied), tuple(remaps), obj)
        )

    @staticmethod
    def _pod_request_default(
        admitted: dict[str, Any], policy: Policy, pod_level: bool
    ) -> tuple[str, Any, str] | None:
        """SetDefaults_Pod's `defaultPodRequests` for memory, as it is before LimitRanger:
        (pointer, value, source), or None when it sets nothing."""
        pod, _ = extract_pod_spec(admitted, policy.extra_kinds)
        if pod is None or not pod_level:
            return None
        resources = pod.spec.get("resources")
        if not isinstance(resources, Mapping):
            return None
        limits, requests = resources.get("limits"), resources.get("requests")
        if not isinstance(limits, Mapping) or not limits:
            return None
        if isinstance(requests, Mapping) and MEMORY in requests:
            return None
        pointer = jp.child(pod.pointer, "resources", "requests", MEMORY)
        try:
            # A Pod's default is summed from the values as decoded; a Pod made from a
            # template starts from the template's stored (rounded) values.
            aggregate = aggregate_memory_requests(pod, stored=not pod.is_pod)
        except UnreadableResources:
            return None
        if aggregate is not None:
            source = "SetDefaults_Pod (pod-level request from the containers' requests)"
            return pointer, aggregate.canonical(), source
        if MEMORY in limits:
            return pointer, limits[MEMORY], "SetDefaults_Pod (pod-level request from its limit)"
        return None

    # 2. LimitRanger.
    def _limit_ranger(
        self, root: dict[str, Any], pod: PodSpecView, namespace: str, supplied: list[Supplied]
    ) -> None:
        ranges = self.limit_ranges.get(namespace, ())
        # SetDefaults_Pod ran when the Pod was decoded, before any admission plugin: a
        # resource the container limits already has its request then (a copy of the limit,
        # which the rules model and which is not written here), so LimitRanger leaves it.
        limited = [_keys(c.data, "limits") for c in pod.containers]
        for index, limit_range in enumerate(ranges):
            others = ranges[:index] + ranges[index + 1 :]
            notes: list[str] = []
            for container, copied in zip(pod.containers, limited, strict=True):
                data: dict[str, Any] = container.data  # type: ignore[assignment]
                done: dict[str, list[str]] = {"limits": [], "requests": []}
                for section_name, values in (
                    ("limits", limit_range.limits),
                    ("requests", limit_range.requests),
                ):
                    section = _section(data, section_name)
                    assert section is not None
                    for value in values:
                        if value.resource in section:
                            continue
                        if section_name == "requests" and value.resource in copied:
                            continue
                        section[value.resource] = _copy(value.raw)
                        done[section_name].append(value.resource)
                        supplied.append(
                            self._supplied_default(
                                pod,
                                container.pointer,
                                container.describe(),
                                section_name,
                                value,
                                limit_range,
                                others,
                            )
                        )
                _prune(data)
                role = "container" if container.field == "containers" else "init container"
                label = container.name or ""
                for section_name, word in (("requests", "request"), ("limits", "limit")):
                    if done[section_name]:
                        names = ", ".join(sorted(done[section_name]))
                        notes.append(f"{names} {word} for {role} {label}")
            if notes:
                _annotate(root, pod.metadata_pointer, "LimitRanger plugin set: " + "; ".join(notes))

    @staticmethod
    def _supplied_default(
        pod: PodSpecView,
        container_pointer: str,
        owner: str,
        section_name: str,
        value: DefaultValue,
        limit_range: ContainerDefaults,
        others: Sequence[ContainerDefaults],
    ) -> Supplied:
        word = "limit" if section_name == "limits" else "request"
        source = limit_range.describe(value)
        rivals = []
        for other in others:
            values = other.limits if section_name == "limits" else other.requests
            for candidate in values:
                if candidate.resource == value.resource and _differs(candidate.raw, value.raw):
                    rivals.append(f"LimitRange {other.name} has {_shown(candidate.raw)}")
        if rivals:
            source += (
                "; " + ", ".join(rivals) + ", and LimitRanger applies a namespace's "
                "LimitRanges in no defined order"
            )
        other = "requests" if section_name == "limits" else "limits"
        return Supplied(
            jp.child(container_pointer, "resources", section_name, value.resource),
            f"{value.resource} {word} {_shown(value.raw)}",
            source,
            owner,
            (jp.child(container_pointer, "resources", other, value.resource),),
            tuple(
                jp.child(pod.pointer, "resources", name, value.resource)
                for name in ("requests", "limits")
            ),
        )

    # 3 and 4: DefaultTolerationSeconds, then PodTolerationRestriction.
    def _tolerations(
        self,
        obj: Mapping[str, Any],
        pod: PodSpecView,
        namespace: str,
        pod_level: bool,
        supplied: list[Supplied],
        remaps: list[Remap],
    ) -> None:
        extras: list[_Entry] = []
        defaults = self.namespaces.get(namespace)
        if defaults is not None and defaults.tolerations is not None:
            source = f"namespace {namespace} defaultTolerations"
            for data in defaults.tolerations:
                extras.append(_Entry(dict(data), Toleration.of(data), None, source))
        if self.pod_toleration_restriction and not _best_effort(obj, pod, pod_level):
            extra = Toleration.of(MEMORY_PRESSURE_TOLERATION)
            extras.append(_Entry(extra.as_dict(), extra, None, MEMORY_PRESSURE_SOURCE))
        if not extras:
            return
        entries = [
            _Entry(view.data, view.toleration, view.index, None)
            for view in pod.tolerations
            if view.toleration is not None
        ]
        written = len(entries)
        if pod.daemon and not pod.is_pod:  # the DaemonSet controller, before the Pod exists
            for added in daemonset_tolerations(pod):
                entries = _add_or_update(entries, added)
        for key in LIFECYCLE_KEYS:
            if not any(covers_for_default_seconds(e.toleration, key) for e in entries):
                added = Toleration.of(default_toleration(key))
                entries.append(_Entry(added.as_dict(), added, None, DTS_SOURCE))
        every = [*entries, *extras]
        merged = [every[i] for i in merge_kept([e.toleration for e in every])]
        spec: dict[str, Any] = pod.spec  # type: ignore[assignment]
        spec["tolerations"] = [e.data for e in merged]
        list_pointer = jp.child(pod.pointer, "tolerations")
        indexes: list[int] = []
        appended = 0
        for entry in merged:
            if entry.original is not None:
                indexes.append(entry.original)
            else:
                indexes.append(written + appended)
                appended += 1
            if entry.source is not None:
                pointer = jp.child(list_pointer, indexes[-1])
                what = "toleration " + describe(entry.data)
                supplied.append(Supplied(pointer, what, entry.source))
        remaps.append(Remap(list_pointer, tuple(indexes)))


def _differs(a: Any, b: Any) -> bool:
    try:
        return _quantity(a) != _quantity(b)
    except QuantityError:
        return a != b


def _keys(container: Mapping[str, Any], section_name: str) -> frozenset[str]:
    resources = container.get("resources")
    section = resources.get(section_name) if isinstance(resources, Mapping) else None
    return frozenset(section) if isinstance(section, Mapping) else frozenset()


def _annotate(root: dict[str, Any], metadata_pointer: str, text: str) -> None:
    """LimitRanger's annotation, on the metadata of the Pod (or of the Pods made from the
    template); each LimitRange that sets something rewrites it."""
    node: Any = root
    for token in jp.split(metadata_pointer):
        if not isinstance(node, dict):
            return
        if node.get(token) is None:
            node[token] = {}
        node = node[token]
    if not isinstance(node, dict):
        return
    if node.get("annotations") is None:
        node["annotations"] = {}
    if isinstance(node["annotations"], dict):
        node["annotations"][LIMIT_RANGER_ANNOTATION] = text
