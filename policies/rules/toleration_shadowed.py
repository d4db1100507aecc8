"""toleration-shadowed: a NoExecute toleration the taint manager never gets to."""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.eviction import MANIFEST, Effective, FirstMatchIndex, covering_in, effective_tolerations
from ..k8s.taints import NO_EXECUTE
from ..k8s.tolerations import Toleration, describe
from ..model import Mode, Violation
from .base import Context, Rule


def _name(entry: Effective, toleration: Toleration) -> str:
    if entry.view is None:
        return f"{describe(toleration.as_dict())} (added by {entry.origin})"
    if entry.origin == MANIFEST or entry.toleration == entry.view.toleration:
        return entry.view.describe()
    return (
        f"{entry.view.describe()} (as {entry.origin} rewrites it: {describe(toleration.as_dict())})"
    )


def check(ctx: Context) -> Iterator[Violation]:
    index = FirstMatchIndex(ctx.comparison)  # the tolerations before the one looked at
    entry_of: dict[Toleration, Effective] = {}  # the first entry holding each toleration
    for entry in effective_tolerations(ctx.pod, ctx.comparison):
        view, t = entry.written, entry.toleration
        first = covering_in(t, index) if view is not None and t.covers_no_execute else None
        index.add(t)
        entry_of.setdefault(t, entry)
        if not first:
            continue
        names = " and ".join(_name(entry_of[f], f) for f in first)
        if t.effect == NO_EXECUTE:
            what = (
                "never takes effect: every NoExecute taint it matches is matched first by "
                f"{names} (the taint manager uses the first matching toleration)"
            )
            if t.seconds is not None:
                what += f", so its tolerationSeconds {t.seconds} is ignored"
        else:
            what = f"is redundant: every taint it matches is matched first by {names}"
        yield Violation(
            pointer=view.pointer,
            message=f"{ctx.ref.describe()}: {view.describe()} {what}; remove it or move it up",
        )


RULE = Rule(
    id="toleration-shadowed",
    summary="No NoExecute toleration that an earlier toleration always matches before it.",
    why="For each NoExecute taint the taint manager uses the first toleration in list order "
    "that matches it, and that toleration's tolerationSeconds alone decide when the pod is "
    "evicted. A later toleration for the same taints is never consulted, so the delay its "
    "author chose (say 600 s for a database) silently does not apply.",
    remediation="Remove the shadowed toleration, or put the one whose tolerationSeconds "
    "should apply first.",
    example="""\
apiVersion: v1
kind: Pod
metadata:
  name: db
spec:
  containers:
    - name: db
      image: postgres:16
  tolerations:
    - operator: Exists
      effect: NoExecute
      tolerationSeconds: 30
    - key: node.kubernetes.io/unreachable   # never used: the wildcard matches first
      operator: Exists
      effect: NoExecute
      tolerationSeconds: 600
""",
    check=check,
    default_mode=Mode.WARN,
)
