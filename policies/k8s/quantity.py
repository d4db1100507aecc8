"""Kubernetes ``resource.Quantity`` parsing and printing, ported exactly.

Users compare our verdicts with a real API server, so this follows the Go source in
k8s.io/apimachinery/pkg/api/resource (quantity.go ``parseQuantityString``, ``ParseQuantity``,
``CanonicalizeBytes``/``String``, ``UnmarshalJSON``; suffix.go ``interpret``; math.go;
gopkg.in/inf.v0 ``Dec.SetString``/``Round``) rather than the documented grammar, with exact
integer/``Fraction`` arithmetic only.

Reference behaviour is the released apimachinery (v1.36 and earlier), bugs included. Upstream
fixes merged in mid-2026 that released servers do not have yet, and that this module
therefore does NOT apply:

* #141203: an exponent outside int32 (``1e4294967297``) is rejected; released Go truncates
  it with ``int32(parsed)`` (so ``1e4294967297`` is 10). We truncate.
* #140459: when a DecimalSI value's canonical exponent passes 18, ``String()`` falls back
  to ``e<N>``; released Go drops the suffix (``1000E`` prints as ``1``). We drop it.
* #141938: ``maxInt64Factors`` 18 -> 19 (only changes which 19-digit inputs keep their
  input spelling in ``String()``). We use 18.
* #141305: ``Value()`` saturates at the int64 rails; released Go returns 0, a negative or
  a wrapped number for values above 2^63-1 (kubernetes#141166). ``go_value`` and
  ``Quantity.value_int64`` return what released Go does; so does the rounding of negative
  inf.Dec values that #138510 changed.

One deliberate deviation: a value whose decimal exponent exceeds ``MAX_DECIMAL_EXPONENT``
(e.g. ``1e200000``) raises ``QuantityError`` instead of building a 10^200000 integer. Go
accepts such values (and can spend unbounded time on them); no manifest means them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache, total_ordering
from typing import NamedTuple

from ..yaml.values import type_name

__all__ = [
    "BINARY_SI",
    "DECIMAL_EXPONENT",
    "DECIMAL_SI",
    "ERR_FORMAT_WRONG",
    "ERR_NUMERIC",
    "ERR_SUFFIX",
    "MAX_DECIMAL_EXPONENT",
    "MAX_INT64",
    "Quantity",
    "QuantityError",
    "format_bytes",
    "go_value",
    "parse_manifest_quantity",
    "parse_quantity",
    "round_up_to_milli",
    "round_up_value_to_milli",
]

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

# quantity.go: splitREString is only quoted in the error text; the scanner is hand-written.
_SPLIT_RE_STRING = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
ERR_FORMAT_WRONG = "quantities must match the regular expression '" + _SPLIT_RE_STRING + "'"
ERR_NUMERIC = "unable to parse numeric part of quantity"
ERR_SUFFIX = "unable to parse quantity's suffix"

MAX_DECIMAL_EXPONENT = 100_000
"""Largest power of ten we materialise (see the module docstring)."""

MAX_INT64 = (1 << 63) - 1
"""The largest value Go's ``Quantity.Value()`` can return (2^63-1, math.MaxInt64)."""
_MIN_INT64 = -(1 << 63)
_MAX_INT64_FACTORS = 18  # math.go maxInt64Factors (released value)
_NANO = -9  # amount.go Nano: parsing keeps values down to 1n
_NANO_DEN = 10**9
_BIN_CAP_NANOS = MAX_INT64 * _NANO_DEN  # math.go maxAllowed (2^63-1), in nanos

# suffix.go: (base, exponent, format) for every suffix the lookup tables know.
_SUFFIXES: dict[str, tuple[int, int, str]] = {
    "": (10, 0, DECIMAL_SI),
    "n": (10, -9, DECIMAL_SI),
    "u": (10, -6, DECIMAL_SI),
    "m": (10, -3, DECIMAL_SI),
    "k": (10, 3, DECIMAL_SI),
    "M": (10, 6, DECIMAL_SI),
    "G": (10, 9, DECIMAL_SI),
    "T": (10, 12, DECIMAL_SI),
    "P": (10, 15, DECIMAL_SI),
    "E": (10, 18, DECIMAL_SI),
    "Ki": (2, 10, BINARY_SI),
    "Mi": (2, 20, BINARY_SI),
    "Gi": (2, 30, BINARY_SI),
    "Ti": (2, 40, BINARY_SI),
    "Pi": (2, 50, BINARY_SI),
    "Ei": (2, 60, BINARY_SI),
}
_DEC_SUFFIX_BY_EXP = {e: s for s, (b, e, _f) in _SUFFIXES.items() if b == 10}
_BIN_SUFFIX_BY_EXP = {e: s for s, (b, e, _f) in _SUFFIXES.items() if b == 2}
# ParseQuantity: int32(float32(exponent)*3/10), exact for the six binary exponents.
_BIN_PRECISION = {10: 3, 20: 6, 30: 9, 40: 12, 50: 15, 60: 18}

_SUFFIX_LETTERS = frozenset("eEinumkKMGTP")
_DIGITS = frozenset("0123456789")


class QuantityError(ValueError):
    """Carries the Kubernetes error text, e.g. ERR_FORMAT_WRONG or ERR_SUFFIX."""


@total_ordering
@dataclass(frozen=True, eq=False)
class Quantity:
    """A parsed quantity. Equality, hashing and ordering use ``value`` only, like Go's Cmp."""

    value: Fraction  # exact value after Kubernetes rounding (100m -> Fraction(1, 10))
    format: str  # "DecimalSI" | "BinarySI" | "DecimalExponent", as Kubernetes assigns it
    text: str  # the text given to ParseQuantity (manifest strings: after trimming)

    def is_integer(self) -> bool:
        return self.value.denominator == 1

    def canonical(self) -> str:
        """Exactly what Go's ``Quantity.String()`` prints for this quantity.

        That is the canonical form, except where ParseQuantity caches its input verbatim:
        ``"1.500"`` stays ``"1.500"``, ``"+1Ki"`` stays ``"+1Ki"`` (kubernetes#138165).
        """
        if self.text:
            try:
                value, fmt, keeps_text = _parse_any(self.text)
            except QuantityError:
                keeps_text = False
            if keeps_text and value == self.value and fmt == self.format:
                return self.text
        return _go_string(self.value, self.format)

    def __str__(self) -> str:
        return self.canonical()

    def value_int64(self) -> int:
        """What Go's ``Quantity.Value()`` returns for this quantity in every component that
        reads it from the API: ``go_value(self.canonical())``. JSON and protobuf both carry a
        quantity as its ``String()`` and decode it with ParseQuantity, so the kubelet and the
        scheduler hold the amount parsed from the canonical text, not from what was written
        (``10000000000000000k`` alone gives -8446744073709551616; stored, it is ``10E``: 0).
        Only values above 2^63-1 come back different from ceil(value)."""
        return go_value(self.canonical())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.value == other.value

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.value < other.value

    def __hash__(self) -> int:
        return hash(self.value)


def parse_quantity(text: str) -> Quantity:
    """``resource.ParseQuantity``: no trimming; raises QuantityError with Go's message."""
    value, fmt, _keeps_text = _parse_any(text)
    return Quantity(value, fmt, text)


def parse_manifest_quantity(value: object) -> Quantity:
    """Decode a YAML/JSON manifest value the way kubectl plus the API server do.

    kubectl turns YAML into JSON with Go's encoding/json (sigs.k8s.io/yaml) and the server
    hands the raw JSON token to ``Quantity.UnmarshalJSON``, which strips the quotes and
    applies ``strings.TrimSpace`` to the still-escaped text. So a number is parsed as Go
    prints it, ``true`` fails as text, and only whitespace that JSON leaves unescaped (the
    space, NBSP, ...) is trimmed: a tab or newline arrives as ``\\t``/``\\n`` and fails.
    ``None`` is refused here although Go decodes ``null`` into a zero quantity (the key
    stays in the map): manifest readers build that zero themselves (k8s/memory.py), while
    policy files, where null means nothing useful, keep reporting it.
    """
    if value is None:
        raise QuantityError("no value")
    if isinstance(value, bool):
        return parse_quantity("true" if value else "false")
    if isinstance(value, int):
        return parse_quantity(_go_json_int(value))
    if isinstance(value, float):
        return parse_quantity(_go_json_float(value))
    if isinstance(value, str):
        return parse_quantity(value.strip(_JSON_RAW_SPACE))
    raise QuantityError(f"must be a string or number, not {type_name(value)}")


_MILLI_DEN = 1000


def round_up_value_to_milli(value: Fraction) -> Fraction:
    """``value`` rounded to a whole number of thousandths, away from zero.

    What ``Quantity.RoundUp(resource.Milli)`` does (quantity.go; ``int64Amount.AsScale`` ->
    math.go ``negativeScaleInt64``, "rounded away from zero", and ``infDecAmount.AsScale`` ->
    ``inf.RoundUp``): 1001u -> 2m, -1n -> -1m, values already on 1m unchanged.
    """
    value = Fraction(value)
    scaled = value * _MILLI_DEN
    if scaled.denominator == 1:
        return value
    magnitude = -(-abs(scaled.numerator) // scaled.denominator)  # ceil(|scaled|)
    return Fraction(magnitude if value > 0 else -magnitude, _MILLI_DEN)


def round_up_to_milli(quantity: Quantity) -> Quantity:
    """The quantity the API server stores: k8s.io/kubernetes pkg/apis/core/v1/defaults.go
    ``SetDefaults_ResourceList`` calls ``val.RoundUp(-3)`` on every request and limit
    before validation. The format is kept; the cached text is dropped only when the value
    changes (RoundUp keeps ``q.s`` when nothing needs rounding), so ``canonical()`` prints
    what Go's ``String()`` prints afterwards."""
    rounded = round_up_value_to_milli(quantity.value)
    if rounded == quantity.value:
        return quantity
    return Quantity(rounded, quantity.format, "")


def format_bytes(value: Fraction) -> str:
    """A human-friendly, exact rendering of a byte count for messages ("512Mi", "0.5 bytes")."""
    value = Fraction(value)
    if value < 0:
        return "-" + format_bytes(-value)
    if value == 0:
        return "0"
    if value.denominator == 1:
        n = value.numerator
        for size, suffix in _BIN_UNITS:
            if n % size == 0:
                return f"{_int_str(n // size)}{suffix}"
        for size, suffix in _DEC_UNITS:
            if n % size == 0:
                return f"{_int_str(n // size)}{suffix}"
        unit = "byte" if n == 1 else "bytes"
        return f"{_int_str(n)} {unit}{_approx_binary(value)}"
    return f"{_plain_decimal(value)} bytes{_approx_binary(value)}"


# --- parsing -----------------------------------------------------------------------------

_CACHE_TEXT_LIMIT = 64  # memoise only short texts: manifests repeat "100m", "512Mi", ...

# Fast path: the spellings manifests use (digits, optional fraction, common suffix). It only
# answers when Go takes its int64 branch, and re-derives that branch's result directly.
_COMMON_RE = re.compile(r"([0-9]+)(?:\.([0-9]+))?([numkMGTPE]|[KMGT]i)?")


def _parse_any(text: str) -> tuple[Fraction, str, bool]:
    return _parse_cached(text) if len(text) <= _CACHE_TEXT_LIMIT else _parse_uncached(text)


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> tuple[Fraction, str, bool]:
    return _parse_uncached(text)


def _parse_uncached(text: str) -> tuple[Fraction, str, bool]:
    """Returns (value, format, whether Go's String() will print ``text`` verbatim)."""
    fast = _parse_common(text)
    return fast if fast is not None else _parse_exact(text)


def _parse_common(text: str) -> tuple[Fraction, str, bool] | None:
    """Regex shortcut for common inputs; None means "ask _parse_exact"."""
    match = _COMMON_RE.fullmatch(text)
    if match is None or text == "0":
        return None
    digits, frac, suffix = match.group(1), match.group(2) or "", match.group(3) or ""
    num = digits.lstrip("0") or "0"
    base, exponent, fmt = _SUFFIXES[suffix]
    if base == 2:
        if frac or 15 - len(num) - _BIN_PRECISION[exponent] - 1 < 0:
            return None
        v = int(num)
        return Fraction(v << exponent), fmt, (v & 7) != 0
    if _MAX_INT64_FACTORS - len(num) - len(frac) < 0:
        return None
    scale = exponent - len(frac)
    if scale < _NANO:
        return None
    shifted = num + frac
    v = int(shifted)
    keeps_text = scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0"
    value = Fraction(v * 10**scale) if scale >= 0 else Fraction(v, 10**-scale)
    return value, fmt, keeps_text


class _Amount(NamedTuple):
    """How Go holds a parsed quantity: ``int64Amount{value, scale}`` (worth value * 10^scale)
    or, when ``decimal``, ``infDecAmount`` (an inf.Dec worth unscaled * 10^-scale)."""

    decimal: bool
    unscaled: int
    scale: int


def _parse_exact(text: str) -> tuple[Fraction, str, bool]:
    """Line-by-line port of ParseQuantity, int64 branch and inf.Dec branch."""
    amount, fmt, keeps_text = _parse_amount(text)
    if amount.decimal:
        return Fraction(amount.unscaled, 10**amount.scale), fmt, keeps_text  # scale 9 or 0
    return _scaled_value(amount.unscaled, amount.scale, text), fmt, keeps_text


def _parse_amount(text: str) -> tuple[_Amount, str, bool]:
    """ParseQuantity: (the amount Go builds, format, whether String() prints ``text``)."""
    if len(text) == 0:
        raise QuantityError(ERR_FORMAT_WRONG)
    if text == "0":
        return _Amount(False, 0, 0), DECIMAL_SI, True
    positive, value, num, denom, suffix = _scan(text)
    base, exponent, fmt = _interpret(suffix)

    mantissa = 1
    if fmt == BINARY_SI:
        scale = 0
        if exponent >= 0 and len(denom) == 0:
            mantissa = 1 << exponent
            precision = 15 - len(num) - _BIN_PRECISION[exponent] - 1
        else:
            precision = -1
    else:
        scale = exponent
        precision = _MAX_INT64_FACTORS - (len(num) + len(denom))

    if precision >= 0:
        scale = _int32(scale - len(denom))
        if scale >= _NANO:
            shifted = num + denom
            v = int(shifted)  # at most 18 digits here, so strconv.ParseInt cannot fail
            result = v * mantissa
            if result <= MAX_INT64:  # int64Multiply succeeded
                if not positive:
                    result = -result
                if fmt == BINARY_SI:
                    keeps_text = exponent % 10 == 0 and (v & 0x07) != 0
                else:
                    keeps_text = (
                        scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0"
                    )
                return _Amount(False, result, scale), fmt, keeps_text

    unscaled, dec_scale = _inf_set_string(value)
    if base == 10:
        # amount.SetScale(amount.Scale() + Scale(exponent).infScale()): int32 arithmetic.
        dec_scale = _int32(dec_scale + _int32(-exponent))
    else:
        unscaled <<= exponent
    negative = unscaled < 0
    magnitude = -unscaled if negative else unscaled
    if magnitude == 0:
        return _Amount(True, 0, 9), fmt, False  # Go skips the rounding (the scale is moot)
    nanos = _round_up_to_nanos(magnitude, dec_scale, text)  # inf.Dec.Round to scale 9
    if fmt == BINARY_SI and nanos > _BIN_CAP_NANOS:
        amount = _Amount(True, -MAX_INT64 if negative else MAX_INT64, 0)  # maxAllowed
        return amount, fmt, False
    if fmt == BINARY_SI and nanos < _NANO_DEN:
        fmt = DECIMAL_SI
    return _Amount(True, -nanos if negative else nanos, 9), fmt, False


def _scan(s: str) -> tuple[bool, str, str, str, str]:
    """parseQuantityString: returns (positive, value, num, denom, suffix)."""
    positive = True
    pos = 0
    end = len(s)
    if pos < end:
        if s[0] == "-":
            positive = False
            pos += 1
        elif s[0] == "+":
            pos += 1
    # strip leading zeros
    i = pos
    while True:
        if i >= end:
            return positive, "0", "0", "", ""
        if s[i] != "0":
            break
        pos += 1
        i += 1
    # extract the numerator
    i = pos
    while True:
        if i >= end:
            return positive, s, s[pos:end], "", ""
        if s[i] not in _DIGITS:
            num = s[pos:i]
            pos = i
            break
        i += 1
    if len(num) == 0:
        num = "0"
    # handle a denominator
    denom = ""
    if pos < end and s[pos] == ".":
        pos += 1
        i = pos
        while True:
            if i >= end:
                return positive, s, num, s[pos:end], ""
            if s[i] not in _DIGITS:
                denom = s[pos:i]
                pos = i
                break
            i += 1
    value = s[:pos]
    # grab the elements of the suffix
    suffix_start = pos
    i = pos
    while True:
        if i >= end:
            return positive, value, num, denom, s[suffix_start:end]
        if s[i] not in _SUFFIX_LETTERS:
            pos = i
            break
        i += 1
    if pos < end and s[pos] in "-+":
        pos += 1
    i = pos
    while True:
        if i >= end:
            return positive, value, num, denom, s[suffix_start:end]
        if s[i] not in _DIGITS:
            break
        i += 1
    raise QuantityError(ERR_FORMAT_WRONG)


def _interpret(suffix: str) -> tuple[int, int, str]:
    """suffix.go interpret (released): exponents are ParseInt'ed, then int32()-truncated."""
    known = _SUFFIXES.get(suffix)
    if known is not None:
        return known
    if len(suffix) > 1 and suffix[0] in "eE":
        parsed = _go_parse_int64(suffix[1:])
        if parsed is None:
            raise QuantityError(ERR_SUFFIX)
        return 10, _int32(parsed), DECIMAL_EXPONENT
    raise QuantityError(ERR_SUFFIX)


def _go_parse_int64(s: str) -> int | None:
    """strconv.ParseInt(s, 10, 64), None on any error."""
    body = s[1:] if s[:1] in ("+", "-") else s
    if not body or not _DIGITS.issuperset(body):
        return None
    if len(body.lstrip("0")) > 19:
        return None
    v = int(body)
    if s[0] == "-":
        v = -v
    return v if _MIN_INT64 <= v <= MAX_INT64 else None


def _inf_set_string(value: str) -> tuple[int, int]:
    """inf.Dec.SetString on the scanner's value: (signed unscaled, digits after the point)."""
    body = value[1:] if value[:1] in ("+", "-") else value
    whole, _dot, frac = body.partition(".")
    digits = whole + frac
    if not digits:
        raise QuantityError(ERR_NUMERIC)  # inf: "no digits read"
    unscaled = _digits_to_int(digits)
    return (-unscaled if value[:1] == "-" else unscaled), len(frac)


def _scaled_value(result: int, scale: int, text: str) -> Fraction:
    """int64Amount{result, scale} as a Fraction (scale >= -9 here)."""
    if result == 0:
        return Fraction(0)
    if scale < 0:
        return Fraction(result, 10**-scale)
    if scale > MAX_DECIMAL_EXPONENT:
        raise _too_large(text)
    return Fraction(result * 10**scale)


def _round_up_to_nanos(magnitude: int, dec_scale: int, text: str) -> int:
    """ceil(magnitude * 10^-dec_scale * 10^9), i.e. inf.Dec.Round(x, 9, inf.RoundUp)."""
    if magnitude == 0:
        return 0  # Go skips the rounding for a zero amount
    shift = 9 - dec_scale
    if shift >= 0:
        if -dec_scale > MAX_DECIMAL_EXPONENT:
            raise _too_large(text)
        return magnitude * 10**shift
    # magnitude < 10^digits, so dividing by at least that much leaves 0 < x < 1 -> 1n.
    if -shift >= _decimal_digits_upper_bound(magnitude):
        return 1
    q, r = divmod(magnitude, 10**-shift)
    return q + 1 if r else q


def _too_large(text: str) -> QuantityError:
    return QuantityError(
        f"quantity {text!r} is too large to evaluate exactly "
        f"(above 10^{MAX_DECIMAL_EXPONENT}); the API server may not finish decoding it"
    )


def _int32(x: int) -> int:
    """Go int32 wrap-around."""
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x & 0x80000000 else x


# --- printing ----------------------------------------------------------------------------


def _go_string(value: Fraction, fmt: str) -> str:
    """CanonicalizeBytes (released): largest exponent/suffix with no fractional digits."""
    if value == 0:
        return "0"
    if fmt == BINARY_SI:
        if -1024 < value < 1024 or value.denominator != 1:
            fmt = DECIMAL_SI  # "This avoids rounding and hopefully confusion, too."
    elif fmt not in (DECIMAL_SI, DECIMAL_EXPONENT):
        fmt = DECIMAL_EXPONENT
    sign = "-" if value < 0 else ""
    if fmt == BINARY_SI:
        n = abs(value.numerator)
        times = ((n & -n).bit_length() - 1) // 10  # removeInt64Factors(n, 1024)
        n >>= 10 * times
        # binSuffixes has no entry for 1024^0 or past Ei: the suffix is then empty.
        return sign + _int_str(n) + _BIN_SUFFIX_BY_EXP.get(10 * times, "")
    mantissa, exponent = _decimal_parts(abs(value))
    rem = exponent % 3  # round the exponent down to a multiple of 3
    mantissa *= 10**rem
    exponent -= rem
    if fmt == DECIMAL_SI:
        suffix = _DEC_SUFFIX_BY_EXP.get(exponent, "")  # released Go drops unknown suffixes
    else:
        suffix = "" if exponent == 0 else f"e{exponent}"
    return sign + _int_str(mantissa) + suffix


def _decimal_parts(value: Fraction) -> tuple[int, int]:
    """(m, e) with value == m * 10^e and m not a multiple of 10; value must be > 0."""
    p, q = value.numerator, value.denominator
    twos = (q & -q).bit_length() - 1
    rest = q >> twos
    fives = 0
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    if rest != 1:
        raise ValueError(f"{value} has no finite decimal representation")
    k = max(twos, fives)
    n = p * 10**k // q
    zeros = _trailing_decimal_zeros(n)
    return n // 10**zeros, zeros - k


def _trailing_decimal_zeros(n: int) -> int:
    if n < (1 << 64):
        count = 0
        while n % 10 == 0:
            n //= 10
            count += 1
        return count
    lo, hi = 0, (n & -n).bit_length() - 1  # at most the number of factors of two
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if n % 10**mid == 0:
            lo = mid
        else:
            hi = mid - 1
    return lo


# --- Quantity.Value(), as released -------------------------------------------------------
#
# k8s.io/apimachinery pkg/api/resource, identical from v0.30.0 to v0.36.3 and v0.37.0-beta.0
# (Kubernetes 1.30-1.36, 1.37 beta): quantity.go `Value()` is `ScaledValue(0)`, which for an
# int64Amount is `q.i.AsScaledInt64(0)` with the ok flag dropped (amount.go; math.go
# positiveScaleInt64, negativeScaleInt64, int64MultiplyScale*) and for an inf.Dec is
# scale_int.go `scaledValue(dec.UnscaledBig(), dec.Scale(), 0)`, which ends in math/big
# `Int.Int64()` (the low 64 bits, as two's complement). Nothing saturates: an overflowing
# value comes back as 0, negative, or wrapped modulo 2^64 depending on how the quantity was
# parsed (kubernetes#141166; #141305 makes these accessors saturate, unreleased).

_UINT64_MASK = (1 << 64) - 1


def _wrap64(x: int) -> int:
    """Go int64 wrap-around."""
    x &= _UINT64_MASK
    return x - (1 << 64) if x >> 63 else x


def _go_quo(a: int, b: int) -> int:
    """Go's int64 `/`: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _big_int64(x: int) -> int:
    """math/big `Int.Int64()`: int64(low64(|x|)), negated (with wrap-around) when x < 0."""
    v = _wrap64(abs(x))
    return _wrap64(-v) if x < 0 else v


def _int64_multiply_scale(a: int, b: int) -> tuple[int, bool]:
    """math.go int64MultiplyScale (and the 10/100/1000 variants, which are the same)."""
    if a in (0, 1):
        return a * b, True
    if a == _MIN_INT64 and b != 1:
        return 0, False
    c = _wrap64(a * b)
    return c, _go_quo(c, b) == a


def _positive_scale_int64(base: int, scale: int) -> tuple[int, bool]:
    """math.go positiveScaleInt64: the fixed cases return the wrapped product even when it
    overflowed; the loop returns 0."""
    if scale == 0:
        return base, True
    if scale in (1, 2, 3, 6, 9):
        return _int64_multiply_scale(base, 10**scale)
    value = base
    for _ in range(scale):
        if value == 0:
            break  # 0 * 10 == 0 for every remaining step (the scale may be ~2^31)
        value, ok = _int64_multiply_scale(value, 10)
        if not ok:
            return 0, False
    return value, True


def _negative_scale_int64(base: int, scale: int) -> tuple[int, bool]:
    """math.go negativeScaleInt64: divides, rounding away from zero."""
    if scale == 0:
        return base, True
    value = base
    fraction = False
    for _ in range(scale):
        if not fraction and value % 10 != 0:  # Go's % is zero exactly when Python's is
            fraction = True
        value = _go_quo(value, 10)
        if value == 0:
            if fraction:
                return (1 if base > 0 else -1), False
            return 0, True
    if fraction:
        value = value + 1 if base > 0 else value - 1
    return value, not fraction


def _scaled_value_big(unscaled: int, scale: int, new_scale: int) -> int:
    """scale_int.go scaledValue (released): "ALWAYS rounds up ... The final result might
    overflow." The fast path rounds negatives toward zero plus one (#138510, unreleased)."""
    if unscaled == 0:
        return 0  # every branch below gives 0
    dif = scale - new_scale
    if dif == 0:
        return _big_int64(unscaled)
    if dif < 0:
        # unscaled.Int64() * int64(math.Pow10(-dif)); ParseQuantity builds no such amount
        # (its inf.Dec scale is 9, or 0 for the BinarySI cap).
        if -dif > 18:
            raise ValueError("int64(math.Pow10(n)) for n > 18 is not ported")
        return _wrap64(_big_int64(unscaled) * 10**-dif)
    if unscaled < MAX_INT64 and dif < 19:
        divide = 10**dif
        u = _big_int64(unscaled)
        result = _go_quo(u, divide)
        return result + 1 if u - result * divide != 0 else result
    result, remainder = divmod(unscaled, 10**dif)  # big.Int.DivMod: Euclidean, divisor > 0
    return _wrap64(_big_int64(result) + 1) if remainder else _big_int64(result)


def _amount_value(amount: _Amount) -> int:
    """quantity.go `Value()` = `ScaledValue(0)` on the amount ParseQuantity built."""
    if amount.decimal:
        return _scaled_value_big(amount.unscaled, amount.scale, 0)
    if amount.scale < 0:  # int64Amount.AsScaledInt64(0), ok dropped
        return _negative_scale_int64(amount.unscaled, -amount.scale)[0]
    return _positive_scale_int64(amount.unscaled, amount.scale)[0]


def go_value(text: str) -> int:
    """``resource.MustParse(text).Value()`` in released Kubernetes (see the section comment).

    Equal to ceil(value) for every value from 0 to 2^63-1; above that it is garbage:
    ``10E`` and ``1e19`` give 0, ``18446744073709551616`` gives 0 (2^64 mod 2^64),
    ``9223372036854775808`` gives -2^63, ``18446744073709552k`` gives 384. Raises
    QuantityError where ParseQuantity fails."""
    amount, _fmt, _keeps_text = _parse_amount(text)
    return _amount_value(amount)


# --- manifest decoding -------------------------------------------------------------------

# unicode.IsSpace characters that Go's JSON encoder leaves unescaped (it escapes every
# control character and U+2028/U+2029), so UnmarshalJSON's TrimSpace can remove them.
_JSON_RAW_SPACE = (
    " \u0085\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"
)


def _go_json_int(value: int) -> str:
    """An integer after kubectl: int64 as is; larger ones pass through float64."""
    if _MIN_INT64 <= value <= MAX_INT64:
        return str(value)
    try:
        as_float = float(value)
    except OverflowError:
        return _int_str(value)  # YAML leaves an out-of-float-range number a string
    return _go_json_float(as_float)


def _go_json_float(value: float) -> str:
    """encoding/json's float64 encoding ("ES6" style: 1e+21, 1e-7, 0.000001, 100)."""
    if math.isnan(value) or math.isinf(value):
        shown = "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
        raise QuantityError(f"json: unsupported value: {shown}")
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign = "-" if value < 0 else ""
    mant, _e, exp_text = repr(abs(value)).partition("e")  # shortest round-trip digits
    whole, _dot, frac = mant.partition(".")
    digits = (whole + frac).lstrip("0")  # leading zeros do not change the integer
    exp10 = (int(exp_text) if exp_text else 0) - len(frac)
    stripped = digits.rstrip("0")
    exp10 += len(digits) - len(stripped)
    digits = stripped  # value == digits * 10^exp10
    if 1e-6 <= abs(value) < 1e21:
        return sign + _positional(digits, exp10)
    sci = len(digits) + exp10 - 1
    body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{body}e{'-' if sci < 0 else '+'}{abs(sci):02d}".replace("e-0", "e-")


# --- exact text helpers --------------------------------------------------------------------

_STR_CHUNK = 4000  # below CPython's default int<->str digit limit (4300)

_BIN_UNITS = [(1 << e, s) for e, s in sorted(_BIN_SUFFIX_BY_EXP.items(), reverse=True)]
_DEC_UNITS = [(10**e, s) for e, s in sorted(_DEC_SUFFIX_BY_EXP.items(), reverse=True) if e > 0]


def _digits_to_int(digits: str) -> int:
    if len(digits) <= _STR_CHUNK:
        return int(digits)
    half = len(digits) // 2
    return _digits_to_int(digits[:-half]) * 10**half + _digits_to_int(digits[-half:])


def _int_str(n: int) -> str:
    if n < 0:
        return "-" + _int_str(-n)
    if n.bit_length() <= 13_000:  # < 3914 digits
        return str(n)
    half = _decimal_digits_upper_bound(n) // 2
    hi, lo = divmod(n, 10**half)
    return _int_str(hi) + _int_str(lo).zfill(half)


def _decimal_digits_upper_bound(n: int) -> int:
    """A d with n < 10^d, for n >= 0."""
    return n.bit_length() * 30103 // 100000 + 1


def _plain_decimal(value: Fraction) -> str:
    """Exact positional rendering of value > 0; rounded to 9 places (with ~) if endless."""
    try:
        mantissa, exponent = _decimal_parts(value)
        prefix = ""
    except ValueError:
        mantissa, exponent = math.ceil(value * _NANO_DEN), _NANO
        prefix = "~"
    text = _positional(_int_str(mantissa), exponent)
    return prefix + (text.rstrip("0").rstrip(".") if "." in text else text)


def _positional(digits: str, exponent: int) -> str:
    """digits * 10^exponent written without an exponent ("15", -3 -> "0.015")."""
    if exponent >= 0:
        return digits + "0" * exponent
    point = len(digits) + exponent
    if point > 0:
        return digits[:point] + "." + digits[point:]
    return "0." + "0" * -point + digits


def _approx_binary(value: Fraction) -> str:
    """' (~1.5Gi)' for inexact values of at least 1Ki, so messages stay readable."""
    for size, suffix in _BIN_UNITS:
        if value >= size:
            tenths = math.floor(value * 10 / size + Fraction(1, 2))
            whole, tenth = divmod(tenths, 10)
            shown = f"{whole}.{tenth}" if tenth else f"{whole}"
            return f" (~{shown}{suffix})"
    return ""
