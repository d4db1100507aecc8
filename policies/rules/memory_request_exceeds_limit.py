"""memory-request-exceeds-limit: a spec the API server rejects outright."""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.memory import requests_with_limits
from ..model import Mode, Violation
from .base import Context, Rule


def check(ctx: Context) -> Iterator[Violation]:
    for pair in requests_with_limits(ctx.pod):
        # validation.go validateResourceRequirements compares the stored values (rounded up
        # to 1m by SetDefaults_ResourceList): 1001u and 1000500n both store as 2m, and pass.
        if pair.requested <= pair.limited:
            continue
        api_error = f"must be less than or equal to memory limit of {pair.limited.canonical()}"
        yield Violation(
            pointer=pair.request.pointer,
            message=f"{ctx.ref.describe()}: {pair.memory.what} requests {pair.request.shown} of "
            f"memory, more than its limit {pair.limit.described}; the API server rejects it "
            f'("{api_error}")',
            container=pair.memory.container,
            evidence=(pair.limit.raw,),
        )


RULE = Rule(
    id="memory-request-exceeds-limit",
    summary="A memory request is not above the memory limit (containers and pod-level).",
    why="The API server refuses such a Pod (`spec.containers[i].resources.requests: Invalid "
    "value: ...: must be less than or equal to memory limit`). For a Deployment the "
    "Deployment itself is accepted, but every Pod its ReplicaSet tries to create is "
    "refused, so the rollout stalls with no Pod and only an event to say why.",
    remediation="Raise the limit to at least the request, or lower the request.",
    example="""\
apiVersion: v1
kind: Pod
metadata:
  name: worker
spec:
  containers:
    - name: worker
      image: example/worker:1.0
      resources:
        requests: {memory: 2Gi}
        limits: {memory: 1Gi}
""",
    check=check,
    compares_siblings=True,
    default_mode=Mode.ENFORCE,
)
