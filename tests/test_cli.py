"""The command line as users run it: exit codes, rule selection, text and JSON output,
`rules`, `explain`, and the installed console script."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from evictguard.engine.registry import RULES
from evictguard.model import Mode
from evictguard.policy.load import load_preset

from tests.conftest import DATA, ROOT, run_cli, run_json

CLI = DATA / "cli"
MIXED = "tests/data/cli/mixed.yaml"  # relative: file names in the output are as given
BROKEN = "tests/data/cli/broken.yaml"
REPORT_SCHEMA = json.loads((CLI / "report.schema.json").read_text())

FINDING_KEYS = {
    "rule", "severity", "file", "line", "column", "apiVersion", "kind", "namespace", "name",
    "container", "pointer", "message", "fix", "fixApplicability", "template",
}  # fmt: skip
ERROR_KEYS = {"file", "line", "column", "code", "message"}
SUMMARY_KEYS = {"files", "documents", "objects", "findings", "errors", "notChecked"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TEXT_LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning|info) "
    r"(?P<rule>[a-z-]+) (?P<message>.+)$"
)
SUMMARY_LINE = re.compile(
    r"^\d+ file\(s\), \d+ object\(s\): \d+ error\(s\), \d+ warning\(s\), \d+ info, "
    r"\d+ input error\(s\)$"
)


def plain_env(**extra: str) -> dict[str, str]:
    """The environment without colour switches a developer may have set, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return {**env, **extra}


# --- exit codes ---------------------------------------------------------------------------


EXIT_CODES: list[tuple[tuple[str, ...], int]] = [
    (("examples/good",), 0),
    (("examples/bad",), 1),
    ((MIXED,), 1),
    ((BROKEN,), 2),
    ((MIXED, BROKEN), 2),  # input errors win over findings
    (("--fail-on", "never", MIXED), 0),
    (("--fail-on", "never", BROKEN), 2),  # never is about findings, not broken input
    (("--fail-on", "warning", "examples/good"), 0),
    # only warnings: the default threshold passes, the warning threshold fails
    (("--select", "memory-request-missing", MIXED), 0),
    (("--select", "memory-request-missing", "--fail-on", "warning", MIXED), 1),
    (("--select", "memory-request-missing", "--fail-on", "error", MIXED), 0),
    # warnings and info only (warn-policy.yaml)
    (("--config", "tests/data/cli/warn-policy.yaml", MIXED), 0),
    (("--config", "tests/data/cli/warn-policy.yaml", "--fail-on", "warning", MIXED), 1),
    # info never fails a run
    (("--config", "tests/data/cli/audit-policy.yaml", "--fail-on", "warning", MIXED), 0),
]


def run_all(
    arg_lists: list[tuple[str, ...]], **kwargs: Any
) -> list[subprocess.CompletedProcess[str]]:
    """Several real CLI runs at once: each is a separate process, as users run it."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda args: run_cli(*args, **kwargs), arg_lists))


def test_exit_codes() -> None:
    procs = run_all([("lint", *args) for args, _ in EXIT_CODES])
    assert {args: p.returncode for (args, _), p in zip(EXIT_CODES, procs, strict=True)} == dict(
        EXIT_CODES
    )


def test_usage_errors_exit_2() -> None:
    cases: list[tuple[str, ...]] = [
        (),
        ("lint",),
        ("lint", "--format", "xml", MIXED),
        ("lint", "--fail-on", "info", MIXED),
        ("frobnicate",),
    ]
    for args, proc in zip(cases, run_all(cases), strict=True):
        assert proc.returncode == 2, args
        assert "usage: evictguard" in proc.stderr, args
        assert proc.stdout == "", args


# --- --select / --ignore -------------------------------------------------------------------


LIMIT, REQUEST, INVALID = (
    "memory-limit-missing",
    "memory-request-missing",
    "memory-quantity-invalid",
)
SELECTIONS: list[tuple[tuple[str, ...], set[str]]] = [
    # `bare` has neither memory value: one finding, the limit rule's, while that rule runs.
    ((), {LIMIT, INVALID}),
    (("--select", LIMIT), {LIMIT}),
    (("--select", "memory-quantity-*"), {INVALID}),
    (("--select", f"{LIMIT},{INVALID}"), {LIMIT, INVALID}),
    (("--select", f" {LIMIT} , {INVALID} "), {LIMIT, INVALID}),
    (("--select", LIMIT, "--select", "memory-request-*"), {LIMIT}),
    (("--select", INVALID, "--select", "memory-request-*"), {INVALID, REQUEST}),
    (("--ignore", REQUEST), {LIMIT, INVALID}),
    (("--ignore", "*-missing"), {INVALID}),
    (("--select", "memory-*", "--ignore", "memory-limit-*"), {REQUEST, INVALID}),
    (("--select", LIMIT, "--ignore", LIMIT), set()),  # ignore wins
]


def test_select_and_ignore_with_ids_and_globs() -> None:
    procs = run_all([("lint", "--format", "json", *args, MIXED) for args, _ in SELECTIONS])
    reported = {
        args: {f["rule"] for f in json.loads(p.stdout)["findings"]}
        for (args, _), p in zip(SELECTIONS, procs, strict=True)
    }
    assert reported == dict(SELECTIONS)


def test_select_does_not_turn_on_a_rule_the_policy_has_off() -> None:
    # memory-limit-ratio is off in the default preset: selecting it runs nothing.
    code, report = run_json("--select", "memory-limit-ratio", "tests/data/config/workload.yaml")
    assert (code, report["findings"]) == (0, [])
    # ...and says so on stderr, instead of a silent clean run
    proc = run_cli("lint", "--select", "memory-limit-*", "tests/data/config/workload.yaml")
    off = [
        rule_id
        for rule_id in RULES
        if fnmatchcase(rule_id, "memory-limit-*")
        and load_preset("default").mode(rule_id) is Mode.OFF
    ]
    assert "memory-limit-ratio" in off
    assert proc.stderr == "".join(
        f"evictguard: note: {rule_id} is off in preset:default; "
        "set its mode in a policy file to run it\n"
        for rule_id in off
    )


def test_select_keeps_the_policy_severity() -> None:
    _, report = run_json("--select", "memory-request-missing", MIXED)
    assert {f["severity"] for f in report["findings"]} == {"warning"}


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--select", "memory-limit-mising"),
        ("--ignore", "cpu-*"),
        ("--select", "memory-limit-missing,nope"),
    ],
)
def test_unknown_rule_in_select_or_ignore_is_a_usage_error(flag: str, value: str) -> None:
    proc = run_cli("lint", flag, value, MIXED)
    assert proc.returncode == 2
    assert proc.stdout == ""
    bad = value.split(",")[-1]
    assert proc.stderr == f"evictguard: no rule matches {bad!r} (see `evictguard rules`)\n"


# --- text output --------------------------------------------------------------------------


def test_text_output_lines_and_summary_when_piped() -> None:
    proc = run_cli("lint", MIXED, BROKEN, env=plain_env())
    lines = proc.stdout.splitlines()
    assert not ANSI.search(proc.stdout)
    assert lines[0] == (
        "tests/data/cli/broken.yaml:4:15: input-error invalid YAML: mapping values are not "
        "allowed in this context"
    )
    parsed = [TEXT_LINE.match(line) for line in lines[1:-1]]
    assert all(parsed), lines
    assert [
        (m["file"], int(m["line"]), int(m["col"]), m["severity"], m["rule"]) for m in parsed if m
    ] == [
        (MIXED, 8, 7, "error", "memory-limit-missing"),
        (MIXED, 14, 26, "error", "memory-quantity-invalid"),
    ]
    assert parsed[0] and parsed[0]["message"] == (
        'Pod ci/mixed: container "bare" has no memory limit and no memory request; set '
        "resources.limits.memory and resources.requests.memory (policy defaults 512Mi and 256Mi)"
    )
    assert SUMMARY_LINE.match(lines[-1])
    assert lines[-1] == "2 file(s), 1 object(s): 2 error(s), 0 warning(s), 0 info, 1 input error(s)"


def test_text_output_is_sorted_by_file_then_line() -> None:
    proc = run_cli("lint", "examples/bad", env=plain_env())
    rows = [TEXT_LINE.match(line) for line in proc.stdout.splitlines()[:-1]]
    keys = [(m["file"], int(m["line"]), int(m["col"])) for m in rows if m]
    assert len(keys) == len(rows) == 12  # the findings of examples/bad (tests/test_examples.py)
    assert keys == sorted(keys)


def test_force_color_colours_and_no_color_wins() -> None:
    # Without the limit rule, `bare` gets the request rule's warning.
    coloured = run_cli("lint", "--ignore", LIMIT, MIXED, env=plain_env(FORCE_COLOR="1")).stdout
    assert "\x1b[31merror\x1b[0m" in coloured
    assert "\x1b[33mwarning\x1b[0m" in coloured
    assert "\x1b[1mtests/data/cli/mixed.yaml\x1b[0m" in coloured.splitlines()[0]
    # Without the escapes it is the plain output plus a file header and a blank line.
    plain = run_cli("lint", "--ignore", LIMIT, MIXED, env=plain_env()).stdout
    stripped = ANSI.sub("", coloured).splitlines()
    assert [line for line in stripped if line and line != MIXED] == plain.splitlines()
    for env in (plain_env(NO_COLOR="1"), plain_env(NO_COLOR="1", FORCE_COLOR="1")):
        assert not ANSI.search(run_cli("lint", MIXED, env=env).stdout)


def test_json_is_never_coloured() -> None:
    proc = run_cli("lint", "--format", "json", MIXED, env=plain_env(FORCE_COLOR="1"))
    assert not ANSI.search(proc.stdout)
    json.loads(proc.stdout)


# --- JSON contract ------------------------------------------------------------------------


def test_report_schema_is_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(REPORT_SCHEMA)


@pytest.mark.parametrize(
    "args",
    [
        ["examples/"],
        [MIXED, BROKEN, "tests/data/loader/list.yaml", "tests/data/loader/not-objects.yaml"],
        ["examples/good"],
        ["/nonexistent/path.yaml"],
    ],
)
def test_json_output_validates_against_the_report_schema(args: list[str]) -> None:
    _, report = run_json(*args)
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)
    assert set(report) == {"findings", "errors", "notices", "summary"}
    assert all(set(f) == FINDING_KEYS for f in report["findings"])
    assert all(set(e) == ERROR_KEYS for e in report["errors"])
    assert set(report["summary"]) == SUMMARY_KEYS
    assert report["summary"]["findings"] == len(report["findings"])
    assert report["summary"]["errors"] == len(report["errors"])


def test_json_matches_the_readme_example() -> None:
    code, report = run_json("examples/")
    assert code == 1
    assert report["summary"] == {
        "files": 10,
        "documents": 12,
        "objects": 12,
        "findings": 12,
        "errors": 0,
        "notChecked": [],
    }
    cache = [f for f in report["findings"] if f["name"] == "cache"]
    assert cache[0] == {
        "rule": "memory-limit-missing",
        "severity": "error",
        "file": "examples/bad/no-limits.yaml",
        "line": 37,
        "column": 11,
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "namespace": "data",
        "name": "cache",
        "container": "redis",
        "pointer": "/spec/template/spec/containers/0/resources/limits/memory",
        "message": 'StatefulSet data/cache: container "redis" has no memory limit and no memory '
        "request; set resources.limits.memory and resources.requests.memory (policy defaults "
        "512Mi and 256Mi)",
        "fix": [
            {
                "op": "add",
                "path": "/spec/template/spec/containers/0/resources",
                "value": {"limits": {"memory": "512Mi"}, "requests": {"memory": "256Mi"}},
            }
        ],
        "fixApplicability": "unsafe",  # the policy's default sizes: a guess
        "template": None,
    }


def test_json_nulls_and_severities() -> None:
    _, report = run_json("--config", "tests/data/cli/warn-policy.yaml", MIXED, BROKEN)
    severities = {(f["rule"], f["severity"]) for f in report["findings"]}
    assert severities == {
        ("memory-limit-missing", "warning"),  # as severe as the request rule's: one finding
        ("memory-quantity-invalid", "info"),
    }
    invalid = next(f for f in report["findings"] if f["rule"] == "memory-quantity-invalid")
    assert invalid["fix"] is None  # no safe automatic fix for a typo
    assert report["errors"] == [
        {
            "file": BROKEN,
            "line": 4,
            "column": 15,
            "code": "invalid-yaml",
            "message": "invalid YAML: mapping values are not allowed in this context",
        }
    ]
    _, unnamed = run_json(
        "-",
        stdin="apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - image: x\n",
    )
    finding = unnamed["findings"][0]
    assert (finding["namespace"], finding["name"], finding["container"]) == (None, None, None)
    assert (finding["line"], finding["column"]) == (5, 7)


# --- rules and explain --------------------------------------------------------------------


def test_rules_lists_every_rule_with_its_default_mode() -> None:
    proc = run_cli("rules")
    assert proc.returncode == 0
    rows = [line.split(None, 2) for line in proc.stdout.splitlines()]
    assert [(r[0], r[1]) for r in rows] == [
        ("memory-limit-missing", "enforce"),
        ("memory-request-missing", "warn"),
        ("memory-request-exceeds-limit", "enforce"),
        ("memory-pod-level-conflict", "enforce"),
        ("memory-quantity-invalid", "enforce"),
        ("memory-quantity-suspicious", "enforce"),
        ("memory-limit-ratio", "off"),
        ("memory-critical-overcommit", "warn"),
        ("memory-limit-too-high", "off"),
        ("toleration-invalid", "enforce"),
        ("toleration-never-matches", "warn"),
        ("toleration-wildcard", "warn"),
        ("toleration-not-allowed", "warn"),
        ("toleration-node-pressure", "warn"),
        ("toleration-node-unavailable", "warn"),
        ("toleration-control-plane", "warn"),
        ("noexecute-unbounded", "enforce"),
        ("noexecute-seconds-too-low", "warn"),
        ("noexecute-seconds-too-high", "warn"),
        ("noexecute-wildcard", "enforce"),
        ("toleration-shadowed", "warn"),
        ("volume-mount-hides-image-files", "warn"),
        ("pdb-no-disruptions", "warn"),
        ("emptydir-size-limit-missing", "audit"),
        ("emptydir-memory-unbounded", "warn"),
        ("ephemeral-storage-limit-missing", "off"),
        ("pdb-blocks-at-replicas", "warn"),
        ("pdb-overlap", "warn"),
        ("pdb-selects-nothing", "warn"),
        ("pdb-unhealthy-pods-block-drains", "off"),
        ("ephemeral-storage-limit-zero", "enforce"),
    ]
    assert [r[0] for r in rows] == list(RULES)
    fixes = {r[0]: r[2] for r in (line.split(None, 3) for line in proc.stdout.splitlines())}
    assert {rule_id: fix for rule_id, fix in fixes.items() if fix != "none"} == {
        "memory-limit-missing": "unsafe",
        "memory-request-missing": "unsafe",
        "noexecute-unbounded": "safe",
    }
    for line in proc.stdout.splitlines():
        rule_id, _, _, summary = line.split(None, 3)
        assert summary == RULES[rule_id].summary


def test_explain_has_what_why_example_and_fix(tmp_path: Path) -> None:
    explained = dict(zip(RULES, run_all([("explain", rule_id) for rule_id in RULES]), strict=True))
    examples: dict[str, tuple[str, ...]] = {}
    example_text: dict[str, str] = {}
    for rule_id, proc in explained.items():
        assert proc.returncode == 0, rule_id
        text, rule = proc.stdout, RULES[rule_id]
        mode = load_preset("default").mode(rule_id).value
        headings = [line for line in text.splitlines() if line and not line.startswith(" ")]
        parameters = f"Parameters (rules.{rule_id}.<name> in a policy file)"
        assert headings == [
            rule_id,
            "What it checks",
            "Why it matters",
            "Example (fails)",
            "Fix",
            *([parameters] if rule.params else []),
            f"Default mode: {mode}",
        ]
        # each declared parameter, with its default, as the policy sets it
        for param in rule.params:
            assert f"{param.name} ({param.type.value}, default {json.dumps(param.default)}" in (
                folded_params := " ".join(text.split(parameters)[1].split())
            ), (rule_id, param.name, folded_params)
        # paragraphs are wrapped for the terminal: compare them with white space folded
        folded = " ".join(text.split())
        assert f"What it checks {rule.summary} Why it matters {rule.why} Example" in folded
        assert f"Fix {rule.remediation} Automatic fix:" in folded
        assert max(len(line) for line in text.splitlines() if not line.startswith("    ")) <= 88
        example = text.split("Example (fails)\n")[1].split("\n\nFix")[0]
        example_text[rule_id] = "\n".join(line[4:] for line in example.splitlines())
        # The example is a manifest that fails this rule (with the settings idle rules need,
        # and the rule on if it is off by default).
        config = ("--config", "tests/data/config/explain-examples.yaml")
        if rule.default_mode is Mode.OFF:
            policy = tmp_path / f"{rule_id}.yaml"
            policy.write_text(
                f"extends: {ROOT / 'tests/data/config/explain-examples.yaml'}\n"
                f"rules:\n  {rule_id}:\n    mode: warn\n"
            )
            config = ("--config", str(policy))
        examples[rule_id] = ("lint", "--format", "json", *config, "--select", rule_id, "-")
    with ThreadPoolExecutor(max_workers=4) as pool:
        linted = dict(
            zip(
                RULES,
                pool.map(lambda r: run_cli(*examples[r], stdin=example_text[r]), RULES),
                strict=True,
            )
        )
    for rule_id, proc in linted.items():
        rules = {f["rule"] for f in json.loads(proc.stdout)["findings"]}
        assert rules == {rule_id}, example_text[rule_id]


def test_explain_unknown_rule_exits_2() -> None:
    proc = run_cli("explain", "memory-limit-mising")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (
        "evictguard: unknown rule 'memory-limit-mising' (see `evictguard rules`)\n"
    )


# --- the installed console script ---------------------------------------------------------


def test_console_script_is_installed_and_behaves_like_python_m_evictguard() -> None:
    exe = shutil.which("evictguard")
    assert exe, "`evictguard` is not on PATH: install the project (pip install -e .)"
    env = plain_env()
    cases: dict[tuple[str, ...], int] = {
        ("lint", "--format", "json", "examples/"): 1,
        ("lint", MIXED, BROKEN): 2,
        ("rules",): 0,
        ("explain", "nope"): 2,
    }

    def both(args: tuple[str, ...]) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
        script = subprocess.run(
            [exe, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60
        )
        module = run_cli(*args, env=env)
        return (
            (script.returncode, script.stdout, script.stderr),
            (module.returncode, module.stdout, module.stderr),
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        for (args, code), (script, module) in zip(
            cases.items(), pool.map(both, cases), strict=True
        ):
            assert script == module, args
            assert script[0] == code, args


def test_console_script_reads_stdin(tmp_path: Path) -> None:
    exe = shutil.which("evictguard")
    assert exe
    proc = subprocess.run(
        [exe, "lint", "-"],
        input=(CLI / "mixed.yaml").read_text(),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=plain_env(),
        timeout=60,
    )
    assert proc.returncode == 1
    assert "<stdin>:14:26: error memory-quantity-invalid" in proc.stdout


# --- options for CI and hooks ---------------------------------------------------------


def test_jobs_give_the_same_report_in_the_same_order() -> None:
    folder = "tests/data/rules"  # well over a hundred files: processes are used
    one = run_cli("lint", "--format", "json", "--jobs", "1", folder, env=plain_env())
    two = run_cli("lint", "--format", "json", "--jobs", "2", folder, env=plain_env())
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout
    assert json.loads(one.stdout)["summary"]["files"] > 100


def test_non_kubernetes_yaml_is_skipped_only_when_asked(tmp_path: Path) -> None:
    workflow = tmp_path / "ci.yaml"
    workflow.write_text("name: ci\non: [push]\njobs: {}\n")
    plain = run_cli("lint", str(workflow), env=plain_env())
    assert plain.returncode == 2 and "not a Kubernetes object" in plain.stdout
    quiet = run_cli("lint", "--skip-non-kubernetes", str(workflow), env=plain_env())
    assert quiet.returncode == 0, quiet.stdout
    assert "0 input error(s)" in quiet.stdout


def test_output_writes_the_report_and_the_terminal_gets_text(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    proc = run_cli(
        "lint", "--format", "json", "--output", str(report), "examples/bad", env=plain_env()
    )
    assert proc.returncode == 1
    assert "error memory-limit-missing" in proc.stdout  # text on the terminal
    assert json.loads(report.read_text())["summary"]["findings"] == 12


def test_github_format_is_the_default_inside_github_actions() -> None:
    proc = run_cli("lint", "examples/bad/typos.yaml", env=plain_env(GITHUB_ACTIONS="true"))
    assert proc.stdout.startswith("::error file=examples/bad/typos.yaml,line=")


def test_a_progress_line_counts_files_done() -> None:
    import io

    from evictguard.lint.files import lint_parallel
    from evictguard.policy.load import load_preset
    from evictguard.yaml.loader import read_sources

    sources = list(read_sources(["examples"]))
    progress = io.StringIO()
    report = lint_parallel(sources, load_preset("default"), jobs=1, progress=progress)
    assert report.files == len(sources)
    assert progress.getvalue().endswith(f"\revictguard: {len(sources)}/{len(sources)} files\n")


def test_explain_says_whether_the_fix_is_safe_and_why() -> None:
    def fix_section(rule_id: str) -> str:
        proc = run_cli("explain", rule_id)
        assert proc.returncode == 0
        return " ".join(proc.stdout.split("\nFix\n")[1].split("\nDefault mode")[0].split())

    unbounded = fix_section("noexecute-unbounded")
    assert "Automatic fix: safe: `evictguard fix` and the evictguard-fix hook apply it" in (
        unbounded
    )
    assert "DefaultTolerationSeconds" in unbounded
    limit = fix_section("memory-limit-missing")
    assert "Automatic fix: unsafe: only `evictguard fix --unsafe-fixes` applies it" in limit
    assert "OOM-killed" in limit and "Guaranteed-like" in limit  # the copy, argued
    assert "Automatic fix: unsafe" in fix_section("memory-request-missing")
    assert "Automatic fix: no" in fix_section("toleration-invalid")
