"""How many voluntary disruptions a PodDisruptionBudget allows, as Kubernetes computes it.

Ports, so that a drain rule agrees with the cluster on every rounding edge:
- apimachinery `pkg/util/intstr/intstr.go`, `GetScaledValueFromIntOrPercent` and
  `getIntOrPercentValueSafely` (how `minAvailable`/`maxUnavailable` scale, their errors);
- kubernetes `pkg/controller/disruption/disruption.go`, `getExpectedPodCount` (which
  count a value scales against, rounded up) and `updatePdbStatus` (`disruptionsAllowed =
  currentHealthy - desiredHealthy`, 0 when `expectedCount <= 0` or the difference `<= 0`).
The Eviction API (`pkg/registry/core/pod/storage/eviction.go`, `checkAndDecrement`) refuses
an eviction with 429 while `disruptionsAllowed` is 0: a drain then retries forever.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .labels import INT64_MAX, INT64_MIN, go_escape

MIN_AVAILABLE = "minAvailable"
MAX_UNAVAILABLE = "maxUnavailable"
# Go's strconv.Atoi: an optional sign and decimal digits, nothing else (no spaces, no `_`).
_ATOI = re.compile(r"[+-]?[0-9]+")


class IntOrStringError(ValueError):
    """The error GetScaledValueFromIntOrPercent returns, worded as Go words it."""


def is_int_or_string(value: Any) -> bool:
    """What decodes into an IntOrString: a JSON integer or a string (YAML `true` does not)."""
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def int_or_percent(value: int | str) -> tuple[int, bool]:
    """`getIntOrPercentValueSafely`: (the number, whether it is a percentage)."""
    if isinstance(value, int):
        return value, False
    if not value.endswith("%"):
        raise IntOrStringError(
            "invalid value for IntOrString: invalid type: string is not a percentage"
        )
    digits = value[:-1]
    if _ATOI.fullmatch(digits) is None:
        reason = f'strconv.Atoi: parsing "{go_escape(digits)}": invalid syntax'
    elif not INT64_MIN <= int(digits) <= INT64_MAX:
        reason = f'strconv.Atoi: parsing "{go_escape(digits)}": value out of range'
    else:
        return int(digits), True
    quoted = go_escape(value)
    raise IntOrStringError(f'invalid value for IntOrString: invalid value "{quoted}": {reason}')


def scaled_value(value: int | str, total: int, round_up: bool) -> int:
    """`GetScaledValueFromIntOrPercent`: an integer as is, a percentage of `total` rounded
    up (or down), computed in float64 as Go does."""
    number, is_percent = int_or_percent(value)
    if not is_percent:
        return number
    scaled = float(number) * float(total) / 100
    return int(math.ceil(scaled) if round_up else math.floor(scaled))


@dataclass(frozen=True)
class Budget:
    """The two numbers of a PodDisruptionBudget's spec (None: not set)."""

    min_available: int | str | None = None
    max_unavailable: int | str | None = None

    @staticmethod
    def of(spec: Mapping[str, Any]) -> Budget:
        return Budget(spec.get(MIN_AVAILABLE), spec.get(MAX_UNAVAILABLE))


def desired_healthy(budget: Budget, expected_count: int, pod_count: int) -> tuple[int, int]:
    """`getExpectedPodCount`: (expectedCount, desiredHealthy). `expected_count` is the sum of
    the controllers' scale (`getExpectedScale`), `pod_count` the pods the selector matches:
    an integer `minAvailable` counts pods, everything else scales against the controllers.
    `maxUnavailable` wins when both are set (the API refuses both)."""
    if budget.max_unavailable is not None:
        unavailable = scaled_value(budget.max_unavailable, expected_count, round_up=True)
        return expected_count, max(0, expected_count - unavailable)
    if budget.min_available is not None:
        if isinstance(budget.min_available, int):
            return pod_count, budget.min_available
        return expected_count, scaled_value(budget.min_available, expected_count, round_up=True)
    return 0, 0


def disruptions_allowed(budget: Budget, replicas: int, healthy: int | None = None) -> int:
    """`updatePdbStatus` for pods of controllers scaled to `replicas` in total, all of them
    running and `healthy` (default: all) Ready."""
    expected, desired = desired_healthy(budget, replicas, replicas)
    current = replicas if healthy is None else healthy
    allowed = current - desired
    return 0 if expected <= 0 or allowed <= 0 else allowed


# Percentages are whole numbers of 100: at 100 pods every percentage scales exactly, so a
# budget that allows a disruption at some count allows one at some count up to here.
COUNTS_THAT_DECIDE = range(1, 101)


def never_allows(budget: Budget) -> bool:
    """The budget allows no disruption whatever the replica count: `maxUnavailable: 0` or
    `0%`, `minAvailable: 100%`. (An integer `minAvailable` depends on the count: the
    cross-object rules judge it against the workloads.)"""
    if budget.max_unavailable is None and not isinstance(budget.min_available, str):
        return False
    return all(disruptions_allowed(budget, n) == 0 for n in COUNTS_THAT_DECIDE)
