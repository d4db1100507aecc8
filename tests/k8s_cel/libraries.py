"""Kubernetes' CEL function libraries (k8s.io/apiserver/pkg/cel/library), ported onto cel-cpp.

Each function is written from the Go source it names; a Go ``types.NewErr``/``WrapErr``
becomes a raised ``CelError`` that cel-expr-python turns into a CEL error value (so errors
propagate and are absorbed by ``||``/``&&`` as cel-go's do), never an escaping exception.
Values arrive as plain Python values (int, float, str, bytes, bool, None, list, dict).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from cel_expr_python import cel
from evictguard.k8s.quantity import QuantityError, parse_quantity
from google.protobuf.message import Message

from .proto import quantity_message, quantity_value

MAX_INT64 = (1 << 63) - 1
MIN_INT64 = -(1 << 63)

QUANTITY = cel.Type("kubernetes.Quantity")
LIST = cel.Type.List(cel.Type.DYN)
T = cel.Type


class CelError(ValueError):
    """An error value of the CEL program (cel-expr-python reports it as OUT_OF_RANGE)."""


def _decl(
    name: str, *overloads: tuple[str, cel.Type, list[cel.Type], bool, Callable[..., Any]]
) -> cel.FunctionDecl:
    return cel.FunctionDecl(
        name,
        [
            cel.Overload(oid, result, params, is_member=member, impl=impl)
            for oid, result, params, member, impl in overloads
        ],
    )


# --- quantity.go ---------------------------------------------------------------------------


def _string_to_quantity(text: str) -> Message:
    """``stringToQuantity``: ``resource.ParseQuantity``, its error wrapped."""
    try:
        return quantity_message(parse_quantity(text).value)
    except QuantityError as err:
        raise CelError(str(err)) from None


def _is_quantity(text: str) -> bool:
    """``isQuantity``: ParseQuantity succeeds."""
    try:
        parse_quantity(text)
    except QuantityError:
        return False
    return True


def _cmp(a: Fraction, b: Fraction) -> int:
    return (a > b) - (a < b)


def _as_int64(value: Fraction) -> int | None:
    """``Quantity.AsInt64`` by value (see environment.py: representation is not kept)."""
    if value.denominator != 1 or not MIN_INT64 <= value.numerator <= MAX_INT64:
        return None
    return value.numerator


def _quantity_get_value(q: Message) -> int:
    """``quantityGetValue``: asInteger, an error when AsInt64 fails."""
    result = _as_int64(quantity_value(q))
    if result is None:
        raise CelError("cannot convert value to integer")
    return result


def _q(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Unwrap every Quantity argument to its exact value."""

    def impl(*args: Any) -> Any:
        return fn(*(quantity_value(a) if isinstance(a, Message) else a for a in args))

    return impl


def _qmsg(fn: Callable[..., Fraction]) -> Callable[..., Message]:
    def impl(*args: Any) -> Message:
        return quantity_message(_q(fn)(*args))

    return impl


def quantity_library() -> list[cel.FunctionDecl]:
    """``quantityLibraryDecls`` (library/quantity.go), minus mul/div/divInt (newer than the
    versions this harness models). ``sign`` is a global overload there (``cel.Overload``,
    not ``MemberOverload``), so it is ``sign(q)`` here too, whatever the doc comment says."""
    Q, INT, BOOL = QUANTITY, T.INT, T.BOOL
    return [
        _decl("quantity", ("string_to_quantity", Q, [T.STRING], False, _string_to_quantity)),
        _decl("isQuantity", ("is_quantity_string", BOOL, [T.STRING], False, _is_quantity)),
        _decl("sign", ("quantity_sign", INT, [Q], False, _q(lambda a: _cmp(a, Fraction(0))))),
        _decl(
            "isGreaterThan",
            ("quantity_is_greater_than", BOOL, [Q, Q], True, _q(lambda a, b: a > b)),
        ),
        _decl("isLessThan", ("quantity_is_less_than", BOOL, [Q, Q], True, _q(lambda a, b: a < b))),
        _decl("compareTo", ("quantity_compare_to", INT, [Q, Q], True, _q(_cmp))),
        _decl("asApproximateFloat", ("quantity_get_float", T.DOUBLE, [Q], True, _q(float))),
        _decl("asInteger", ("quantity_get_int", INT, [Q], True, _quantity_get_value)),
        _decl(
            "isInteger",
            ("quantity_is_integer", BOOL, [Q], True, _q(lambda a: _as_int64(a) is not None)),
        ),
        _decl(
            "add",
            ("quantity_add", Q, [Q, Q], True, _qmsg(lambda a, b: a + b)),
            ("quantity_add_int", Q, [Q, INT], True, _qmsg(lambda a, b: a + b)),
        ),
        _decl(
            "sub",
            ("quantity_sub", Q, [Q, Q], True, _qmsg(lambda a, b: a - b)),
            ("quantity_sub_int", Q, [Q, INT], True, _qmsg(lambda a, b: a - b)),
        ),
    ]


# --- lists.go ------------------------------------------------------------------------------


def cel_equal(a: Any, b: Any) -> bool:
    """CEL equality on plain values: numbers across int/uint/double, bool never a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(cel_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(cel_equal(a[k], b[k]) for k in a)
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers):
        return a == b
    return type(a) is type(b) and a == b


def _compare(a: Any, b: Any) -> int:
    """``traits.Comparer.Compare`` (numbers compare across types: CrossTypeNumericComparisons)."""
    same = isinstance(a, bool) == isinstance(b, bool)
    numbers = isinstance(a, (int, float)) and isinstance(b, (int, float))
    if not same or not (numbers or type(a) is type(b)) or isinstance(a, (list, dict)):
        raise CelError("no such overload")
    return (a > b) - (a < b)


def _is_sorted(items: list[Any]) -> bool:
    """``isSorted``: false at the first element smaller than the one before it."""
    return all(_compare(prev, nxt) != 1 for prev, nxt in itertools.pairwise(items))


def _sum(items: list[Any]) -> Any:
    """``sum``: the zero of the element type for an empty list (int here: the static type
    is not visible to a list(dyn) overload)."""
    total: Any = 0
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise CelError("no such overload")
        total = total + item
    if isinstance(total, int) and not MIN_INT64 <= total <= MAX_INT64:
        raise CelError("integer overflow")
    return total


def _extreme(name: str, prefer: int) -> Callable[[list[Any]], Any]:
    """``cmp(opName, opPreferCmpResult)``: min keeps the first of equal elements, like Go."""

    def impl(items: list[Any]) -> Any:
        if not items:
            raise CelError(f"{name} called on empty list")
        result = items[0]
        for item in items[1:]:
            if _compare(result, item) == prefer:
                result = item
        return result

    return impl


def _index_of(items: list[Any], item: Any) -> int:
    return next((i for i, x in enumerate(items) if cel_equal(x, item)), -1)


def _last_index_of(items: list[Any], item: Any) -> int:
    return next((i for i in range(len(items) - 1, -1, -1) if cel_equal(items[i], item)), -1)


def lists_library() -> list[cel.FunctionDecl]:
    """``lists.declarations`` at version 0 (base.go ``UnversionedLib(library.Lists)``: no
    ``includes``). One list(dyn) overload per function where Go templates one per type."""
    return [
        _decl("isSorted", ("list_is_sorted_bool", T.BOOL, [LIST], True, _is_sorted)),
        _decl("sum", ("list_sum", T.DYN, [LIST], True, _sum)),
        _decl("max", ("list_max", T.DYN, [LIST], True, _extreme("max", -1))),
        _decl("min", ("list_min", T.DYN, [LIST], True, _extreme("min", 1))),
        _decl("indexOf", ("list_a_index_of_int", T.INT, [LIST, T.DYN], True, _index_of)),
        _decl(
            "lastIndexOf", ("list_a_last_index_of_int", T.INT, [LIST, T.DYN], True, _last_index_of)
        ),
    ]


# --- regex.go ------------------------------------------------------------------------------


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as err:
        raise CelError(f"Illegal regex: {err}") from None


def _find(text: str, pattern: str) -> str:
    """``find``: ``Regexp.FindString``, "" when nothing matches."""
    match = _compile(pattern).search(text)
    return match.group(0) if match else ""


def _find_all(text: str, pattern: str, n: int = -1) -> list[str]:
    """``findAll``: ``Regexp.FindAllString`` (regexp.go ``allMatches``): an empty match right
    after the previous match is dropped, and n < 0 means every match."""
    regex = _compile(pattern)
    limit = len(text) + 1 if n < 0 else n
    result: list[str] = []
    pos, prev_end = 0, -1
    while len(result) < limit and pos <= len(text):
        match = regex.search(text, pos)
        if match is None:
            break
        accept = True
        if match.end() == pos:
            if match.start() == prev_end:
                accept = False
            pos += 1
        else:
            pos = match.end()
        prev_end = match.end()
        if accept:
            result.append(match.group(0))
    return result


def regex_library() -> list[cel.FunctionDecl]:
    """``regexLibraryDecls`` (library/regex.go), on Python's ``re`` instead of Go's RE2: the
    same leftmost-first matches for the RE2 subset; RE2-only syntax (``\\pN``, ``(?P<n>``
    is shared) or Python-only syntax (lookarounds, backreferences) differs."""
    S = T.STRING
    return [
        _decl("find", ("string_find_string", S, [S, S], True, _find)),
        _decl(
            "findAll",
            ("string_find_all_string", T.List(S), [S, S], True, _find_all),
            ("string_find_all_string_int", T.List(S), [S, S, T.INT], True, _find_all),
        ),
    ]


# --- cel-go ext/sets.go --------------------------------------------------------------------


def _contains(items: Sequence[Any], sub: Sequence[Any]) -> bool:
    return all(any(cel_equal(x, y) for x in items) for y in sub)


def sets_library() -> list[cel.FunctionDecl]:
    """cel-go ``ext.Sets()`` (cel-cpp's sets extension is not exposed by cel-expr-python)."""
    B = T.BOOL
    return [
        _decl("sets.contains", ("list_sets_contains_list", B, [LIST, LIST], False, _contains)),
        _decl(
            "sets.equivalent",
            (
                "list_sets_equivalent_list",
                B,
                [LIST, LIST],
                False,
                lambda a, b: _contains(a, b) and _contains(b, a),
            ),
        ),
        _decl(
            "sets.intersects",
            (
                "list_sets_intersects_list",
                B,
                [LIST, LIST],
                False,
                lambda a, b: any(_contains(a, [y]) for y in b),
            ),
        ),
    ]
