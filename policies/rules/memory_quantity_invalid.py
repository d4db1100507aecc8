"""memory-quantity-invalid: values the API server cannot decode or refuses."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Violation
from ..resources import MemoryValue, all_memory
from ..suggest import did_you_mean, suggest_quantity
from .base import Context, Rule


def _problem(value: MemoryValue) -> str | None:
    if value.quantity is None:
        hint = did_you_mean(suggest_quantity(value.raw)) if isinstance(value.raw, str) else ""
        return f"is not a Kubernetes quantity ({value.error}){hint}"
    if value.quantity.value < 0:
        return "is negative (the API server requires it to be greater than or equal to 0)"
    return None


def check(ctx: Context) -> Iterator[Violation]:
    for memory in all_memory(ctx.pod):
        for shape in memory.shape_problems:
            yield Violation(
                pointer=shape.pointer,
                message=f"{ctx.ref.describe()}: {memory.what}: {shape.message}",
                container=memory.container,
            )
        for label, value in (("limit", memory.limit), ("request", memory.request)):
            if value is None:
                continue
            problem = _problem(value)
            if problem:
                yield Violation(
                    pointer=value.pointer,
                    message=f'{ctx.ref.describe()}: {memory.what}: memory {label} "{value.shown}" '
                    f"{problem}",
                    container=memory.container,
                )


RULE = Rule(
    id="memory-quantity-invalid",
    summary="Memory requests and limits are valid Kubernetes quantities (and resources, "
    "limits and requests are mappings).",
    why="Quantity suffixes are case-sensitive and not the ones people type: `512MB`, `1gi` "
    "and `1K` are refused by the API server, as are negative values and a `resources` that "
    "is a list or a string. A Deployment carrying such a value may be refused at apply "
    "time, or (through tools that do not validate) yield Pods that are never created.",
    remediation="Write the value as a Kubernetes quantity: binary suffixes Ki, Mi, Gi, Ti "
    "(512Mi) or decimal k, M, G, T (500M).",
    example="""\
apiVersion: v1
kind: Pod
metadata:
  name: cache
spec:
  containers:
    - name: redis
      image: redis:7
      resources:
        limits:
          memory: 512MB   # not a quantity: 512M or 512Mi
""",
    check=check,
)
