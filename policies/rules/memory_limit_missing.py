"""memory-limit-missing: a container that can grow until the node runs out of memory."""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.memory import MemorySettings, MemoryValue, container_memory
from ..model import Applicability, Cover, Mode, Violation
from ..patch import merge_ops, set_value_ops
from .base import Context, Param, ParamType, Rule
from .memory_quantity_suspicious import problem as suspicious_problem
from .memory_request_missing import RULE as REQUEST_MISSING
from .memory_request_missing import unreserved


def _sets_no_limit(value: MemoryValue | None) -> bool:
    """Absent, 0 or null (a zero quantity): the kubelet treats a zero memory limit as no
    limit at all (it checks `Limits.Memory().IsZero()`), and so does the pod's QoS class."""
    if value is None:
        return True
    stored = value.stored
    return stored is not None and stored.value == 0


def _fix(ctx: Context, memory: MemorySettings, *, with_request: bool) -> list[dict] | None:
    """`with_request`: the finding stands for memory-request-missing's too (its cover), so a
    request of 0 or null is replaced as that rule's fix would; otherwise it stays as
    written (a missing request is set beside the limit either way)."""
    pod = ctx.pod_memory
    if pod.request is not None or pod.limit is not None:
        # A pod-level request must cover the aggregate container requests (and a new
        # limit becomes the container's request when the Pod is created); a container limit
        # must not exceed a pod-level limit, even one of 0 or null: only a human can size
        # that (memory-pod-level-conflict).
        return None
    request = memory.request
    if request is not None and not request.readable:
        return None  # memory-quantity-invalid asks for a human first (10E: no copy, no default)
    if request is not None and request.positive:
        bounds = ctx.bounds  # memory-quantity-suspicious' own, shared: see `facts.Bounds`
        if suspicious_problem(request, bounds.memory_floor, bounds.memory_ceiling):
            return None  # a limit copied from "512m" or "512Gi" would be as wrong
        limit = request.raw  # the request as written: the container keeps what it asked for
        return set_value_ops(ctx.obj, memory.value_pointer("limits"), limit)
    default_limit = ctx.params["defaultLimit"]
    limit_ops = set_value_ops(ctx.obj, memory.value_pointer("limits"), default_limit)
    if request is not None and not with_request:
        return limit_ops  # an explicit zero request stays as written
    default_request = ctx.params["defaultRequest"]  # the policy keeps it <= defaultLimit
    request_ops = set_value_ops(ctx.obj, memory.value_pointer("requests"), default_request)
    if limit_ops is None or request_ops is None:
        return None
    return merge_ops(limit_ops, request_ops)


def check(ctx: Context) -> Iterator[Violation]:
    if not _sets_no_limit(ctx.pod_memory.limit):
        return  # a pod-level memory limit caps every container together
    default_limit = ctx.params["defaultLimit"]
    # The containers memory-request-missing reports (an init container that runs inside the
    # pod's request is not one of them): only their finding here speaks of the request.
    request_missing = {container.pointer for container in unreserved(ctx)}
    for container in ctx.pod.containers:
        memory = container_memory(container)
        if not _sets_no_limit(memory.limit) or memory.shape_problems:
            continue
        what = f"{ctx.ref.describe()}: {memory.what}"
        fix = _fix(ctx, memory, with_request=False)
        cover = None
        if container.pointer in request_missing:
            # memory-request-missing reports this container too: the words and fix that
            # say both, used where the engine leaves that finding out for this one.
            cover = Cover(
                f"{what} {_limit_phrase(memory, short=True)} and "
                f"{_request_phrase(memory)}; set resources.limits.memory and "
                f"resources.requests.memory (policy defaults {default_limit} and "
                f"{ctx.params['defaultRequest']})",
                # the same fix unless a request of 0 or null is there to replace
                fix if memory.request is None else _fix(ctx, memory, with_request=True),
            )
        request = memory.request
        if request is not None and request.positive:
            remedy = f"set resources.limits.memory (at least the request, {request.shown})"
        else:
            remedy = f"set resources.limits.memory (policy default {default_limit})"
        yield Violation(
            pointer=memory.value_pointer("limits"),
            message=f"{what} {_limit_phrase(memory, short=False)}; {remedy}",
            container=container.name,
            fix=fix,
            # Unsafe either way: the policy's default sizes are a guess, and a limit copied
            # from the request turns a floor into a ceiling the kernel enforces (FIX_SAFETY).
            applicability=Applicability.UNSAFE,
            container_at=container.pointer,
            cover=cover,
        )


def _limit_phrase(memory: MemorySettings, *, short: bool) -> str:
    if memory.limit is None:
        return "has no memory limit"
    if short:
        return f"has a memory limit of {memory.limit.described} (no limit, to the kubelet)"
    return f"has a memory limit of {memory.limit.described}, which the kubelet treats as no limit"


def _request_phrase(memory: MemorySettings) -> str:
    if memory.request is None:
        return "no memory request"
    return f"a memory request of {memory.request.described}, which reserves nothing"


FIX_SAFETY = (
    "Unsafe in both cases. Without a request, the limit (and request) written are the "
    "policy's default sizes: a guess. With a request, the limit is set to the request as "
    "written: the value is the manifest's own, but its meaning is not. A request is a floor "
    "the scheduler reserves, not a ceiling: a Burstable container may use memory above it "
    "while the node has some free (only under node memory pressure does the kubelet evict "
    "the pods above their requests first). A limit is a ceiling the kernel enforces: the "
    "container's cgroup is OOM-killed as soon as it passes it, however much the node has "
    "free. The copy makes the container Guaranteed-like for memory, so one that runs above "
    "its request today (a JVM heap, a warm cache) would be OOM-killed and restarted in a "
    "loop. Review the value: raise the limit where the container bursts."
)

RULE = Rule(
    id="memory-limit-missing",
    summary="Every container (regular, init, sidecar) has a non-zero memory limit, or the pod "
    "has a pod-level memory limit.",
    why="Without a limit a container may use all of the node's memory. The kubelet then "
    "evicts pods under memory pressure (starting with those using most above their request) "
    "and the kernel OOM-kills processes in other pods on the same node: one leaky container "
    "takes its neighbours down with it. A limit confines the damage to the container that "
    "leaks.",
    remediation="Set resources.limits.memory on the container (or spec.resources.limits.memory "
    "for the whole pod), and resources.requests.memory if it reserves none.",
    example="""\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx
      resources:
        requests:
          memory: 256Mi   # no limit: may grow until the node is out of memory
""",
    check=check,
    compares_siblings=True,
    fixable=True,
    fix_applicability=(Applicability.UNSAFE,),
    fix_safety=FIX_SAFETY,
    supersedes=(REQUEST_MISSING.id,),
    params=(
        Param(
            "defaultLimit",
            ParamType.MEMORY_SIZE,
            "512Mi",
            "the limit its fix sets without a request (at least defaultRequest)",
        ),
        Param(
            "defaultRequest", ParamType.MEMORY_SIZE, "256Mi", "the request its fix sets beside it"
        ),
    ),
    # A guessed limit can OOM-kill a healthy app: deny instead, so a person sizes it.
    default_mode=Mode.ENFORCE,
    mutate=False,
)
