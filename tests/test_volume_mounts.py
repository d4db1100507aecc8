"""volume-mount-hides-image-files through every door (lint, --as-admitted, SARIF and GitHub
output, the validating and mutating webhook), the path cleaning it ports from Go, and what
its findings say. Its cases, line and column, are the data files in
tests/data/rules/volume-mount-hides-image-files/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from evictguard import pointer as jp
from evictguard.engine.check import check_object
from evictguard.k8s.mounts import clean, container_path, named_files
from evictguard.k8s.podspec import extract_pod_specs
from evictguard.policy.load import load_preset
from evictguard.webhook import review
from evictguard.yaml.loader import load_text

from tests.conftest import DATA, run_cli
from tests.test_rules_data import expected_markers, policy_for
from tests.webhook_client import admission_review

RULE = "volume-mount-hides-image-files"
FAIL = DATA / "rules" / RULE / "fail"
POLICY = load_preset("default")


# Go's path.Clean on these inputs (src/path/path_test.go cleantests), and `container_path`,
# the kubelet's MakeAbsolutePath (Clean("/" + path)) that the runtime's own cleaning keeps.
@pytest.mark.parametrize(
    ("path", "cleaned"),
    [
        ("", "."),
        ("abc", "abc"),
        ("abc/def", "abc/def"),
        ("/", "/"),
        ("abc/", "abc"),
        ("/abc/def/", "/abc/def"),
        ("//abc", "/abc"),
        ("abc//def//ghi", "abc/def/ghi"),
        ("abc/./def", "abc/def"),
        ("/./abc/def", "/abc/def"),
        ("abc/.", "abc"),
        ("..", ".."),
        ("../..", "../.."),
        ("../../abc", "../../abc"),
        ("/..", "/"),
        ("/../abc", "/abc"),
        ("abc/def/..", "abc"),
        ("abc/../../def", "../def"),
        ("abc/./../def", "def"),
        ("abc//./../def", "def"),
        ("abc/../../././../def", "../../def"),
    ],
)
def test_clean_is_go_path_clean(path: str, cleaned: str) -> None:
    assert clean(path) == cleaned


@pytest.mark.parametrize(
    ("mount_path", "seen"),
    [
        ("/etc/nginx", "/etc/nginx"),
        ("/etc/nginx/", "/etc/nginx"),
        ("etc/nginx", "/etc/nginx"),  # relative: made absolute by the kubelet
        ("//etc//nginx/.", "/etc/nginx"),
        ("/etc/nginx/conf.d/..", "/etc/nginx"),
        ("../etc", "/etc"),  # nothing above the root
        ("/", "/"),
        (".", "/"),
    ],
)
def test_a_mount_lands_where_the_kubelet_puts_it(mount_path: str, seen: str) -> None:
    assert container_path(mount_path) == seen


@pytest.mark.parametrize("path", sorted(FAIL.glob("*.yaml")), ids=lambda p: p.name)
def test_findings_name_the_container_mount_and_volume(path: Path, tmp_path: Path) -> None:
    """Each finding is at a volumeMount's mountPath in one of the pod's containers, and says
    which container, the mountPath as written, the volume and what it hides; only an
    ephemeral container's advice leaves subPath out (the API forbids it there)."""
    policy = policy_for(RULE, tmp_path)
    checked = 0
    for item in load_text(path.read_text("utf-8"), str(path)).objects:
        pods, _ = extract_pod_specs(item.obj)
        views = [c for pod in pods for c in (*pod.containers, *pod.ephemeral)]
        for finding in check_object(item.obj, policy).findings:
            if finding.rule != RULE:
                continue
            checked += 1
            [container] = [c for c in views if finding.pointer.startswith(c.pointer + "/")]
            tokens = jp.split(finding.pointer)[len(jp.split(container.pointer)) :]
            assert tokens[0] == "volumeMounts" and tokens[2] == "mountPath"
            mount = container.data["volumeMounts"][int(tokens[1])]
            assert finding.container == container.name
            message = finding.message
            assert message.startswith(f"{finding.ref.describe()}: {container.describe()} mounts ")
            assert f'volume "{mount["name"]}"' in message
            assert f" at {mount['mountPath']}, hiding the image's " in message
            assert f"{container_path(mount['mountPath'])}: " in message
            ephemeral = container.field == "ephemeralContainers"
            assert ("subPath: " in message) is not ephemeral
    assert checked == sum(expected_markers(path).values())


def test_lint_and_as_admitted_report_the_same_mounts() -> None:
    """The command line finds each marked mount, at its line and column, with or without
    --as-admitted (admission defaulting adds nothing a mount depends on)."""
    path = FAIL / "deployment.yaml"
    policy = DATA / "rules" / RULE / "policy.yaml"
    expected = {(line, column) for _, line, column in expected_markers(path)}
    for extra in ((), ("--as-admitted",)):
        proc = run_cli("lint", "--format", "json", "--config", str(policy), *extra, str(path))
        assert proc.returncode == 1, proc.stderr
        found = [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == RULE]
        assert {(f["line"], f["column"]) for f in found} == expected, extra
        assert all(f["severity"] == "warning" and f["fix"] is None for f in found)


@pytest.mark.parametrize("fmt", ["sarif", "github"])
def test_sarif_and_github_output_carry_the_finding(fmt: str, tmp_path: Path) -> None:
    """The rule's example, linted with the default policy: a warning at the mountPath."""
    from evictguard.engine.registry import RULES

    manifest = tmp_path / "web.yaml"
    manifest.write_text(RULES[RULE].example)
    line = 1 + RULES[RULE].example.splitlines().index(
        "              mountPath: /etc/nginx   # hides mime.types and conf.d: use subPath"
    )
    proc = run_cli("lint", "--format", fmt, str(manifest), env={"GITHUB_ACTIONS": ""})
    assert proc.stderr == ""  # (the example has no memory limit either: that one fails)
    if fmt == "sarif":
        results = json.loads(proc.stdout)["runs"][0]["results"]
        [result] = [r for r in results if r["ruleId"] == RULE]
        assert (result["ruleId"], result["level"]) == (RULE, "warning")
        region = result["locations"][0]["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"]) == (line, 26)
    else:
        [annotation] = [a for a in proc.stdout.splitlines() if RULE in a]
        assert annotation.startswith(f"::warning file={manifest},line={line},col=26,")


def _nginx_pod(**mount: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web"},
        "spec": {
            "containers": [
                {
                    "name": "nginx",
                    "image": "nginx:1.27",
                    "resources": {"limits": {"memory": "256Mi"}},
                    "volumeMounts": [{"name": "conf", **mount}],
                }
            ],
            "volumes": [{"name": "conf", "configMap": {"name": "nginx-conf"}}],
        },
    }


def _ask(obj: dict[str, Any], endpoint: str) -> dict[str, Any]:
    body = orjson.dumps(admission_review(obj, namespace="shop"))
    return review.review(body, endpoint, POLICY).body["response"]


def test_the_webhook_warns_and_does_not_patch() -> None:
    """Validating: allowed with the finding as an admission warning (default mode warn);
    mutating: no patch (the rule has no fix); a subPath mount gets neither."""
    hidden = _ask(_nginx_pod(mountPath="/etc/nginx/"), "validate")
    assert hidden["allowed"] is True
    [warning] = [w for w in hidden.get("warnings", []) if RULE in w]
    assert "/etc/nginx" in warning and 'container "nginx"' in warning
    mutated = _ask(_nginx_pod(mountPath="/etc/nginx/"), "mutate")
    assert mutated["allowed"] is True and "patch" not in mutated
    single = _nginx_pod(mountPath="/etc/nginx/nginx.conf", subPath="nginx.conf")
    assert not [w for w in _ask(single, "validate").get("warnings", []) if RULE in w]


def test_the_policy_paths_are_refused_unless_absolute_and_clean(tmp_path: Path) -> None:
    from evictguard.policy.load import ConfigError, load_policy_file

    path = tmp_path / "policy.yaml"
    path.write_text(f"rules:\n  {RULE}:\n    paths: [/srv/app, /srv/app/, srv]\n")
    with pytest.raises(ConfigError) as caught:
        load_policy_file(str(path))
    assert [p.removeprefix(f"{path}: ") for p in caught.value.problems] == [
        f"rules.{RULE}.paths.1: '/srv/app/' is not an absolute, clean path ('/srv/app')",
        f"rules.{RULE}.paths.2: 'srv' is not an absolute, clean path ('/srv')",
    ]


# --- CA paths: advice that works at run time, and whole bundles mounted on purpose ---------


def _ca_pod(mount_path: str, volume: dict[str, Any], ephemeral: bool = False) -> dict[str, Any]:
    obj = _nginx_pod(mountPath=mount_path)
    obj["spec"]["volumes"] = [{"name": "conf", **volume}]
    if ephemeral:
        debugger = {
            "name": "debug",
            "image": "busybox:1.36",
            "volumeMounts": [{"name": "conf", "mountPath": mount_path}],
        }
        obj["spec"]["ephemeralContainers"] = [debugger]
    return obj


def _findings(obj: dict[str, Any]) -> list[str]:
    return [f.message for f in check_object(obj, POLICY).findings if f.rule == RULE]


@pytest.mark.parametrize(
    ("path", "bundle"),
    [
        ("/etc/ssl/certs", "ca-certificates.crt"),
        ("/etc/ssl", "certs/ca-certificates.crt"),
        ("/etc/pki/tls/certs", "ca-bundle.crt"),
        ("/etc/pki", "tls/certs/ca-bundle.crt"),
    ],
)
def test_a_ca_path_gets_advice_that_works_at_run_time(path: str, bundle: str) -> None:
    """update-ca-certificates and update-ca-trust read the source directories only when the
    image is built: a volume there adds no CA. The advice is a subPath over the bundle
    file, or SSL_CERT_FILE / SSL_CERT_DIR; an ephemeral container gets the variables only."""
    single = {"secret": {"secretName": "corp-ca", "items": [{"key": "ca.crt", "path": "a.crt"}]}}
    [message, ephemeral] = _findings(_ca_pod(path, single, ephemeral=True))
    assert f"subPath (mountPath: {path}/{bundle}, subPath: {bundle.split('/')[-1]})" in message
    assert "SSL_CERT_FILE" in message and "SSL_CERT_DIR" in message
    assert "mount the volume at" not in message and "read only when the image is built" in message
    assert "subPath: " not in ephemeral and "SSL_CERT_FILE" in ephemeral
    whole = {"configMap": {"name": "bundle", "items": [{"key": "b.pem", "path": bundle}]}}
    assert _findings(_ca_pod(path, whole)) == []


def test_named_files_are_those_the_manifest_names() -> None:
    assert named_files({"configMap": {"name": "x"}}) == set()  # the keys are elsewhere
    assert named_files(
        {"secret": {"secretName": "s", "items": [{"key": "k", "path": "./a//b.crt"}, {"key": 1}]}}
    ) == {"a/b.crt"}
    projected = {
        "projected": {
            "sources": [
                {"configMap": {"name": "c", "items": [{"key": "k", "path": "c.pem"}]}},
                {"clusterTrustBundle": {"signerName": "x/y", "path": "ca-certificates.crt"}},
                {"serviceAccountToken": {"path": "token"}},
                {"downwardAPI": {"items": [{"path": "labels"}]}},
                "junk",
            ]
        }
    }
    assert named_files(projected) == {"c.pem", "ca-certificates.crt", "token", "labels"}
