"""The disk-pressure rules through every door (lint, `--as-admitted`, SARIF, the webhook,
`explain`), and the Kubernetes arithmetic they rest on: the pod's memory cgroup limit
(`ResourceConfigForPod`) and the tmpfs size of a memory emptyDir
(`calculateEmptyDirMemorySize`), on tables derived from the source."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from evictguard.engine.check import check_object
from evictguard.engine.registry import RULES
from evictguard.k8s.local_storage import (
    EmptyDir,
    empty_dirs,
    pod_ephemeral_limit,
    pod_has_ephemeral_limit,
    tmpfs_size,
)
from evictguard.k8s.memory import pod_cgroup_memory_limit, pod_memory
from evictguard.k8s.podspec import extract_pod_spec
from evictguard.k8s.quantity import Quantity, parse_quantity
from evictguard.model import Mode
from evictguard.policy.load import load_preset
from evictguard.policy.model import Policy, RuleSettings
from evictguard.webhook import review

from tests.conftest import run_cli, run_json
from tests.webhook_client import admission_review

MEMORY_RULE = "emptydir-memory-unbounded"
SIZE_RULE = "emptydir-size-limit-missing"
EPHEMERAL_RULE = "ephemeral-storage-limit-missing"
ZERO_RULE = "ephemeral-storage-limit-zero"


def container(name: str, memory: str | None = None, **more: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "image": "busybox:1.36", **more}
    if memory is not None:
        spec["resources"] = {"limits": {"memory": memory}}
    return spec


def pod(*containers: dict[str, Any], init: tuple[dict[str, Any], ...] = (), **spec: Any) -> dict:
    body: dict[str, Any] = {"containers": list(containers), **spec}
    if init:
        body["initContainers"] = list(init)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": body}


def sidecar(name: str, memory: str | None = None) -> dict[str, Any]:
    return container(name, memory, restartPolicy="Always")


def cgroup_limit(obj: dict[str, Any]) -> str | None:
    view, _ = extract_pod_spec(obj)
    assert view is not None
    limit = pod_cgroup_memory_limit(view, pod_memory(view))
    return None if limit is None else str(limit)


# ResourceConfigForPod's memory: the value is PodLimits (pod-level limit, else max(sum of
# regular + sidecars, each init + the sidecars before it)); it is set only when every
# ContainerFn value is non-zero or the pod-level limit is.
CGROUP_TABLE = [
    ("every container limited: the sum", pod(container("a", "1Gi"), container("b", "1Gi")), "2Gi"),
    ("one regular container unlimited", pod(container("a", "1Gi"), container("b")), None),
    ("a limit of 0 is none", pod(container("a", "1Gi"), container("b", "0")), None),
    ("BestEffort", pod(container("a")), None),
    ("pod-level limit alone", pod(container("a"), resources={"limits": {"memory": "3Gi"}}), "3Gi"),
    (
        "pod-level limit replaces the sum",
        pod(container("a", "1Gi"), resources={"limits": {"memory": "512Mi"}}),
        "512Mi",
    ),
    ("pod-level limit of 0", pod(container("a"), resources={"limits": {"memory": "0"}}), None),
    (
        "init container unlimited, no sidecar before it",
        pod(container("a", "1Gi"), init=(container("i"),)),
        None,
    ),
    (
        "init container unlimited after a limited sidecar: its value is the sidecar's",
        pod(container("a", "1Gi"), init=(sidecar("s", "128Mi"), container("i"))),
        "1152Mi",
    ),
    (
        "a larger init container sets the peak",
        pod(container("a", "256Mi"), init=(sidecar("s", "128Mi"), container("i", "2Gi"))),
        "2176Mi",
    ),
    (
        "an unlimited sidecar after a limited one: the running sum is non-zero",
        pod(container("a", "1Gi"), init=(sidecar("s1", "128Mi"), sidecar("s2"))),
        "1152Mi",
    ),
    (
        "an unlimited first sidecar",
        pod(container("a", "1Gi"), init=(sidecar("s1"), sidecar("s2", "128Mi"))),
        None,
    ),
]


@pytest.mark.parametrize(
    ("obj", "expected"), [c[1:] for c in CGROUP_TABLE], ids=[c[0] for c in CGROUP_TABLE]
)
def test_pod_cgroup_memory_limit_follows_resource_config_for_pod(
    obj: dict[str, Any], expected: str | None
) -> None:
    assert cgroup_limit(obj) == expected


def _volume(size: str | None) -> EmptyDir:
    return EmptyDir(
        "v", "/spec/volumes/0/emptyDir", "memory", None if size is None else parse_quantity(size)
    )


def _q(text: str | None) -> Quantity | None:
    return None if text is None else parse_quantity(text)


@pytest.mark.parametrize(
    ("size_limit", "pod_limit", "expected"),
    [
        (None, None, None),  # node allocatable
        (None, "0", None),  # a pod limit of 0 is none: `podMemoryLimit.Cmp(zero) > 0`
        ("0", None, None),  # 0 is not above 0
        ("64Mi", None, "64Mi"),
        (None, "1Gi", "1Gi"),
        ("64Mi", "1Gi", "64Mi"),
        ("2Gi", "1Gi", "1Gi"),  # a sizeLimit above the pod's limit is not used
        ("1Gi", "1Gi", "1Gi"),  # `Cmp(*sizeLimit) < 1`: equal is used
        ("0", "1Gi", "1Gi"),
    ],
)
def test_tmpfs_size_follows_calculate_empty_dir_memory_size(
    size_limit: str | None, pod_limit: str | None, expected: str | None
) -> None:
    size = tmpfs_size(_volume(size_limit), _q(pod_limit))
    assert (None if size is None else str(size)) == expected


def test_empty_dirs_read_as_the_api_server_decodes_them() -> None:
    obj = pod(
        container("a"),
        volumes=[
            {"name": "disk", "emptyDir": {}},
            {"name": "mem", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
            {"name": "null", "emptyDir": {"sizeLimit": None}},
            {"name": "huge", "emptyDir": {"medium": "HugePages"}},
            {"name": "bad", "emptyDir": {"sizeLimit": "1GB"}},
            {"name": "no-source", "emptyDir": None},
            {"name": "cm", "configMap": {"name": "x"}},
        ],
    )
    view, _ = extract_pod_spec(obj)
    assert view is not None
    found = [(v.name, v.backing, v.limited, v.pointer) for v in empty_dirs(view)]
    assert found == [
        ("disk", "disk", False, "/spec/volumes/0/emptyDir"),
        ("mem", "memory", True, "/spec/volumes/1/emptyDir"),
        ("null", "disk", False, "/spec/volumes/2/emptyDir"),
    ]
    assert not pod_has_ephemeral_limit(view)
    obj["spec"]["initContainers"] = [
        {"name": "i", "image": "x", "resources": {"limits": {"ephemeral-storage": "1Gi"}}}
    ]
    view, _ = extract_pod_spec(obj)
    assert view is not None and pod_has_ephemeral_limit(view)


# --- the doors -----------------------------------------------------------------------------

MANIFEST = """\
apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
  namespace: shop
spec:
  limits:
    - type: Container
      default: {memory: 512Mi}
      defaultRequest: {memory: 256Mi}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: inference
  namespace: shop
spec:
  selector:
    matchLabels: {app: inference}
  template:
    metadata:
      labels: {app: inference}
    spec:
      containers:
        - name: server
          image: vllm/vllm-openai:v0.6.0
      volumes:
        - name: dshm
          emptyDir:
            medium: Memory
        - name: cache
          emptyDir: {}
"""


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "inference.yaml"
    path.write_text(MANIFEST, "utf-8")
    return path


def _disk(findings: list[dict[str, Any]]) -> set[tuple[str, str, int, int]]:
    rules = (MEMORY_RULE, SIZE_RULE, EPHEMERAL_RULE)
    return {
        (f["rule"], f["severity"], f["line"], f["column"]) for f in findings if f["rule"] in rules
    }


def test_lint_reports_both_emptydirs_at_their_default_modes(manifest: Path) -> None:
    code, report = run_json(str(manifest))
    assert code == 1  # memory-limit-missing is enforced
    assert _disk(report["findings"]) == {
        (MEMORY_RULE, "warning", 29, 11),
        (SIZE_RULE, "info", 32, 11),
    }


def test_as_admitted_the_limitrange_limit_bounds_the_tmpfs(manifest: Path) -> None:
    """LimitRanger gives the container a 512Mi limit: the pod's cgroup has one, and the
    kubelet sizes the tmpfs to it. No memory limit bounds a disk emptyDir."""
    code, report = run_json("--as-admitted", str(manifest))
    assert _disk(report["findings"]) == {(SIZE_RULE, "info", 32, 11)}
    assert code == 0 and report["errors"] == []


def test_sarif_results_carry_the_rule_and_region(manifest: Path) -> None:
    proc = run_cli("lint", "--format", "sarif", str(manifest))
    [run] = json.loads(proc.stdout)["runs"]
    results = {
        (r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
        for r in run["results"]
        if r["ruleId"] in (MEMORY_RULE, SIZE_RULE)
    }
    assert results == {(MEMORY_RULE, "warning", 29), (SIZE_RULE, "note", 32)}
    rules = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    assert {MEMORY_RULE, SIZE_RULE, EPHEMERAL_RULE} <= rules


def _ask(obj: dict[str, Any], policy: Policy) -> dict[str, Any]:
    body = orjson.dumps(admission_review(obj, namespace="shop"))
    return review.review(body, "validate", policy).body["response"]


def _without_limit_rule(policy: Policy) -> Policy:
    """memory-limit-missing off, so that a pod without memory limits gets through."""
    rules = dict(policy.rules)
    rules["memory-limit-missing"] = RuleSettings(Mode.OFF, policy.params("memory-limit-missing"))
    return dataclasses.replace(policy, rules=rules)


SHM = {"name": "shm", "emptyDir": {"medium": "Memory"}}


def test_the_webhook_warns_of_an_unbounded_tmpfs_only() -> None:
    policy = _without_limit_rule(load_preset("default"))
    bounded = _ask(pod(container("app", "256Mi"), volumes=[SHM]), policy)
    assert bounded["allowed"] is True and "warnings" not in bounded
    unbounded = _ask(pod(container("app"), volumes=[SHM]), policy)
    assert unbounded["allowed"] is True
    assert [w for w in unbounded["warnings"] if MEMORY_RULE in w and '"shm"' in w]
    # an init container with no limit leaves the pod's cgroup without one
    init = _ask(pod(container("app", "256Mi"), init=(container("setup"),), volumes=[SHM]), policy)
    assert [w for w in init["warnings"] if MEMORY_RULE in w]


def test_the_webhook_audits_a_disk_emptydir_and_strict_denies_it() -> None:
    obj = pod(container("app", "256Mi"), volumes=[{"name": "tmp", "emptyDir": {}}])
    default = _ask(obj, load_preset("default"))
    assert default["allowed"] is True and "warnings" not in default  # audit: logged only
    strict = _ask(obj, load_preset("strict"))
    assert strict["allowed"] is False
    assert f"[{SIZE_RULE}]" in strict["status"]["message"]
    sized = pod(
        container("app", "256Mi"), volumes=[{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}]
    )
    assert _ask(sized, load_preset("strict"))["allowed"] is True


@pytest.mark.parametrize("rule_id", [SIZE_RULE, MEMORY_RULE, EPHEMERAL_RULE, ZERO_RULE])
def test_explain_shows_the_text_and_an_example_that_fails(rule_id: str, tmp_path: Path) -> None:
    proc = run_cli("explain", rule_id)
    assert proc.returncode == 0
    assert "Why it matters" in proc.stdout and "Example (fails)" in proc.stdout
    assert "eviction_manager.go" in proc.stdout or "empty_dir.go" in proc.stdout
    example = tmp_path / "example.yaml"
    example.write_text(RULES[rule_id].example, "utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"kind: Policy\nrules:\n  {rule_id}: {{mode: warn}}\n", "utf-8")
    _, report = run_json("--config", str(policy), str(example))
    assert rule_id in {f["rule"] for f in report["findings"]}


# --- the pod's ephemeral-storage total (PodLimits), and what a total of 0 does ---------------


def storage(name: str, limit: Any = "absent", **more: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "image": "busybox:1.36", **more}
    if limit != "absent":
        spec["resources"] = {"limits": {"ephemeral-storage": limit}}
    return spec


def storage_total(obj: dict[str, Any]) -> str | None:
    view, _ = extract_pod_spec(obj)
    assert view is not None
    total = pod_ephemeral_limit(view)
    return None if total is None else str(total)


# component-helpers PodLimits (aggregateContainerResourcesByFn): regular + sidecars summed,
# each init container plus the sidecars declared before it, the larger wins; containers
# without the key add nothing, and the key exists once any container sets it.
STORAGE_TOTALS = [
    (pod(storage("a")), None),
    (pod(storage("a", 0)), "0"),
    (pod(storage("a", None)), "0"),  # null decodes to a zero Quantity, the key stays
    (pod(storage("a", "0Gi"), storage("b")), "0"),
    (pod(storage("a", 0), storage("b", "1Ki")), "1024"),
    (pod(storage("a"), init=(storage("i", 0),)), "0"),
    (pod(storage("a", "1Ki"), init=(storage("i", "4Ki"),)), "4096"),
    (pod(storage("a", 0), init=(storage("s", "1Ki", restartPolicy="Always"),)), "1024"),
    # an init container runs beside the sidecars declared before it, not after it
    (
        pod(
            storage("a", "1Ki"),
            init=(
                storage("s1", "1Ki", restartPolicy="Always"),
                storage("i", "2Ki"),
                storage("s2", "1Ki", restartPolicy="Always"),
            ),
        ),
        "3072",
    ),
    (pod(storage("a", "500m")), "1/2"),  # kept: SetDefaults_ResourceList rounds up to 1m
]


@pytest.mark.parametrize(("obj", "expected"), STORAGE_TOTALS)
def test_pod_ephemeral_limit_follows_pod_limits(obj: dict[str, Any], expected: str | None) -> None:
    assert storage_total(obj) == expected


def _messages(obj: dict[str, Any], rule_id: str, preset: str = "strict") -> list[str]:
    policy = load_preset(preset)
    rules = dict(policy.rules)
    rules[rule_id] = RuleSettings(Mode.WARN, policy.params(rule_id))
    policy = dataclasses.replace(policy, rules=rules)
    return [f.message for f in check_object(obj, policy).findings if f.rule == rule_id]


def test_a_zero_total_is_enforced_by_default_and_a_critical_pod_is_left_out() -> None:
    assert RULES[ZERO_RULE].default_mode is Mode.ENFORCE
    [message] = _messages(pod(storage("app", 0)), ZERO_RULE)
    assert "total 0" in message and "etc-hosts" in message
    assert _messages(pod(storage("app", 0), storage("log", "1Gi")), ZERO_RULE) == []
    critical = pod(storage("app", 0), priorityClassName="system-cluster-critical")
    assert _messages(critical, ZERO_RULE) == []
    denied = _ask(pod(container("app", "256Mi"), storage("b", 0)), _default())
    assert denied["allowed"] is False and f"[{ZERO_RULE}]" in denied["status"]["message"]


def _default() -> Policy:
    return load_preset("default")


# --- critical pods: eviction enforces no disk bound on them (evictPod, IsCriticalPod) -----

CRITICAL = [
    {"priorityClassName": "system-node-critical"},
    {"priorityClassName": "system-cluster-critical"},
    {"priority": 2000000000},
]


@pytest.mark.parametrize("critical", CRITICAL)
@pytest.mark.parametrize("rule_id", [SIZE_RULE, EPHEMERAL_RULE])
def test_disk_rules_tell_a_critical_pod_that_no_limit_would_stop_it(
    rule_id: str, critical: dict[str, Any]
) -> None:
    volumes = [{"name": "tmp", "emptyDir": {}}]
    [plain] = _messages(pod(container("app"), volumes=volumes), rule_id)
    assert "critical" not in plain
    [message] = _messages(pod(container("app"), volumes=volumes, **critical), rule_id)
    assert "never evicts a critical pod" in message
    assert "neither a sizeLimit nor an ephemeral-storage limit would stop it" in message
    assert "set emptyDir.sizeLimit" not in message
    assert "set resources.limits.ephemeral-storage" not in message


def test_a_mirror_pod_is_critical_and_a_user_class_is_not() -> None:
    volumes = [{"name": "tmp", "emptyDir": {}}]
    mirror = pod(container("app"), volumes=volumes)
    mirror["metadata"]["annotations"] = {"kubernetes.io/config.mirror": "abc"}
    [message] = _messages(mirror, SIZE_RULE)
    assert "kubernetes.io/config.mirror" in message
    [user] = _messages(pod(container("app"), volumes=volumes, priorityClassName="high"), SIZE_RULE)
    assert "critical" not in user and "set emptyDir.sizeLimit" in user


# --- a memory emptyDir written only by limited containers, in a pod cgroup with no limit ---


def _shm_mount(**more: Any) -> dict[str, Any]:
    return {"volumeMounts": [{"name": "shm", "mountPath": "/dev/shm", **more}]}


def test_limited_writers_are_told_the_tmpfs_outlives_their_restarts() -> None:
    writer = container("app", "256Mi", **_shm_mount())
    reader = container("reader", "256Mi", **_shm_mount(readOnly=True))
    [message] = _messages(pod(writer, container("sidecar"), volumes=[SHM]), MEMORY_RULE)
    assert 'container "app" (with a memory limit) writes there' in message
    assert '(container "sidecar" without one)' in message
    assert "when the writer restarts" in message and "grow by about a limit" in message
    assert "the pod no memory limit" not in message
    # a writer without a limit: the pod's own missing limit is the story
    [unlimited] = _messages(
        pod(container("app", **_shm_mount()), reader, volumes=[SHM]), MEMORY_RULE
    )
    assert "the pod no memory limit" in unlimited and "restarts" not in unlimited
    # a read-only mount writes nothing; nobody writes: the general message
    [nobody] = _messages(pod(reader, container("sidecar"), volumes=[SHM]), MEMORY_RULE)
    assert "the pod no memory limit" in nobody
