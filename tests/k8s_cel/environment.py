"""The CEL environment Kubernetes gives admission policies, rebuilt on cel-cpp.

Port of k8s.io/apiserver/pkg/cel/environment/base.go ``baseOptsWithoutStrictCost`` (what each
``IntroducedVersion`` adds) for the libraries a policy may use:

* always: ``library.Regex``, ``library.Lists`` (libraries.py); strings ext v0 before 1.29;
* 1.28: optional types (cel-cpp's ``ExtOptional``), ``library.Quantity`` (libraries.py);
* 1.29: strings ext v2 (cel-cpp's ``ExtStrings(version=2)``), ``ext.Sets()`` (libraries.py).

Not ported, so an expression using them does not compile here: ``library.URLs``, ``Authz``
(and the ``authorizer`` variable), ``IP``/``CIDR`` (1.30), ``Format`` (1.31),
``AuthzSelectors``, two-variable comprehensions (1.32: cel-expr-python 0.1.3's parser has no
switch for them), ``Semver``/``Image`` (1.33). Known differences of cel-cpp from cel-go:

* Runtime cost limits (``cel.CostLimit(PerCallLimit)``, the per-request
  ``RuntimeCELCostBudget``) are not enforced: cel-cpp has no cost tracker here. The exporter
  estimates cost separately.
* ``cel.CrossTypeNumericComparisons``: the cel-cpp checker refuses ``1 < 1.5`` between
  literals of different numeric types (dyn values such as ``object.x < 1.5`` compare fine).
* ``cel.HomogeneousAggregateLiterals`` and the 1.29 AST validators (regex, duration and
  timestamp literals) are not applied: cel-cpp accepts ``[1, 'a']``.
* Error texts are cel-cpp's (``Key not found in map : "x"``), not cel-go's (``no such key:
  x``); ``error_text`` drops cel-cpp's status prefix (``OUT_OF_RANGE: ``).
* strings ext: cel-cpp's per-version function sets are its own (its v3 adds ``reverse``,
  which Kubernetes' v2 lacks; its v0 has no ``join``).
* ``kubernetes.Quantity`` is a proto message holding only the exact value (proto.py), so
  ``isInteger``/``asInteger``/``asApproximateFloat`` work from the value, where Go looks at
  the representation ParseQuantity built: Go says ``quantity('1000m').isInteger()`` is false
  (an ``int64Amount`` of scale -3; ``AsInt64`` refuses negative scales) and so is any
  ``inf.Dec`` quantity; here both are true when the value is an int64. Go's
  ``AsApproximateFloat64`` (``base * 10^exp``) may differ from the correctly rounded float
  here in the last bit. Unlike Go, a quantity can be written ``kubernetes.Quantity{...}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cel_expr_python import cel
from cel_expr_python.ext import ext_optional, ext_strings

from .libraries import lists_library, quantity_library, regex_library, sets_library
from .proto import pool

Version = tuple[int, int]

# base.go: (introduced, removed) -> what it adds; None = never removed.
_EXTENSIONS: list[tuple[Version, Version | None, Any]] = [
    ((1, 28), None, lambda: ext_optional.ExtOptional()),
    ((1, 0), (1, 29), lambda: ext_strings.ExtStrings(version=0)),
    ((1, 29), None, lambda: ext_strings.ExtStrings(version=2)),
]
# Added as cel-cpp extensions after the built-in ones: only then do their overloads join a
# function the strings extension already declares (lists' indexOf next to strings' indexOf).
_LIBRARIES: list[tuple[Version, str, Any]] = [
    ((1, 0), "kubernetes.regex", regex_library),
    ((1, 0), "kubernetes.lists", lists_library),
    ((1, 28), "kubernetes.quantity", quantity_library),
    ((1, 29), "cel.lib.ext.sets", sets_library),
]


def _active(version: Version, introduced: Version, removed: Version | None = None) -> bool:
    return introduced <= version and (removed is None or version < removed)


def kubernetes_env(
    version: Version, variables: Mapping[str, Any], extra: Sequence[Any] = ()
) -> cel.Env:
    """The environment ``MustBaseEnvSet(version)`` gives, with ``variables`` (name -> a
    ``cel.Type``; ``cel.Type.DYN`` is what admission policies declare for object,
    oldObject, request, params, namespaceObject and variables); ``extra``: further
    ``cel.CelExtension``s (MutatingAdmissionPolicy's ``jsonpatch`` library)."""
    extensions = [
        make() for intro, removed, make in _EXTENSIONS if _active(version, intro, removed)
    ]
    extensions += [
        cel.CelExtension(name, lib()) for intro, name, lib in _LIBRARIES if _active(version, intro)
    ]
    extensions += list(extra)
    return cel.NewEnv(descriptor_pool=pool(), variables=dict(variables), extensions=extensions)


_STATUS_PREFIX = re.compile(r"^[A-Z_]+: ")


def error_text(message: str) -> str:
    """cel-cpp's error text without its absl status code (``OUT_OF_RANGE: ``)."""
    return _STATUS_PREFIX.sub("", str(message), count=1)


@dataclass(frozen=True)
class Result:
    """One evaluation: ``error`` is None, or the CEL error's text (then ``value`` is None)."""

    value: Any = None
    error: str | None = None
    type_name: str = ""


def run(program: cel.Expression, data: Mapping[str, Any]) -> Result:
    """Evaluate and turn an error value into ``Result.error`` (never raises for CEL errors)."""
    try:
        value = program.eval(data=dict(data))
    except RuntimeError as err:  # cel-expr-python raises for some evaluation failures
        return Result(error=error_text(str(err)))
    kind = value.type()
    if kind == cel.Type.ERROR:
        return Result(error=error_text(value.value()))
    return Result(value=value.plain_value(), type_name=kind.name())
