"""What an exported rule is: the CEL that lists its violations on one object.

Each module of `export/rules/` restates one rule of `rules/` in Kubernetes CEL, and only
where the restatement is exact: the parity tests (tests/test_export_parity.py) hold every
rule data file and example to the same verdict from the engine and from the exported policy.
A rule CEL cannot state exactly is in `WEBHOOK_ONLY` with the reason, never approximated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ...policy.model import Policy
from ..subject import Subject


@dataclass(frozen=True)
class ExportContext:
    """What a rule's CEL may depend on: its own parameters and the policy's cluster facts
    (feature gates, system namespaces) and other rules' modes (a case the engine leaves to
    another rule where that one is on)."""

    params: Mapping[str, Any]
    policy: Policy


# (the object read, the context) -> CEL: a list of strings, one per violation, each naming
# the container, toleration or field and the values the verdict rests on (so that on UPDATE
# a violation the change moved or left alone is recognised, and one it changed is new).
FindingsExpression = Callable[[Subject, ExportContext], str]

PODS = "pods"  # every pod spec: Pods and the workload kinds with a pod template
BUDGETS = "budgets"  # PodDisruptionBudgets, whole


# The context -> (variables, CEL): a list of `JSONPatch{op, path, value}` for a
# MutatingAdmissionPolicy, over `object`, the variables `spec` (its pod spec), `specPath`
# (that spec's JSON Pointer), `daemon`, and its own (name, expression) variables: the rule's
# fixes, as the mutating webhook applies them (`engine.remedy`).
MutationExpression = Callable[[ExportContext], tuple[list[tuple[str, str]], str]]


@dataclass(frozen=True)
class CelRule:
    rule: str
    findings: FindingsExpression
    judges: str = PODS
    mutation: MutationExpression | None = None
