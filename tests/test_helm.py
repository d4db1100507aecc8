"""Helm through the real CLI: a chart folder or a template file gets one notice per chart
(the command that renders it) instead of one parser error per template, and findings in
`helm template` output name the template they came from (its `# Source:` comments).

Fixtures: tests/data/helm (see its README.md); helm itself is not needed."""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema

from tests.conftest import DATA, run_cli, run_json
from tests.test_formatters import SARIF_VALIDATOR, hermetic_env

HELM = "tests/data/helm"
CHART = f"{HELM}/shop"
RENDERED = f"{HELM}/rendered.yaml"
TEMPLATES = [
    f"{CHART}/templates/deployment.yaml",
    f"{CHART}/templates/service.yaml",
]
REPORT_SCHEMA = json.loads((DATA / "cli" / "report.schema.json").read_text())
RENDER = f"helm template {CHART} | evictguard lint -"


def test_a_chart_folder_is_one_notice_not_a_parser_error_per_template() -> None:
    code, report = run_json(HELM)
    assert report["errors"] == []  # was one "invalid YAML" per template, and values.yaml
    assert [n["file"] for n in report["notices"]] == [CHART]
    assert RENDER in report["notices"][0]["message"]
    files = {f["file"] for f in report["findings"]}
    # crds/ is plain YAML, installed as is: linted; templates/, charts/, values: not read
    assert files == {RENDERED, f"{CHART}/crds/job-crd.yaml"}
    assert code == 1  # the findings decide; the chart does not fail the run
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)


def test_template_files_named_explicitly_get_their_charts_notice_once() -> None:
    proc = run_cli("lint", *TEMPLATES, env=hermetic_env())
    assert "invalid YAML" not in proc.stdout
    notices = [line for line in proc.stdout.splitlines() if ": notice " in line]
    assert notices == [f"{CHART}: notice " + notices[0].split(": notice ", 1)[1]]
    assert RENDER in notices[0]
    # Nothing at all was linted: a CI job pointed only at templates must not pass.
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "nothing was linted" in proc.stderr


def test_the_pre_commit_hooks_mode_passes_templates_with_the_notice() -> None:
    # What the hook runs when templates are not excluded: chart files are not manifests.
    files = [*TEMPLATES, f"{CHART}/Chart.yaml", f"{CHART}/values.yaml"]
    proc = run_cli("lint", "--skip-non-kubernetes", "--jobs", "1", *files, env=hermetic_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "input-error" not in proc.stdout
    assert f"{CHART}: notice" in proc.stdout and RENDER in proc.stdout


def test_a_lone_template_without_its_chart(tmp_path: Path) -> None:
    template = tmp_path / "cronjob.yaml"
    template.write_text(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: backup\n"
        "spec:\n  schedule: {{ $schedule }}\n"
    )
    code, report = run_json(str(template))
    assert report["errors"] == []
    assert [(n["file"], n["line"]) for n in report["notices"]] == [(str(template), 6)]
    assert "helm template" in report["notices"][0]["message"]
    assert code == 2


def test_go_templates_inside_yaml_strings_are_linted_as_yaml(tmp_path: Path) -> None:
    # Alertmanager and Prometheus text in block scalars and quoted strings: real YAML.
    config = tmp_path / "alerting.yaml"
    config.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: alertmanager\ndata:\n"
        "  slack.tmpl: |\n"
        '    {{ define "slack.title" }}{{ range .Alerts }}{{ .Labels.alertname }}{{ end }}\n'
        "    {{ end }}\n"
        "  summary: '{{ $labels.instance }} is down'\n"
    )
    code, report = run_json(str(config))
    assert (code, report["notices"], report["errors"]) == (0, [], [])
    assert report["summary"]["objects"] == 1


def test_helm_actions_in_comments_are_comments(tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        "# rendered from `tolerationSeconds: {{ .Values.seconds }}`\n"
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p  # {{ include "x" . }}\n'
        "spec:\n  containers:\n    - name: a\n      image: x\n"
        "      resources: {limits: {memory: 64Mi}}\n"
    )
    code, report = run_json(str(manifest))
    assert (code, report["notices"], report["errors"]) == (0, [], [])
    assert report["summary"]["objects"] == 1


def test_broken_yaml_with_braces_in_a_string_stays_an_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: '{{ x }}\n  labels: [\n")
    code, report = run_json(str(broken))
    assert code == 2 and report["notices"] == []
    assert report["errors"] and report["errors"][0]["message"].startswith("invalid YAML")


def test_fix_skips_a_chart_with_the_notice(tmp_path: Path) -> None:
    shutil.copytree(DATA / "helm" / "shop", tmp_path / "shop")
    before = (tmp_path / "shop" / "templates" / "deployment.yaml").read_text()
    proc = run_cli("fix", "--unsafe-fixes", "--diff", str(tmp_path / "shop"))
    assert "input-error" not in proc.stderr, proc.stderr
    assert "notice a Helm chart" in proc.stderr
    assert proc.returncode == 1  # the Pod in crds/ is fixable; the templates are untouched
    assert (tmp_path / "shop" / "templates" / "deployment.yaml").read_text() == before


# --- `helm template` output: findings name their template -----------------------------------


def test_rendered_findings_name_their_template_in_text_and_json() -> None:
    rendered = (DATA / "helm" / "rendered.yaml").read_text()
    proc = run_cli("lint", "-", stdin=rendered, env=hermetic_env())
    lines = proc.stdout.splitlines()
    assert any(
        line.startswith("<stdin>:28:23: error memory-quantity-invalid StatefulSet rel-cache")
        and line.endswith("(from shop/charts/cache/templates/statefulset.yaml)")
        for line in lines
    ), lines
    assert any(
        line.startswith("<stdin>:53:11: error memory-limit-missing Deployment rel-shop")
        and line.endswith("(from shop/templates/deployment.yaml)")
        for line in lines
    ), lines
    _, report = run_json(RENDERED)
    templates = {(f["kind"], f["rule"]): f["template"] for f in report["findings"]}
    assert templates == {
        ("StatefulSet", "memory-quantity-invalid"): "shop/charts/cache/templates/statefulset.yaml",
        ("Deployment", "memory-limit-missing"): "shop/templates/deployment.yaml",
    }
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)
    # a plain manifest has no template
    _, plain = run_json(f"{CHART}/crds/job-crd.yaml")
    assert {f["template"] for f in plain["findings"]} == {None}


def test_rendered_findings_name_their_template_in_sarif_junit_and_github() -> None:
    env = hermetic_env()
    sarif = json.loads(run_cli("lint", "--format", "sarif", RENDERED, env=env).stdout)
    SARIF_VALIDATOR.validate(sarif)
    results = sarif["runs"][0]["results"]
    assert [r["properties"].get("template") for r in results] == [
        "shop/charts/cache/templates/statefulset.yaml",
        "shop/templates/deployment.yaml",
    ]
    junit = ET.fromstring(run_cli("lint", "--format", "junit", RENDERED, env=env).stdout)
    failures = [f.get("message", "") for f in junit.iter("failure")]
    assert any(m.endswith("(from shop/templates/deployment.yaml)") for m in failures), failures
    github = run_cli("lint", "--format", "github", RENDERED, env=env).stdout
    assert "(from shop/charts/cache/templates/statefulset.yaml)" in github


def test_a_source_comment_names_only_its_own_document(tmp_path: Path) -> None:
    # The Pod's document has no `# Source:`: the comment of the document before is not its.
    stream = tmp_path / "stream.yaml"
    stream.write_text(
        "---\n# Source: shop/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\n"
        "metadata:\n  name: c\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
        "spec:\n  containers:\n    - name: a\n      image: x\n"
    )
    _, report = run_json(str(stream))
    assert report["findings"] and {f["template"] for f in report["findings"]} == {None}


# --- notices in every format ----------------------------------------------------------------


def test_the_chart_notice_in_sarif_junit_and_github() -> None:
    env = hermetic_env()
    sarif = json.loads(run_cli("lint", "--format", "sarif", HELM, env=env).stdout)
    SARIF_VALIDATOR.validate(sarif)
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "note" and note["descriptor"]["id"] == "not-linted"
    assert note["message"]["text"].startswith(f"{CHART}: a Helm chart")

    junit = ET.fromstring(run_cli("lint", "--format", "junit", HELM, env=env).stdout)
    skipped = [c for c in junit.iter("testcase") if c.find("skipped") is not None]
    assert [c.get("classname") for c in skipped] == [CHART]
    assert junit.find("testsuite").get("skipped") == "1"  # type: ignore[union-attr]

    github = run_cli("lint", "--format", "github", HELM, env=env).stdout.splitlines()
    assert f"::notice title=not-linted::{CHART}: a Helm chart" in "\n".join(github)
    assert not os.path.isfile(CHART)
