"""The policy as plain data: which rules run, in which mode, with which parameters,
exemptions and cluster facts. Loading and validating it (`policy.load`,
`policy.validate`) sit above the rules; this sits below them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..k8s.podspec import ExtraKind
from ..model import Mode
from .facts import Bounds, ClusterFacts

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
        # `rules` is in the registry's order (`policy.load` builds it so).
        return tuple(rule_id for rule_id in self.rules if self.mode(rule_id) is not Mode.OFF)

    def with_disabled(self, rule_ids: Iterable[str]) -> Policy:
        return dataclasses.replace(self, disabled=self.disabled | frozenset(rule_ids))
