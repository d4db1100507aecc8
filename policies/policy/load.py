"""The policy: which rules run, in which mode, with which parameters and exemptions.

A policy file is layered over the preset it `extends` (the packaged `default` unless it
says otherwise), validated against the JSON Schema in `schema/`, then frozen.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..engine.registry import RULES
from ..k8s.podspec import ExtraKind, MainContainer
from ..model import Mode
from ..yaml.goyaml import KubernetesLoader
from .declared import default_params, default_rules
from .model import (
    DEFAULT_IGNORED_NAMESPACES,
    DEFAULT_MUTATE_KINDS,
    DEFAULT_SYSTEM_NAMESPACES,
    ConfigError,
    Exemption,
    Policy,
    RuleSettings,
)
from .validate import layered_problems, validate_document

CONFIG_FILENAME = ".evictguard.yaml"
PRESETS = ("default", "strict")
MAX_EXTENDS_DEPTH = 8


def _read_yaml(path: str, label: str) -> Any:
    try:
        with open(path, "rb") as handle:
            return yaml.load(handle, Loader=KubernetesLoader)  # the safe loader (C when available)
    except OSError as exc:
        raise ConfigError([f"{label}: cannot read policy: {exc.strerror}"]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{label}{where}: invalid YAML: {problem}"]) from exc


def _preset_path(name: str) -> str:
    return str(resources.files(__package__).joinpath(f"presets/{name}.yaml"))


def _normalise_modes(data: dict[str, Any]) -> None:
    """`mode: off` is the YAML 1.1 boolean false; read it as the word the author wrote."""
    rules = data.get("rules")
    if isinstance(rules, dict):
        for settings in rules.values():
            if isinstance(settings, dict) and settings.get("mode") is False:
                settings["mode"] = "off"


def _merge(base: Any, overlay: Any) -> Any:
    """Mappings merge key by key; anything else (lists included) is replaced."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = dict(base)
        for key, value in overlay.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return overlay


def _load_layered(path: str, label: str, depth: int = 0) -> dict[str, Any]:
    if depth > MAX_EXTENDS_DEPTH:
        raise ConfigError([f"{label}: extends: chain deeper than {MAX_EXTENDS_DEPTH}"])
    data = _read_yaml(path, label)
    if data is None:
        data = {}
    if isinstance(data, dict):
        _normalise_modes(data)
    # The packaged presets are checked by the tests, not on every run.
    problems = [] if label.startswith("preset:") else validate_document(data, label)
    if problems:
        raise ConfigError(problems)
    is_base = os.path.abspath(path) == os.path.abspath(_preset_path("default"))
    if is_base:  # the rules' own declarations are the default preset's rules
        data = _merge({"rules": default_rules(RULES.values())}, data)
    parent_name = data.get("extends", None if is_base else "default")
    if parent_name in (None, "none"):
        return data
    if parent_name in PRESETS:
        parent_path, parent_label = _preset_path(parent_name), f"preset:{parent_name}"
    else:
        parent_path = os.path.join(os.path.dirname(os.path.abspath(path)), parent_name)
        parent_label = parent_path
    parent = _load_layered(parent_path, parent_label, depth + 1)
    merged = _merge(parent, data)
    merged.pop("extends", None)
    return merged


@cache
def _default_params() -> dict[str, dict[str, Any]]:
    """Each rule's declared parameters: a policy that `extends: none` and turns a rule on
    still needs them (rules read them unconditionally)."""
    return {rule_id: default_params(rule) for rule_id, rule in RULES.items()}


def _extra_kind(entry: Mapping[str, Any]) -> ExtraKind:
    main = entry.get("mainContainer")
    return ExtraKind(
        entry["kind"],
        tuple(entry["path"].split(".")),
        entry.get("apiGroup"),
        MainContainer(main["name"], tuple(main["resources"].split("."))) if main else None,
    )


def _freeze(data: Mapping[str, Any], source: str) -> Policy:
    rules: dict[str, RuleSettings] = {}
    moved: dict[str, list[Any]] = {}  # cluster section -> entries still set in a rule entry
    for rule_id, rule in RULES.items():
        settings = dict(_default_params().get(rule_id, {}))
        settings.update((data.get("rules") or {}).get(rule_id) or {})
        for param in rule.params:
            if param.moved_to is not None:
                moved.setdefault(param.moved_to, []).extend(settings.pop(param.name, None) or ())
        mode = Mode(settings.pop("mode", "off"))
        mutate = bool(settings.pop("mutate", False))
        rules[rule_id] = RuleSettings(mode, settings, mutate)
    extra = tuple(_extra_kind(k) for k in data.get("podSpecKinds") or ())
    exemptions = tuple(
        Exemption(
            frozenset(e["rules"]) if "rules" in e and "*" not in e["rules"] else None,
            tuple(e["namespaces"]) if "namespaces" in e else None,
            tuple(e["names"]) if "names" in e else None,
            tuple(e["kinds"]) if "kinds" in e else None,
            tuple(e["annotations"].items()) if "annotations" in e else None,
        )
        for e in data.get("exemptions") or ()
    )
    system = data.get("systemNamespaces")
    admission = data.get("admission") or {}
    return Policy(
        rules=rules,
        extra_kinds=extra,
        exemptions=exemptions,
        source=source,
        system_namespaces=DEFAULT_SYSTEM_NAMESPACES if system is None else tuple(system),
        feature_gates=dict(data.get("featureGates") or {}),
        # The older place first: the top-level entry for a key wins.
        known_taints=(*moved.get("knownTaints", ()), *(data.get("knownTaints") or ())),
        mutate_kinds=tuple(admission.get("mutateKinds", DEFAULT_MUTATE_KINDS)),
        ignored_namespaces=tuple(admission.get("ignoredNamespaces", DEFAULT_IGNORED_NAMESPACES)),
        controller_objects_on_template=admission.get("controllerObjectsOnTemplate", True),
        annotation_exemptions=data.get("annotationExemptions", True),
        on_internal_error=admission.get("onInternalError", "allow"),
        evaluation_budget=float(admission.get("evaluationBudgetSeconds", 2.0)),
    )


def load_policy_file(path: str) -> Policy:
    policy = _freeze(_load_layered(path, path), path)
    problems = layered_problems(policy, path)
    if problems:
        raise ConfigError(problems)
    return policy


def load_preset(name: str = "default") -> Policy:
    return _freeze(_load_layered(_preset_path(name), f"preset:{name}"), f"preset:{name}")


def find_config(start: str | None = None) -> str | None:
    """`.evictguard.yaml` in the folder or the nearest parent that has one."""
    folder = Path(start or os.getcwd()).resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / CONFIG_FILENAME
        if path.is_file():
            return str(path)
    return None


def resolve_policy(config: str | None = None, start: str | None = None) -> Policy:
    """--config FILE, else `.evictguard.yaml` found upwards, else the default preset."""
    path = config or find_config(start)
    return load_policy_file(path) if path else load_preset("default")
