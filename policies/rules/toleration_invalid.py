"""toleration-invalid: a toleration the API server rejects, with its own words and field."""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.toleration_annotation import NO_EFFECT, TOLERATIONS_ANNOTATION
from ..k8s.toleration_annotation import read as read_annotation
from ..k8s.toleration_validation import validate_toleration
from ..model import Mode, Violation
from .base import Context, Rule

# Said in each finding about the annotation: fixing it there achieves nothing.
MOVE = f" (valid or not, tolerations there have no effect: {NO_EFFECT}; use spec.tolerations)"


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
    yield from _annotation(ctx)


def _annotation(ctx: Context) -> Iterator[Violation]:
    """The deprecated annotation, checked as `ValidateTolerationsInPodAnnotations` checks it
    (see `toleration_annotation`): each error at the annotation's value, in Go's words."""
    found = read_annotation(ctx.obj, ctx.pod, ctx.comparison)
    if found is None:
        return
    who = f"{ctx.ref.describe()}: annotation {TOLERATIONS_ANNOTATION}"
    if found.not_a_string is not None:
        yield Violation(
            pointer=found.pointer,
            message=f"{who} is {found.not_a_string}, not a string: annotation values are "
            f"strings, so the API server cannot decode the object{MOVE}",
        )
    elif found.decode_error is not None:
        yield Violation(
            pointer=found.pointer,
            message=f"{who}: the API server rejects it: {found.decode_error}{MOVE}",
        )
    for item in found.tolerations:
        for error in item.errors:
            yield Violation(
                pointer=found.pointer,
                message=f"{who}, {item.describe()}: the API server rejects it: {error}{MOVE}",
            )


RULE = Rule(
    id="toleration-invalid",
    summary="Every toleration passes the API server's validation (ValidateTolerations) and "
    "decodes (field types, known fields), in spec.tolerations and in the deprecated "
    "scheduler.alpha.kubernetes.io/tolerations annotation.",
    why="The API server validates tolerations in Pods and in every workload's pod template, "
    "so one invalid toleration fails the whole deploy (or, when a webhook adds it, leaves the "
    "ReplicaSet unable to create Pods, with FailedCreate events). Operators and effects are "
    "case-sensitive, an empty key needs operator Exists, Exists takes no value, Equal's "
    "value must be a label value, and tolerationSeconds needs effect NoExecute. The API "
    "server still decodes the pre-1.6 annotation scheduler.alpha.kubernetes.io/tolerations "
    "(a JSON list, Go's encoding/json: field names match case-insensitively, unknown ones "
    "are dropped) and runs the same checks on it, on Pods and on pod templates, although "
    "nothing has read tolerations there since Kubernetes 1.6.",
    remediation="Fix the field the message names, as the API server's message says; move "
    "tolerations out of the annotation into spec.tolerations.",
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
    default_mode=Mode.ENFORCE,
)
