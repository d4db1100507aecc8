"""Policy files: discovery, presets, `extends`, layering, validation with every error listed."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from evictguard.engine.registry import RULES
from evictguard.k8s.features import GATE_DEFAULTS
from evictguard.model import Mode
from evictguard.policy.declared import default_rules
from evictguard.policy.load import find_config, load_policy_file, load_preset, resolve_policy
from evictguard.policy.model import ConfigError
from evictguard.policy.validate import param_problems, schema
from evictguard.rules.base import Param, ParamType, Rule

from tests.conftest import DATA, ROOT, lint_paths, run_cli, run_json

CONFIG = DATA / "config"
WORKLOAD = CONFIG / "workload.yaml"

# (line, column, rule) -> severity for workload.yaml, by policy. Counted by hand:
# 12:26 the ratio container's limit value (1Gi, 8x its 128Mi request), 13:7 the `name:` of
# the container without resources, 18:26 the small container's 8Mi limit.
# The container has neither memory value: one finding, which covers the request too.
DEFAULT_VERDICTS = {(13, 7, "memory-limit-missing"): "error"}


def verdicts(report: dict) -> dict[tuple[int, int, str], str]:
    return {(f["line"], f["column"], f["rule"]): f["severity"] for f in report["findings"]}


def env_with_project() -> dict[str, str]:
    """The subprocess must import this checkout even when its cwd is elsewhere."""
    return {**os.environ, "PYTHONPATH": str(ROOT)}


# --- where the policy comes from ----------------------------------------------------------


def test_packaged_default_when_no_config_is_found(tmp_path: Path) -> None:
    code, report = run_json(str(WORKLOAD), cwd=tmp_path, env=env_with_project())
    assert code == 1
    assert verdicts(report) == DEFAULT_VERDICTS
    assert resolve_policy(start=str(tmp_path)).source == "preset:default"


def test_dot_evictguard_yaml_is_found_upwards_from_the_cwd(tmp_path: Path) -> None:
    (tmp_path / ".evictguard.yaml").write_text("rules:\n  memory-request-missing:\n    mode: off\n")
    nested = tmp_path / "a" / "b" / "c"
    nested.mkdir(parents=True)
    assert find_config(str(nested)) == str(tmp_path / ".evictguard.yaml")
    code, report = run_json(str(WORKLOAD), cwd=nested, env=env_with_project())
    assert code == 1
    assert verdicts(report) == {(13, 7, "memory-limit-missing"): "error"}


def test_the_nearest_config_wins(tmp_path: Path) -> None:
    (tmp_path / ".evictguard.yaml").write_text("rules:\n  memory-limit-missing:\n    mode: off\n")
    inner = tmp_path / "team"
    inner.mkdir()
    (inner / ".evictguard.yaml").write_text("rules:\n  memory-limit-missing:\n    mode: warn\n")
    code, report = run_json(str(WORKLOAD), cwd=inner, env=env_with_project())
    assert code == 0  # only warnings left
    assert verdicts(report)[(13, 7, "memory-limit-missing")] == "warning"


def test_explicit_config_beats_the_discovered_one(tmp_path: Path) -> None:
    (tmp_path / ".evictguard.yaml").write_text("rules:\n  memory-limit-missing:\n    mode: off\n")
    code, report = run_json(
        "--config",
        str(CONFIG / "mode-off.yaml"),
        str(WORKLOAD),
        cwd=tmp_path,
        env=env_with_project(),
    )
    assert code == 1
    assert verdicts(report) == {(13, 7, "memory-limit-missing"): "error"}


# --- layering -----------------------------------------------------------------------------


def test_a_file_changing_one_rule_keeps_the_other_defaults() -> None:
    code, report = run_json("--config", str(CONFIG / "only-ratio.yaml"), str(WORKLOAD))
    assert code == 1
    assert verdicts(report) == {**DEFAULT_VERDICTS, (12, 26, "memory-limit-ratio"): "warning"}
    ratio = next(f for f in report["findings"] if f["rule"] == "memory-limit-ratio")
    assert "policy maximum 4x" in ratio["message"]  # max comes from the default preset
    policy = load_policy_file(str(CONFIG / "only-ratio.yaml"))
    default = load_preset("default")
    for rule_id in RULES:
        if rule_id != "memory-limit-ratio":
            assert policy.mode(rule_id) is default.mode(rule_id)
            assert policy.params(rule_id) == default.params(rule_id)


def test_extends_strict() -> None:
    code, report = run_json("--config", str(CONFIG / "extends-strict.yaml"), str(WORKLOAD))
    assert code == 1
    # strict enforces memory-request-missing, which a container with neither value leaves to
    # the limit rule's one finding; this file raises the ratio's max to 16, so the 8x
    # container passes although strict enforces the ratio.
    assert verdicts(report) == {(13, 7, "memory-limit-missing"): "error"}
    policy = load_policy_file(str(CONFIG / "extends-strict.yaml"))
    assert policy.mode("memory-limit-ratio") is Mode.ENFORCE
    assert policy.params("memory-limit-ratio")["max"] == 16


def test_strict_preset_itself() -> None:
    strict = load_preset("strict")
    assert strict.mode("memory-request-missing") is Mode.ENFORCE
    assert strict.mode("memory-limit-ratio") is Mode.ENFORCE
    assert strict.params("memory-limit-ratio")["max"] == 2
    # Everything strict does not mention comes from default.
    assert strict.params("memory-limit-missing") == load_preset().params("memory-limit-missing")


def test_extends_a_path_relative_to_the_file_not_the_cwd(tmp_path: Path) -> None:
    code, report = run_json(
        "--config",
        str(CONFIG / "child.yaml"),
        str(WORKLOAD),
        cwd=tmp_path,
        env=env_with_project(),
    )
    assert code == 1
    assert verdicts(report) == {
        (13, 7, "memory-limit-missing"): "error",  # the request rule's audit finding left out
        (18, 26, "memory-quantity-suspicious"): "error",  # floor 16Mi, from team/base.yaml
    }
    limit = next(f for f in report["findings"] if f["rule"] == "memory-limit-missing")
    assert "policy defaults 2Gi and 256Mi" in limit["message"]  # from child.yaml itself
    assert limit["fix"][0]["value"]["limits"] == {"memory": "2Gi"}


def test_extends_none_starts_from_nothing_but_keeps_rule_parameters() -> None:
    """`extends: none` turned rules on without their parameters, and every rule then
    failed with `internal error in rule ...: KeyError: 'defaultLimit'` as an input error."""
    code, report = run_json("--config", str(CONFIG / "extends-none.yaml"), str(WORKLOAD))
    assert code == 1
    assert report["errors"] == []
    assert verdicts(report) == {(13, 7, "memory-limit-missing"): "error"}
    assert "policy default 512Mi" in report["findings"][0]["message"]  # no request rule here
    policy = load_policy_file(str(CONFIG / "extends-none.yaml"))
    assert policy.active_rules() == ("memory-limit-missing", "memory-quantity-suspicious")


def test_unquoted_mode_off_is_read_as_off() -> None:
    policy = load_policy_file(str(CONFIG / "mode-off.yaml"))
    assert policy.mode("memory-request-missing") is Mode.OFF
    assert policy.mode("memory-quantity-suspicious") is Mode.OFF  # `Off`, also a boolean
    report = lint_paths(WORKLOAD, policy=policy)
    assert {(f.line, f.rule) for f in report.findings} == {(13, "memory-limit-missing")}


def test_lists_replace_instead_of_merging(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("exemptions:\n  - namespaces: [kube-system]\n")
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\nexemptions:\n  - namespaces: [infra]\n")
    assert [e.namespaces for e in load_policy_file(str(child)).exemptions] == [("infra",)]


def test_pod_spec_kinds_from_the_policy(tmp_path: Path) -> None:
    policy_file = tmp_path / "rollout-policy.yaml"
    policy_file.write_text(
        "podSpecKinds:\n"
        "  - {apiGroup: apps.openshift.io, kind: DeploymentConfig, path: spec.template.spec}\n"
    )
    rollout = tmp_path / "rollout.yaml"
    rollout.write_text(
        "apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata: {name: r}\nspec:\n"
        "  template:\n    spec:\n      containers:\n        - name: app\n          image: x\n"
    )
    unknown = lint_paths(rollout)  # a kind no table knows: not checked, and said
    assert unknown.findings == [] and [n.kind for n in unknown.not_checked] == ["DeploymentConfig"]
    report = lint_paths(rollout, policy=load_policy_file(str(policy_file)))
    assert {(f.line, f.column, f.rule) for f in report.findings} == {
        (8, 11, "memory-limit-missing")
    }


# --- validation ---------------------------------------------------------------------------


def test_invalid_config_reports_every_problem_and_exits_2() -> None:
    """Schema problems used to hide the quantity and rule-name problems: one run, all."""
    path = CONFIG / "invalid.yaml"
    proc = run_cli("lint", "--config", str(path), str(WORKLOAD))
    assert proc.returncode == 2
    assert proc.stdout == ""
    regexp = "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    assert proc.stderr.splitlines() == [
        f"{path}: rules.memory-limt-missing: unknown rule (did you mean 'memory-limit-missing'?)",
        f"{path}: rules.memory-limit-ratio.max: 'two' is not of type 'number'",
        f"{path}: rules.memory-limit-ratio.mode: 'sometimes' is not one of "
        "['enforce', 'warn', 'audit', 'off']",
        f"{path}: rules.memory-quantity-suspicious.floor: ['4Mi'] is not of type "
        "'string', 'integer'",
        f"{path}: rules.memory-limit-missing.defaultLimit: '512MB' is not a Kubernetes "
        f"quantity (quantities must match the regular expression {regexp})",
        f"{path}: rules.memory-limit-missing.defaultRequest: '-1Gi' is negative",
        f"{path}: exemptions.0.rules: unknown rule 'memory-nope'",
        f"{path}: exemptions.1: names no namespaces, names, kinds, annotations or rules, so it "
        "would exempt every object from every rule",
    ]


def test_invalid_config_raises_config_error_with_the_same_lines() -> None:
    with pytest.raises(ConfigError) as info:
        load_policy_file(str(CONFIG / "invalid.yaml"))
    assert len(info.value.problems) == 8
    assert all(p.startswith(f"{CONFIG / 'invalid.yaml'}: ") for p in info.value.problems)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "rules:\n  memory-limit-ratio:\n    max: two\n",
            "rules.memory-limit-ratio.max: 'two' is not of type 'number'",
        ),
        (
            "rules:\n  memory-limit-ratio:\n    max: 0\n",
            "rules.memory-limit-ratio.max: 0 is less than or equal to the minimum of 0",
        ),
        (
            "rules:\n  memory-limit-ratio:\n    max: true\n",
            "rules.memory-limit-ratio.max: True is not of type 'number'",
        ),
        (
            "rules:\n  memory-limit-missing:\n    mode: on\n",
            "rules.memory-limit-missing.mode: True is not one of "
            "['enforce', 'warn', 'audit', 'off']",
        ),
        (
            "rules:\n  memory-limit-missing:\n    defaultLimit: [1Gi]\n",
            "rules.memory-limit-missing.defaultLimit: ['1Gi'] is not of type 'string', 'integer'",
        ),
        (
            "rules:\n  memory-request-exceeds-limit:\n    max: 2\n",
            "rules.memory-request-exceeds-limit: Additional properties are not allowed "
            "('max' was unexpected)",
        ),
        (
            "rules:\n  memory-limit-missing:\n    defaultLimit: 1gi\n",
            "rules.memory-limit-missing.defaultLimit: '1gi' is not a Kubernetes quantity",
        ),
        (
            "rules:\n  memory-quantity-suspicious:\n    floor: -4Mi\n",
            "rules.memory-quantity-suspicious.floor: '-4Mi' is negative",
        ),
        (
            "rules:\n  memory-quantity-suspicious:\n    ceiling: 2TB\n",
            "rules.memory-quantity-suspicious.ceiling: '2TB' is not a Kubernetes quantity",
        ),
        ("rules:\n  oom-everything:\n    mode: warn\n", "rules.oom-everything: unknown rule"),
        ("apiVersion: evictguard.io/v2\n", "apiVersion: 'evictguard.io/v1alpha1' was expected"),
        (
            "exemption:\n  - namespaces: [a]\n",
            "(root): Additional properties are not allowed ('exemption' was unexpected)",
        ),
        ("exemptions:\n  - {}\n", "exemptions.0: {} should be non-empty"),
        (
            "podSpecKinds:\n  - {kind: Rollout, path: spec..template}\n",
            "podSpecKinds.0.path: 'spec..template' does not match",
        ),
        ("- a list\n", "(root): ['a list'] is not of type 'object'"),
        ("rules: [\n", "invalid YAML"),
    ],
)
def test_single_problems(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_policy_file(str(path))
    assert len(info.value.problems) == 1, info.value.problems
    assert info.value.problems[0].startswith(str(path))
    assert problem in info.value.problems[0]


def test_config_yaml_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("rules:\n  memory-limit-missing:\n    mode: [warn\n")
    proc = run_cli("lint", "--config", str(path), str(WORKLOAD))
    assert proc.returncode == 2
    assert re.fullmatch(rf"{re.escape(str(path))}:4: invalid YAML: .+\n", proc.stderr)


def test_missing_config_file_and_missing_extends(tmp_path: Path) -> None:
    proc = run_cli("lint", "--config", str(tmp_path / "nope.yaml"), str(WORKLOAD))
    assert proc.returncode == 2
    assert (
        proc.stderr == f"{tmp_path / 'nope.yaml'}: cannot read policy: No such file or directory\n"
    )
    child = tmp_path / "child.yaml"
    child.write_text("extends: ./missing.yaml\n")
    with pytest.raises(ConfigError, match=r"missing\.yaml: cannot read policy"):
        load_policy_file(str(child))


def test_errors_in_an_extended_file_name_that_file(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("rules:\n  memory-limit-ratio:\n    max: two\n")
    (tmp_path / "child.yaml").write_text("extends: base.yaml\n")
    with pytest.raises(ConfigError) as info:
        load_policy_file(str(tmp_path / "child.yaml"))
    assert info.value.problems == [
        f"{tmp_path / 'base.yaml'}: rules.memory-limit-ratio.max: 'two' is not of type 'number'"
    ]


def test_extends_cycle_is_an_error_not_a_hang(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(ConfigError, match="extends: chain deeper than 8"):
        load_policy_file(str(tmp_path / "a.yaml"))


def test_empty_config_file_is_the_default(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing yet\n")
    policy = load_policy_file(str(path))
    default = load_preset("default")
    assert {r: policy.mode(r) for r in RULES} == {r: default.mode(r) for r in RULES}


# --- the presets, the schema and the registry agree ----------------------------------------


@pytest.mark.parametrize("preset", ["default", "strict"])
def test_presets_validate_against_the_schema(preset: str) -> None:
    path = ROOT / "policies" / "policy" / "presets" / f"{preset}.yaml"
    data = yaml.safe_load(path.read_text())
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.Draft202012Validator(schema()).validate(data)


def test_the_declared_defaults_are_a_valid_policy() -> None:
    """The default preset's rules come from the declarations: they must pass the schema and
    the checks by type that a policy file gets."""
    data = {"rules": default_rules(RULES.values())}
    jsonschema.Draft202012Validator(schema()).validate(data)
    assert param_problems(data, "defaults") == []


def test_schema_file_is_valid_draft_2020_12() -> None:
    raw = json.loads((ROOT / "policies" / "policy" / "schema" / "policy.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(raw)


def test_every_rule_has_a_schema_entry_and_a_default_mode_in_registry_order() -> None:
    assert list(schema()["properties"]["rules"]["properties"]) == list(RULES)
    default = load_preset("default")
    assert list(default.rules) == list(RULES)
    assert {r: default.mode(r) for r in RULES} == {r: RULES[r].default_mode for r in RULES}


def test_every_parameter_a_rule_reads_is_in_the_default_preset() -> None:
    """A rule reads its declared parameters with [], so the preset must supply them all."""
    expected = {  # a parameter moved to a cluster section is read from there, not the rule
        rule_id: {p.name for p in rule.params if p.moved_to is None}
        for rule_id, rule in RULES.items()
    }
    assert expected["memory-quantity-suspicious"] == {"floor", "ceiling"}  # not all empty
    default = load_preset("default")
    assert {r: set(default.params(r)) for r in RULES} == expected
    assert {r for r in RULES if default.mutates(r)} == {
        "memory-request-missing",
        "noexecute-unbounded",
    }


# --- every declared parameter, tested from its declaration --------------------------------

DECLARED = [(rule_id, param) for rule_id, rule in RULES.items() for param in rule.params]


def _declared_id(case: tuple[str, Param]) -> str:
    return f"{case[0]}.{case[1].name}"


# A value each type refuses, and what the problem says (the schema's or policy.validate's).
REFUSED: dict[ParamType, tuple[Any, str]] = {
    ParamType.QUANTITY: ("lots", "'lots' is not a Kubernetes quantity"),
    ParamType.MEMORY_SIZE: ("512m", "'512m' is not a whole number of bytes of at least 1"),
    ParamType.RATIO: (0, "0 is less than or equal to the minimum of 0"),
    ParamType.SECONDS: (9223372037, "9223372037 is greater than the maximum of 9223372036"),
    ParamType.KNOWN_TAINTS: ([{"effects": ["NoSchedule"]}], "'key' is a required property"),
    ParamType.ALLOWLISTS: ([{"namespaces": ["a"]}], "'tolerations' is a required property"),
    ParamType.MOUNT_PATHS: (["etc/nginx/"], "'etc/nginx/' is not an absolute, clean path"),
}
# A value of the wrong JSON type for each, and the schema's words for it.
MISTYPED: dict[ParamType, tuple[Any, str]] = {
    ParamType.QUANTITY: (["1Gi"], "['1Gi'] is not of type 'string', 'integer'"),
    ParamType.MEMORY_SIZE: (True, "True is not of type 'string', 'integer'"),
    ParamType.RATIO: ("two", "'two' is not of type 'number'"),
    ParamType.SECONDS: (1.5, "1.5 is not of type 'integer'"),
    ParamType.KNOWN_TAINTS: ("dedicated", "'dedicated' is not of type 'array'"),
    ParamType.ALLOWLISTS: ({"a": 1}, "{'a': 1} is not of type 'array'"),
    ParamType.MOUNT_PATHS: ("/etc", "'/etc' is not of type 'array'"),
}


def _problems(tmp_path: Path, rule_id: str, settings: dict[str, Any]) -> list[str]:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump({"rules": {rule_id: settings}}))
    try:
        load_policy_file(str(path))
    except ConfigError as exc:
        return [p.removeprefix(f"{path}: ") for p in exc.problems]
    return []


@pytest.mark.parametrize("case", DECLARED, ids=_declared_id)
def test_a_declared_parameter_defaults_and_loads(case: tuple[str, Param], tmp_path: Path) -> None:
    """The default preset holds the declared default, and a policy that writes it loads."""
    rule_id, param = case
    default = load_preset("default")
    if param.moved_to is None:
        assert default.params(rule_id)[param.name] == param.default
    else:  # its value moves to the cluster section (knownTaints is the only one)
        assert param.name not in default.params(rule_id)
        assert list(default.cluster.known_taints) == param.default
    assert _problems(tmp_path, rule_id, {"mode": "enforce", param.name: param.default}) == []


@pytest.mark.parametrize("case", DECLARED, ids=_declared_id)
def test_a_declared_parameter_refuses_what_its_type_refuses(
    case: tuple[str, Param], tmp_path: Path
) -> None:
    rule_id, param = case
    where = f"rules.{rule_id}.{param.name}"
    for value, message in (REFUSED[param.type], MISTYPED[param.type]):
        problems = _problems(tmp_path, rule_id, {param.name: value})
        assert len(problems) == 1 and problems[0].startswith(where), (value, problems)
        assert message in problems[0]
    if param.type is ParamType.SECONDS:
        floor = param.minimum or 0
        problems = _problems(tmp_path, rule_id, {param.name: floor - 1})
        assert problems == [f"{where}: {floor - 1} is less than the minimum of {floor}"]


@pytest.mark.parametrize("rule_id", list(RULES))
def test_a_rule_takes_its_declared_settings_and_no_others(rule_id: str, tmp_path: Path) -> None:
    """`mode`, the declared parameters, and `mutate` where the rule has fixes."""
    rule = RULES[rule_id]
    unexpected = f"rules.{rule_id}: Additional properties are not allowed"
    assert _problems(tmp_path, rule_id, {"headroom": 2}) == [
        f"{unexpected} ('headroom' was unexpected)"
    ]
    mutate = _problems(tmp_path, rule_id, {"mutate": True})
    assert mutate == ([] if rule.fixable else [f"{unexpected} ('mutate' was unexpected)"])


QUANTITY_PARAM_RULE = Rule(
    id="test-headroom",
    summary="Test only: a rule with a quantity parameter whose name no other rule uses.",
    why="",
    remediation="",
    example="",
    check=lambda ctx: iter(()),
    params=(
        Param("headroom", ParamType.QUANTITY, "1Gi", "test"),
        Param("spread", ParamType.RATIO, 2, ""),
    ),
)


def test_parameters_are_checked_by_their_declared_type_not_their_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before: only parameters named defaultLimit, defaultRequest or floor were parsed as
    quantities, so a new rule's `headroom: lots` loaded and failed on every object."""
    monkeypatch.setitem(RULES, QUANTITY_PARAM_RULE.id, QUANTITY_PARAM_RULE)
    data = {"rules": {"test-headroom": {"headroom": "lots", "spread": float("inf")}}}
    assert param_problems(data, "p.yaml") == [
        "p.yaml: rules.test-headroom.headroom: 'lots' is not a Kubernetes quantity "
        "(quantities must match the regular expression "
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$')",
        "p.yaml: rules.test-headroom.spread: inf is not a finite number",
    ]
    data = {"rules": {"test-headroom": {"headroom": "-1Gi", "spread": 2}}}
    assert param_problems(data, "p.yaml") == [
        "p.yaml: rules.test-headroom.headroom: '-1Gi' is negative"
    ]
    assert param_problems({"rules": {"test-headroom": {"headroom": "1Gi"}}}, "p.yaml") == []


@pytest.mark.parametrize(
    "value, problem",
    [
        ("0", "'0' is not a whole number of bytes of at least 1"),
        ("512m", "'512m' is not a whole number of bytes of at least 1"),
        ("10E", "'10E' is 2^63 bytes or more, which no node reads as a size"),
        ("8Ei", "'8Ei' is 2^63 bytes or more, which no node reads as a size"),
        # 2^63-1 itself is a size Value() returns: only the ceiling refuses it
        ("9223372036854775807", "'9223372036854775807' is outside rules.memory-quantity-"),
        (
            "2Ti",
            "'2Ti' is outside rules.memory-quantity-suspicious's floor '4Mi' and ceiling '1Ti'",
        ),
        (
            "1Ki",
            "'1Ki' is outside rules.memory-quantity-suspicious's floor '4Mi' and ceiling '1Ti'",
        ),
    ],
)
def test_a_size_a_fix_would_write_must_pass_every_rule(
    tmp_path: Path, value: str, problem: str
) -> None:
    """Found by review: `defaultRequest: 10E` loaded, and the mutating webhook patched every
    Pod without a request into one with no real request at all."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(f'rules:\n  memory-request-missing:\n    defaultRequest: "{value}"\n')
    proc = run_cli("lint", "--config", str(policy), "examples/good")
    assert proc.returncode == 2
    assert f"{policy}: rules.memory-request-missing.defaultRequest: {problem}" in proc.stderr


def test_an_evaluation_budget_of_nan_is_refused(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("admission:\n  evaluationBudgetSeconds: .nan\n")
    proc = run_cli("lint", "--config", str(policy), "examples/good")
    assert proc.returncode == 2
    assert f"{policy}: admission.evaluationBudgetSeconds: nan is not a number" in proc.stderr


def test_a_ratio_that_is_not_finite_is_a_policy_error(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("rules:\n  memory-limit-ratio:\n    mode: warn\n    max: .nan\n")
    proc = run_cli("lint", "--config", str(policy), "examples/good")
    assert proc.returncode == 2
    assert f"{policy}: rules.memory-limit-ratio.max: nan is not a finite number" in proc.stderr


def test_rules_command_shows_the_modes_of_a_config() -> None:
    proc = run_cli("rules", "--config", str(CONFIG / "only-ratio.yaml"))
    assert proc.returncode == 0
    modes = {line.split()[0]: line.split()[1] for line in proc.stdout.splitlines()}
    assert modes["memory-limit-ratio"] == "warn"
    assert modes["memory-limit-missing"] == "enforce"


def test_a_default_request_above_the_default_limit_is_rejected(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("rules:\n  memory-limit-missing:\n    defaultRequest: 1Gi\n")
    proc = run_cli("lint", "--config", str(policy), "examples/good")
    assert proc.returncode == 2
    assert proc.stderr == (
        f"{policy}: rules.memory-limit-missing.defaultRequest: '1Gi' is above defaultLimit "
        "'512Mi' (the API server rejects a request above its limit; values after layering "
        "over the preset, so set both)\n"
    )


def test_a_suspicious_memory_ceiling_below_the_floor_is_rejected(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("rules:\n  memory-quantity-suspicious:\n    ceiling: 1Mi\n")
    proc = run_cli("lint", "--config", str(policy), "examples/good")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (
        f"{policy}: rules.memory-quantity-suspicious.ceiling: '1Mi' is below floor '4Mi' "
        "(every non-zero memory value would be suspicious; values after layering over the "
        "preset)\n"
    )
    policy.write_text(
        "rules:\n  memory-quantity-suspicious:\n    ceiling: 512Mi\n"
    )  # = defaultLimit
    assert load_policy_file(str(policy)).params("memory-quantity-suspicious")["ceiling"] == "512Mi"


def test_a_suspicious_memory_ceiling_that_is_no_quantity_is_refused(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("rules:\n  memory-quantity-suspicious:\n    ceiling: lots\n")
    proc = run_cli("lint", "--config", str(policy), "examples/good")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith(
        f"{policy}: rules.memory-quantity-suspicious.ceiling: 'lots' is not a Kubernetes quantity ("
    )
    assert len(proc.stderr.splitlines()) == 1


def test_the_readme_policy_example_is_a_valid_policy(tmp_path: Path) -> None:
    """The example users copy: it must load, and mean what its comments say."""
    readme = (ROOT / "README.md").read_text("utf-8")
    block = readme.split("```yaml\n# .evictguard.yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / ".evictguard.yaml"
    path.write_text(block, "utf-8")
    policy = load_policy_file(str(path))
    assert policy.mode("memory-request-missing") is Mode.ENFORCE
    assert policy.params("memory-request-missing")["defaultRequest"] == "512Mi"
    assert policy.params("toleration-not-allowed")["allowlists"][0]["namespaces"] == ["team-a-*"]
    assert policy.is_system_namespace("kube-system") and not policy.is_system_namespace("shop")
    assert policy.feature("TaintTolerationComparisonOperators") is False


def _policy(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text("apiVersion: evictguard.io/v1alpha1\nkind: Policy\n" + body, "utf-8")
    return path


def test_system_namespaces_default_and_replacement(tmp_path: Path) -> None:
    default = load_preset("default")
    assert default.system_namespaces == ("kube-system", "kube-node-lease", "kube-public")
    assert not default.is_system_namespace(None)  # an object with no namespace is not one
    custom = load_policy_file(str(_policy(tmp_path, "systemNamespaces: [platform-*]\n")))
    assert custom.is_system_namespace("platform-dns")
    assert not custom.is_system_namespace("kube-system")  # the list is replaced, not merged


def test_toleration_settings_are_checked_like_the_api_server_checks_them(
    tmp_path: Path,
) -> None:
    path = _policy(
        tmp_path,
        "featureGates: {TaintTolerationComparisonOperators: true}\n"
        "rules:\n"
        "  toleration-not-allowed:\n"
        "    allowlists:\n"
        "      - namespaces: [a]\n"
        "        tolerations:\n"
        "          - {operator: Equal, value: x}\n"
        "          - {key: sla, operator: Gt, value: '0950'}\n"
        "          - {key: ok, operator: Exists, effect: NoExecute, tolerationSeconds: 60}\n"
        "  toleration-never-matches:\n"
        "    knownTaints:\n"
        "      - {key: Example.com/gpu, values: ['-5']}\n"
        "  noexecute-seconds-too-low: {minSeconds: -1}\n",
    )
    with pytest.raises(ConfigError) as raised:
        load_policy_file(str(path))
    problems = raised.value.problems
    assert len(problems) == 5, problems
    label = str(path)
    assert f"{label}: noexecute-seconds-too-low" not in problems  # named by its path below
    assert any(
        p.startswith(f"{label}: rules.noexecute-seconds-too-low.minSeconds") for p in problems
    )
    assert (
        f"{label}: rules.toleration-not-allowed.allowlists.0.tolerations.0.operator: Invalid "
        'value: "Equal": operator must be Exists when `key` is empty, which means "match all '
        'values and all keys"'
    ) in problems
    assert (
        f"{label}: rules.toleration-not-allowed.allowlists.0.tolerations.1.value: Invalid "
        'value: "0950": value must be a valid integer for numeric operators'
    ) in problems
    assert any(".knownTaints.0.key: 'Example.com/gpu': prefix part" in p for p in problems)
    assert any(".knownTaints.0.values: '-5': a valid label" in p for p in problems)


# --- feature gates: one default, read the same everywhere ---------------------------------

POD_LEVEL_PODS = """\
apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: shop}
spec:
  limits:
    - type: Container
      defaultRequest: {memory: 2Gi}
---
apiVersion: v1
kind: Pod
metadata: {name: capped, namespace: shop}
spec:
  resources:
    limits: {memory: 1Gi}
  containers:
    - name: app
      image: example/app:1
"""


def test_every_feature_gate_has_one_default_everywhere() -> None:
    """The schema, the packaged default policy, the README's example and Policy.feature()
    (which every reader asks, --as-admitted's included) agree on each gate's default."""
    gates = schema()["properties"]["featureGates"]["properties"]
    assert set(gates) == set(GATE_DEFAULTS)
    assert all(gates[name]["type"] == "boolean" and gates[name]["description"] for name in gates)
    preset = yaml.safe_load(
        (ROOT / "policies" / "policy" / "presets" / "default.yaml").read_text("utf-8")
    )
    assert preset["featureGates"] == dict(GATE_DEFAULTS)
    readme = (ROOT / "README.md").read_text("utf-8")
    example = readme.split("```yaml\n# .evictguard.yaml\n", 1)[1].split("```", 1)[0]
    assert yaml.safe_load(example)["featureGates"] == dict(GATE_DEFAULTS)
    unset = dataclasses.replace(load_preset("default"), feature_gates={})
    for name, default in GATE_DEFAULTS.items():
        assert load_preset("default").feature(name) is default
        assert load_preset("strict").feature(name) is default
        assert unset.feature(name) is default, name
    assert GATE_DEFAULTS["PodLevelResources"] is True  # beta, on by default since 1.34


def test_pod_level_resources_gate_off_loads_and_changes_the_verdict(tmp_path: Path) -> None:
    """`featureGates: {PodLevelResources: false}` was refused by the schema. Off, the API
    server drops `spec.resources` from the Pods it creates: no defaultPodRequests
    (--as-admitted), no pod-level consistency check, and a pod-level limit caps nothing."""
    off = _policy(tmp_path, "featureGates: {PodLevelResources: false}\n")
    policy = load_policy_file(str(off))
    assert policy.feature("PodLevelResources") is False
    manifest = tmp_path / "pods.yaml"
    manifest.write_text(POD_LEVEL_PODS, "utf-8")

    def verdict(*args: str) -> set[tuple[str, int]]:
        code, report = run_json(*args, str(manifest))
        assert code == (1 if report["findings"] else 0) and not report["errors"], report
        return {(f["rule"], f["line"]) for f in report["findings"]}

    # On (the default): SetDefaults_Pod makes the pod-level request 1Gi (from its limit),
    # below the 2Gi the LimitRange then gives the container: the API server refuses it.
    assert verdict("--as-admitted") == {("memory-pod-level-conflict", 13)}
    # Off: the container has no limit at all once spec.resources is dropped.
    assert verdict("--as-admitted", "--config", str(off)) == {("memory-limit-missing", 16)}
    assert verdict("--config", str(off)) == {("memory-limit-missing", 16)}
    assert verdict() == set()  # as written, on: the pod-level limit caps the container
