"""A LimitRange as the API server stores it: decoded, defaulted by
`pkg/apis/core/v1/defaults.go SetDefaults_LimitRangeItem` (`default` from `max`,
`defaultRequest` from `default`, then from `min`, where missing) and checked by
`pkg/apis/core/validation/validation.go ValidateLimitRange` where the defaults are
involved; what its `type: Container` item gives containers
(`plugin/pkg/admission/limitranger/admission.go defaultContainerResourceRequirements`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ... import pointer as jp
from ...yaml.values import type_name
from ..quantity import Quantity, QuantityError, round_up_to_milli
from .decoding import resource_quantity
from .errors import InvalidObject, Problem
from .meta import name_of

CONTAINER_TYPE = "Container"
RESOURCE_LISTS = ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio")


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


def _overcommit_allowed(resource: str) -> bool:
    """`helper.IsOvercommitAllowed`: native resources other than hugepages."""
    native = "/" not in resource or resource.startswith("kubernetes.io/")
    return native and not resource.startswith("hugepages-")


def read_limit_range(obj: Mapping[str, Any]) -> ContainerDefaults:
    """The container defaults of a LimitRange as the API server stores it (decoded,
    SetDefaults_LimitRangeItem applied, ValidateLimitRange's checks on them passed).
    Raises InvalidObject for one the API server would refuse."""
    namespace, name = name_of(obj)
    label = f"LimitRange {namespace}/{name}"
    problems: list[Problem] = []

    def problem(pointer: str, message: str) -> None:
        problems.append(Problem(pointer, f"{label}: {jp.to_dotted(pointer)}: {message}"))

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
                    quantity = resource_quantity(raw)
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
        raise InvalidObject(problems)
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
