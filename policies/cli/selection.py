"""--select and --ignore: which rules a run leaves on (the policy's modes stay as they are),
shared by `lint` and `fix`."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from fnmatch import fnmatchcase

from ..engine.registry import RULES
from ..model import Mode
from ..policy.model import Policy


class UsageError(Exception):
    pass


def _rule_list(values: Sequence[str] | None) -> list[str]:
    patterns = [p.strip() for value in values or () for p in value.split(",") if p.strip()]
    for pattern in patterns:
        if not any(fnmatchcase(rule_id, pattern) for rule_id in RULES):
            raise UsageError(f"no rule matches {pattern!r} (see `evictguard rules`)")
    return patterns


def select_rules(
    policy: Policy, select: Sequence[str] | None, ignore: Sequence[str] | None
) -> Policy:
    """--select keeps only matching rules, --ignore drops matching ones; modes stay the policy's."""
    selected, ignored = _rule_list(select), _rule_list(ignore)
    disabled = {
        rule_id
        for rule_id in RULES
        if (selected and not any(fnmatchcase(rule_id, p) for p in selected))
        or any(fnmatchcase(rule_id, p) for p in ignored)
    }
    return policy.with_disabled(disabled)


def warn_selected_but_off(policy: Policy, select: Sequence[str] | None) -> None:
    """--select names rules, it does not switch them on: say so instead of staying silent."""
    for pattern in _rule_list(select):
        for rule_id in RULES:
            if fnmatchcase(rule_id, pattern) and policy.mode(rule_id) is Mode.OFF:
                print(
                    f"evictguard: note: {rule_id} is off in {policy.source}; "
                    "set its mode in a policy file to run it",
                    file=sys.stderr,
                )
