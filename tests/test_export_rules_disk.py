"""The disk rules' CEL (export/rules: emptydir-*, ephemeral-storage-*) on the cases the data
files miss: values at the edges (0 and the smallest positive size, a total just below and
at one byte), the order of sidecars, critical pods, and UPDATE, where a violation already
on the old object warns and a new one denies. Each case is judged by the engine and by the
exported policy (tests/k8s_cel), and both must give the verdict written here. The cases are
written as admission sees them (canonical quantities; Pod defaulting changes nothing these
rules read), so they go to both as they are."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
from evictguard.engine.check import check_object
from evictguard.export.vap import PREFIX, export_vap
from evictguard.model import Mode
from evictguard.policy.load import load_preset
from evictguard.policy.model import Policy, RuleSettings

pytest.importorskip("cel_expr_python", reason="cel-expr-python needs Python >= 3.11")
vap_eval = pytest.importorskip("tests.k8s_cel.vap", reason="tests/k8s_cel not there")

NAMESPACE = "shop"


def enforced(rule: str, **gates: bool) -> Policy:
    """The default policy with `rule` enforced (and feature gates set)."""
    base = load_preset("default")
    rules = dict(base.rules)
    rules[rule] = RuleSettings(Mode.ENFORCE, base.params(rule))
    return dataclasses.replace(
        base, rules=rules, feature_gates={**base.feature_gates, **gates}, ignored_namespaces=()
    )


def engine_reports(rule: str, obj: dict[str, Any], policy: Policy) -> bool:
    result = check_object(obj, policy)
    return any(f.rule == rule for f in result.findings) or any(
        left.rule == rule for _, left in result.superseded
    )


def cel_outcome(
    rule: str, obj: dict[str, Any], policy: Policy, old: dict[str, Any] | None = None
) -> Any:
    """The API server's answer, with only `rule`'s exported policies installed."""
    names = {PREFIX + rule, PREFIX + rule + "-pre-existing"}
    exported = [o for o in export_vap(policy).objects if o["metadata"]["name"] in names]
    assert exported, f"{rule} is not exported"
    policies = [o for o in exported if o["kind"] == "ValidatingAdmissionPolicy"]
    bindings = [o for o in exported if o["kind"] == "ValidatingAdmissionPolicyBinding"]
    request = vap_eval.admission_request(
        obj, old, operation="UPDATE" if old is not None else "CREATE", namespace=NAMESPACE
    )
    outcome = vap_eval.evaluate(policies, bindings, request, vap_eval.namespace_object(NAMESPACE))
    assert not outcome.errors, outcome.errors
    return outcome


def assert_verdict(rule: str, obj: dict[str, Any], reported: bool, policy: Policy) -> None:
    """The engine and the exported policy (on CREATE) both report `obj`, or neither."""
    assert engine_reports(rule, obj, policy) is reported
    assert cel_outcome(rule, obj, policy).denied is reported


def pod(*containers: dict[str, Any], init: tuple[dict[str, Any], ...] = (), **spec: Any) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": NAMESPACE},
        "spec": {
            **({"initContainers": list(init)} if init else {}),
            "containers": list(containers),
            **spec,
        },
    }


def deployment(template_spec: dict[str, Any], annotations: dict[str, str] | None = None) -> dict:
    metadata: dict[str, Any] = {"labels": {"app": "web"}}
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": NAMESPACE},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": metadata, "spec": template_spec},
        },
    }


def container(name: str, sidecar: bool = False, **limits: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "image": "nginx:1.27"}
    if limits:
        out["resources"] = {"limits": {k.replace("_", "-"): v for k, v in limits.items()}}
    if sidecar:
        out["restartPolicy"] = "Always"
    return out


def empty_dir(name: str, **source: str) -> dict[str, Any]:
    return {"name": name, "emptyDir": dict(source)}


# --- emptydir-size-limit-missing ---------------------------------------------------------

SIZE = "emptydir-size-limit-missing"


@pytest.mark.parametrize(
    ("volume", "init_limit", "reported"),
    [
        (empty_dir("cache"), None, True),
        (empty_dir("cache", sizeLimit="0"), None, True),  # 0 limits nothing
        (empty_dir("cache", sizeLimit="1"), None, False),  # the smallest size above 0
        (empty_dir("cache", sizeLimit="1m"), None, False),  # above 0, though below a byte
        (empty_dir("cache", medium="Memory"), None, False),  # a tmpfs: the memory rule's
        (empty_dir("cache", medium="HugePages"), None, False),
        (empty_dir("cache"), "0", False),  # an init container's key bounds the pod, even 0
    ],
)
def test_emptydir_size_limit(volume: dict, init_limit: str | None, reported: bool) -> None:
    init = () if init_limit is None else (container("setup", ephemeral_storage=init_limit),)
    obj = pod(container("app", memory="1Gi"), init=init, volumes=[volume])
    assert_verdict(SIZE, obj, reported, enforced(SIZE))


def test_emptydir_size_limit_on_a_template_and_a_critical_pod() -> None:
    spec = {"containers": [container("app", memory="1Gi")], "volumes": [empty_dir("cache")]}
    policy = enforced(SIZE)
    assert_verdict(SIZE, deployment(spec), True, policy)
    # critical pods get other advice, not another verdict
    assert_verdict(
        SIZE, deployment({**spec, "priorityClassName": "system-node-critical"}), True, policy
    )


def test_emptydir_size_limit_on_update() -> None:
    policy = enforced(SIZE)
    before = pod(container("app", memory="1Gi"), volumes=[empty_dir("cache")])
    kept = copy.deepcopy(before)
    kept["metadata"]["labels"] = {"tier": "web"}
    outcome = cel_outcome(SIZE, kept, policy, old=before)
    assert not outcome.denied and len(outcome.warnings) == 1  # pre-existing: warned
    added = copy.deepcopy(before)
    added["spec"]["volumes"].append(empty_dir("scratch"))
    outcome = cel_outcome(SIZE, added, policy, old=before)
    assert (
        outcome.denied
        and '"scratch"' in outcome.messages[0]
        and '"cache"' not in outcome.messages[0]
    )
    zeroed = pod(container("app", memory="1Gi"), volumes=[empty_dir("cache", sizeLimit="0")])
    assert cel_outcome(SIZE, zeroed, policy, old=before).denied  # another value: new


# --- emptydir-memory-unbounded -----------------------------------------------------------

TMPFS = "emptydir-memory-unbounded"


@pytest.mark.parametrize(
    ("init", "app_limit", "reported"),
    [
        ((), "1Gi", False),
        ((), "0", True),  # a limit of 0 sets none
        ((), None, True),
        # an init container without a limit runs with the sidecars declared before it
        ((container("proxy", sidecar=True, memory="64Mi"), container("setup")), "1Gi", False),
        ((container("setup"), container("proxy", sidecar=True, memory="64Mi")), "1Gi", True),
        # a sidecar's running sum counts the sidecars before it
        (
            (container("a", sidecar=True, memory="64Mi"), container("b", sidecar=True)),
            "1Gi",
            False,
        ),
        (
            (container("a", sidecar=True), container("b", sidecar=True, memory="64Mi")),
            "1Gi",
            True,
        ),
    ],
)
def test_emptydir_memory_pod_limit(init: tuple, app_limit: str | None, reported: bool) -> None:
    app = container("app") if app_limit is None else container("app", memory=app_limit)
    obj = pod(app, init=init, volumes=[empty_dir("shm", medium="Memory")])
    assert_verdict(TMPFS, obj, reported, enforced(TMPFS))


@pytest.mark.parametrize(
    ("pod_level", "gate", "size", "reported"),
    [
        ("1Gi", True, None, False),
        ("0", True, None, True),  # replaces the containers' aggregate: no limit
        ("1Gi", False, None, True),  # gate off: the API server drops spec.resources
        (None, True, "1", False),  # the smallest sizeLimit above 0
        (None, True, "0", True),
    ],
)
def test_emptydir_memory_pod_level_and_size(
    pod_level: str | None, gate: bool, size: str | None, reported: bool
) -> None:
    volume = empty_dir("shm", medium="Memory", **({} if size is None else {"sizeLimit": size}))
    spec: dict[str, Any] = {"volumes": [volume]}
    if pod_level is not None:
        spec["resources"] = {"limits": {"memory": pod_level}}
    obj = pod(container("app"), **spec)
    assert_verdict(TMPFS, obj, reported, enforced(TMPFS, PodLevelResources=gate))


# --- ephemeral-storage-limit-missing -----------------------------------------------------

MISSING = "ephemeral-storage-limit-missing"


def test_ephemeral_limit_missing_edges_and_update() -> None:
    policy = enforced(MISSING)
    assert_verdict(MISSING, pod(container("app")), True, policy)
    assert_verdict(
        MISSING, pod(container("app"), container("b", ephemeral_storage="0")), False, policy
    )
    sidecar = container("proxy", sidecar=True, ephemeral_storage="1Gi")
    assert_verdict(
        MISSING,
        deployment({"initContainers": [sidecar], "containers": [container("app")]}),
        False,
        policy,
    )
    before = pod(container("app"))
    outcome = cel_outcome(MISSING, pod(container("app")), policy, old=before)
    assert not outcome.denied and outcome.warnings
    outcome = cel_outcome(MISSING, pod(container("app"), container("worker")), policy, old=before)
    assert outcome.denied and "worker" in outcome.messages[0] and "app" not in outcome.messages[0]


# --- ephemeral-storage-limit-zero --------------------------------------------------------

ZERO = "ephemeral-storage-limit-zero"


@pytest.mark.parametrize(
    ("init", "limits", "reported"),
    [
        ((), ["0"], True),
        ((), ["999m"], True),  # below one byte
        ((), ["1"], False),
        ((), ["999m", "1m"], False),  # one byte in all
        ((), ["999m", "1n"], False),  # 1n is stored as 1m: one byte in all
        ((), ["1n"], True),
        ((), ["0", None], True),  # a container without the key adds nothing
        # an init container's limit plus the sidecars' before it, against the running total
        ((container("setup", ephemeral_storage="600m"),), ["0"], True),
        (
            (
                container("setup", ephemeral_storage="600m"),
                container("proxy", sidecar=True, ephemeral_storage="300m"),
            ),
            ["0"],
            True,  # max(300m, 600m)
        ),
        (
            (
                container("proxy", sidecar=True, ephemeral_storage="500m"),
                container("setup", ephemeral_storage="600m"),
            ),
            ["0"],
            False,  # setup runs beside proxy: 1100m
        ),
        ((container("proxy", sidecar=True, ephemeral_storage="500m"),), ["500m"], False),
        ((), ["1Ei"], False),  # far above: no overflow
    ],
)
def test_ephemeral_limit_zero_total(init: tuple, limits: list, reported: bool) -> None:
    containers = [
        container(f"c{i}") if v is None else container(f"c{i}", ephemeral_storage=v)
        for i, v in enumerate(limits)
    ]
    assert_verdict(ZERO, pod(*containers, init=init), reported, enforced(ZERO))


@pytest.mark.parametrize(
    ("spec", "annotations", "reported"),
    [
        ({"priorityClassName": "system-cluster-critical"}, None, False),
        ({"priority": 2000000000}, None, False),
        ({"priority": 1999999999}, None, True),
        # an int priority is what the kubelet reads: the class is not looked at then
        ({"priority": 1000, "priorityClassName": "system-node-critical"}, None, True),
        ({}, {"kubernetes.io/config.mirror": "abc"}, False),
    ],
)
def test_ephemeral_limit_zero_critical(
    spec: dict, annotations: dict | None, reported: bool
) -> None:
    template = {"containers": [container("app", ephemeral_storage="0")], **spec}
    obj = deployment(template, annotations)
    assert_verdict(ZERO, obj, reported, enforced(ZERO))


def test_ephemeral_limit_zero_on_update() -> None:
    policy = enforced(ZERO)
    before = pod(container("app", ephemeral_storage="0"))
    outcome = cel_outcome(ZERO, pod(container("app", ephemeral_storage="0")), policy, old=before)
    assert not outcome.denied and outcome.warnings
    after = pod(container("app", ephemeral_storage="500m"))
    assert cel_outcome(ZERO, after, policy, old=before).denied  # another value: new
