"""Likely intended spellings of a mistyped memory quantity, for messages."""

from __future__ import annotations

import re

from .quantity import QuantityError, parse_quantity

# Suffixes people write -> the Kubernetes suffixes they most likely meant (binary first:
# memory is sized in powers of two almost everywhere).
SUFFIX_CORRECTIONS: dict[str, tuple[str, ...]] = {
    "kb": ("Ki", "k"),
    "k": ("Ki", "k"),
    "kib": ("Ki",),
    "ki": ("Ki",),
    "mb": ("Mi", "M"),
    "mib": ("Mi",),
    "mi": ("Mi",),
    "gb": ("Gi", "G"),
    "gib": ("Gi",),
    "gi": ("Gi",),
    "g": ("Gi", "G"),
    "tb": ("Ti", "T"),
    "tib": ("Ti",),
    "ti": ("Ti",),
    "t": ("Ti", "T"),
    "pb": ("Pi", "P"),
    "pib": ("Pi",),
    "pi": ("Pi",),
    "p": ("Pi", "P"),
    "b": ("",),
    "bytes": ("",),
}

_NUMBER_AND_SUFFIX = re.compile(r"^\s*([+-]?[0-9.]+)\s*([A-Za-z]*)\s*$")


def suggest_quantity(text: str) -> list[str]:
    """Valid quantities the author probably meant, best first; empty when unsure."""
    match = _NUMBER_AND_SUFFIX.match(text)
    if not match:
        return []
    number, suffix = match.groups()
    candidates = [number + s for s in SUFFIX_CORRECTIONS.get(suffix.lower(), ())]
    if not candidates and suffix:
        candidates = [number + suffix]  # only stray spaces were wrong
    valid: list[str] = []
    for candidate in candidates:
        try:
            quantity = parse_quantity(candidate)
        except QuantityError:
            continue
        # A negative value would only trade one rejection for another.
        if candidate != text and quantity.value >= 0:
            valid.append(candidate)
    return valid


def did_you_mean(options: list[str]) -> str:
    if not options:
        return ""
    quoted = " or ".join(f'"{o}"' for o in options)
    return f"; did you mean {quoted}?"
