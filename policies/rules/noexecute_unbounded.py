"""noexecute-unbounded: a pod that stays bound to a dead node forever.

It owns every unbounded toleration the taint manager uses for not-ready, unreachable or
out-of-service, a key-less wildcard included (its fix bounds the wildcard for every NoExecute
taint at once); noexecute-wildcard reports the wildcards no such taint reaches first."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .. import pointer as jp
from ..k8s.eviction import (
    Effective,
    dead_node_first_matches,
    effective_tolerations,
    eviction_delay,
    first_match,
    show_delay,
)
from ..k8s.taints import EFFECTS, LIFECYCLE_KEYS, NO_EXECUTE, UNREACHABLE, WELL_KNOWN_TAINTS
from ..k8s.tolerations import FIELDS, SECONDS, Toleration, TolerationView
from ..model import Applicability, JsonPatch, Mode, Violation
from ..patch import set_value_ops
from .base import Consequence, Context, Param, ParamType, Rule


def _with(data: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """`data` with fields changed (None removes one), in the order written, new ones last in
    the API's order."""
    out = {k: changes.get(k, v) for k, v in data.items()}
    for name in FIELDS:
        if name in changes and name not in out:
            out[name] = changes[name]
    return {k: v for k, v in out.items() if v is not None}


def _other_effects(t: Toleration) -> list[str]:
    """The effects an empty-effect toleration also covered, besides NoExecute."""
    taint = WELL_KNOWN_TAINTS.get(t.key)
    effects = taint.effects if taint and taint.effects is not None else frozenset(EFFECTS)
    return [e for e in EFFECTS if e in effects and e != NO_EXECUTE]


def fix(obj: Mapping[str, Any], view: TolerationView, seconds: int) -> JsonPatch | None:
    """Bound the toleration. `tolerationSeconds` is valid only with effect NoExecute, so an
    empty-effect toleration becomes a bounded NoExecute one in its place (where the taint
    manager still finds it first), and a copy for each other effect it covered is appended
    (order does not matter for them: only NoExecute matching is first-match). No other
    toleration moves, so every other finding keeps its place."""
    assert view.toleration is not None
    if view.toleration.effect == NO_EXECUTE:  # none, or one that wraps to forever
        return set_value_ops(obj, view.field_pointer(SECONDS), seconds)
    tokens = jp.split(view.pointer)
    parent = jp.join(*tokens[:-1])
    length = len(_resolve(obj, tokens[:-1]))
    ops: JsonPatch = [
        {
            "op": "replace",
            "path": view.pointer,
            "value": _with(view.data, effect=NO_EXECUTE, tolerationSeconds=seconds),
        }
    ]
    for offset, effect in enumerate(_other_effects(view.toleration)):
        ops.append(
            {
                "op": "add",
                "path": jp.child(parent, length + offset),
                "value": _with(view.data, effect=effect, tolerationSeconds=None),
            }
        )
    return ops


def _resolve(obj: Any, tokens: list[str]) -> Any:
    node = obj
    for token in tokens:
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def check(ctx: Context) -> Iterator[Violation]:
    if ctx.pod.daemon:
        return  # the DaemonSet controller itself adds these tolerations without seconds
    seconds = ctx.params["tolerationSeconds"]
    items = effective_tolerations(ctx.pod, ctx.comparison)
    for entry, keys in dead_node_first_matches(items, ctx.comparison):
        view, written = entry.written, entry.toleration.seconds
        if view is None or eviction_delay(written) is not None:
            continue
        taints = _and([f"{k}:NoExecute" for k in keys])
        if entry.toleration.key == "":
            taints += " (having no key, every other NoExecute taint too)"
        how = "with no tolerationSeconds"
        if written is not None:
            how = (
                f"with tolerationSeconds {written}, which the taint manager's int64 "
                "nanoseconds cannot hold: it reads as forever"
            )
        if any(k in LIFECYCLE_KEYS for k in keys):
            stays = f"the pod stays bound to a dead node{_replacement(ctx)}"
        else:
            stays = (
                "after a non-graceful node shutdown the taint that should move the pod at once "
                "does not evict it, so it is not force-deleted and its volumes stay attached "
                f"{_until(ctx, items)}"
            )
        yield Violation(
            pointer=view.field_pointer(SECONDS),
            message=f"{ctx.ref.describe()}: {view.describe()} tolerates {taints} {how}: "
            f"{stays}; set tolerationSeconds (policy default {seconds})",
            fix=fix(ctx.obj, view, seconds),
            applicability=Applicability.SAFE,  # Kubernetes' own bound (FIX_SAFETY)
            evidence=tuple(keys),  # a reordering can make it first for more taints
        )


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _until(ctx: Context, items: list[Effective]) -> str:
    """How long the unreachable toleration (a shut-down node stops reporting) keeps it."""
    taint = {"key": UNREACHABLE, "value": "", "effect": NO_EXECUTE}
    used = first_match(taint, items, ctx.comparison)
    delay = eviction_delay(used.toleration.seconds) if used is not None else 0
    if delay is None:
        return "forever (its unreachable toleration is unbounded too)"
    return (
        f"until its unreachable toleration's {show_delay(delay)} s run out (forever where the node "
        "lifecycle controller lifts that taint, as it does when every node is NotReady)"
    )


def _replacement(ctx: Context) -> str:
    metadata = ctx.obj.get("metadata") if ctx.pod.is_pod else None
    owned = isinstance(metadata, Mapping) and bool(metadata.get("ownerReferences"))
    if ctx.pod.is_pod and not owned:
        return " forever"
    return " forever and its controller never replaces it"


RULE = Rule(
    id="noexecute-unbounded",
    summary="Tolerations of the NoExecute not-ready/unreachable/out-of-service taints have "
    "tolerationSeconds (DaemonSets excepted).",
    why="When a node stops reporting (or reports NotReady), the node lifecycle controller "
    "taints it unreachable (or not-ready) with NoExecute, and the taint manager evicts "
    "each pod once the tolerationSeconds of the first matching toleration have passed. "
    "With none, the pod is never evicted: it stays bound to the dead node, its ReplicaSet "
    "or StatefulSet counts it and starts no replacement, and the service runs short until "
    "someone deletes it by hand. After a non-graceful shutdown an operator taints the node "
    "node.kubernetes.io/out-of-service: the taint manager evicts every pod not tolerating "
    "it, pod GC force-deletes them (the dead kubelet never confirms) and their volumes are "
    "detached at once, so a StatefulSet can start its pod elsewhere. A pod tolerating that "
    "taint without tolerationSeconds stays until its unreachable toleration runs out, and "
    "forever where that taint is gone too (the node lifecycle controller removes it when "
    "every node is NotReady).",
    remediation="Set tolerationSeconds (300 is the DefaultTolerationSeconds default); with "
    "no effect set, split it into a NoSchedule toleration and a bounded NoExecute one.",
    example="""\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
        - name: db
          image: postgres:16
      tolerations:
        - key: node.kubernetes.io/unreachable
          operator: Exists
          effect: NoExecute     # no tolerationSeconds: bound to a dead node forever
""",
    check=check,
    fixable=True,
    fix_applicability=(Applicability.SAFE,),
    fix_safety="300 s (the "
    "policy's default) is the bound DefaultTolerationSeconds gives every pod that does not "
    "tolerate these taints itself: the fix gives the pod the bound Kubernetes gives by "
    "default, nothing guessed about the workload; splitting an empty-effect toleration keeps "
    "what it tolerated for the other effects. (A policy that sets another tolerationSeconds "
    "has chosen that bound for its cluster: the fix writes it.)",
    params=(
        Param(
            "tolerationSeconds",
            ParamType.SECONDS,
            300,  # DefaultTolerationSeconds' default
            "what the fix sets",
            minimum=1,
        ),
    ),
    consequence=Consequence.EVICTION,
    # 300 s is what DefaultTolerationSeconds gives every other pod.
    default_mode=Mode.ENFORCE,
    mutate=True,
)
