"""The policy: which rules run, in which mode, with which parameters and exemptions.

A policy file is layered over the preset it `extends` (the packaged `default` unless it
says otherwise), validated against the JSON Schema in `schema/`, then frozen.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .extract import ExtraKind, MainContainer
from .facts import Bounds, ClusterFacts
from .goyaml import KubernetesLoader
from .model import Mode
from .policy_checks import layered_problems, validate_document
from .registry import RULES
from .rule_policy import default_params, default_rules

CONFIG_FILENAME = ".evictguard.yaml"
PRESETS = ("default", "strict")
MAX_EXTENDS_DEPTH = 8
DEFAULT_SYSTEM_NAMESPACES = ("kube-system", "kube-node-lease", "kube-public")
# Mutate Pods, not their templates: GitOps tools would see a patched Deployment as drift.
DEFAULT_MUTATE_KINDS = ("Pod",)
# The namespaces the shipped webhook configurations (manifests/base) leave out: the cluster's
# own components and evictguard's, so both can always restart. Lint does not check them
# either, so that lint and admission agree (tests/test_manifests.py holds them equal).
DEFAULT_IGNORED_NAMESPACES = ("kube-system", "evictguard")


class ConfigError(Exception):
    """Every problem found in a policy, one `FILE: path: message` line each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class RuleSettings:
    mode: Mode
    params: Mapping[str, Any]
    mutate: bool = False  # the mutating webhook applies this rule's fixes


@dataclass(frozen=True)
class Exemption:
    rules: frozenset[str] | None  # None: every rule
    namespaces: tuple[str, ...] | None
    names: tuple[str, ...] | None
    kinds: tuple[str, ...] | None
    # Annotation key -> value glob, all of which the object's own metadata must carry:
    # `{helm.sh/hook: "*"}` for the Jobs and Pods Helm runs as hooks.
    annotations: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True)
class Policy:
    rules: Mapping[str, RuleSettings]
    extra_kinds: tuple[ExtraKind, ...] = ()
    exemptions: tuple[Exemption, ...] = ()
    source: str = "preset:default"
    disabled: frozenset[str] = field(default_factory=frozenset)  # by --select/--ignore
    system_namespaces: tuple[str, ...] = DEFAULT_SYSTEM_NAMESPACES
    feature_gates: Mapping[str, bool] = field(default_factory=dict)
    # The cluster's own taints (`knownTaints`, and the older rules.toleration-never-matches
    # entry of the same name, which `_freeze` moves here).
    known_taints: tuple[Mapping[str, Any], ...] = ()
    mutate_kinds: tuple[str, ...] = DEFAULT_MUTATE_KINDS
    # Namespaces admission never sees (exact names: a namespaceSelector has no globs);
    # lint names their objects as not checked.
    ignored_namespaces: tuple[str, ...] = DEFAULT_IGNORED_NAMESPACES
    # Objects kube-controller-manager makes from a template are judged on the template
    # (warn, not deny); off: judged on their own, sidecars injected at admission included.
    controller_objects_on_template: bool = True
    # What the webhook answers when evaluating an object fails (a bug, or the time budget
    # below): allow (with a warning, a log line and a metric) or deny.
    # Whether the `evictguard.io/exempt` annotation is honoured. Anyone who can create an
    # object can set it, so at admission it is a convenience for trusted authors, not a
    # control: turn it off where pod authors are not trusted (policy exemptions remain).
    annotation_exemptions: bool = True
    on_internal_error: str = "allow"
    evaluation_budget: float = 2.0  # seconds per object, well under timeoutSeconds (5)

    def feature(self, name: str) -> bool:
        """A Kubernetes feature gate of the target cluster: as the policy sets it, else
        Kubernetes' default (`features.GATE_DEFAULTS`)."""
        return self.cluster.feature(name)

    def is_system_namespace(self, namespace: str | None) -> bool:
        return self.cluster.is_system_namespace(namespace)

    @cached_property
    def cluster(self) -> ClusterFacts:
        """What rules may know of the target cluster (`rules.base.Context.cluster`)."""
        return ClusterFacts(self.system_namespaces, self.feature_gates, self.known_taints)

    @cached_property
    def bounds(self) -> Bounds:
        """The bounds rules share, read from the rules that declare them whatever their
        mode (as before: a fix stays within them even with the judging rule off)."""
        suspicious = self.params("memory-quantity-suspicious")
        return Bounds(
            suspicious["floor"],
            suspicious["ceiling"],
            self.params("noexecute-unbounded").get("tolerationSeconds", 300),
            self.params("noexecute-seconds-too-low").get("minSeconds", 60),
        )

    def is_ignored_namespace(self, namespace: str | None) -> bool:
        """Whether objects in this namespace are left out of admission, and so of lint
        (`admission.ignoredNamespaces`). An object with no namespace is in none."""
        return namespace is not None and namespace in self.ignored_namespaces

    def mode(self, rule_id: str) -> Mode:
        if rule_id in self.disabled:
            return Mode.OFF
        settings = self.rules.get(rule_id)
        return settings.mode if settings else Mode.OFF

    def params(self, rule_id: str) -> Mapping[str, Any]:
        settings = self.rules.get(rule_id)
        return settings.params if settings else {}

    def mutates(self, rule_id: str) -> bool:
        """Whether the mutating webhook applies this rule's fixes (its mode must be on)."""
        settings = self.rules.get(rule_id)
        return bool(settings and settings.mutate) and self.mode(rule_id) is not Mode.OFF

    def active_rules(self) -> tuple[str, ...]:
        return self._active_rules

    @cached_property
    def _active_rules(self) -> tuple[str, ...]:  # asked for every object checked
        return tuple(rule_id for rule_id in RULES if self.mode(rule_id) is not Mode.OFF)

    def with_disabled(self, rule_ids: Iterable[str]) -> Policy:
        return dataclasses.replace(self, disabled=self.disabled | frozenset(rule_ids))


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
