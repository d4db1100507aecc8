"""memory-quantity-suspicious: valid quantities that are almost certainly typos (sub-byte
suffixes, fractions of a byte, values below the policy's `floor` or above its `ceiling`)."""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.memory import MemoryValue, all_memory
from ..k8s.quantity import (
    Quantity,
    QuantityError,
    format_bytes,
    parse_manifest_quantity,
    parse_quantity,
)
from ..model import Mode, Violation
from .base import Context, Param, ParamType, Rule

# Sub-unit suffixes: nobody sizes memory in thousandths of a byte on purpose.
# suffix -> (what it means, what was probably meant)
SUB_BYTE_SUFFIXES = {
    "m": ("thousandths of a byte", "Mi"),
    "u": ("millionths of a byte", "Mi"),
    "n": ("billionths of a byte", "Mi"),
}


def _suffix(text: str) -> str:
    stripped = text.strip()
    return stripped.lstrip("+-0123456789.")


# Over the ceiling, a suffix one step too large is the usual typo: 512Gi for 512Mi.
_ONE_STEP_DOWN = {
    **{"Gi": "Mi", "Ti": "Gi", "Pi": "Ti", "Ei": "Pi"},
    **{"G": "M", "T": "G", "P": "T", "E": "P"},
}


def _meant(value: MemoryValue, floor: Quantity, ceiling: Quantity) -> str:
    """' (did you mean "512Mi"?)' for "512Gi": the suffix one step down, when the value is
    written with a suffix and that reading lies between the floor and the ceiling."""
    if not isinstance(value.raw, str):
        return ""
    shown = value.shown.strip()
    suffix = _suffix(shown)
    if suffix not in _ONE_STEP_DOWN:
        return ""
    meant = shown[: -len(suffix)] + _ONE_STEP_DOWN[suffix]
    try:
        reading = parse_quantity(meant)
    except QuantityError:
        return ""
    return f' (did you mean "{meant}"?)' if floor <= reading <= ceiling else ""


def problem(value: MemoryValue, floor_text: str, ceiling_text: str) -> str | None:
    """Why a valid value looks like a typo, or None. Zero is no typo: a zero request is
    allowed, and a zero limit is no limit at all (memory-limit-missing reports it). Values
    above 2^63-1 bytes are memory-quantity-invalid's alone (`MemoryValue.overflows`)."""
    quantity = value.quantity
    if quantity is None or quantity.value < 0 or value.overflows or value.capped:
        return None  # memory-quantity-invalid reports it
    if quantity.value == 0:
        return None
    shown = value.shown
    suffix = _suffix(shown) if isinstance(value.raw, str) else ""
    if suffix in SUB_BYTE_SUFFIXES:
        meaning, intended = SUB_BYTE_SUFFIXES[suffix]
        meant = shown.strip()[: -len(suffix)] + intended
        return (
            f'"{shown}" is {format_bytes(quantity.value)}: "{suffix}" counts {meaning}; '
            f'did you mean "{meant}"?'
        )
    if quantity.value.denominator != 1:
        return f'"{shown}" is a fractional number of bytes ({format_bytes(quantity.value)})'
    floor = parse_manifest_quantity(floor_text)
    if quantity.value < floor.value:
        return f'"{shown}" is below the policy floor of {floor_text}; no real process fits in it'
    ceiling = parse_manifest_quantity(ceiling_text)
    if quantity.value > ceiling.value:
        return (
            f'"{shown}" is above the policy ceiling of {ceiling_text}, more than almost any '
            f"node has: probably a typo{_meant(value, floor, ceiling)}; if it is meant, raise "
            "rules.memory-quantity-suspicious.ceiling"
        )
    return None


def check(ctx: Context) -> Iterator[Violation]:
    floor, ceiling = ctx.params["floor"], ctx.params["ceiling"]
    for memory in all_memory(ctx.pod):
        for label, value in (("limit", memory.limit), ("request", memory.request)):
            if value is None:
                continue
            found = problem(value, floor, ceiling)
            if found:
                yield Violation(
                    pointer=value.pointer,
                    message=f"{ctx.ref.describe()}: {memory.what}: memory {label} {found}",
                    container=memory.container,
                )


RULE = Rule(
    id="memory-quantity-suspicious",
    summary="Memory quantities that parse but are almost certainly typos: fractions of a "
    "byte (512m), below a floor (default 4Mi) or above a ceiling (default 1Ti).",
    why="`512m` is 0.512 bytes, not 512 megabytes. The API server accepts it, but as a "
    "limit the container cannot run (container runtimes refuse memory limits below a few "
    "MiB, or the kernel OOM-kills it at once), and as a request it reserves nothing. Values "
    "below a few mebibytes cannot hold any real process and are usually a missing suffix "
    "(`memory: 512` is 512 bytes). Values above a tebibyte are usually a suffix one step "
    "too large (`512Gi` for `512Mi`): as a request it keeps the Pod Pending unless some "
    "node has that much to give, and as a limit it limits nothing. (Above 2^63-1 bytes "
    "the value is not even read as written: memory-quantity-invalid reports it.)",
    remediation="Use Mi or Gi (512Mi); set the policy's floor or ceiling if tiny or huge "
    "values are intended.",
    example="""\
apiVersion: v1
kind: Pod
metadata:
  name: api
spec:
  containers:
    - name: api
      image: example/api:1.0
      resources:
        limits:
          memory: 512m   # 0.512 bytes: meant 512Mi
""",
    check=check,
    params=(
        Param("floor", ParamType.QUANTITY, "4Mi", "non-zero values below it are suspicious"),
        Param(
            "ceiling",
            ParamType.QUANTITY,
            "1Ti",
            "non-zero values above it are suspicious, probable suffix typos (512Gi for 512Mi); "
            "at least floor",
        ),
    ),
    default_mode=Mode.ENFORCE,
)
