"""Likely intended spellings, for messages: a mistyped memory quantity, a taint key one slip
away from a well-known one. Shared by the rules that suggest them; ports nothing."""

from __future__ import annotations

import re

from ..k8s.quantity import QuantityError, parse_quantity

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


def _normalised(key: str) -> str:
    return "".join(c for c in key.lower() if c.isalnum() or c == "/")


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    two neighbouring characters each cost one."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


_KUBERNETES_DOMAINS = ("kubernetes.io", "k8s.io")


def _slips_allowed(length: int) -> int:
    """Two slips in a long key, one in a short one (`dedicatd`), none in a tiny one."""
    return 2 if length >= 12 else 1 if length >= 5 else 0


def suggest_taint_key(key: str, known: list[str]) -> str | None:
    """The known taint key `key` most likely misspells, or None when it looks like a taint
    of its own. Close means: equal but for case and punctuation (`controlplane`,
    `notReady`), one or two typing slips (by length), or the same name under another
    Kubernetes prefix (`node-role.kubernetes.io/unreachable`)."""
    if key in known:
        return None
    normal = _normalised(key)
    for candidate in known:
        if _normalised(candidate) == normal:
            return candidate
    slips = _slips_allowed(len(key))
    scored = sorted((edit_distance(key, c), c) for c in known if abs(len(c) - len(key)) <= slips)
    if scored and scored[0][0] <= slips:
        return scored[0][1]
    prefix, _, name = key.rpartition("/")
    if prefix.endswith(_KUBERNETES_DOMAINS):
        for candidate in known:
            if candidate.rpartition("/")[2].lower() == name.lower():
                return candidate
    return None
