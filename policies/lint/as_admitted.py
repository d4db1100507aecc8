"""`--as-admitted`: objects as the API server stores them on CREATE, and why they differ.

Lint normally checks a manifest as written. With `--as-admitted` (or `--cluster-context DIR`)
each Pod, and the pod template of each workload kind (`extract_pod_spec`: the object keeps its
shape), is first changed the way the cluster changes the Pod when it is created, in the
order the API server does it (the order is the source's, not the order the features were
asked for). The steps are pure ports in `k8s/admission/`, one module each; this module reads
the context with file positions, runs the steps in order and explains findings:

1. Decoding with defaulting (`k8s/admission/defaults`), `pkg/apis/core/v1/defaults.go
   SetDefaults_Pod`: for each entry of `containers` and `initContainers` with
   `resources.limits`, every limit whose key is missing
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
2. LimitRanger (`k8s/admission/limitranger`, the LimitRange as stored `limitrange`;
   `plugin/pkg/admission/limitranger/admission.go`, on by default): for every
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
3. DefaultTolerationSeconds (`k8s/admission/defaulttolerationseconds`, on by default,
   the list through steps 3 and 4 in `k8s/admission/tolerations`): appends the 300 s
   not-ready/unreachable NoExecute tolerations for keys nothing covers. The rules already model it
   (`eviction.effective_tolerations`), so it is written into the object only when step 4
   merges tolerations (the merge may drop one of them): appended at the end of the pod's
   own tolerations, where the rules count them as the plugin's. A DaemonSet's template first
   gets the DaemonSet controller's tolerations (`AddOrUpdateDaemonPodTolerations`, which the
   controller applies before it creates the Pod) in that case, for the same reason.
4. PodTolerationRestriction (`k8s/admission/podtolerationrestriction`,
   `plugin/pkg/admission/podtolerationrestriction/admission.go`, off by default): on CREATE
   the namespace annotation `scheduler.alpha.kubernetes.io/defaultTolerations` (a JSON list
   of v1 Tolerations; present and empty means none) is merged after the pod's tolerations with
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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import pointer as jp
from ..engine.registry import RULES
from ..k8s.admission.decoding import decodable, resource_quantity
from ..k8s.admission.defaults import (
    MEMORY,
    pod_memory_request_default,
    set_pod_memory_request,
)
from ..k8s.admission.errors import InvalidObject, Problem
from ..k8s.admission.limitrange import ContainerDefaults, read_limit_range
from ..k8s.admission.limitranger import SetValue, apply_limit_ranges
from ..k8s.admission.meta import is_core, name_of
from ..k8s.admission.podtolerationrestriction import (
    NamespaceDefaults,
    added_tolerations,
    read_namespace,
)
from ..k8s.admission.qos import best_effort
from ..k8s.admission.tolerations import admit_tolerations
from ..k8s.features import POD_LEVEL_GATE
from ..k8s.podspec import PodSpecView, extract_pod_spec
from ..k8s.quantity import QuantityError, parse_manifest_quantity
from ..k8s.tolerations import describe
from ..model import ErrorCode, Finding, InputError, JsonPatch
from ..patch import PatchError, apply_patch, json_copy
from ..policy.model import ConfigError, Policy
from ..yaml.loader import LoadedObject, load_text, read_sources

# --- context: LimitRanges and Namespaces, read with their positions ------------------------


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

    def errors(self, problems: Iterable[Problem]) -> list[InputError]:
        return [self.error(p.pointer, p.message) for p in problems]


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
            if is_core(obj, "LimitRange"):
                limit_ranges[name_of(obj)] = read_limit_range(obj)
            elif is_core(obj, "Namespace"):
                namespace = read_namespace(obj)
                namespaces[namespace.name] = namespace
        except InvalidObject as exc:
            problems.extend(where.errors(exc.problems))
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


# --- the admission steps, in the API server's order ----------------------------------


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
        if pod is None or not pod.pod_level or not decodable(pod, problems):
            # A container spec (prometheus-operator's kinds): its pods are built by an
            # operator, from fields that admission defaulting does not see; judged as written.
            return obj, _unchanged
        namespace, _ = name_of(obj)
        pod_level = policy.feature(POD_LEVEL_GATE)
        admitted = json_copy(obj)
        supplied: list[Supplied] = []
        remaps: list[Remap] = []
        spec, _ = extract_pod_spec(admitted, policy.extra_kinds)
        assert spec is not None
        pod_request = pod_memory_request_default(spec, pod_level)  # before LimitRanger
        # 2. LimitRanger.
        ranges = self.limit_ranges.get(namespace, ())
        for set_value in apply_limit_ranges(admitted, spec, ranges):
            supplied.append(_supplied_default(spec, set_value))
        # The rules compute the pod-level default from the containers they see: write it
        # down only when LimitRanger gave a container memory, which it did not have then.
        if pod_request is not None and any(s.pointer.endswith("/" + MEMORY) for s in supplied):
            pointer, raw, source = pod_request
            set_pod_memory_request(spec, raw)
            supplied.append(Supplied(pointer, f"pod-level memory request {_shown(raw)}", source))
        spec, _ = extract_pod_spec(admitted, policy.extra_kinds)  # re-read the new values
        assert spec is not None
        self._tolerations(admitted, spec, namespace, pod_level, supplied, remaps)
        if not supplied and not remaps:
            return obj, _unchanged
        return admitted, functools.partial(
            explain_finding, Admission(tuple(supplied), tuple(remaps), obj)
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
        memory_pressure = self.pod_toleration_restriction and not best_effort(obj, pod, pod_level)
        added = added_tolerations(namespace, self.namespaces.get(namespace), memory_pressure)
        if not added:
            return
        written = sum(view.toleration is not None for view in pod.tolerations)
        merged = admit_tolerations(pod, added)
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


def _supplied_default(pod: PodSpecView, set_value: SetValue) -> Supplied:
    """What LimitRanger set, as a finding will say it (with the namespace's other
    LimitRanges that would have set another value)."""
    value, limit_range, section_name = set_value.value, set_value.limit_range, set_value.section
    container_pointer = set_value.container.pointer
    word = "limit" if section_name == "limits" else "request"
    source = limit_range.describe(value)
    rivals = []
    for other in set_value.others:
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
        set_value.container.describe(),
        (jp.child(container_pointer, "resources", other, value.resource),),
        tuple(
            jp.child(pod.pointer, "resources", name, value.resource)
            for name in ("requests", "limits")
        ),
    )


def _differs(a: Any, b: Any) -> bool:
    try:
        return resource_quantity(a) != resource_quantity(b)
    except QuantityError:
        return a != b


def _shown(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if raw is None:
        return "null"
    try:
        return parse_manifest_quantity(raw).canonical()
    except QuantityError:
        return str(raw)
