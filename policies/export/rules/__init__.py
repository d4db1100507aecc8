"""One module per rule of `rules/`, of the same name: `RULE`, its CEL, where CEL can state
the rule exactly; else `WEBHOOK_ONLY`, the reason it cannot (README: Native admission).
Found by name, so adding a rule's module is all it takes; tests/test_export_vap.py holds
every registered rule to having one."""

from __future__ import annotations

import importlib
import pkgutil

from .base import CelRule

# A rule without a module here (a new one) is listed as webhook-only with this reason.
NO_MODULE = "not restated in CEL yet (no module in evictguard/export/rules)"


def _modules() -> list[object]:
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if info.name != "base"
    ]


def _collect() -> tuple[dict[str, CelRule], dict[str, str]]:
    exports: dict[str, CelRule] = {}
    webhook_only: dict[str, str] = {}
    for module in _modules():
        rule_id = module.__name__.rsplit(".", 1)[1].replace("_", "-")
        rule = getattr(module, "RULE", None)
        if isinstance(rule, CelRule):
            if rule.rule != rule_id:
                raise ValueError(f"{module.__name__} exports {rule.rule}, not {rule_id}")
            exports[rule_id] = rule
        else:
            webhook_only[rule_id] = module.WEBHOOK_ONLY  # type: ignore[attr-defined]
    return exports, webhook_only


EXPORTS, WEBHOOK_ONLY = _collect()


def why_webhook_only(rule_id: str) -> str:
    return WEBHOOK_ONLY.get(rule_id, NO_MODULE)
