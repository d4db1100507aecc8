"""Memory requests and limits in CEL, as admission hands them over.

By then the API server has decoded every quantity (one that does not parse, or is negative,
never reaches admission), rounded it up to 1m (`SetDefaults_ResourceList`, on Pods and pod
templates alike) and written it back in canonical form (`Quantity.String()`): `null` is
"0", `0.5` is "500m". So a value is a non-empty string `quantity()` reads, and "" here
stands for a value that is not there.
"""

from __future__ import annotations

from fractions import Fraction

from ..k8s.quantity import MAX_INT64, parse_manifest_quantity
from .cel import literal
from .subject import Subject

ABSENT = "''"
MAX = f"quantity({literal(str(MAX_INT64))})"
# (`quantity.sign` is a global function in Kubernetes, `sign(q)`: compared with 0 instead)
ZERO = "quantity('0')"


def quantity_literal(value: object) -> str:
    """A policy's quantity parameter as a CEL quantity of exactly its value (written as a
    plain decimal number, which `quantity()` reads exactly; the value has at most 9
    decimals, as every parsed quantity)."""
    exact = parse_manifest_quantity(value).value
    whole, rest = divmod(exact, 1)
    text = str(whole)
    if rest:
        digits = str(int(rest * 10**9)).rjust(9, "0").rstrip("0")
        text += "." + digits
        if Fraction(text) != exact:
            raise ValueError(f"{value!r} is not a decimal quantity")
    return f"quantity({literal(text)})"


def places(subject: Subject) -> str:
    """Every place memory may be set (`k8s.memory.all_memory`): the containers (init and
    sidecar, then regular) and the pod-level resources, each a map of `what` (how a finding
    names it), `limit` and `request` (the quantity as a string, or '' when not set)."""
    container = _place(subject.label("c"), "c.?resources")
    pod = _place(literal("pod-level resources"), f"{subject.spec}.?resources")
    return f"({subject.containers}.map(c, {container}) + [{pod}])"


def _place(what: str, resources: str) -> str:
    """A map literal whose values are all `string`: Kubernetes' CEL refuses a literal mixing
    `string` with the `dyn` read from the object (ValidateHomogeneousAggregateLiterals), so
    the values read are converted (`string()` of a string is itself)."""
    return (
        f"{{'what': {what},"
        f" 'limit': string({resources}.?limits.?memory.orValue({ABSENT})),"
        f" 'request': string({resources}.?requests.?memory.orValue({ABSENT}))}}"
    )


def overflows(value: str) -> str:
    """Above 2^63-1 bytes (`MemoryValue.overflows`): valid, but Quantity.Value() overflows."""
    return f"quantity({value}).isGreaterThan({MAX})"


def capped(value: str) -> str:
    """Written with a binary suffix and capped at 2^63-1 by ParseQuantity
    (`MemoryValue.capped`); Quantity.String() prints that without a suffix, so only an
    object not written back by the API server can carry it."""
    return f"({value}.endsWith('i') && quantity({value}).compareTo({MAX}) == 0)"


def readable(value: str) -> str:
    """`MemoryValue.readable` of a value that is there (and, at admission, valid)."""
    return f"!({overflows(value)} || {capped(value)})"


def both(place: str) -> str:
    """The place sets a request and a limit (`k8s.memory.requests_with_limits`)."""
    return f"{place}.limit != {ABSENT} && {place}.request != {ABSENT}"


# Bits doubled in one chain of `map`s: CEL parsers bound nesting (cel-cpp at 32, cel-go at
# 250 levels), and each link of a chain is one level; longer factors are cut in chunks.
CHUNK_BITS = 16


def _chain(x: str, factor: int) -> str:
    """`x` (a bound quantity) times 1 <= factor < 2^CHUNK_BITS: Horner's rule, doubling and
    adding with `quantity.add`, one `map` on a one-item list per bit."""
    steps = "".join(
        ".map(a, a.add(a).add(" + x + "))" if bit == "1" else ".map(a, a.add(a))"
        for bit in bin(factor)[3:]  # after the leading 1
    )
    return f"[{x}]{steps}[0]" if steps else x


def times(value: str, factor: int) -> str:
    """`value` (a CEL quantity) times a positive int, exactly, with `quantity.add` alone: the
    factor's base-2^CHUNK_BITS digits by Horner's rule, each partial product bound once by
    a one-item `map`, so the nesting grows with the chunks, not with the bits."""
    if factor < 1:
        raise ValueError("a positive factor")
    digits = []
    while factor:
        factor, digit = divmod(factor, 1 << CHUNK_BITS)
        digits.append(digit)
    digits.reverse()
    acc = _chain("x", digits[0])
    shift = "".join(".map(a, a.add(a))" for _ in range(CHUNK_BITS))
    for digit in digits[1:]:
        added = f".add({_chain('x', digit)})" if digit else ""
        acc = f"[{acc}].map(y, [y]{shift}[0]{added})[0]"
    return f"[{value}].map(x, {acc})[0]" if acc != "x" else value


def ratio_above(limit: str, request: str, maximum: object) -> str:
    """limit / request > maximum, exactly (the engine's Fraction arithmetic: request > 0,
    maximum a decimal number, so limit * q > request * p with maximum = p/q)."""
    exact = Fraction(str(maximum))
    p, q = exact.numerator, exact.denominator
    return f"{times(f'quantity({limit})', q)}.isGreaterThan({times(f'quantity({request})', p)})"
