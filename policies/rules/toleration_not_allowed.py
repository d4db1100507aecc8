"""toleration-not-allowed: a toleration outside the policy's allowlist for the namespace."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from ..k8s.eviction import written_tolerations
from ..k8s.tolerations import Toleration, describe, is_superset
from ..model import Mode, Violation
from .base import Context, Param, ParamType, Rule


def allowlist_for(
    params: Mapping[str, Any], namespace: str | None
) -> list[Mapping[str, Any]] | None:
    """The tolerations allowed in `namespace` (all matching entries together), or None
    where the policy defines no allowlist. An object with no namespace matches only
    patterns that match the empty string, such as `*`."""
    matched = False
    allowed: list[Mapping[str, Any]] = []
    for entry in params.get("allowlists") or ():
        if any(fnmatchcase(namespace or "", p) for p in entry["namespaces"]):
            matched = True
            allowed += entry.get("tolerations") or []
    return allowed if matched else None


def check(ctx: Context) -> Iterator[Violation]:
    allowed = allowlist_for(ctx.params, ctx.ref.namespace)
    if allowed is None:
        return
    entries = [Toleration.of(a) for a in allowed]
    where = f"namespace {ctx.ref.namespace}" if ctx.ref.namespace else "objects with no namespace"
    shown = ", ".join(describe(a) for a in allowed) or "none"
    for view, t in written_tolerations(ctx.pod, ctx.comparison):
        if any(is_superset(entry, t) for entry in entries):
            continue
        yield Violation(
            pointer=view.pointer,
            message=f"{ctx.ref.describe()}: {view.describe()} is not covered by the policy's "
            f"allowlist for {where} (allowed: {shown})",
        )


RULE = Rule(
    id="toleration-not-allowed",
    summary="Tolerations stay within the policy's allowlist for the object's namespace "
    "(only where the policy defines one).",
    why="Tolerations decide which nodes a team's pods may use (dedicated pools, another "
    "tenant's nodes, the control plane), so an allowlist per namespace keeps each team on "
    "its own nodes. Coverage is PodTolerationRestriction's whitelist check: an allowed "
    "toleration covers one with the same key (any key for a key-less Exists), the same "
    "effect (any when it has none), no longer NoExecute tolerationSeconds, and a compatible "
    "operator and value.",
    remediation="Remove the toleration, or add it to the namespace's allowlist in the policy.",
    example="""\
# policy: allowlists: [{namespaces: [team-a], tolerations: [{key: pool, operator: Equal,
#                       value: team-a, effect: NoSchedule}]}]
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: team-a
spec:
  containers:
    - name: app
      image: nginx
  tolerations:
    - key: pool
      operator: Equal
      value: gpu        # team-a may only use its own pool
      effect: NoSchedule
""",
    check=check,
    params=(
        Param(
            "allowlists",
            ParamType.ALLOWLISTS,
            [],
            "per-namespace allowed tolerations ({namespaces, tolerations}), covered as "
            "PodTolerationRestriction's whitelist covers them; every entry whose namespaces "
            "match applies; none: rule idle",
        ),
    ),
    default_mode=Mode.WARN,
)
