"""The deprecated `scheduler.alpha.kubernetes.io/tolerations` annotation, as the API server
checks it, and why nothing else should read it.

What Kubernetes does (kubernetes/kubernetes, read at f3e7f45436329de1627ebdb1546c302c404b94a6,
the v1.35 line with KEP-5471's Lt/Gt):

- `pkg/apis/core/validation/validation.go` `ValidatePodSpecificAnnotations(annotations, spec,
  fldPath, opts)`: `if annotations[core.TolerationsAnnotationKey] != ""` it calls
  `ValidateTolerationsInPodAnnotations(annotations, fldPath, opts)`. An absent or empty
  annotation is not looked at (a YAML `null` value is the empty string in a
  `map[string]string`).
- Who calls it, for Pods with `fldPath` = `metadata.annotations`: `validatePodMetadataAndSpec`,
  which `ValidatePodCreate`, `ValidatePodUpdate`, `ValidatePodEphemeralContainersUpdate` and
  `ValidatePodResize` run, and `ValidatePodSpecificAnnotationUpdates`, which `ValidatePodUpdate`,
  `ValidatePodStatusUpdate` and `ValidatePodEphemeralContainersUpdate` run: a Pod's annotation
  is checked whole on create and on every update, not only when it changes. For templates,
  `ValidatePodTemplateSpec(spec, fldPath, opts)` with `fldPath.Child("annotations")`, where
  `fldPath` is the template's own path: `spec.template.annotations` for Deployments,
  ReplicaSets, StatefulSets, DaemonSets, Jobs and ReplicationControllers,
  `spec.jobTemplate.spec.template.annotations` for CronJobs, `template.annotations` for a
  PodTemplate. There is no `metadata` in a template's path (ObjectMeta is embedded).
- `ValidateTolerationsInPodAnnotations`: `helper.GetTolerationsFromPodAnnotations` (`pkg/apis/
  core/helper/helpers.go`) is `json.Unmarshal([]byte(value), &tolerations)` from Go's
  `encoding/json` into `[]core.Toleration`, the *internal* type, whose fields have no json
  tags: keys match the Go field names `Key`, `Operator`, `Value`, `Effect` and
  `TolerationSeconds` case-insensitively (`key`, `KEY`, `tolerationseconds`), unknown keys
  are dropped, `null` leaves a field unset, the last of duplicate keys wins, a `null` item
  is an empty toleration and `null` as a whole is no tolerations. A decoding error gives
  `field.Invalid(fldPath, core.TolerationsAnnotationKey, err.Error())`: the path is the
  annotations' (`metadata.annotations`) and the bad value the annotation's *key*, e.g.
  `metadata.annotations: Invalid value: "scheduler.alpha.kubernetes.io/tolerations": json:
  cannot unmarshal string into Go struct field Toleration.TolerationSeconds of type int64`
  (Go names the internal types: `core.TolerationOperator`, `core.TaintEffect`,
  `[]core.Toleration`). Nothing else is checked then.
- Otherwise, with at least one toleration, `ValidateTolerations(tolerations,
  fldPath.Child(core.TolerationsAnnotationKey), opts)`: the same checks as `spec.tolerations`
  (`toleration_validation.validate_toleration`), under `metadata.annotations.scheduler.alpha.
  kubernetes.io/tolerations[0].operator` (`Child` appends `.` and the key as it is). The
  `opts` are the pod's own, so `Lt`/`Gt` pass exactly when they pass in `spec.tolerations`:
  with the TaintTolerationComparisonOperators gate, or on an update of an object whose old
  `spec.tolerations` already use them (`pkg/api/pod/util.go`
  `allowTaintTolerationComparisonOperators`, which looks at the spec, not the annotation).

Nothing reads the tolerations there. kubernetes/kubernetes PR #38957 ("Change
taints/tolerations to api fields", merged Feb 2017 for 1.6) moved tolerations to
`spec.tolerations`; "taint/toleration annotations are ignored by scheduler" since
(kubernetes-retired/contrib#2381), and PR #43498 (Mar 2017, for upgrades from 1.5) added
the validation of the old annotations. PR #97410 (2020) found the annotation "used in
validation only": the scheduler's TaintToleration plugin, the taint eviction controller and
DefaultTolerationSeconds read `spec.tolerations` (../shared/K8S_SEMANTICS.md sections 2, 3
and 5). So the other toleration rules do not read the annotation either;
`toleration-never-matches` says that a valid one tolerates nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import pointer as jp
from ..yaml.values import go_json_kind, type_name
from .gojson import GoJSONError, Members, Number, parse
from .labels import INT64_MAX, INT64_MIN
from .podspec import PodSpecView
from .toleration_validation import INVALID, FieldError, validate_toleration
from .tolerations import Toleration, describe

TOLERATIONS_ANNOTATION = "scheduler.alpha.kubernetes.io/tolerations"


@dataclass(frozen=True)
class GoTolerationType:
    """A Go Toleration type as `encoding/json` names it in its errors: the internal
    `core.Toleration` (no json tags: Go field names) or `v1.Toleration` (json tags)."""

    package: str
    fields: Mapping[str, tuple[str, str]]  # name Go prints -> (our name, Go type)

    @property
    def slice_type(self) -> str:
        return f"[]{self.package}.Toleration"

    @property
    def element_type(self) -> str:
        return f"{self.package}.Toleration"

    def field(self, key: str) -> str | None:
        """The field a JSON key sets: names match case-insensitively (`foldName`)."""
        folded = _fold(key)
        return next((name for name in self.fields if name.upper() == folded), None)


CORE_TOLERATION = GoTolerationType(
    "core",
    {
        "Key": ("key", "string"),
        "Operator": ("operator", "core.TolerationOperator"),
        "Value": ("value", "string"),
        "Effect": ("effect", "core.TaintEffect"),
        "TolerationSeconds": ("seconds", "int64"),
    },
)
V1_TOLERATION = GoTolerationType(
    "v1",
    {
        "key": ("key", "string"),
        "operator": ("operator", "v1.TolerationOperator"),
        "value": ("value", "string"),
        "effect": ("effect", "v1.TaintEffect"),
        "tolerationSeconds": ("seconds", "int64"),
    },
)
# What the annotation is, for messages about it.
NO_EFFECT = (
    "the scheduler, the taint manager and DefaultTolerationSeconds have read only "
    "spec.tolerations since Kubernetes 1.6"
)


@dataclass(frozen=True)
class AnnotatedToleration:
    index: int
    written: Mapping[str, Any]  # the JSON object as written (last duplicate wins)
    toleration: Toleration
    errors: tuple[FieldError, ...]  # ValidateTolerations' errors for it

    def describe(self) -> str:
        return f"toleration #{self.index} {self.fields()}"

    def fields(self) -> str:
        """`{key: a, operator: Exists}`: the members in the order written (any case)."""
        return "{" + ", ".join(describe({k: v})[1:-1] for k, v in self.written.items()) + "}"


@dataclass(frozen=True)
class TolerationsAnnotation:
    """The annotation on one pod spec's metadata, as the API server checks it."""

    pointer: str  # JSON pointer to the annotation's value
    path: str  # the API server's path of the annotations: `spec.template.annotations`
    decode_error: FieldError | None  # the value does not decode: the only error then
    not_a_string: str | None  # the YAML value is no string (the object does not decode)
    tolerations: tuple[AnnotatedToleration, ...] = ()

    @property
    def errors(self) -> list[FieldError]:
        if self.decode_error is not None:
            return [self.decode_error]
        return [e for t in self.tolerations for e in t.errors]

    @property
    def ignored(self) -> tuple[AnnotatedToleration, ...]:
        """Tolerations the API server accepts there and nothing reads."""
        if self.decode_error is not None or self.not_a_string is not None or self.errors:
            return ()
        return self.tolerations


def _fold(name: str) -> str:
    """encoding/json `foldName`: ASCII letters upper-cased, any other rune mapped to
    `unicode.ToUpper(unicode.ToLower(r))`, so `ſ` (U+017F) matches `S`, the Kelvin sign `K`
    and `İ` (U+0130) `I`. Go's mappings are rune to rune: where Python's full case mapping
    gives several characters, the simple mapping is its first (lower) or none (upper)."""
    out = []
    for char in name:
        if char < "\x80":
            out.append(char.upper())
            continue
        lower = char.lower()[:1]
        upper = lower.upper()
        out.append(upper if len(upper) == 1 else lower)
    return "".join(out)


def _kind(value: Any) -> str:
    """The JSON kind in `cannot unmarshal <kind>`, knowing gojson's shapes."""
    if isinstance(value, Members):
        return "object"
    if isinstance(value, Number):
        return "number"
    return go_json_kind(value)


def _type_error(value: Any, go_type: str, field: str | None = None) -> str:
    """UnmarshalTypeError's text; with `field`, inside the Toleration struct (named as the
    type names it: its Go name for core.Toleration, its json tag for v1.Toleration)."""
    kind = _kind(value)
    if isinstance(value, Number) and go_type == "int64":
        kind += f" {value}"  # literalStore: "number " + the literal, for integer kinds only
    if field is None:
        return f"json: cannot unmarshal {kind} into Go value of type {go_type}"
    return (
        f"json: cannot unmarshal {kind} into Go struct field Toleration.{field} of type {go_type}"
    )


def _int64(text: Number) -> int | None:
    """`strconv.ParseInt(literal, 10, 64)`: `300` yes, `300.0`, `3e2` and 2^63 no."""
    body = text[1:] if text.startswith("-") else text
    if not body.isdigit() or not body.isascii():
        return None
    number = int(text)
    return number if INT64_MIN <= number <= INT64_MAX else None


def _decode_item(
    members: Members, first_error: list[str], go: GoTolerationType
) -> tuple[dict[str, Any], Toleration]:
    """One Toleration from a JSON object: the fields set, in Go's order of work."""
    values: dict[str, Any] = {}
    for key, value in members:
        go_name = go.field(key)
        if go_name is None:
            continue  # not a field of the Toleration: Go skips it
        name, go_type = go.fields[go_name]
        if value is None:  # a nil *int64; a string field keeps what it had
            if name == "seconds":
                values.pop(name, None)
            continue
        if name == "seconds":
            number = _int64(value) if isinstance(value, Number) else None
            if number is not None:
                values["seconds"] = number
            elif not first_error:
                first_error.append(_type_error(value, go_type, go_name))
        elif isinstance(value, str) and not isinstance(value, Number):
            values[name] = value
        elif not first_error:
            first_error.append(_type_error(value, go_type, go_name))
    written = {key: _plain(value) for key, value in members}
    return written, Toleration(**values)


def _plain(value: Any) -> Any:
    """A decoded JSON value as plain data, for messages: numbers as numbers."""
    if isinstance(value, Number):
        return int(value) if _int64(value) is not None else float(value)
    if isinstance(value, Members):
        return {key: _plain(item) for key, item in value}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def decode(
    text: str, go: GoTolerationType = CORE_TOLERATION
) -> list[tuple[dict[str, Any], Toleration]]:
    """`json.Unmarshal` into `[]core.Toleration` (or `go`'s type): the items (as written,
    as decoded), or ValueError with Go's message."""
    try:
        data = parse(text)
    except GoJSONError as exc:
        raise ValueError(str(exc)) from None
    if data is None:
        return []
    if not isinstance(data, list) or isinstance(data, Members):
        raise ValueError(_type_error(data, go.slice_type))
    first_error: list[str] = []  # decodeState.savedError
    items: list[tuple[dict[str, Any], Toleration]] = []
    for item in data:
        if item is None:  # null into a struct: no effect, the zero toleration
            items.append(({}, Toleration()))
        elif isinstance(item, Members):
            items.append(_decode_item(item, first_error, go))
        elif not first_error:
            first_error.append(_type_error(item, go.element_type))
    if first_error:
        raise ValueError(first_error[0])
    return items


def annotations_path(pod: PodSpecView) -> str:
    """The API server's path of the annotations the pod spec's pods carry."""
    if pod.is_pod:
        return "metadata.annotations"
    template = jp.split(pod.metadata_pointer)[:-1]  # the template: its metadata is embedded
    return jp.to_dotted(jp.join(*template, "annotations"))


def read(
    obj: Mapping[str, Any], pod: PodSpecView, comparison: bool
) -> TolerationsAnnotation | None:
    """The annotation, checked, or None where the API server does not look at it."""
    key = ("tolerations_annotation", comparison)
    if key not in pod.memo:
        pod.memo[key] = _read(obj, pod, comparison)
    result: TolerationsAnnotation | None = pod.memo[key]
    return result


def _read(
    obj: Mapping[str, Any], pod: PodSpecView, comparison: bool
) -> TolerationsAnnotation | None:
    node: Any = obj
    for token in jp.split(pod.metadata_pointer):
        node = node.get(token) if isinstance(node, Mapping) else None
    annotations = node.get("annotations") if isinstance(node, Mapping) else None
    if not isinstance(annotations, Mapping) or TOLERATIONS_ANNOTATION not in annotations:
        return None
    text = annotations[TOLERATIONS_ANNOTATION]
    pointer = jp.child(pod.metadata_pointer, "annotations", TOLERATIONS_ANNOTATION)
    path = annotations_path(pod)
    if text is None or text == "":
        return None  # `annotations[key] != ""`: JSON null in a map[string]string is ""
    if not isinstance(text, str):
        return TolerationsAnnotation(pointer, path, None, type_name(text))
    try:
        items = decode(text)
    except ValueError as exc:
        error = FieldError("", path, INVALID, TOLERATIONS_ANNOTATION, str(exc))
        return TolerationsAnnotation(pointer, path, error, None)
    own = f"{path}.{TOLERATIONS_ANNOTATION}"
    tolerations = tuple(
        AnnotatedToleration(i, written, t, tuple(validate_toleration(t, f"{own}[{i}]", comparison)))
        for i, (written, t) in enumerate(items)
    )
    return TolerationsAnnotation(pointer, path, None, None, tolerations)
