"""noexecute-wildcard: a pod no NoExecute taint can ever evict.

An unbounded wildcard the taint manager uses for not-ready, unreachable or out-of-service is
noexecute-unbounded's (one finding per toleration for how it is evicted, and that rule's fix
bounds it for every taint); this rule reports it only when that rule does not run on the
object, and otherwise the wildcards that only other NoExecute taints (drains) reach first."""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.eviction import (
    MAX_EXACT_SECONDS,
    Effective,
    FirstMatchIndex,
    covering_in,
    dead_node_first_matches,
    effective_tolerations,
    eviction_delay,
    first_match,
)
from ..k8s.taints import LIFECYCLE_NOEXECUTE_TAINTS, NO_EXECUTE, OUT_OF_SERVICE_NOEXECUTE_TAINT
from ..model import Mode, Violation
from .base import Consequence, Context, Rule

UNBOUNDED = "noexecute-unbounded"


def _never_evicted_by(ctx: Context, items: list[Effective], entry: Effective) -> list[str]:
    """What the wildcard is the first match for, so what can never evict the pod."""
    first_for = lambda taint: first_match(taint, items, ctx.comparison) is entry  # noqa: E731
    dead = [t["key"].rsplit("/", 1)[1] for t in LIFECYCLE_NOEXECUTE_TAINTS if first_for(t)]
    reasons = []
    if dead:
        reasons.append(f"not from a dead node ({' or '.join(dead)})")
    if first_for(OUT_OF_SERVICE_NOEXECUTE_TAINT):
        reasons.append("not by node.kubernetes.io/out-of-service after a non-graceful shutdown")
    other = "any other NoExecute taint" if reasons else "any NoExecute taint"
    reasons.append(f"not by {other} no earlier toleration matches, such as drain taints")
    return reasons


def check(ctx: Context) -> Iterator[Violation]:
    if ctx.pod.daemon:
        # Node agents (CNI, log shippers, exporters) are meant to stay on every node, and the
        # DaemonSet controller already makes them stay on dead ones; a daemon pod has no
        # replacement elsewhere to wait for.
        return
    items = effective_tolerations(ctx.pod, ctx.comparison)
    owned = [entry for entry, _ in dead_node_first_matches(items, ctx.comparison)]
    index = FirstMatchIndex(ctx.comparison)  # the tolerations before the one looked at
    for entry in items:
        view, t = entry.written, entry.toleration
        unbounded = eviction_delay(t.seconds) is None
        candidate = view is not None and t.is_wildcard and t.covers_no_execute and unbounded
        shadowed = candidate and covering_in(t, index, effects=[NO_EXECUTE])
        index.add(t)
        if view is None or not candidate or shadowed:
            continue  # shadowed: never the first match for a NoExecute taint
        never = _never_evicted_by(ctx, items, entry)
        reasons = ", ".join(never)
        if t.seconds is None:
            how, advice = "forever", "or set effect NoExecute with tolerationSeconds"
        else:
            how = (
                f"forever (tolerationSeconds {t.seconds} overflows the taint manager's int64 "
                "nanoseconds)"
            )
            advice = f"or set tolerationSeconds to at most {MAX_EXACT_SECONDS}"
        yield Violation(
            pointer=view.pointer,
            message=f"{ctx.ref.describe()}: {view.describe()} tolerates NoExecute taints "
            f"{how}: the pod is never evicted, {reasons}; tolerate specific keys, {advice}",
            evidence=tuple(never),  # a reordering can make it first for more taints
            # noexecute-unbounded's finding (and fix) where it judges the object
            deferred_to=UNBOUNDED if any(entry is other for other in owned) else None,
        )


RULE = Rule(
    id="noexecute-wildcard",
    summary="No key-less `operator: Exists` toleration that covers NoExecute (effect "
    "NoExecute or none) without tolerationSeconds, outside DaemonSets (one that not-ready, "
    "unreachable or out-of-service reach first is noexecute-unbounded's).",
    why="A toleration with operator Exists, no key and no effect (or NoExecute) matches every "
    "NoExecute taint, so without tolerationSeconds the taint manager never evicts the pod "
    "for any taint it is the first match for: not from a dead node, not after "
    "node.kubernetes.io/out-of-service marks a non-graceful shutdown (its volumes stay "
    "attached there), not for the NoExecute taints used to drain nodes. It also stops "
    "DefaultTolerationSeconds from adding its 300 s not-ready and unreachable tolerations. "
    "Where the wildcard is the toleration used for not-ready, unreachable or out-of-service, "
    "noexecute-unbounded reports it (with a fix) and this rule does not, unless that rule is "
    "off or the object is exempted from it.",
    remediation="Tolerate the taints the workload needs by key, or bound the wildcard: "
    "effect NoExecute with tolerationSeconds.",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: app
          image: nginx
      tolerations:
        - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute,
           tolerationSeconds: 300}
        - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute,
           tolerationSeconds: 300}
        - {key: node.kubernetes.io/out-of-service, operator: Exists, effect: NoExecute,
           tolerationSeconds: 30}
        - operator: Exists   # survives drain taints and every other NoExecute taint, forever
""",
    check=check,
    consequence=Consequence.EVICTION,
    default_mode=Mode.ENFORCE,
)
