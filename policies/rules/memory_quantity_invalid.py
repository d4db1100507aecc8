"""memory-quantity-invalid: values the API server cannot decode or refuses, and values it
accepts but that no other component can hold.

A memory request or limit above 2^63-1 bytes (`10E`, `1e19`, `18446744073709551616`) passes
API validation (it only checks `>= 0`, with exact comparisons), but the kubelet and the
scheduler read it through `resource.Quantity.Value()`, which in released Kubernetes (1.30 to
1.36, apimachinery v0.30.0 to v0.36.3) does not saturate: it returns 0, a negative number or
the value wrapped modulo 2^64 (`quantity.go_value`, kubernetes#141166; the fix, #141305, is
not released). The kubelet passes a limit to the runtime only when `Value()` is not 0
(pkg/kubelet/kuberuntime/kuberuntime_container_linux.go `calculateLinuxResources`: `if memLimit
!= 0`), and the scheduler adds `Value()` to the node's requested memory
(pkg/scheduler/framework/types.go `Resource.Add`). So `limits.memory: 10E` is no limit and
`requests.memory: 10E` reserves nothing, while every rule that reads the manifest sees an
enormous value. The verdict is "invalid", not "no limit": nobody means 8 EiB, and the value
fails the way a misspelt one does. It is reported once, here: memory-limit-missing and
memory-request-missing take it as unreadable (`MemoryValue.readable`), as they do a misspelt
value, and memory-quantity-suspicious leaves it alone. The rules that restate API validation
(memory-request-exceeds-limit, memory-pod-level-conflict) still compare it exactly, as the
API server does: a rejection is a problem of its own.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.memory import MemorySettings, MemoryValue, all_memory
from ..k8s.quantity import MAX_INT64, Quantity, parse_quantity
from ..model import Mode, Violation
from .base import Context, Rule
from .suggest import did_you_mean, suggest_quantity


def _overflow(memory: MemorySettings, label: str, stored: Quantity) -> str:
    """What the kubelet or the scheduler makes of a value above 2^63-1 bytes."""
    got = stored.value_int64()
    sent = stored.canonical()  # what the API server stores and every component decodes
    head = f"is above the int64 maximum of {MAX_INT64} bytes (2^63-1): "
    if parse_quantity(sent).value != stored.value:
        head += (
            f'the API server accepts it but stores it as "{sent}" (released Quantity.String() '
            "drops a decimal suffix past E, kubernetes#140459), which resource.Quantity.Value() "
            f"reads as {got}"
        )
    else:
        head += (
            "the API server accepts it, but resource.Quantity.Value() overflows "
            f"(kubernetes#141166) and returns {got}"
        )
    pod_level = memory.container is None
    if label == "request":
        return f"{head}, so the scheduler counts the request as {got} bytes"
    if got == 0:
        where = "pod-level memory limit" if pod_level else "memory limit"
        tail = f", so the kubelet sets no {where}"
    else:
        tail = f", so the kubelet uses {got} as the memory limit"
    if not pod_level and memory.request is None:
        tail += f" (and the request the API server copies from it counts as {got} bytes too)"
    return head + tail


def _problem(memory: MemorySettings, label: str, value: MemoryValue) -> str | None:
    if value.quantity is None:
        hint = did_you_mean(suggest_quantity(value.raw)) if isinstance(value.raw, str) else ""
        return f"is not a Kubernetes quantity ({value.error}){hint}"
    if value.quantity.value < 0:
        return "is negative (the API server requires it to be greater than or equal to 0)"
    if value.overflows and value.stored is not None:
        return _overflow(memory, label, value.stored)
    if value.capped:
        what = "a limit no node reaches: no memory limit in practice"
        if label == "request":
            what = "a request no node can fit: the Pod is never scheduled"
        return (
            f"is 2^63 bytes or more: the API server caps binary-suffixed values at "
            f"{MAX_INT64} bytes (ParseQuantity's maxAllowed), {what}"
        )
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
            problem = _problem(memory, label, value)
            if problem:
                yield Violation(
                    pointer=value.pointer,
                    message=f'{ctx.ref.describe()}: {memory.what}: memory {label} "{value.shown}" '
                    f"{problem}",
                    container=memory.container,
                )


RULE = Rule(
    id="memory-quantity-invalid",
    summary="Memory requests and limits are valid Kubernetes quantities of at most 2^63-1 "
    "bytes (and resources, limits and requests are mappings).",
    why="Quantity suffixes are case-sensitive and not the ones people type: `512MB`, `1gi` "
    "and `1K` are refused by the API server, as are negative values and a `resources` that "
    "is a list or a string. A Deployment carrying such a value may be refused at apply "
    "time, or (through tools that do not validate) yield Pods that are never created. "
    "Values above 2^63-1 bytes (`10E`, `1e19`, `18446744073709551616`) are worse: the API "
    "server accepts them, but the kubelet and the scheduler read them through "
    "resource.Quantity.Value(), which overflows in released Kubernetes (kubernetes#141166) "
    "and returns 0 for most of them, or a negative or wrapped number: the kubelet then sets "
    "no memory limit at all and the scheduler counts the request as nothing.",
    remediation="Write the value as a Kubernetes quantity: binary suffixes Ki, Mi, Gi, Ti "
    "(512Mi) or decimal k, M, G, T (500M), sized for the container.",
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
    - name: worker
      image: example/worker:1.0
      resources:
        limits:
          memory: 10E     # 10^19 bytes: Value() overflows to 0, so no limit at all
""",
    check=check,
    default_mode=Mode.ENFORCE,
)
