"""What a new user meets first, through the real CLI: `--version`, the README's webhook
quick start pasted as it stands, a JSON file cut short, and findings listed in the same
order by every output format."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from evictguard.formatters.sarif import tool_version

from tests.conftest import ROOT, run_cli, run_json
from tests.test_formatters import hermetic_env

# --- --version ------------------------------------------------------------------------------


def test_version() -> None:
    proc = run_cli("--version")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"evictguard {tool_version()}\n", "")
    assert re.fullmatch(r"evictguard \d+\.\d+\.\d+\S*\n", proc.stdout)


# --- the README's quick start ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def readme_quick_start() -> str:
    """The README's `serve` + `curl` block, as a user would paste it."""
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.DOTALL)
    [block] = [b for b in blocks if "evictguard serve" in b and "curl" in b]
    return block


def test_the_readme_quick_start_pasted_at_once_gets_the_denial(tmp_path: Path) -> None:
    # Both lines at once, in a fresh folder (no certificate yet): curl must wait for serve.
    script = readme_quick_start()
    assert "8443" in script
    script = script.replace("8443", str(_free_port()))  # loopback, a port nobody uses
    shutil.copytree(ROOT / "examples" / "admission", tmp_path / "examples" / "admission")
    env = hermetic_env(PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    out = tmp_path / "out.txt"
    with out.open("wb") as stdout:
        proc = subprocess.Popen(
            ["bash", "-c", script],
            cwd=tmp_path,
            env=env,
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # the server in the same group: stopped with it below
        )
        try:
            proc.wait(timeout=60)  # the script ends when curl does
        finally:
            os.killpg(proc.pid, signal.SIGTERM)  # the server it started, and its workers
    line = out.read_text()
    response = json.loads(line)
    assert response["kind"] == "AdmissionReview"
    assert response["response"]["allowed"] is False
    assert "memory-limit-missing" in response["response"]["status"]["message"]


# --- truncated JSON -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{"apiVersion": "v1", "kind": "Pod", "metadata": {', 1, 50),
        ('{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {\n    "name": "x"\n', 5, 16),
        ('{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {\n  "name": "x",\n\n', 5, 15),
        ('[\n  {"apiVersion": "v1",\n', 2, 23),
        ('{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {\n    "name": "x', 5, 15),
    ],
    ids=["one-line", "after-a-value", "after-a-comma-and-blank-lines", "list", "in-a-string"],
)
def test_a_json_file_cut_short_is_reported_at_its_last_line(
    tmp_path: Path, text: str, line: int, column: int
) -> None:
    path = tmp_path / "pod.json"
    path.write_text(text)
    code, report = run_json(str(path))
    assert code == 2
    [error] = report["errors"]
    assert error["line"] == line  # inside the file (was past its end), where it was cut
    assert "the document ends before it is complete" in error["message"]
    proc = run_cli("lint", str(path), env=hermetic_env())
    assert proc.stdout.startswith(f"{path}:{line}:{column}: input-error invalid YAML: ")
    started = re.search(r"started at line (\d+)", error["message"])
    assert started is None or 1 <= int(started[1]) <= line


# --- one order in every format --------------------------------------------------------------

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  containers:
    - name: app
      image: nginx
      resources:
        requests: {{memory: 1Gi}}
        limits: {{memory: 512Mi}}
    - name: side
      image: nginx
"""


def _unescape(value: str) -> str:
    return value.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def test_every_format_lists_findings_in_one_order(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text(POD.format(name="b1") + "---\n" + POD.format(name="b2"))
    (tmp_path / "a.yaml").write_text(POD.format(name="a1"))
    args = [str(tmp_path / "b.yaml"), "-", str(tmp_path / "a.yaml")]  # not in sorted order
    stdin = POD.format(name="s1")
    env = hermetic_env()
    _, report = run_json(*args, stdin=stdin, env=env)
    findings = report["findings"]
    assert len(findings) >= 7 and len({f["file"] for f in findings}) == 3
    keys = [(f["file"], f["line"], f["column"], f["rule"]) for f in findings]
    assert keys == sorted(keys)
    expected = [(f["rule"], f["message"]) for f in findings]

    def run(fmt: str) -> str:
        return run_cli("lint", "--format", fmt, *args, stdin=stdin, env=env).stdout

    text = [
        (m[1], m[2])
        for m in re.finditer(r"^\S+: (?:error|warning|info) (\S+) (.*)$", run("text"), re.M)
    ]
    assert text == expected
    github = [
        (m[1], _unescape(m[2]))
        for m in re.finditer(r"^::\w+ .*?title=([\w-]+)::(.*)$", run("github"), re.M)
    ]
    assert github == expected
    sarif = json.loads(run("sarif"))["runs"][0]["results"]
    assert [(r["ruleId"], r["message"]["text"]) for r in sarif] == expected
    # JUnit: one test case per (file, object, rule), in the order of its first finding
    cases = ET.fromstring(run("junit")).iter("testcase")
    junit = [(c.get("file"), c.get("classname"), c.get("name")) for c in cases]
    firsts: list[tuple[str, str, str]] = []
    for f in findings:
        group = (f["file"], f"Pod/{f['name']}", f["rule"])
        if group not in firsts:
            firsts.append(group)
    assert junit == firsts
