"""The pre-commit hook, with the real `pre-commit` tool: `pre-commit try-repo` against a
temporary git repository holding a bad manifest, a good one and YAML that is not Kubernetes.
The hook fails; the `evictguard-fix` hook applies the safe fix only (the toleration's bound,
not the limit copied from the request); `evictguard fix --unsafe-fixes` repairs the rest,
and the hook then passes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit missing")

BAD = """\
# A Deployment with what `evictguard fix` can repair: a limit taken from the request, and a
# bounded unreachable toleration.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: example/api:1.0
          resources:
            requests:
              memory: 256Mi   # no limit
      tolerations:
        - key: node.kubernetes.io/unreachable
          operator: Exists
          effect: NoExecute
"""
GOOD = """\
apiVersion: v1
kind: Pod
metadata:
  name: ok
spec:
  containers:
    - name: app
      image: nginx:1.27
      resources:
        limits: {memory: 128Mi}
"""
NOT_KUBERNETES = """\
# a CI workflow: YAML, but not a Kubernetes object
name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: make test
"""


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def try_repo(cwd: Path, hook: str = "evictguard") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(cwd.parent / "pre-commit-home")}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run(
        ["pre-commit", "try-repo", str(ROOT), hook, "--all-files", "--color", "never"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_hook_definition() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    hook = hooks["evictguard"]
    assert hook["language"] == "python" and hook["types_or"] == ["yaml", "json"]
    assert hook["entry"].startswith("evictguard lint --skip-non-kubernetes")
    fixer = hooks["evictguard-fix"]
    assert fixer["entry"].startswith("evictguard fix ")
    assert "--unsafe-fixes" not in fixer["entry"]  # unattended: the safe fixes only


def test_the_hook_fails_then_passes_after_fix(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "deploy").mkdir(parents=True)
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / "deploy" / "api.yaml").write_text(BAD)
    (repo / "deploy" / "ok.yaml").write_text(GOOD)
    (repo / ".github" / "workflows" / "ci.yaml").write_text(NOT_KUBERNETES)
    git(repo, "init", "-q")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "init")

    first = try_repo(repo)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "deploy/api.yaml:18:11: error memory-limit-missing" in first.stdout
    assert "noexecute-unbounded" in first.stdout
    assert "ci.yaml" not in first.stdout  # other YAML: skipped quietly

    hook_fix = try_repo(repo, "evictguard-fix")  # the safe fixes only
    assert hook_fix.returncode == 1, hook_fix.stdout + hook_fix.stderr  # it changed a file
    text = (repo / "deploy" / "api.yaml").read_text()
    assert text.endswith("          effect: NoExecute\n          tolerationSeconds: 300\n")
    assert "limits" not in text  # the limit copied from the request is an unsafe fix
    assert "1 more with unsafe fixes" in hook_fix.stdout
    assert "apply them with --unsafe-fixes" in hook_fix.stdout
    between = try_repo(repo)
    assert between.returncode == 1, between.stdout + between.stderr
    assert "deploy/api.yaml:18:11: error memory-limit-missing" in between.stdout
    assert "noexecute-unbounded" not in between.stdout

    fixed = subprocess.run(
        [sys.executable, "-m", "evictguard", "fix", "--unsafe-fixes", "deploy/api.yaml"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert fixed.returncode in (0, 1), fixed.stderr
    text = (repo / "deploy" / "api.yaml").read_text()
    assert "memory: 256Mi" in text.split("limits:")[1]  # the request, copied
    assert "# no limit" in text and "# A Deployment with what" in text  # comments kept
    second = try_repo(repo)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Passed" in second.stdout
