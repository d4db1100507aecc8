"""What a rule is: metadata (feeding `rules`, `explain` and SARIF) plus one check function.

A rule never decides its own severity or whether it is exempted: the policy's mode and
the engine's suppression step do (as yamllint and ruff separate them).
"""

from __future__ import annotations

import enum
import json
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..k8s.features import COMPARISON_GATE, POD_LEVEL_GATE
from ..k8s.memory import MemorySettings, pod_memory
from ..k8s.podspec import PodSpecView
from ..k8s.workloads import BudgetFacts, PodSource, Scaler, Workload
from ..model import Applicability, Mode, ObjectRef, Violation
from ..policy.facts import Bounds, ClusterFacts


@dataclass(frozen=True)
class Context:
    """Everything a rule may look at for one object: the object, its own parameters and
    the facts every rule shares. No policy, no other rule's mode or parameters: a case a
    rule leaves to another it marks (`Violation.deferred_to`), and the engine decides.
    `pod` is the pod spec judged; None for a rule that judges a whole object of its
    `Rule.kinds` (a PodDisruptionBudget has no pod spec)."""

    obj: Mapping[str, Any]
    ref: ObjectRef
    pod: PodSpecView | None
    params: Mapping[str, Any]
    cluster: ClusterFacts
    bounds: Bounds

    @property
    def comparison(self) -> bool:
        """Lt/Gt tolerations are allowed (and match) on the target cluster."""
        return self.cluster.feature(COMPARISON_GATE)

    @property
    def pod_memory(self) -> MemorySettings:
        """Pod-level memory (`spec.resources`) as the target cluster keeps it: none with the
        PodLevelResources gate off, where the API server drops `spec.resources` from the Pod
        it creates (memory-quantity-invalid still reads the values as written)."""
        assert self.pod is not None, "pod rules only"
        if self.cluster.feature(POD_LEVEL_GATE):
            return pod_memory(self.pod)
        return MemorySettings(self.pod.pointer, "pod-level resources", None, None, None, ())

    @property
    def in_system_namespace(self) -> bool:
        return self.cluster.is_system_namespace(self.ref.namespace)


CheckFunction = Callable[[Context], Iterable[Violation]]
# (budgets, workloads, HPAs, objects making pods of one input, the rule's parameters)
# -> (budget, violation)
InputCheck = Callable[
    [list[BudgetFacts], list[Workload], list[Scaler], list[PodSource], Mapping[str, Any]],
    Iterable[tuple[BudgetFacts, Violation]],
]


class ParamType(str, enum.Enum):
    """What a parameter's value must be, beyond its JSON type (which the schema checks):
    `policy.validate` checks each declared parameter by its type when a policy loads, so a
    bad value is a policy error, never a crash of the rule on every object."""

    QUANTITY = "quantity"  # a non-negative Kubernetes quantity (`512Mi`)
    # A memory size a fix writes into objects: whole bytes, at least 1, read back as written
    # (below 2^63; not capped), and between memory-quantity-suspicious' floor and ceiling.
    MEMORY_SIZE = "memory-size"
    RATIO = "ratio"  # a number above 0
    SECONDS = "seconds"  # whole seconds, 0 to 9223372036 (the taint manager's int64 ns)
    KNOWN_TAINTS = "known-taints"  # [{key, effects, values}]: keys and values a taint can have
    ALLOWLISTS = "allowlists"  # [{namespaces, tolerations}]: tolerations the API accepts
    MOUNT_PATHS = "mount-paths"  # [path]: absolute and clean, as a container sees a mount


class Consequence(str, enum.Enum):
    """What a toleration finding is about. A toleration gets at most one finding per
    consequence, whichever rules are on (tests/test_consequences.py): one rule owns each
    case, and `{operator: Exists}` alone, which has both consequences, gets one of each."""

    EVICTION = "eviction"  # how (whether, when) the taint manager evicts the pod
    SCHEDULING = "scheduling"  # which nodes the scheduler may put the pod on


@dataclass(frozen=True)
class Param:
    """One setting a rule reads from `ctx.params`: the default preset's value, the schema's
    fragment (`policy.declared`) and the load-time check (`policy.validate`) all come from here."""

    name: str
    type: ParamType
    default: Any  # the default preset's value (a list is copied before use)
    doc: str  # the schema's description
    minimum: int | None = None  # SECONDS: a floor above the type's 0
    # A cluster fact that once was this rule's parameter: still accepted here, the policy
    # moves the value to the top-level section of this name (the rule reads `ctx.cluster`).
    moved_to: str | None = None


def only_across_the_input(ctx: Context) -> Iterator[Violation]:
    """The per-object check of a rule that judges objects only against the rest of the
    input (`Rule.check_input`): one object alone says nothing."""
    return iter(())


@dataclass(frozen=True)
class Rule:
    id: str  # stable kebab-case slug
    summary: str  # one line: what it checks
    why: str  # why it matters (a paragraph)
    remediation: str  # one line: what to change
    example: str  # a failing manifest snippet
    check: CheckFunction
    fixable: bool = False  # offers fixes (the mutating webhook and `fix` apply them)
    # Which applicabilities its fixes may have (each violation says which it has), and why:
    # `rules`, `explain` and SARIF show them.
    fix_applicability: tuple[Applicability, ...] = ()
    fix_safety: str = ""
    params: tuple[Param, ...] = ()  # what it reads from ctx.params, checked by type
    default_mode: Mode = Mode.OFF  # its mode in the default preset
    mutate: bool = False  # fixable rules: the default preset lets the mutating webhook fix
    consequence: Consequence | None = None  # for toleration rules: what their findings are about
    # Rules whose finding on a container this rule's finding on the same container already
    # says (its message and fix cover it): the engine reports one, never two for one
    # problem, unless the other is the more severe (then both stand: a deny stays a deny).
    supersedes: tuple[str, ...] = ()
    # What its finding on one value is also about, so that `admitted` can say which of them a
    # default supplied: the same resource's other value in the container (a request it
    # compares with the limit, or quotes in its remedy), and for a pod-level finding the
    # containers' values (validatePodResourceConsistency).
    compares_siblings: bool = False
    compares_containers: bool = False
    # The (API group, kind) pairs it judges as whole objects, with `ctx.pod` None (a
    # PodDisruptionBudget); empty: it judges every pod spec, as most rules do.
    kinds: tuple[tuple[str, str], ...] = ()
    # A rule that compares objects across the whole input (a budget with the workloads it
    # selects): lint (`lint.across`) calls it once per input with the facts every object
    # gave (`k8s.workloads`); `check` is then never called. Lint only: admission sees one
    # object.
    check_input: InputCheck | None = None


def fix_availability(rule: Rule) -> str:
    """`safe`, `unsafe`, `safe or unsafe` (decided per finding) or `none`."""
    if not rule.fixable:
        return "none"
    return " or ".join(a.value for a in Applicability if a in rule.fix_applicability)


def fix_sentence(rule: Rule) -> str:
    """What `explain` and SARIF say after "Automatic fix: "."""
    if not rule.fixable:
        return "no"
    who = {
        "safe": "`evictguard fix` and the evictguard-fix hook apply it",
        "unsafe": "only `evictguard fix --unsafe-fixes` applies it, not plain `fix` nor the "
        "evictguard-fix hook",
    }.get(fix_availability(rule), "`evictguard fix` applies the safe ones, --unsafe-fixes all")
    sentence = (
        f"{fix_availability(rule)}: {who} (each finding carries a JSON Patch: `fix` in JSON "
        "output, `fixApplicability` saying which)"
    )
    return f"{sentence}. {rule.fix_safety}" if rule.fix_safety else sentence


def explain_sections(
    rule: Rule, mode: Mode, paragraph: Callable[[str], str] = lambda text: text
) -> list[str]:
    """The `evictguard explain` sections, one builder for the command and SARIF's help
    text (the command wraps each paragraph with `paragraph`, SARIF leaves them whole)."""
    return [
        "What it checks\n" + paragraph(rule.summary),
        "Why it matters\n" + paragraph(rule.why),
        "Example (fails)\n" + textwrap.indent(rule.example.rstrip(), "    "),
        "Fix\n"
        + paragraph(rule.remediation)
        + "\n"
        + paragraph("Automatic fix: " + fix_sentence(rule)),
        *_parameters_section(rule, paragraph),
        f"Default mode: {mode.value}",
    ]


def _parameters_section(rule: Rule, paragraph: Callable[[str], str]) -> list[str]:
    """Each declared parameter with its default and doc (a policy sets it at
    `rules.<rule-id>.<name>`); none for a rule without parameters."""
    if not rule.params:
        return []
    lines = []
    for param in rule.params:
        default = json.dumps(param.default)
        where = f"; moved to the top-level `{param.moved_to}`" if param.moved_to else ""
        lines.append(
            paragraph(f"{param.name} ({param.type.value}, default {default}{where}): {param.doc}")
        )
    return [f"Parameters (rules.{rule.id}.<name> in a policy file)\n" + "\n".join(lines)]
