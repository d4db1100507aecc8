"""Data-driven rule tests: "this manifest -> these findings at (line, column)".

Layout (as yamllint's rule tests): `tests/data/rules/<rule-id>/pass/*.yaml` must give no
finding of that rule; in `fail/*.yaml` every expected finding is marked on the line where
it must be reported with a trailing comment

    memory: 512MB   # expect: memory-quantity-invalid@19

(several per line, comma-separated: `# expect: rule-a@11, rule-b@11`; a marker given twice
means two findings there, as when one toleration has two errors in the same field). Each
file is linted with the packaged default policy, the rule under test forced on (memory-
limit-ratio, off by default, from a policy file with `max: 3`; a rule folder's own
`policy.yaml`, layered over the default preset, where the rule needs settings), and the
multiset of (rule, line, column) of that rule's findings must equal the markers exactly.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from evictguard import pointer as jp
from evictguard.engine.check import check_object
from evictguard.engine.registry import RULES
from evictguard.k8s.memory import aggregate_memory_requests
from evictguard.k8s.podspec import PodSpecView, extract_pod_spec, extract_pod_specs
from evictguard.k8s.quantity import (
    parse_manifest_quantity,
    parse_quantity,
    round_up_to_milli,
    round_up_value_to_milli,
)
from evictguard.k8s.toleration_annotation import TOLERATIONS_ANNOTATION
from evictguard.lint.files import lint_text
from evictguard.model import Finding, Mode, Report
from evictguard.policy.load import load_policy_file, load_preset
from evictguard.policy.model import Policy, RuleSettings
from evictguard.yaml.loader import load_text
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import DATA, limits_not_required, lint_paths

RULES_DATA = DATA / "rules"
RATIO = "memory-limit-ratio"
RATIO_MAX = 3  # the maximum memory-limit-ratio data files are written against

_MARKER = re.compile(r"#\s*expect:\s*(?P<items>.*)$")
_ITEM = re.compile(r"^(?P<rule>[a-z0-9-]+)@(?P<column>[0-9]+)$")

Expectation = tuple[str, int, int]  # (rule, line, column)


def data_files(kind: str) -> list[tuple[str, Path]]:
    return [
        (rule_id, path)
        for rule_id in sorted(RULES)
        for path in sorted((RULES_DATA / rule_id / kind).glob("*.yaml"))
    ]


def file_id(case: tuple[str, Path]) -> str:
    rule_id, path = case
    return f"{rule_id}/{path.parent.name}/{path.name}"


PASS_FILES = data_files("pass")
FAIL_FILES = data_files("fail")
MEMORY_FAIL_FILES = [case for case in FAIL_FILES if case[0].startswith("memory-")]
TOLERATION_FAIL_FILES = [
    case for case in FAIL_FILES if case[0].startswith(("toleration-", "noexecute-"))
]
PDB_FAIL_FILES = [case for case in FAIL_FILES if case[0].startswith("pdb-")]
DISK_RULES = (
    "emptydir-size-limit-missing",
    "emptydir-memory-unbounded",
    "ephemeral-storage-limit-missing",
)
DISK_FAIL_FILES = [case for case in FAIL_FILES if case[0] in DISK_RULES]


def expected_markers(path: Path) -> Counter[Expectation]:
    """Every `# expect: rule@column` marker in a file, with the line it stands on."""
    expected: Counter[Expectation] = Counter()
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        match = _MARKER.search(line)
        if not match:
            continue
        for item in match.group("items").split(","):
            parsed = _ITEM.match(item.strip())
            assert parsed, f"{path}:{number}: malformed marker item {item.strip()!r}"
            expected[(parsed["rule"], number, int(parsed["column"]))] += 1
    return expected


def forced_on(policy: Policy, rule_id: str) -> Policy:
    """`policy` with `rule_id` enforced and its parameters unchanged."""
    rules = dict(policy.rules)
    rules[rule_id] = RuleSettings(Mode.ENFORCE, policy.params(rule_id))
    return dataclasses.replace(policy, rules=rules)


def ratio_policy(folder: Path, maximum: float = RATIO_MAX) -> Policy:
    path = folder / "ratio-policy.yaml"
    path.write_text(
        "apiVersion: evictguard.io/v1alpha1\n"
        "kind: Policy\n"
        "rules:\n"
        f"  {RATIO}:\n"
        "    mode: enforce\n"
        f"    max: {maximum}\n",
        "utf-8",
    )
    return load_policy_file(str(path))


def policy_for(rule_id: str, tmp_path: Path) -> Policy:
    if rule_id == RATIO:
        return ratio_policy(tmp_path)
    own = RULES_DATA / rule_id / "policy.yaml"
    base = load_policy_file(str(own)) if own.is_file() else load_preset("default")
    # Rules are judged in every namespace here, kube-system's system pods included; which
    # namespaces lint leaves out is tests/test_ignored_namespaces.py's.
    return forced_on(dataclasses.replace(base, ignored_namespaces=()), rule_id)


def lint_for_rule(rule_id: str, path: Path, tmp_path: Path) -> tuple[Report, list[Finding]]:
    report = lint_paths(path, policy=policy_for(rule_id, tmp_path))
    assert not report.errors, f"{path}: the data file itself has input errors: {report.errors}"
    assert report.objects >= 1, f"{path}: holds no Kubernetes object"
    return report, [f for f in report.findings if f.rule == rule_id]


def show(findings: list[Finding]) -> str:
    return "\n".join(f"  {f.line}:{f.column} {f.rule} {f.pointer}: {f.message}" for f in findings)


# --- the data files ----------------------------------------------------------------------


@pytest.mark.parametrize("case", FAIL_FILES, ids=file_id)
def test_fail_file(case: tuple[str, Path], tmp_path: Path) -> None:
    rule_id, path = case
    expected = expected_markers(path)
    assert expected, f"{path}: a fail file needs at least one `# expect:` marker"
    others = {e for e in expected if e[0] != rule_id}
    assert not others, f"{path}: markers for another rule than {rule_id}: {others}"
    _, findings = lint_for_rule(rule_id, path, tmp_path)
    got = Counter((f.rule, f.line, f.column) for f in findings)
    assert got == expected, (
        f"{path}:\n missing {sorted((expected - got).elements())}\n"
        f" unexpected {sorted((got - expected).elements())}\n findings:\n{show(findings)}"
    )


@pytest.mark.parametrize("case", PASS_FILES, ids=file_id)
def test_pass_file(case: tuple[str, Path], tmp_path: Path) -> None:
    rule_id, path = case
    assert not expected_markers(path), f"{path}: a pass file carries `# expect:` markers"
    _, findings = lint_for_rule(rule_id, path, tmp_path)
    assert not findings, f"{path}:\n{show(findings)}"


def test_every_rule_has_data() -> None:
    for rule_id in RULES:
        for kind in ("pass", "fail"):
            files = list((RULES_DATA / rule_id / kind).glob("*.yaml"))
            assert len(files) >= 3, f"{rule_id}/{kind}: only {len(files)} data files"
    unknown = {p.name for p in RULES_DATA.iterdir() if p.is_dir()} - set(RULES)
    assert not unknown, f"data folders for unknown rules: {unknown}"


def test_data_files_carry_no_suppression_comments() -> None:
    for _rule, path in PASS_FILES + FAIL_FILES:
        assert "evictguard:" not in path.read_text("utf-8"), path


# --- what each finding says --------------------------------------------------------------


def resolve(obj: Any, pointer: str) -> tuple[bool, Any]:
    """(whether the pointer names an existing member, its value)."""
    node = obj
    for token in jp.split(pointer):
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False, None
    return True, node


MISSING_RULES = {"memory-limit-missing", "memory-request-missing"}
VALUE_RULES = {
    "memory-request-exceeds-limit",
    "memory-pod-level-conflict",
    "memory-quantity-suspicious",
    "memory-limit-ratio",
}


@pytest.mark.parametrize("case", MEMORY_FAIL_FILES, ids=file_id)
def test_findings_name_object_container_and_value(case: tuple[str, Path], tmp_path: Path) -> None:
    """For every finding in the fail data: `container` is the name of the container its
    pointer lies in (null for pod-level resources), and the message names the object,
    the container (or "pod-level resources") and the value it is about."""
    rule_id, path = case
    policy = policy_for(rule_id, tmp_path)
    loaded = load_text(path.read_text("utf-8"), str(path))
    checked = 0
    for item in loaded.objects:
        pods, _ = extract_pod_specs(item.obj)
        for finding in check_object(item.obj, policy).findings:
            if finding.rule != rule_id:
                continue
            checked += 1
            assert finding.ref.describe() in finding.message
            pod = _pod_of(pods, finding.pointer)
            assert pod is not None and finding.pointer.startswith(pod.pointer + "/")
            rest = jp.split(finding.pointer[len(pod.pointer) :])
            if rest[0] == "resources" and not pod.pod_level:
                main = pod.containers[0]  # a container spec's main container: its resources
                assert main.origin is not None and finding.container == main.name
                assert f'"{main.name}" ({main.origin})' in finding.message, finding.message
            elif rest[0] == "resources":
                assert finding.container is None
                assert "pod-level resources" in finding.message
            else:
                assert rest[0] in ("containers", "initContainers"), finding.pointer
                assert rest[2] == "resources", finding.pointer
                container = pod.spec[rest[0]][int(rest[1])]
                assert finding.container == container.get("name")
                label = container.get("name", f"#{rest[1]}")
                assert f'"{label}"' in finding.message, finding.message
            exists, value = resolve(item.obj, finding.pointer)
            if rule_id in MISSING_RULES:
                assert finding.pointer.endswith(("/limits/memory", "/requests/memory"))
                assert value is None or parse_manifest_quantity(value).value == 0, finding.pointer
            elif rule_id in VALUE_RULES or (exists and not isinstance(value, (dict, list))):
                assert exists, finding.pointer
                if isinstance(value, str):
                    assert value in finding.message, finding.message
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    shown = parse_manifest_quantity(value).text  # 1.5e+9 -> "1500000000"
                    assert shown in finding.message, finding.message
    assert checked, f"{path}: no finding of {rule_id} to check"


@pytest.mark.parametrize("case", TOLERATION_FAIL_FILES, ids=file_id)
def test_findings_name_object_and_toleration(case: tuple[str, Path], tmp_path: Path) -> None:
    """For every toleration finding in the fail data: the pointer lies in one toleration of
    the pod spec, and the message names the object, that toleration's index and its fields
    as written; or the pointer is the deprecated tolerations annotation of the pod spec's
    metadata (a string: a toleration there has no place of its own), and the message names
    the annotation."""
    rule_id, path = case
    policy = policy_for(rule_id, tmp_path)
    loaded = load_text(path.read_text("utf-8"), str(path))
    checked = 0
    for item in loaded.objects:
        pods, _ = extract_pod_specs(item.obj)
        for finding in check_object(item.obj, policy).findings:
            if finding.rule != rule_id:
                continue
            checked += 1
            assert finding.ref.describe() in finding.message
            annotations = [
                jp.child(pod.metadata_pointer, "annotations", TOLERATIONS_ANNOTATION)
                for pod in pods
            ]
            if finding.pointer in annotations:
                assert f"annotation {TOLERATIONS_ANNOTATION}" in finding.message
                assert finding.container is None
                continue
            # Where the pod spec's tolerations are (an operator's kind may keep them apart).
            [view] = [
                view
                for pod in pods
                for view in pod.tolerations
                if finding.pointer.startswith(view.pointer + "/") or finding.pointer == view.pointer
            ][:1]
            index = view.index
            assert finding.container is None
            assert view.describe() in finding.message, finding.message
            assert f"toleration #{index} " in finding.message
    assert checked, f"{path}: no finding of {rule_id} to check"


@pytest.mark.parametrize("case", DISK_FAIL_FILES, ids=file_id)
def test_findings_name_object_and_volume(case: tuple[str, Path], tmp_path: Path) -> None:
    """For every disk-pressure finding in the fail data: the message names the object and
    the emptyDir volume (by its name) or the container its pointer lies in."""
    rule_id, path = case
    policy = policy_for(rule_id, tmp_path)
    checked = 0
    for item in load_text(path.read_text("utf-8"), str(path)).objects:
        pods, _ = extract_pod_specs(item.obj)
        for finding in check_object(item.obj, policy).findings:
            if finding.rule != rule_id:
                continue
            checked += 1
            assert finding.ref.describe() in finding.message
            pod = _pod_of(pods, finding.pointer)
            assert pod is not None
            field, index, *rest = jp.split(finding.pointer[len(pod.pointer) :])
            entry = pod.spec[field][int(index)]
            if field == "volumes":
                assert rest == ["emptyDir", "sizeLimit"], finding.pointer
                assert f'volume "{entry["name"]}"' in finding.message, finding.message
                assert finding.container is None
            else:
                assert (field, rest) == ("containers", ["resources", "limits", "ephemeral-storage"])
                assert finding.container == entry["name"]
                assert f'container "{entry["name"]}"' in finding.message, finding.message
    assert checked, f"{path}: no finding of {rule_id} to check"


def _pod_of(pods: list[PodSpecView], pointer: str) -> PodSpecView | None:
    """The pod spec a pointer lies in: the innermost (an object may hold several)."""
    holding = [pod for pod in pods if pointer.startswith(pod.pointer + "/")]
    return max(holding, key=lambda pod: len(pod.pointer), default=None)


# --- a few findings spelled out ----------------------------------------------------------


def _findings(text: str, policy: Policy) -> list[Finding]:
    [item] = load_text(text, "<test>").objects
    return check_object(item.obj, policy).findings


SIDECAR_JOB = """\
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: billing}
spec:
  template:
    spec:
      restartPolicy: Never
      initContainers:
        - name: proxy
          image: envoyproxy/envoy:v1.31
          restartPolicy: Always
        - name: wait-db
          image: busybox:1.36
          resources: {limits: {memory: 1GB}}
      containers:
        - name: migrate
          image: example/migrate:2.1
          resources: {requests: {memory: 2Gi}, limits: {memory: 1Gi}}
      ephemeralContainers:
        - name: debugger
          image: busybox:1.36
"""


def test_finding_details_are_exact(default_policy: Policy) -> None:
    findings = {
        (f.rule, f.container, f.pointer): f.message for f in _findings(SIDECAR_JOB, default_policy)
    }
    base = "/spec/template/spec"
    assert set(findings) == {
        # No limit and no request: one finding, whose message covers the request.
        ("memory-limit-missing", "proxy", f"{base}/initContainers/0/resources/limits/memory"),
        ("memory-quantity-invalid", "wait-db", f"{base}/initContainers/1/resources/limits/memory"),
        (
            "memory-request-exceeds-limit",
            "migrate",
            f"{base}/containers/0/resources/requests/memory",
        ),
    }
    by_rule = {rule: message for (rule, _c, _p), message in findings.items()}
    assert by_rule["memory-limit-missing"] == (
        'Job billing/migrate: sidecar container "proxy" has no memory limit and no memory '
        "request; set resources.limits.memory and resources.requests.memory (policy defaults "
        "512Mi and 256Mi)"
    )
    assert by_rule["memory-quantity-invalid"].startswith(
        'Job billing/migrate: init container "wait-db": memory limit "1GB" is not a '
        "Kubernetes quantity ("
    )
    assert by_rule["memory-quantity-invalid"].endswith('; did you mean "1Gi" or "1G"?')
    assert by_rule["memory-request-exceeds-limit"] == (
        'Job billing/migrate: container "migrate" requests 2Gi of memory, more than its '
        'limit 1Gi; the API server rejects it ("must be less than or equal to memory limit '
        'of 1Gi")'
    )


def test_list_item_pointers_are_relative_to_the_item(default_policy: Policy) -> None:
    text = """\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: settings}
  - apiVersion: v1
    kind: Pod
    metadata: {name: probe}
    spec:
      containers:
        - name: probe
          image: busybox:1.36
          resources: {limits: {memory: 512m}}
"""
    report = lint_text(text, default_policy)
    [finding] = report.findings
    assert finding.rule == "memory-quantity-suspicious"
    assert finding.pointer == "/spec/containers/0/resources/limits/memory"
    assert (finding.line, finding.column) == (14, 40)
    assert finding.container == "probe"
    assert finding.message == (
        'Pod probe: container "probe": memory limit "512m" is 0.512 bytes: "m" counts '
        'thousandths of a byte; did you mean "512Mi"?'
    )


def test_yaml_numbers_are_shown_as_the_api_reads_them(default_policy: Policy) -> None:
    text = """\
apiVersion: v1
kind: Pod
metadata: {name: tiny}
spec:
  containers:
    - name: app
      image: example/app:1.0
      resources: {requests: {memory: 1.5e+9}, limits: {memory: 1.0e+9}}
"""
    [finding] = _findings(text, default_policy)
    assert finding.rule == "memory-request-exceeds-limit"
    assert "requests 1500000000 of memory, more than its limit 1000000000;" in finding.message


def test_ratio_is_off_by_default_and_on_with_a_policy(
    default_policy: Policy, tmp_path: Path
) -> None:
    path = RULES_DATA / RATIO / "fail"
    assert not [f for f in lint_paths(path, policy=default_policy).findings if f.rule == RATIO]
    strict = [f for f in lint_paths(path, policy=ratio_policy(tmp_path)).findings]
    assert any(f.rule == RATIO for f in strict)
    lenient = lint_paths(path, policy=ratio_policy(tmp_path, maximum=1000)).findings
    assert not [f for f in lenient if f.rule == RATIO]


def _container_findings(resources: str, policy: Policy) -> list[Finding]:
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        f"    - name: app\n      image: example/app:1.0\n      resources: {resources}\n"
    )
    return _findings(text, policy)


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("1PB", '; did you mean "1Pi" or "1P"?'),
        ("2 Gi", '; did you mean "2Gi"?'),
        ("-1GB", ""),  # "-1Gi" would be refused too: no suggestion
        ("1.2.3Gi", ""),
    ],
)
def test_invalid_quantity_suggestions(value: str, hint: str, default_policy: Policy) -> None:
    [finding] = _container_findings(f'{{limits: {{memory: "{value}"}}}}', default_policy)
    assert finding.rule == "memory-quantity-invalid"
    assert finding.message.startswith(f'Pod p: container "app": memory limit "{value}" is not')
    assert finding.message.endswith(")" + hint)


# --- values above 2^63-1 bytes: Quantity.Value() overflows (kubernetes#141166) -------------

OVERFLOW = (
    "is above the int64 maximum of 9223372036854775807 bytes (2^63-1): the API server accepts "
    "it, but resource.Quantity.Value() overflows (kubernetes#141166) and returns"
)


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        (
            "{limits: {memory: 10E}}",
            f'memory limit "10E" {OVERFLOW} 0, so the kubelet sets no memory limit (and the '
            "request the API server copies from it counts as 0 bytes too)",
        ),
        (
            "{requests: {memory: 1Gi}, limits: {memory: 1e19}}",
            f'memory limit "10000000000000000000" {OVERFLOW} 0, so the kubelet sets no memory '
            "limit",
        ),
        (
            '{requests: {memory: "18446744073709551616"}, limits: {memory: 20E}}',
            f'memory request "18446744073709551616" {OVERFLOW} 0, so the scheduler counts the '
            "request as 0 bytes",
        ),
        (
            "{requests: {memory: 18446744073709551616}, limits: {memory: 20E}}",
            f'memory request "18446744073709552000" {OVERFLOW} 384, so the scheduler counts the '
            "request as 384 bytes",
        ),
        (
            '{requests: {memory: 1Gi}, limits: {memory: "9223372036854775808"}}',
            f'memory limit "9223372036854775808" {OVERFLOW} -9223372036854775808, so the kubelet '
            "uses -9223372036854775808 as the memory limit",
        ),
        (
            "{requests: {memory: 1Gi}, limits: {memory: 1000E}}",
            'memory limit "1000E" is above the int64 maximum of 9223372036854775807 bytes '
            '(2^63-1): the API server accepts it but stores it as "1" (released '
            "Quantity.String() drops a decimal suffix past E, kubernetes#140459), which "
            "resource.Quantity.Value() reads as 1, so the kubelet uses 1 as the memory limit",
        ),
    ],
)
def test_a_value_above_int64_is_invalid(
    resources: str, message: str, default_policy: Policy
) -> None:
    """Reported by memory-quantity-invalid alone: not also as suspicious, as a missing limit
    or request, or as a limit that satisfies memory-limit-missing."""
    findings = _container_findings(resources, default_policy)
    assert {f.rule for f in findings} == {"memory-quantity-invalid"}
    label = message.split('"', 1)[0].split()[-1]  # "limit" or "request"
    [finding] = [f for f in findings if f.pointer.endswith(f"/{label}s/memory")]
    assert finding.message == f'Pod p: container "app": {message}'


def test_a_pod_level_value_above_int64_is_reported_once(default_policy: Policy) -> None:
    """A pod-level limit or request Value() reads as 0: memory-quantity-invalid says so, and
    the containers are not also reported as missing a limit or a request."""
    text = _pod(
        "  resources: {requests: {memory: 10E}, limits: {memory: 10E}}\n"
        "  containers:\n"
        "    - {name: app, image: a}\n"
    )
    findings = {
        f.pointer: f for f in _findings(text, forced_on(default_policy, "memory-request-missing"))
    }
    assert set(findings) == {"/spec/resources/limits/memory", "/spec/resources/requests/memory"}
    assert {f.rule for f in findings.values()} == {"memory-quantity-invalid"}
    assert findings["/spec/resources/limits/memory"].message == (
        f'Pod p: pod-level resources: memory limit "10E" {OVERFLOW} 0, so the kubelet sets no '
        "pod-level memory limit"
    )


@pytest.mark.parametrize(
    ("request_", "remedy", "other"),
    [
        ("10E", "policy default 512Mi", "memory-quantity-invalid"),  # Value() reads 0
        ("2Ti", "at least the request, 2Ti", "memory-quantity-suspicious"),  # over the ceiling
    ],
)
def test_no_limit_is_copied_from_a_request_too_large_to_mean(
    request_: str, remedy: str, other: str, default_policy: Policy
) -> None:
    """memory-limit-missing's fix copies the request into the missing limit, but not a
    request above the ceiling (a typo) or above 2^63-1 bytes (which reserves nothing)."""
    findings = _container_findings(f"{{requests: {{memory: {request_}}}}}", default_policy)
    assert sorted(f.rule for f in findings) == sorted(["memory-limit-missing", other])
    [missing] = [f for f in findings if f.rule == "memory-limit-missing"]
    assert missing.fix is None
    assert missing.message == (
        f'Pod p: container "app" has no memory limit; set resources.limits.memory ({remedy})'
    )


def test_a_zero_limit_is_reported_as_no_limit(default_policy: Policy) -> None:
    """The kubelet and the QoS class treat a zero memory limit as none (IsZero)."""
    [finding] = _container_findings("{limits: {memory: 0Mi}}", default_policy)
    assert finding.rule == "memory-limit-missing"  # the request is missing too: one finding
    assert finding.message == (
        'Pod p: container "app" has a memory limit of 0Mi (no limit, to the kubelet) and no '
        "memory request; set resources.limits.memory and resources.requests.memory (policy "
        "defaults 512Mi and 256Mi)"
    )
    [finding] = [
        f
        for f in _container_findings(
            "{limits: {memory: 0Mi}, requests: {memory: 1Gi}}", default_policy
        )
        if f.rule == "memory-limit-missing"
    ]
    assert finding.message == (
        'Pod p: container "app" has a memory limit of 0Mi, which the kubelet treats as no '
        "limit; set resources.limits.memory (at least the request, 1Gi)"
    )


# --- null is a zero quantity ---------------------------------------------------------------


def test_a_null_limit_is_a_limit_of_zero(default_policy: Policy) -> None:
    """Quantity.UnmarshalJSON decodes `null` into a zero quantity and the key stays: the
    request is compared with a limit of 0, and the limit is no limit to the kubelet."""
    findings = _container_findings(
        "{requests: {memory: 1Gi}, limits: {memory: null}}", default_policy
    )
    messages = {f.rule: f.message for f in findings}
    assert set(messages) == {"memory-limit-missing", "memory-request-exceeds-limit"}
    assert messages["memory-request-exceeds-limit"] == (
        'Pod p: container "app" requests 1Gi of memory, more than its limit null (read as 0); '
        'the API server rejects it ("must be less than or equal to memory limit of 0")'
    )
    assert messages["memory-limit-missing"].startswith(
        'Pod p: container "app" has a memory limit of null (read as 0), which the kubelet '
        "treats as no limit;"
    )


@pytest.mark.parametrize(
    ("resources", "phrase"),
    [
        ("{requests: {memory: 0}}", "has a memory request of 0 and no limit"),
        ("{requests: {memory: null}}", "has a memory request of null (read as 0) and no limit"),
        (
            "{requests: {memory: 0Mi}, limits: {memory: null}}",
            "has a memory request of 0Mi and a memory limit of null (read as 0) (no limit)",
        ),
        ("{limits: {memory: 0}}", "has no memory request and a memory limit of 0 (no limit)"),
    ],
)
def test_a_zero_or_null_request_reserves_nothing(
    resources: str, phrase: str, default_policy: Policy
) -> None:
    [finding] = [
        f
        for f in _container_findings(
            resources, forced_on(limits_not_required(default_policy), "memory-request-missing")
        )
        if f.rule == "memory-request-missing"
    ]
    assert finding.message == (
        f'Pod p: container "app" {phrase}; set resources.requests.memory (policy default 256Mi)'
    )


# --- stored values are rounded up to 1m ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stored", "shown"),
    [
        ("1001u", Fraction(2, 1000), "2m"),
        ("1000500n", Fraction(2, 1000), "2m"),
        ("1500u", Fraction(2, 1000), "2m"),
        ("1n", Fraction(1, 1000), "1m"),
        ("-1n", Fraction(-1, 1000), "-1m"),  # RoundUp rounds away from zero
        ("-1500u", Fraction(-2, 1000), "-2m"),
        ("1e-10", Fraction(1, 1000), "1e-3"),  # the format is kept
        ("0.1Mi", Fraction(524288, 5), "104857600m"),  # already a whole number of 1m
        ("100m", Fraction(1, 10), "100m"),
        ("512Mi", Fraction(512 * 2**20), "512Mi"),
        ("1.500Gi", Fraction(3 * 2**29), "1536Mi"),
        ("+1Ki", Fraction(1024), "+1Ki"),  # unchanged: Go keeps the cached text
        ("0", Fraction(0), "0"),
    ],
)
def test_round_up_to_milli(text: str, stored: Fraction, shown: str) -> None:
    """pkg/apis/core/v1/defaults.go SetDefaults_ResourceList: `val.RoundUp(-3)`."""
    quantity = parse_quantity(text)
    rounded = round_up_to_milli(quantity)
    assert rounded.value == stored == round_up_value_to_milli(quantity.value)
    assert rounded.canonical() == shown
    assert rounded.format == quantity.format


@given(st.fractions())
def test_round_up_value_to_milli_is_the_nearest_milli_away_from_zero(value: Fraction) -> None:
    rounded = round_up_value_to_milli(value)
    assert (rounded * 1000).denominator == 1
    assert abs(rounded) >= abs(value) and abs(rounded) - abs(value) < Fraction(1, 1000)
    assert rounded == 0 or (rounded > 0) == (value > 0)


def test_request_and_limit_are_compared_as_stored(default_policy: Policy) -> None:
    """1001u and 1000500n are both stored as 2m: the API server accepts the pair."""
    findings = _container_findings(
        "{requests: {memory: 1001u}, limits: {memory: 1000500n}}", default_policy
    )
    assert not [f for f in findings if f.rule == "memory-request-exceeds-limit"]
    [finding] = [
        f
        for f in _container_findings(
            "{requests: {memory: 1500u}, limits: {memory: 1m}}", default_policy
        )
        if f.rule == "memory-request-exceeds-limit"
    ]
    assert finding.message.endswith('("must be less than or equal to memory limit of 1m")')


# --- memory-pod-level-conflict ---------------------------------------------------------------

CONFLICT = "memory-pod-level-conflict"


def _pod(spec: str) -> str:
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" + spec


def _conflicts(text: str, policy: Policy) -> list[Finding]:
    return [f for f in _findings(text, policy) if f.rule == CONFLICT]


def test_pod_level_conflict_messages(default_policy: Policy) -> None:
    text = _pod(
        "  resources: {requests: {memory: 1Gi}, limits: {memory: 2Gi}}\n"
        "  initContainers:\n"
        "    - {name: proxy, image: envoy, restartPolicy: Always,\n"
        "       resources: {requests: {memory: 256Mi}}}\n"
        "    - {name: migrate, image: m, resources: {limits: {memory: 900Mi}}}\n"
        "  containers:\n"
        "    - {name: app, image: a, resources: {requests: {memory: 64Mi},\n"
        "       limits: {memory: 3Gi}}}\n"
    )
    found = {f.pointer: f for f in _conflicts(text, default_policy)}
    assert set(found) == {
        "/spec/resources/requests/memory",
        "/spec/containers/0/resources/limits/memory",
    }
    limit = found["/spec/containers/0/resources/limits/memory"]
    assert limit.container == "app"
    assert limit.message == (
        'Pod p: container "app" has a memory limit of 3Gi, above the pod-level memory limit '
        '2Gi; the API server rejects it ("must be less than or equal to pod limits of 2Gi")'
    )
    request = found["/spec/resources/requests/memory"]
    assert request.container is None
    assert request.message == (
        "Pod p: pod-level resources request 1Gi of memory, less than the containers' "
        "aggregate request (1156Mi; regular and sidecar containers together, or an init "
        "container plus the sidecars before it, whichever is more); the API server rejects "
        'it ("must be greater than or equal to aggregate container requests of 1156Mi")'
    )


def test_pod_level_limit_without_request(default_policy: Policy) -> None:
    text = _pod(
        "  resources: {limits: {memory: 1Gi}}\n"
        "  containers:\n"
        "    - {name: a, image: a, resources: {requests: {memory: 768Mi}}}\n"
        "    - {name: b, image: b, resources: {limits: {memory: 512Mi}}}\n"
    )
    [finding] = _conflicts(text, default_policy)
    assert finding.pointer == "/spec/resources/limits/memory"
    assert finding.message == (
        "Pod p: pod-level resources set a memory limit of 1Gi and no request, so the API "
        "server defaults the pod-level request to the containers' aggregate request (1280Mi), "
        'above that limit; it rejects the Pod ("must be less than or equal to memory limit '
        'of 1Gi")'
    )


# What the API server answers for each of these pods (validatePodResourceConsistency after
# SetDefaults_Pod), written out by hand from the source.
AGGREGATE_CASES = [
    # (regular requests, init containers as (request, is sidecar), aggregate)
    ([100], [], 100),
    ([100, 50], [(300, False)], 300),
    ([100], [(30, True), (200, False)], 230),  # the sidecar runs next to the init container
    ([100], [(200, False), (30, True)], 200),  # ... but not next to an earlier one
    ([100], [(30, True), (40, True), (60, False)], 170),  # 100 + 30 + 40 > 60 + 70
    ([], [(10, True), (100, False), (20, True), (100, False)], 130),
    ([], [(None, False)], None),
    ([None], [(0, False)], 0),
]


@pytest.mark.parametrize(("regular", "init", "aggregate"), AGGREGATE_CASES)
def test_aggregate_memory_requests(
    regular: list[int | None], init: list[tuple[int | None, bool]], aggregate: int | None
) -> None:
    spec: dict[str, Any] = {"containers": [], "initContainers": []}
    for i, value in enumerate(regular):
        spec["containers"].append(_container(f"c{i}", value, False))
    for i, (value, sidecar) in enumerate(init):
        spec["initContainers"].append(_container(f"i{i}", value, sidecar))
    pod, _ = extract_pod_spec({"apiVersion": "v1", "kind": "Pod", "spec": spec})
    assert pod is not None
    result = aggregate_memory_requests(pod)
    assert (None if result is None else result.value) == aggregate


def _container(name: str, mebibytes: int | None, sidecar: bool) -> dict[str, Any]:
    container: dict[str, Any] = {"name": name, "image": "x"}
    if sidecar:
        container["restartPolicy"] = "Always"
    if mebibytes is not None:
        container["resources"] = {"requests": {"memory": mebibytes}}
    return container


@given(
    st.lists(st.integers(0, 2**40), max_size=4),
    st.lists(st.tuples(st.integers(0, 2**40), st.booleans()), max_size=5),
)
def test_aggregate_is_the_semantics_formula(
    regular: list[int], init: list[tuple[int, bool]]
) -> None:
    """K8S_SEMANTICS §6: max(sum(regular) + sum(sidecars), max over init containers i of
    init_i + sum(sidecars declared before i))."""
    spec: dict[str, Any] = {
        "containers": [_container(f"c{i}", v, False) for i, v in enumerate(regular)],
        "initContainers": [_container(f"i{i}", v, s) for i, (v, s) in enumerate(init)],
    }
    pod, _ = extract_pod_spec({"apiVersion": "v1", "kind": "Pod", "spec": spec})
    assert pod is not None
    sidecars = sum(v for v, sidecar in init if sidecar)
    peaks = [
        v + sum(w for w, earlier in init[:i] if earlier)
        for i, (v, sidecar) in enumerate(init)
        if not sidecar
    ]
    expected = max([sum(regular) + sidecars, *peaks])
    result = aggregate_memory_requests(pod)
    if not regular and not init:
        assert result is None
    else:
        assert result is not None and result.value == expected


@given(
    st.lists(st.one_of(st.just(0), st.integers(0, 2**30)), max_size=3),
    st.lists(
        st.tuples(st.one_of(st.none(), st.just(0), st.integers(0, 2**30)), st.booleans()),
        max_size=5,
    ),
)
def test_a_bare_init_container_is_reported_exactly_when_the_pod_leaves_it_no_room(
    regular: list[int], init: list[tuple[int | None, bool]]
) -> None:
    """memory-request-missing on run-to-completion init containers without a request of
    their own (none, or 0): reported exactly when the pod's aggregate request (the formula
    above) is no more than the requests of the sidecars declared before it, which run
    beside it. Sidecars without a request are always reported (they run beside all)."""
    spec: dict[str, Any] = {
        "containers": [_container(f"c{i}", v, False) for i, v in enumerate(regular)]
        or [_container("c", 1, False)],
        "initContainers": [_container(f"i{i}", v, s) for i, (v, s) in enumerate(init)],
    }
    values = [v or 0 for v, _ in init]
    is_sidecar = [sidecar for _, sidecar in init]
    sizes = regular or [1]
    sidecars = sum(v for i, v in enumerate(values) if is_sidecar[i])
    before = [sum(w for j, w in enumerate(values[:i]) if is_sidecar[j]) for i in range(len(init))]
    peaks = [values[i] + before[i] for i in range(len(init)) if not is_sidecar[i]]
    aggregate = max([sum(sizes) + sidecars, *peaks])
    expected = {
        f"i{i}"
        for i, (value, sidecar) in enumerate(init)
        if not value and (sidecar or aggregate <= before[i])
    } | {f"c{i}" for i, v in enumerate(regular) if v == 0}
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}
    findings = check_object(obj, limits_not_required(load_preset("default"))).findings
    reported = {f.container for f in findings if f.rule == "memory-request-missing"}
    assert reported == expected


@pytest.mark.parametrize("case", PDB_FAIL_FILES, ids=file_id)
def test_budget_findings_name_the_budget_and_the_value(
    case: tuple[str, Path], tmp_path: Path
) -> None:
    """For every PodDisruptionBudget finding in the fail data (those that compare objects
    too): the pointer is a field of the budget's spec, the message names the budget and,
    for a value, the value as written."""
    rule_id, path = case
    _, findings = lint_for_rule(rule_id, path, tmp_path)
    budgets = {
        (item.obj["metadata"].get("namespace"), item.obj["metadata"]["name"]): item.obj
        for item in load_text(path.read_text("utf-8"), str(path)).objects
        if item.obj.get("kind") == "PodDisruptionBudget"
    }
    for finding in findings:
        assert finding.ref.kind == "PodDisruptionBudget"
        assert finding.ref.describe() in finding.message
        assert finding.pointer.startswith("/spec/") and finding.container is None
        exists, value = resolve(budgets[(finding.ref.namespace, finding.ref.name)], finding.pointer)
        assert exists, finding.pointer
        if isinstance(value, (str, int)):
            assert json.dumps(value) in finding.message, finding.message
    assert findings, f"{path}: no finding of {rule_id} to check"
