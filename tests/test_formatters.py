"""`--format sarif|junit|github`: golden output over a fixed input, SARIF validated against
the official OASIS schema, JUnit parsed as the CI servers parse it, GitHub's escaping.

Golden files: `tests/data/formats/expected.<format>`, the output of
`python -m evictguard lint --format <format> tests/data/formats/input/` run from the repository
root. After an intended change to a formatter, a rule's text or the input, rewrite them with

    EVICTGUARD_UPDATE_GOLDEN=1 python -m pytest tests/test_formatters.py

and review the diff. In the SARIF golden file the current folder's URI and the tool's version
stand as the placeholders below, so the files do not depend on the checkout or the release.
"""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from evictguard.engine.registry import RULES
from evictguard.formatters import FORMATS, github, junit, sarif
from evictguard.model import ErrorCode, Finding, InputError, Mode, ObjectRef, Report, Severity
from evictguard.policy.load import load_preset
from referencing import Registry, Resource

from tests.conftest import DATA, ROOT, run_cli

FORMATS_DATA = DATA / "formats"
INPUT = "tests/data/formats/input/"  # relative to ROOT, as the golden files name it
UPDATE = os.environ.get("EVICTGUARD_UPDATE_GOLDEN") == "1"
GOLDEN_FORMATS = ("sarif", "junit", "github")
SRCROOT_PLACEHOLDER = "file:///SRCROOT/"
VERSION_PLACEHOLDER = "VERSION"

SARIF_SCHEMA = json.loads((FORMATS_DATA / "sarif-schema-2.1.0.json").read_text())
# Offline: the schema under its own $id; any other reference would fail, not be fetched.
SARIF_REGISTRY = Registry().with_resource(SARIF_SCHEMA["$id"], Resource.from_contents(SARIF_SCHEMA))
# This draft-07 edition keeps the log's own constraints in definitions/Root (its top level
# holds only definitions, so validating against it would accept anything): validate there.
SARIF_VALIDATOR = jsonschema.Draft7Validator(
    {"$ref": SARIF_SCHEMA["$id"] + "#/definitions/Root"},
    registry=SARIF_REGISTRY,
    format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
)


def hermetic_env(**extra: str) -> dict[str, str]:
    """No colour switches and not inside GitHub Actions (which would default to `github`)."""
    drop = ("NO_COLOR", "FORCE_COLOR", "GITHUB_ACTIONS", "EVICTGUARD_UPDATE_GOLDEN")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return {**env, **extra}


def lint(fmt: str, *paths: str, **kwargs: Any) -> tuple[int, str]:
    kwargs.setdefault("env", hermetic_env())
    proc = run_cli("lint", "--format", fmt, *(paths or (INPUT,)), **kwargs)
    assert proc.stderr == "", proc.stderr
    return proc.returncode, proc.stdout


def tool_version() -> str:
    try:
        return metadata.version("evictguard")
    except metadata.PackageNotFoundError:
        from evictguard import __version__

        return __version__


def normalise(fmt: str, output: str, cwd: Path = ROOT) -> str:
    """The SARIF output with the checkout's URI and the release replaced by placeholders."""
    if fmt != "sarif":
        return output
    root_uri = cwd.as_uri().rstrip("/") + "/"
    version = f'"version": {json.dumps(tool_version())}'
    assert output.count(version) == 1
    output = output.replace(version, f'"version": "{VERSION_PLACEHOLDER}"')
    return output.replace(json.dumps(root_uri), json.dumps(SRCROOT_PLACEHOLDER))


@pytest.fixture(scope="module")
def outputs() -> dict[str, tuple[int, str]]:
    return {fmt: lint(fmt) for fmt in GOLDEN_FORMATS}


@pytest.fixture(scope="module")
def sarif_log(outputs: dict[str, tuple[int, str]]) -> dict[str, Any]:
    return json.loads(outputs["sarif"][1])


@pytest.fixture(scope="module")
def junit_root(outputs: dict[str, tuple[int, str]]) -> ET.Element:
    return ET.fromstring(outputs["junit"][1].encode("utf-8"))


def manifest_docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def find_doc(path: Path, kind: str, name: str) -> dict[str, Any]:
    (doc,) = [d for d in manifest_docs(path) if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def deepest(node: Any, pointer: str) -> Any:
    """The node `pointer` names, or its deepest ancestor that exists (a missing field's
    finding stands where the field belongs)."""
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            break
    return node


def subject_text(node: Any) -> str:
    """What a finding's region must start with: a scalar's value, a mapping's first key."""
    if isinstance(node, dict):
        return f"{next(iter(node))}:"
    return str(node)


# --- registration --------------------------------------------------------------------------


def test_formats_are_registered_and_selectable() -> None:
    assert {"sarif", "junit", "github"} <= set(FORMATS)
    proc = run_cli("lint", "--help", env=hermetic_env())
    for fmt in GOLDEN_FORMATS:
        assert fmt in proc.stdout


# --- golden files --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", GOLDEN_FORMATS)
def test_golden(fmt: str, outputs: dict[str, tuple[int, str]]) -> None:
    code, output = outputs[fmt]
    assert code == 2  # the input holds an input error, which wins over findings
    golden = FORMATS_DATA / f"expected.{fmt}"
    actual = normalise(fmt, output)
    if UPDATE:
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"no {golden}: run with EVICTGUARD_UPDATE_GOLDEN=1"
    assert actual == golden.read_text(encoding="utf-8"), (
        f"{fmt} output differs from {golden.relative_to(ROOT)}; if intended, rerun with "
        "EVICTGUARD_UPDATE_GOLDEN=1 and review the diff"
    )


def test_output_is_deterministic(outputs: dict[str, tuple[int, str]]) -> None:
    for fmt in GOLDEN_FORMATS:
        assert lint(fmt, "--jobs", "1", INPUT) == outputs[fmt]


# --- SARIF ---------------------------------------------------------------------------------


def test_sarif_matches_the_official_schema(sarif_log: dict[str, Any]) -> None:
    errors = sorted(SARIF_VALIDATOR.iter_errors(sarif_log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_the_schema_check_catches_a_bad_log(sarif_log: dict[str, Any]) -> None:
    bad = json.loads(json.dumps(sarif_log))
    bad["runs"][0]["results"][0]["level"] = "fatal"
    del bad["runs"][0]["tool"]["driver"]["name"]
    bad["runs"][0]["invocations"][0]["surprise"] = True
    bad["version"] = "2.0.0"
    assert len(list(SARIF_VALIDATOR.iter_errors(bad))) == 4


def test_sarif_header_and_driver(sarif_log: dict[str, Any]) -> None:
    assert sarif_log["version"] == "2.1.0"
    assert sarif_log["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = sarif_log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "evictguard"
    assert driver["informationUri"] == "https://github.com/evictguard/evictguard"
    assert driver["version"] == tool_version()
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": ROOT.as_uri() + "/"}}


def test_sarif_rules_describe_every_registered_rule(sarif_log: dict[str, Any]) -> None:
    default = load_preset("default")
    levels = {Mode.ENFORCE: "error", Mode.WARN: "warning", Mode.AUDIT: "note", Mode.OFF: "none"}
    descriptors = sarif_log["runs"][0]["tool"]["driver"]["rules"]
    assert [d["id"] for d in descriptors] == list(RULES)
    for descriptor in descriptors:
        rule = RULES[descriptor["id"]]
        assert descriptor["name"] == "".join(w.capitalize() for w in rule.id.split("-"))
        assert descriptor["shortDescription"] == {"text": rule.summary}
        assert descriptor["fullDescription"] == {"text": rule.why}
        assert descriptor["defaultConfiguration"] == {"level": levels[default.mode(rule.id)]}
        for field in ("text", "markdown"):
            help_text = descriptor["help"][field]
            assert rule.summary in help_text and rule.why in help_text
            assert rule.remediation in help_text
            assert rule.example.strip().splitlines()[-1].strip() in help_text
        assert "```yaml\n" in descriptor["help"]["markdown"]
        assert "kubernetes" in descriptor["properties"]["tags"]
        assert ("fixable" in descriptor["properties"]["tags"]) == rule.fixable
        safety = {"noexecute-unbounded": "safe", "memory-limit-missing": "unsafe"}
        safety["memory-request-missing"] = "unsafe"  # the policy's default size: a guess
        assert descriptor["properties"]["fixApplicability"] == safety.get(rule.id, "none")
    assert sarif.camel_case("noexecute-seconds-too-low") == "NoexecuteSecondsTooLow"


def test_sarif_results_follow_the_findings(sarif_log: dict[str, Any]) -> None:
    _, report = lint("json")
    findings = json.loads(report)["findings"]
    run = sarif_log["runs"][0]
    results = run["results"]
    assert [(r["ruleId"], r["message"]["text"]) for r in results] == [
        (f["rule"], f["message"]) for f in findings
    ]
    levels = {"error": "error", "warning": "warning", "info": "note"}
    for result, finding in zip(results, findings, strict=True):
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == levels[finding["severity"]]
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact == {"uri": finding["file"], "uriBaseId": "%SRCROOT%"}
        assert not artifact["uri"].startswith(("/", "file:"))
        assert location["physicalLocation"]["region"] == {
            "startLine": finding["line"],
            "startColumn": finding["column"],
        }
        (logical,) = location["logicalLocations"]
        assert logical["name"] == finding["name"]
        assert logical["fullyQualifiedName"].startswith(finding["kind"] + "/")
        assert result["properties"] == {
            key: finding[key]
            for key in ("kind", "namespace", "name", "pointer", "container", "fixApplicability")
        }
    fingerprints = [r["partialFingerprints"]["evictguard/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)
    assert {r["level"] for r in results} == {"error", "warning"}


def test_sarif_regions_land_on_the_subject(sarif_log: dict[str, Any]) -> None:
    """Each result's region is the line and column of what the finding is about: the value
    it names, or, for a missing field, the mapping it belongs in (its first key there)."""
    results = sarif_log["runs"][0]["results"]
    assert results
    for result in results:
        physical = result["locations"][0]["physicalLocation"]
        path = ROOT / physical["artifactLocation"]["uri"]
        line = path.read_text().splitlines()[physical["region"]["startLine"] - 1]
        props = result["properties"]
        doc = find_doc(path, props["kind"], props["name"])
        expected = subject_text(deepest(doc, props["pointer"]))
        at = line[physical["region"]["startColumn"] - 1 :]
        assert at.startswith(expected), (result["ruleId"], line, expected)
        if props["container"] and "/resources/" in props["pointer"] and expected == "name:":
            assert at == f"name: {props['container']}"


def test_sarif_input_errors_are_notifications(sarif_log: dict[str, Any]) -> None:
    (invocation,) = sarif_log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["message"]["text"].startswith("invalid YAML")
    physical = notification["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {
        "uri": INPUT + "broken.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert physical["region"] == {"startLine": 4, "startColumn": 15}


def test_sarif_without_input_errors_is_successful() -> None:
    code, output = lint("sarif", INPUT + "good.yaml")
    assert code == 0
    log = json.loads(output)
    assert not list(SARIF_VALIDATOR.iter_errors(log))
    assert log["runs"][0]["invocations"] == [{"executionSuccessful": True}]
    assert log["runs"][0]["results"] == []


def test_sarif_from_stdin_has_a_logical_location_only() -> None:
    text = (ROOT / INPUT / "apps.yaml").read_text() + "---\nkind: [\n"
    code, output = lint("sarif", "-", stdin=text)
    assert code == 2
    log = json.loads(output)
    assert not list(SARIF_VALIDATOR.iter_errors(log))
    results = log["runs"][0]["results"]
    assert results
    for result in results:
        (location,) = result["locations"]
        assert "physicalLocation" not in location
        (logical,) = location["logicalLocations"]
        assert logical["kind"] == "resource"
        assert logical["fullyQualifiedName"] in ("Deployment/shop/web", "Pod/cache")
    (notification,) = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert "locations" not in notification


def test_sarif_paths_relative_to_the_current_folder(tmp_path: Path) -> None:
    """Run from another folder with an absolute path: still relative to %SRCROOT%, with POSIX
    separators and URI escapes; fingerprints survive lines moving."""
    folder = tmp_path / "my manifests"
    folder.mkdir()
    target = folder / "apps.yaml"
    shutil.copy(ROOT / INPUT / "apps.yaml", target)
    code, output = lint("sarif", str(target), cwd=tmp_path)
    assert code == 1
    log = json.loads(output)
    run = log["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert uris == {"my%20manifests/apps.yaml"}
    before = {r["partialFingerprints"]["evictguard/v1"] for r in run["results"]}
    lines = {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in run["results"]}

    target.write_text("# moved\n# down\n" + target.read_text())
    code, output = lint("sarif", str(target), cwd=tmp_path)
    assert code == 1
    run = json.loads(output)["runs"][0]
    after = {r["partialFingerprints"]["evictguard/v1"] for r in run["results"]}
    moved = {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in run["results"]}
    assert after == before
    assert moved == {line + 2 for line in lines}


def test_sarif_file_outside_the_current_folder(tmp_path: Path, monkeypatch: Any) -> None:
    inside, outside = tmp_path / "repo", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    monkeypatch.chdir(inside)
    assert sarif.artifact_location(str(inside / "a" / "b.yaml")) == {
        "uri": "a/b.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert sarif.artifact_location("a:b/c,d.yaml") == {
        "uri": "a%3Ab/c%2Cd.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    far = outside / "x.yaml"
    assert sarif.artifact_location(str(far)) == {"uri": far.as_uri()}
    assert sarif.artifact_location("../elsewhere/x.yaml") == {"uri": far.as_uri()}
    assert sarif.srcroot_uri() == inside.as_uri() + "/"


# --- JUnit ---------------------------------------------------------------------------------


def test_junit_declaration_and_counts(
    outputs: dict[str, tuple[int, str]], junit_root: ET.Element
) -> None:
    assert outputs["junit"][1].startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    assert junit_root.tag == "testsuites"
    (suite,) = junit_root.findall("testsuite")
    assert suite.get("name") == "evictguard"
    cases = suite.findall("testcase")
    failures = [c for c in cases if c.find("failure") is not None]
    errors = [c for c in cases if c.find("error") is not None]
    for element in (junit_root, suite):
        assert element.get("tests") == str(len(cases))
        assert element.get("failures") == str(len(failures))
        assert element.get("errors") == str(len(errors)) == "1"
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties == {"files": "3", "documents": "4", "objects": "4"}


def test_junit_one_testcase_per_object_and_rule(junit_root: ET.Element) -> None:
    cases = [c for c in junit_root.iter("testcase") if c.get("name") != "input-error"]
    by_key = {(c.get("classname"), c.get("name")): c for c in cases}
    # 5: the wildcard toleration gets one eviction finding (noexecute-unbounded), not two,
    # and the containers with neither memory value one finding each (memory-limit-missing)
    assert len(by_key) == len(cases) == 5
    limits = by_key[("Deployment/shop/web", "memory-limit-missing")]
    assert limits.get("file") == INPUT + "apps.yaml"
    assert limits.get("line") == "16"
    failure = limits.find("failure")
    assert failure is not None
    assert failure.get("type") == "memory-limit-missing"
    body = (failure.text or "").splitlines()
    assert [line.split(" ", 1)[0] for line in body] == [
        INPUT + "apps.yaml:16:11",
        INPUT + "apps.yaml:18:11",
    ]
    assert 'container "app"' in body[0] and 'container "proxy"' in body[1]
    assert ("Pod/cache", "memory-quantity-invalid") in by_key  # no namespace: Kind/name
    invalid = by_key[("Pod/cache", "toleration-invalid")].find("failure")
    assert invalid is not None and '"a<b&c"' in invalid.get("message", "")


def test_junit_input_error_testcase(junit_root: ET.Element) -> None:
    (case,) = [c for c in junit_root.iter("testcase") if c.get("name") == "input-error"]
    assert case.get("file") == INPUT + "broken.yaml"
    assert case.get("line") == "4"
    error = case.find("error")
    assert error is not None
    assert error.get("type") == "input-error"
    assert error.get("message", "").startswith("invalid YAML")
    assert (error.text or "").startswith(INPUT + "broken.yaml:4:15 invalid YAML")


def test_junit_without_findings_has_one_passing_testcase() -> None:
    code, output = lint("junit", INPUT + "good.yaml")
    assert code == 0
    root = ET.fromstring(output.encode())
    (case,) = root.iter("testcase")
    assert (case.get("classname"), case.get("name")) == ("evictguard", "all objects")
    assert case.find("failure") is None and case.find("error") is None
    assert "1 object(s)" in (case.findtext("system-out") or "")
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "0")


POD = ObjectRef("v1", "Pod", "ns", "p")


def finding(rule: str, severity: Severity, message: str = "m", line: int = 3) -> Finding:
    return Finding(rule, severity, POD, "/spec", message, file="f.yaml", line=line, column=5)


def test_junit_info_findings_pass_with_output() -> None:
    report = Report(
        findings=[
            finding("memory-limit-ratio", Severity.INFO, "audit only"),
            finding("memory-limit-missing", Severity.WARNING, "warned"),
        ],
        files=1,
        documents=1,
        objects=1,
    )
    root = ET.fromstring(junit.render(report).encode())
    info, warned = root.iter("testcase")
    assert info.find("failure") is None
    assert info.findtext("system-out") == "info: f.yaml:3:5 audit only"
    assert warned.find("failure") is not None
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "1", "0")


def test_junit_escapes_and_drops_what_xml_cannot_hold() -> None:
    message = 'a <b> & "c"\nnext\x01line \ud800'
    report = Report(
        findings=[finding("memory-limit-missing", Severity.ERROR, message)],
        errors=[InputError("we&ird <file>.yaml", None, "bad\x1bbyte", code=ErrorCode.ENCODING)],
    )
    output = junit.render(report)
    root = ET.fromstring(output.encode("utf-8"))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == 'a <b> & "c"\nnext\\x01line \\ud800'
    error_case = root.findall("testsuite/testcase")[-1]
    assert error_case.get("file") == "we&ird <file>.yaml"
    assert error_case.get("line") is None
    assert error_case.findtext("error") == "we&ird <file>.yaml bad\\x1bbyte"


# --- GitHub --------------------------------------------------------------------------------


def test_github_escaping() -> None:
    assert github.escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert github.escape_property("dir:x/a,b%.yaml\n") == "dir%3Ax/a%2Cb%25.yaml%0A"
    assert github.escape_data("%0A") == "%250A"  # no double unescape on the runner


def test_github_command_for_an_awkward_finding() -> None:
    odd = Finding(
        "memory-limit-missing",
        Severity.ERROR,
        POD,
        "/spec",
        "50% of\nmemory: a, b",
        file="x:y,z.yaml",
        line=7,
        column=2,
    )
    assert github.finding_command(odd) == (
        "::error file=x%3Ay%2Cz.yaml,line=7,col=2,title=memory-limit-missing"
        "::50%25 of%0Amemory: a, b"
    )


def test_github_severities_errors_and_summary() -> None:
    report = Report(
        findings=[
            finding("memory-limit-missing", Severity.ERROR),
            finding("memory-request-missing", Severity.WARNING),
            finding("memory-limit-ratio", Severity.INFO),
            Finding("toleration-wildcard", Severity.WARNING, POD, "/spec", "w", file="<stdin>"),
        ],
        errors=[
            InputError("b.yaml", 4, "invalid YAML", column=2, code=ErrorCode.INVALID_YAML),
            InputError("gone", None, "nope", code=ErrorCode.NOT_FOUND),
        ],
        files=2,
        objects=1,
    )
    lines = github.render(report).splitlines()
    assert lines == [
        "::error file=b.yaml,line=4,col=2,title=input-error::invalid YAML",
        "::error file=gone,title=input-error::nope",
        "::error file=f.yaml,line=3,col=5,title=memory-limit-missing::m",
        "::warning file=f.yaml,line=3,col=5,title=memory-request-missing::m",
        "::notice file=f.yaml,line=3,col=5,title=memory-limit-ratio::m",
        "::warning title=toleration-wildcard::w",
        "2 file(s), 1 object(s): 1 error(s), 2 warning(s), 1 info, 2 input error(s)",
    ]


def test_github_golden_lines_are_workflow_commands(outputs: dict[str, tuple[int, str]]) -> None:
    *commands, summary = outputs["github"][1].splitlines()
    assert all(line.startswith(("::error file=", "::warning file=")) for line in commands)
    assert summary.startswith("3 file(s), 4 object(s):")


def test_github_is_the_default_inside_github_actions() -> None:
    proc = run_cli("lint", INPUT + "apps.yaml", env=hermetic_env(GITHUB_ACTIONS="true"))
    assert proc.stdout.startswith("::error file=")
