"""toleration-invalid: a toleration the API server rejects, with its own words and field."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Violation
from ..toleration_validation import validate_toleration
from .base import Context, Rule


def check(ctx: Context) -> Iterator[Violation]:
    who = ctx.ref.describe()
    for view in ctx.pod.tolerations:
        for problem in view.problems:
            yield Violation(
                pointer=problem.pointer,
                message=f"{who}: {view.describe()}: {view.field_path(problem.field)} "
                f"{problem.message}",
            )
        if view.toleration is None:
            continue
        for error in validate_toleration(view.toleration, view.field_path(), ctx.comparison):
            yield Violation(
                pointer=view.field_pointer(error.field),
                message=f"{who}: {view.describe()}: the API server rejects it: {error}",
            )


RULE = Rule(
    id="toleration-invalid",
    summary="Every toleration passes the API server's validation (ValidateTolerations) and "
    "decodes (field types, known fields).",
    why="The API server validates tolerations in Pods and in every workload's pod template, "
    "so one invalid toleration fails the whole deploy (or, when a webhook adds it, leaves the "
    "ReplicaSet unable to create Pods, with FailedCreate events). Operators and effects are "
    "case-sensitive, an empty key needs operator Exists, Exists takes no value, Equal's "
    "value must be a label value, and tolerationSeconds needs effect NoExecute.",
    remediation="Fix the field the message names, as the API server's message says.",
    example="""\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx
  tolerations:
    - key: node.kubernetes.io/unreachable
      operator: exists          # operators are case-sensitive: Exists
      tolerationSeconds: 60     # needs effect: NoExecute
""",
    check=check,
)
