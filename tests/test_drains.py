"""Drains that never finish: the disruption controller's arithmetic (k8s.drain) on a table
derived from its source, and pdb-no-disruptions through every door (the engine's
whole-object dispatch, lint, the webhook, SARIF, explain)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from evictguard.engine.check import check_object
from evictguard.k8s.drain import (
    Budget,
    IntOrStringError,
    desired_healthy,
    disruptions_allowed,
    never_allows,
    scaled_value,
)
from evictguard.k8s.pdb_validation import refusal
from evictguard.k8s.selectors import budget_selector
from evictguard.k8s.workloads import read_pod_source
from evictguard.model import Mode
from evictguard.policy.load import load_preset
from evictguard.webhook import review

from tests.conftest import run_cli
from tests.webhook_client import admission_review

POLICY = load_preset("default")
RULE = "pdb-no-disruptions"

# --- GetScaledValueFromIntOrPercent (apimachinery pkg/util/intstr) ------------------------


@pytest.mark.parametrize(
    ("value", "total", "round_up", "scaled"),
    [
        (3, 10, True, 3),  # an integer is taken as is, whatever the total
        (7, 2, False, 7),
        ("10%", 3, True, 1),  # 0.3 rounds up to 1...
        ("10%", 3, False, 0),  # ...or down to 0
        ("50%", 1, True, 1),
        ("33%", 3, True, 1),  # 0.99
        ("33%", 100, True, 33),
        ("0%", 7, True, 0),
        ("100%", 7, True, 7),
        ("+5%", 100, True, 5),  # strconv.Atoi takes a sign
        ("007%", 100, True, 7),
        ("-10%", 10, True, -1),  # API validation refuses it; the arithmetic does not
    ],
)
def test_scaled_value(value: int | str, total: int, round_up: bool, scaled: int) -> None:
    assert scaled_value(value, total, round_up) == scaled


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("10", "invalid value for IntOrString: invalid type: string is not a percentage"),
        (
            "abc%",
            'invalid value for IntOrString: invalid value "abc%": '
            'strconv.Atoi: parsing "abc": invalid syntax',
        ),
        (" 5%", 'invalid value " 5%": strconv.Atoi: parsing " 5": invalid syntax'),
        ("5.5%", 'strconv.Atoi: parsing "5.5": invalid syntax'),
        ("1_0%", 'strconv.Atoi: parsing "1_0": invalid syntax'),
        ("%", 'strconv.Atoi: parsing "": invalid syntax'),
        ("9" * 20 + "%", f'strconv.Atoi: parsing "{"9" * 20}": value out of range'),
    ],
)
def test_scaled_value_errors_as_go_words_them(value: str, error: str) -> None:
    with pytest.raises(IntOrStringError) as caught:
        scaled_value(value, 10, True)
    assert error in str(caught.value)


# --- getExpectedPodCount + updatePdbStatus (pkg/controller/disruption/disruption.go) -------

MIN = "min_available"
MAX = "max_unavailable"


@pytest.mark.parametrize(
    ("field", "value", "replicas", "allowed"),
    [
        # maxUnavailable: desiredHealthy = expected - ceil(value), at least 0.
        (MAX, 1, 3, 1),
        (MAX, 5, 3, 3),  # desiredHealthy clamps to 0: every pod may go
        (MAX, 0, 5, 0),
        (MAX, "0%", 5, 0),
        (MAX, "10%", 3, 1),  # ceil(0.3) = 1
        (MAX, "10%", 10, 1),
        (MAX, "10%", 11, 2),  # ceil(1.1) = 2
        (MAX, "100%", 3, 3),
        (MAX, "10%", 0, 0),  # expectedCount 0: always 0
        # minAvailable percentage: desiredHealthy = ceil(value * expected).
        (MIN, "50%", 1, 0),  # ceil(0.5) = 1: a single pod is never evictable
        (MIN, "50%", 2, 1),
        (MIN, "50%", 3, 1),  # ceil(1.5) = 2
        (MIN, "33%", 3, 2),  # ceil(0.99) = 1
        (MIN, "99%", 1, 0),
        (MIN, "99%", 100, 1),
        (MIN, "100%", 4, 0),
        (MIN, "0%", 3, 3),
        (MIN, "0%", 0, 0),
        # minAvailable integer: against the pods, not scaled.
        (MIN, 1, 1, 0),
        (MIN, 2, 2, 0),
        (MIN, 2, 3, 1),
        (MIN, 3, 2, 0),  # more than there are: negative, so 0
        (MIN, 0, 3, 3),
        (MIN, 0, 0, 0),  # expectedCount 0 (no pods): 0
    ],
)
def test_disruptions_allowed(field: str, value: int | str, replicas: int, allowed: int) -> None:
    assert disruptions_allowed(Budget(**{field: value}), replicas) == allowed


def test_unhealthy_pods_count_against_the_budget() -> None:
    """currentHealthy counts Ready pods only (countHealthyPods): 3 replicas, minAvailable 2,
    2 crash-looping leave 1 healthy, 1 - 2 < 0 -> 0."""
    assert disruptions_allowed(Budget(min_available=2), 3, healthy=1) == 0
    assert disruptions_allowed(Budget(max_unavailable=1), 3, healthy=2) == 0
    assert disruptions_allowed(Budget(max_unavailable=1), 3, healthy=3) == 1


def test_max_unavailable_wins_and_neither_expects_nothing() -> None:
    assert desired_healthy(Budget(min_available=5, max_unavailable=1), 4, 4) == (4, 3)
    assert desired_healthy(Budget(), 4, 4) == (0, 0)
    # An integer minAvailable counts the pods the selector matches, not the controllers'.
    assert desired_healthy(Budget(min_available=2), 5, 3) == (3, 2)
    assert desired_healthy(Budget(min_available="50%"), 5, 3) == (5, 3)


@pytest.mark.parametrize(
    ("budget", "never"),
    [
        (Budget(max_unavailable=0), True),
        (Budget(max_unavailable="0%"), True),
        (Budget(min_available="100%"), True),
        (Budget(max_unavailable="1%"), False),
        (Budget(min_available="99%"), False),
        (Budget(min_available=100), False),  # depends on the replicas: cross-object
        (Budget(), False),
    ],
)
def test_never_allows(budget: Budget, never: bool) -> None:
    assert never_allows(budget) is never


# --- the engine's whole-object dispatch ---------------------------------------------------


def pdb(annotations: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "web", "namespace": "shop"}
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata,
        "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec},
    }


def test_a_budget_is_judged_by_its_rules_only() -> None:
    result = check_object(pdb(maxUnavailable=0), POLICY)
    assert [(f.rule, f.pointer) for f in result.findings] == [(RULE, "/spec/maxUnavailable")]
    assert not result.problems and not result.crashed
    # ...and a pod by pod rules only (the budget rule never sees a pod spec).
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}}
    assert RULE not in {f.rule for f in check_object(pod, POLICY).findings}


def test_exemptions_apply_to_whole_objects() -> None:
    exempt = pdb({"evictguard.io/exempt": RULE}, maxUnavailable=0)
    result = check_object(exempt, POLICY)
    assert not result.findings and result.exempted == {RULE}
    assert not check_object(pdb({"evictguard.io/exempt": "*"}, maxUnavailable=0), POLICY).findings
    assert not check_object(pdb(maxUnavailable=0), POLICY.with_disabled([RULE])).findings


def test_the_kind_is_judged_in_its_group_only() -> None:
    """Rules judge (API group, kind): a custom resource of the same name is not a budget."""
    obj = {**pdb(maxUnavailable=0), "apiVersion": "example.com/v1"}
    assert not check_object(obj, POLICY).findings
    older = {**pdb(maxUnavailable=0), "apiVersion": "policy/v1beta1"}
    assert [f.rule for f in check_object(older, POLICY).findings] == [RULE]


# --- lint, SARIF, explain -----------------------------------------------------------------

BUDGET_YAML = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: shop
spec:
  minAvailable: 100%
  selector:
    matchLabels: {app: web}
"""


def test_lint_places_the_finding_on_the_field(tmp_path: Path) -> None:
    path = tmp_path / "pdb.yaml"
    path.write_text(BUDGET_YAML)
    proc = run_cli("lint", "--format", "json", str(path))
    assert proc.returncode == 0, proc.stderr  # warn: fails only with --fail-on warning
    (finding,) = json.loads(proc.stdout)["findings"]
    assert (finding["rule"], finding["line"], finding["column"]) == (RULE, 7, 17)
    assert finding["severity"] == "warning"
    silenced = BUDGET_YAML.replace("100%", f"100%  # evictguard: disable={RULE}")
    path.write_text(silenced)
    assert json.loads(run_cli("lint", "--format", "json", str(path)).stdout)["findings"] == []


def test_sarif_carries_the_rule_and_the_place(tmp_path: Path) -> None:
    path = tmp_path / "pdb.yaml"
    path.write_text(BUDGET_YAML)
    log = json.loads(run_cli("lint", "--format", "sarif", str(path)).stdout)
    (run,) = log["runs"]
    (result,) = run["results"]
    assert result["ruleId"] == RULE and result["level"] == "warning"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (7, 17)
    assert RULE in {rule["id"] for rule in run["tool"]["driver"]["rules"]}


def test_explain_shows_the_text_and_example() -> None:
    proc = run_cli("explain", RULE)
    assert proc.returncode == 0
    assert "Eviction API" in proc.stdout and "maxUnavailable: 0" in proc.stdout
    assert "Default mode: warn" in proc.stdout


# --- the webhook --------------------------------------------------------------------------


def ask(obj: dict[str, Any], **kw: Any) -> dict[str, Any]:
    body = orjson.dumps(admission_review(obj, namespace="shop", **kw))
    answer = review.review(body, "validate", POLICY)
    assert answer.status == 200
    return answer.body["response"]


def test_admission_warns_about_a_budget_that_blocks_every_drain() -> None:
    response = ask(pdb(maxUnavailable="0%"))
    assert response["allowed"] is True
    (warning,) = response["warnings"]
    assert warning.startswith(f'[{RULE}] maxUnavailable "0%" allows no voluntary')


def test_admission_lets_a_sound_budget_through_quietly() -> None:
    response = ask(pdb(maxUnavailable=1))
    assert response["allowed"] is True and "warnings" not in response
    old = pdb(maxUnavailable=1)
    assert "warnings" not in ask(pdb(maxUnavailable=2), operation="UPDATE", old=old)


def test_admission_denies_under_a_policy_that_enforces_it() -> None:
    settings = dataclasses.replace(POLICY.rules[RULE], mode=Mode.ENFORCE)
    policy = dataclasses.replace(POLICY, rules={**POLICY.rules, RULE: settings})
    body = orjson.dumps(admission_review(pdb(maxUnavailable=0), namespace="shop"))
    response = review.review(body, "validate", policy).body["response"]
    assert response["allowed"] is False and f"[{RULE}]" in response["status"]["message"]


# --- budgets compared with their workloads (lint only) ------------------------------------

WORKLOAD_AND_BUDGETS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27, resources: {limits: {memory: 1Gi}}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
"""


def _rules(proc: Any) -> list[tuple[str, str, int]]:
    report = json.loads(proc.stdout)
    return [
        (f["rule"], Path(f["file"]).name, f["line"])
        for f in report["findings"]
        if f["rule"].startswith("pdb-")
    ]


def test_budgets_are_compared_across_files_of_the_run(tmp_path: Path) -> None:
    workload, budget = WORKLOAD_AND_BUDGETS.split("---\n")
    (tmp_path / "deploy.yaml").write_text(workload)
    (tmp_path / "pdb.yaml").write_text(budget)
    for jobs in ("1", "2"):
        proc = run_cli("lint", "--format", "json", "--jobs", jobs, str(tmp_path))
        assert _rules(proc) == [("pdb-blocks-at-replicas", "pdb.yaml", 5)], proc.stderr
    # --as-admitted: the same input-wide rules
    proc = run_cli("lint", "--format", "json", "--as-admitted", str(tmp_path))
    assert _rules(proc) == [("pdb-blocks-at-replicas", "pdb.yaml", 5)], proc.stderr
    # an inline comment on the budget's field silences it there
    (tmp_path / "pdb.yaml").write_text(
        budget.replace("minAvailable: 2", "minAvailable: 2  # evictguard: disable")
    )
    assert _rules(run_cli("lint", "--format", "json", str(tmp_path))) == []


def test_exemptions_and_ignored_namespaces_leave_budgets_out(tmp_path: Path) -> None:
    exempt = WORKLOAD_AND_BUDGETS.replace(
        "metadata: {name: web, namespace: shop}\nspec:\n  minAvailable",
        "metadata:\n  name: web\n  namespace: shop\n"
        "  annotations: {evictguard.io/exempt: pdb-blocks-at-replicas}\nspec:\n  minAvailable",
    )
    (tmp_path / "a.yaml").write_text(exempt)
    assert _rules(run_cli("lint", "--format", "json", str(tmp_path))) == []
    (tmp_path / "a.yaml").write_text(WORKLOAD_AND_BUDGETS.replace("shop", "kube-system"))
    assert _rules(run_cli("lint", "--format", "json", str(tmp_path))) == []


def test_each_kustomize_build_is_its_own_input(tmp_path: Path) -> None:
    """Two overlays of one base: one scales web to 3 (room for a disruption), the other
    keeps 2; only the second's build is reported, on the base's budget line."""
    base = tmp_path / "base"
    base.mkdir()
    (base / "all.yaml").write_text(WORKLOAD_AND_BUDGETS)
    (base / "kustomization.yaml").write_text("resources: [all.yaml]\n")
    for name, replicas in (("big", 3), ("small", 2)):
        overlay = tmp_path / name
        overlay.mkdir()
        (overlay / "kustomization.yaml").write_text(
            f"resources: [../base]\nreplicas: [{{name: web, count: {replicas}}}]\n"
        )
    proc = run_cli("lint", "--format", "json", str(tmp_path / "big"), str(tmp_path / "small"))
    findings = [f for f in json.loads(proc.stdout)["findings"] if f["rule"].startswith("pdb-")]
    assert [(f["rule"], Path(f["file"]).name, f["line"]) for f in findings] == [
        ("pdb-blocks-at-replicas", "all.yaml", 16)
    ], proc.stderr
    assert "2 pod(s)" in findings[0]["message"]


def test_the_webhook_does_not_run_input_wide_rules() -> None:
    """Admission sees one object: a budget alone never gets an input-wide finding."""
    response = ask(pdb(minAvailable=2))
    assert response["allowed"] is True and "warnings" not in response


@pytest.mark.parametrize("rule", ["pdb-blocks-at-replicas", "pdb-overlap", "pdb-selects-nothing"])
def test_explain_input_wide_rules(rule: str) -> None:
    proc = run_cli("explain", rule)
    assert proc.returncode == 0 and "lint only" in proc.stdout
    assert "kind: PodDisruptionBudget" in proc.stdout


# --- what the API server refuses (ValidatePodDisruptionBudgetSpec) -----------------------


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"maxUnavailable": 0}, None),
        ({"maxUnavailable": "0%"}, None),
        ({"maxUnavailable": "00%"}, None),  # IsValidPercent: [0-9]+%
        ({"minAvailable": "100%"}, None),
        ({"minAvailable": 2**31 - 1}, None),
        ({"minAvailable": 1, "unhealthyPodEvictionPolicy": "AlwaysAllow"}, None),
        ({}, None),
        ({"maxUnavailable": -1}, "spec.maxUnavailable: must be greater than or equal to 0"),
        ({"minAvailable": "150%"}, "spec.minAvailable: must not be greater than 100%"),
        ({"minAvailable": "101%"}, "must not be greater than 100%"),
        ({"maxUnavailable": "+0%"}, "a valid percent string must be a numeric string"),
        ({"maxUnavailable": "-0%"}, "a valid percent string must be a numeric string"),
        ({"maxUnavailable": " 5%"}, "a valid percent string"),
        ({"maxUnavailable": "5%\n"}, "a valid percent string"),  # Go's $ is the text's end
        ({"maxUnavailable": "5"}, "a valid percent string"),
        ({"minAvailable": 1, "maxUnavailable": 1}, "minAvailable and maxUnavailable cannot"),
        ({"minAvailable": 2**31}, "cannot be decoded as an integer (int32)"),
        ({"minAvailable": True}, "cannot be decoded"),
        ({"minAvailable": 1.5}, "cannot be decoded"),
        ({"maxUnavailable": 1, "unhealthyPodEvictionPolicy": "Always"}, "Unsupported value"),
        ({"maxUnavailable": 1, "unhealthyPodEvictionPolicy": ["x"]}, "Unsupported value"),
        ({"maxUnavailable": 1, "selector": {"matchExpressions": [{"key": "a"}]}}, "selector"),
    ],
)
def test_refusal(spec: dict[str, Any], reason: str | None) -> None:
    got = refusal(spec)
    assert got is None if reason is None else reason in str(got), got


@pytest.mark.parametrize(
    ("api_version", "selector", "selects"),
    [
        ("policy/v1", None, "nothing"),  # LabelSelectorAsSelector(nil): labels.Nothing()
        ("policy/v1beta1", None, "nothing"),
        ("policy/v1", {}, "everything"),
        ("policy/v1", {"matchLabels": {}}, "everything"),
        ("policy/v1beta1", {}, "nothing"),  # NonV1beta1MatchNoneSelector
        ("policy/v1beta1", {"matchLabels": {}, "matchExpressions": []}, "nothing"),
        ("policy/v1beta1", {"matchLabels": {"app": "web"}}, "web"),
        ("policy/v1", {"matchLabels": {"app": "web"}}, "web"),
    ],
)
def test_budget_selector(api_version: str, selector: Any, selects: str) -> None:
    parsed = budget_selector(api_version, selector)
    assert parsed is not None
    got = {
        name: parsed.matches(labels)
        for name, labels in (("web", {"app": "web"}), ("db", {"app": "db"}), ("bare", {}))
    }
    expected = {
        "nothing": {"web": False, "db": False, "bare": False},
        "everything": {"web": True, "db": True, "bare": True},
        "web": {"web": True, "db": False, "bare": False},
    }[selects]
    assert got == expected
    assert parsed.nothing is (selects == "nothing")


@pytest.mark.parametrize(
    "obj",
    [
        {**pdb(maxUnavailable=0), "spec": {"maxUnavailable": 0}},  # no selector
        {**pdb(maxUnavailable=0), "spec": {"maxUnavailable": 0, "selector": None}},
        {
            **pdb(maxUnavailable=0),
            "apiVersion": "policy/v1beta1",
            "spec": {"maxUnavailable": 0, "selector": {}},
        },
        pdb(maxUnavailable=-1),
        pdb(minAvailable="150%"),
        pdb(maxUnavailable="+0%"),
        pdb(maxUnavailable="-0%"),
        pdb(minAvailable="100%", maxUnavailable=0),
    ],
    ids=["absent", "null", "v1beta1-empty", "-1", "150%", "+0%", "-0%", "both"],
)
def test_no_finding_on_a_budget_that_keeps_no_pod(obj: dict[str, Any]) -> None:
    assert RULE not in {f.rule for f in check_object(obj, POLICY).findings}


def test_the_message_says_which_pods_are_kept() -> None:
    """canIgnorePDB: Pending, terminal and terminating pods never ask the budget; with
    AlwaysAllow a running pod that is not Ready does not either."""
    (finding,) = check_object(pdb(maxUnavailable=0), POLICY).findings
    assert "refuses to evict any running pod it selects" in finding.message
    assert "Pending, Succeeded, Failed and terminating pods are deleted" in finding.message
    assert "every eviction" not in finding.message
    allow = pdb(maxUnavailable=0, unhealthyPodEvictionPolicy="AlwaysAllow")
    (finding,) = check_object(allow, POLICY).findings
    assert "refuses to evict any Ready running pod it selects" in finding.message
    # v1's `{}` selects every pod: still reported
    everything = {**pdb(maxUnavailable=0), "spec": {"maxUnavailable": 0, "selector": {}}}
    assert [f.rule for f in check_object(everything, POLICY).findings] == [RULE]


OTHER_BUDGET = """\
apiVersion: {version}
kind: PodDisruptionBudget
metadata: {{name: other, namespace: shop}}
spec:
{spec}
"""


@pytest.mark.parametrize(
    ("version", "spec"),
    [
        (
            "policy/v1",
            "  minAvailable: 2\n  maxUnavailable: 0\n  selector: {matchLabels: {app: web}}",
        ),
        ("policy/v1", "  minAvailable: 150%\n  selector: {matchLabels: {app: web}}"),
        ("policy/v1", "  maxUnavailable: 0\n  selector: null"),
        ("policy/v1beta1", "  minAvailable: 2\n  selector: {}"),
    ],
    ids=["both-set", "over-100", "null", "v1beta1-empty"],
)
def test_refused_and_selectless_budgets_are_left_out_across_the_input(
    version: str, spec: str, tmp_path: Path
) -> None:
    """pdb-blocks-at-replicas and pdb-overlap agree with pdb-no-disruptions: a budget the API
    server refuses, or one selecting no pod, neither blocks nor overlaps the sound one."""
    sound = WORKLOAD_AND_BUDGETS.replace("minAvailable: 2", "maxUnavailable: 1")
    other = OTHER_BUDGET.format(version=version, spec=spec)
    (tmp_path / "all.yaml").write_text(f"{sound}---\n{other}")
    assert _rules(run_cli("lint", "--format", "json", str(tmp_path))) == []
    # ... while a v1 `{}` selects every pod of the namespace: an overlap
    everything = OTHER_BUDGET.format(
        version="policy/v1", spec="  maxUnavailable: 1\n  selector: {}"
    )
    (tmp_path / "all.yaml").write_text(f"{sound}---\n{everything}")
    rules = _rules(run_cli("lint", "--format", "json", str(tmp_path)))
    assert [r for r, _, _ in rules] == ["pdb-overlap", "pdb-overlap"]


def test_an_overlap_of_many_budgets_names_a_few(tmp_path: Path) -> None:
    """Thousands of budgets on one workload must not make thousands of messages each naming
    all the others (10,000 budgets once wrote a 2 GiB report): five are named, then a count."""
    workload = WORKLOAD_AND_BUDGETS.split("---")[0]
    budgets = "".join(
        f"---\napiVersion: policy/v1\nkind: PodDisruptionBudget\n"
        f"metadata: {{name: b{i}, namespace: shop}}\n"
        f"spec:\n  maxUnavailable: 1\n  selector: {{matchLabels: {{app: web}}}}\n"
        for i in range(8)
    )
    (tmp_path / "all.yaml").write_text(workload + budgets)
    proc = run_cli("lint", "--format", "json", str(tmp_path))
    overlaps = [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == "pdb-overlap"]
    assert len(overlaps) == 8
    first = next(f for f in overlaps if f["name"] == "b0")
    assert "shop/b1, " in first["message"] and "shop/b7" not in first["message"]
    assert "and 2 more" in first["message"]
    assert "b0," not in first["message"].split("selects the pods of", 1)[1]


# --- pdb-selects-nothing: the pods each object makes -------------------------------------


def _template(labels: Any) -> dict[str, Any]:
    return {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "a", "image": "x"}]}}


@pytest.mark.parametrize(
    ("obj", "labels"),
    [
        (
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "d"},
                "spec": {"template": _template({"app": "web"})},
            },
            {"app": "web"},
        ),
        (
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": {"name": "c"},
                "spec": {"jobTemplate": {"spec": {"template": _template({"app": "cron"})}}},
            },
            {"app": "cron"},
        ),
        (
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "p", "labels": {"a": "b"}},
                "spec": {"containers": []},
            },
            {"a": "b"},
        ),
        (
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": "j"},
                "spec": {"template": {"spec": {"containers": []}}},
            },
            {},  # no labels written: the controller's only
        ),
        (
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Rollout",
                "metadata": {"name": "r"},
                "spec": {"template": _template({"app": "r"})},
            },
            {"app": "r"},
        ),
        # pods whose labels the object does not show
        (
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "Prometheus",
                "metadata": {"name": "main"},
                "spec": {"replicas": 2},
            },
            None,
        ),
        (
            {
                "apiVersion": "example.com/v1",
                "kind": "Widget",
                "metadata": {"name": "w"},
                "spec": {"template": _template({"app": "w"})},
            },
            None,
        ),
        (
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "patch"},
                "spec": {"replicas": 3},
            },
            None,  # a kustomize patch: no template here
        ),
    ],
    ids=[
        "deployment",
        "cronjob",
        "pod",
        "job-no-labels",
        "rollout",
        "operated",
        "unknown",
        "patch",
    ],
)
def test_read_pod_source(obj: dict[str, Any], labels: dict[str, str] | None) -> None:
    source = read_pod_source(obj, "", "f.yaml")
    assert source is not None and source.labels == labels


def test_objects_without_pods_are_no_pod_source() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {}}
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": 3},
    }
    assert read_pod_source(service, "", "f") is None
    assert read_pod_source(widget, "", "f") is None


TYPO = WORKLOAD_AND_BUDGETS.replace(
    "minAvailable: 2\n  selector: {matchLabels: {app: web}}",
    "maxUnavailable: 1\n  selector: {matchLabels: {app: wbe}}",
)


def test_a_misspelt_selector_is_found_across_files(tmp_path: Path) -> None:
    assert "app: wbe" in TYPO
    workload, budget = TYPO.split("---\n")
    (tmp_path / "deploy.yaml").write_text(workload)
    (tmp_path / "pdb.yaml").write_text(budget)
    for args in (["--jobs", "1"], ["--jobs", "2"], ["--as-admitted"]):
        proc = run_cli("lint", "--format", "json", *args, str(tmp_path))
        assert _rules(proc) == [("pdb-selects-nothing", "pdb.yaml", 6)], (args, proc.stderr)
    # an operator's pods beside it: their labels are unknown, so the budget is not judged
    (tmp_path / "prom.yaml").write_text(
        "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\n"
        "metadata: {name: main, namespace: shop}\nspec: {replicas: 1}\n"
    )
    assert _rules(run_cli("lint", "--format", "json", str(tmp_path))) == []


# --- pdb-unhealthy-pods-block-drains ------------------------------------------------------

UNHEALTHY = "pdb-unhealthy-pods-block-drains"


def _with(rule: str, mode: Mode) -> Any:
    settings = dataclasses.replace(POLICY.rules[rule], mode=mode)
    return dataclasses.replace(POLICY, rules={**POLICY.rules, rule: settings})


def test_unhealthy_pods_rule_is_opt_in() -> None:
    assert POLICY.mode(UNHEALTHY) is Mode.OFF
    assert load_preset("strict").mode(UNHEALTHY) is Mode.WARN
    assert UNHEALTHY not in {f.rule for f in check_object(pdb(maxUnavailable=1), POLICY).findings}


@pytest.mark.parametrize(
    ("spec", "pointer", "said"),
    [
        (
            {"maxUnavailable": 1},
            "/spec/selector",
            "unhealthyPodEvictionPolicy unset (IfHealthyBudget)",
        ),
        (
            {"maxUnavailable": 1, "unhealthyPodEvictionPolicy": "IfHealthyBudget"},
            "/spec/unhealthyPodEvictionPolicy",
            'unhealthyPodEvictionPolicy "IfHealthyBudget"',
        ),
    ],
)
def test_unhealthy_pods_rule_says_when(spec: dict[str, Any], pointer: str, said: str) -> None:
    (finding,) = check_object(pdb(**spec), _with(UNHEALTHY, Mode.WARN)).findings
    assert (finding.rule, finding.pointer) == (UNHEALTHY, pointer)
    assert said in finding.message
    assert "currentHealthy >= desiredHealthy and desiredHealthy > 0" in finding.message
    assert "AlwaysAllow" in finding.message


def test_unhealthy_pods_rule_is_quiet_where_nothing_is_kept() -> None:
    policy = _with(UNHEALTHY, Mode.WARN)
    quiet = [
        pdb(maxUnavailable=1, unhealthyPodEvictionPolicy="AlwaysAllow"),
        {**pdb(maxUnavailable=1), "spec": {"maxUnavailable": 1}},  # selects no pod
        pdb(maxUnavailable=1, unhealthyPodEvictionPolicy="Always"),  # refused by the API
    ]
    for obj in quiet:
        assert not check_object(obj, policy).findings, obj


def test_admission_warns_about_unhealthy_pods_when_on() -> None:
    body = orjson.dumps(admission_review(pdb(maxUnavailable=1), namespace="shop"))
    response = review.review(body, "validate", _with(UNHEALTHY, Mode.WARN)).body["response"]
    assert response["allowed"] is True
    (warning,) = response["warnings"]
    assert warning.startswith(f"[{UNHEALTHY}] unhealthyPodEvictionPolicy unset")
    assert "warnings" not in ask(pdb(maxUnavailable=1))  # off by default


def test_explain_unhealthy_pods_rule() -> None:
    proc = run_cli("explain", UNHEALTHY)
    assert proc.returncode == 0 and "Default mode: off" in proc.stdout
    assert "IfHealthyBudget" in proc.stdout and "eviction.go" in proc.stdout
