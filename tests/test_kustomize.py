"""kustomize trees through the real CLI and the real `kubectl kustomize`: the built objects are
linted, each finding is placed where its field is written (a base, a patch file, an inline
patch, a component), patch files are never linted or fixed as whole objects, findings shared
by overlays are said once, failed builds are said once per root, and the pre-commit hook's
changed files lead to their roots.

The tree in tests/data/kustomize/shop: a base (Deployment `api` with containers `api` and
`log-shipper`, the latter with no limit; a ConfigMap generated from a settings file), an
overlay `prod` (an image-only patch, a JSON 6902 `args` patch, a `patchesStrategicMerge`
patch setting the limit to `200m`, a component adding an unbounded NoExecute toleration) and
an overlay `dev` (an inline patch deleting the api container's `resources`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA, ROOT, run_cli

SHOP = DATA / "kustomize" / "shop"
REL = "tests/data/kustomize/shop"

THIS_TREE = {**os.environ, "PYTHONPATH": str(ROOT)}  # this tree's evictguard, run elsewhere

needs_kubectl = pytest.mark.skipif(
    shutil.which("kubectl") is None and shutil.which("kustomize") is None,
    reason="neither kubectl nor kustomize is installed: nothing to build kustomizations with",
)


def lint(*args: str, cwd: Path | None = None) -> tuple[int, dict[str, Any], str]:
    proc = run_cli("lint", "--format", "json", *args, cwd=cwd)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def where(report: dict[str, Any]) -> set[tuple[str, str, int]]:
    return {(f["rule"], f["file"], f["line"]) for f in report["findings"]}


def copy_shop(tmp_path: Path) -> Path:
    target = tmp_path / "shop"
    shutil.copytree(SHOP, target)
    return target


@needs_kubectl
def test_the_built_objects_are_linted_and_placed_on_their_sources() -> None:
    code, report, stderr = lint(REL)
    assert code == 1, stderr
    assert report["errors"] == []  # args patch (a list) and settings file: not objects
    assert where(report) == {
        # the base's container: once, for both overlays
        ("memory-limit-missing", f"{REL}/base/deployment.yaml", 29),
        # the value a patchesStrategicMerge file sets, and the request the base sets is
        # above it: that patch is where both belong
        ("memory-quantity-suspicious", f"{REL}/overlays/prod/memory-patch.yaml", 12),
        ("memory-request-exceeds-limit", f"{REL}/overlays/prod/memory-patch.yaml", 12),
        # `$patch: delete` in dev's inline patch removed the limit and the request (one
        # finding, which says both)
        ("memory-limit-missing", f"{REL}/overlays/dev/kustomization.yaml", 19),
        # the JSON 6902 operation in the component's inline patch
        ("noexecute-unbounded", f"{REL}/components/tolerate-unreachable/kustomization.yaml", 8),
    }
    shared = next(f for f in report["findings"] if f["line"] == 29)
    assert shared["container"] == "log-shipper"
    assert f"{REL}/overlays/dev, {REL}/overlays/prod" in shared["message"]
    files = {f["file"] for f in report["findings"]}
    assert not any(name.endswith(("image-patch.yaml", "args-patch.yaml")) for name in files)
    # image-patch.yaml holds a pod template, but prod built: applied, and not named
    assert report["summary"]["notChecked"] == []


@needs_kubectl
def test_fix_never_writes_into_a_patch(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    before = {p: p.read_bytes() for p in shop.rglob("*.yaml")}
    proc = run_cli("fix", "--unsafe-fixes", str(shop))
    assert proc.returncode == 1, proc.stderr
    changed = {p.relative_to(shop).as_posix() for p in before if p.read_bytes() != before[p]}
    assert changed == {"base/deployment.yaml"}  # the base, where log-shipper is defined
    assert "memory: 32Mi" in (shop / "base/deployment.yaml").read_text().split("log-shipper")[1]
    assert "image-patch.yaml: left alone: a kustomize patch" in proc.stderr
    assert "memory-patch.yaml: left alone: a kustomize patch" in proc.stderr
    # dev's inline patch deletes the api container's resources: said, not fixed
    assert (
        "overlays/dev/kustomization.yaml:19:17: note: memory-limit-missing not fixed: a "
        "kustomize patch writes this"
    ) in proc.stderr


@needs_kubectl
def test_fix_on_an_overlay_says_which_base_file_the_fix_belongs_in(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    before = {p: p.read_bytes() for p in shop.rglob("*.yaml")}
    proc = run_cli("fix", "shop/overlays/prod", cwd=tmp_path, env=THIS_TREE)
    assert proc.returncode == 0, proc.stderr  # nothing among the overlay's files to fix
    assert all(p.read_bytes() == content for p, content in before.items())
    assert (
        "shop/base/deployment.yaml:29:11: note: memory-limit-missing not fixed: it belongs in "
        "shop/base/deployment.yaml, which was not given: run `evictguard fix --unsafe-fixes "
        "shop/base/deployment.yaml`"  # the fix is unsafe: plain `fix` would not apply it
    ) in proc.stderr


@needs_kubectl
def test_a_failed_build_is_said_once_and_its_sources_linted_without_patches(
    tmp_path: Path,
) -> None:
    shop = copy_shop(tmp_path)
    prod = shop / "overlays/prod/kustomization.yaml"
    prod.write_text(prod.read_text().replace("  - ../../base\n", "  - ../../base\n  - hpa.yaml\n"))
    code, report, stderr = lint(str(shop))
    assert code == 1
    notes = [line for line in stderr.splitlines() if "kustomize build failed" in line]
    assert len(notes) == 1, stderr
    assert "overlays/prod" in notes[0] and "hpa.yaml" in notes[0]  # kustomize's own words
    files = {f["file"] for f in report["findings"]}
    assert not any("patch" in name for name in files), files  # no patch blamed
    rules = {(f["rule"], Path(f["file"]).name, f["line"]) for f in report["findings"]}
    # dev still built; the base's shared finding is said once
    assert ("memory-limit-missing", "kustomization.yaml", 19) in rules
    assert [f["line"] for f in report["findings"] if f["file"].endswith("deployment.yaml")] == [29]


def test_with_no_kustomize_binary_the_sources_are_linted_without_patches(
    tmp_path: Path,
) -> None:
    code, report, stderr = lint("--kustomize-binary", str(tmp_path / "no-such-kustomize"), REL)
    notes = [line for line in stderr.splitlines() if "kustomize build failed" in line]
    assert len(notes) == 2 and all("not found" in n for n in notes), stderr  # dev, prod
    assert code == 1 and report["errors"] == []
    assert where(report) == {
        ("memory-limit-missing", f"{REL}/base/deployment.yaml", 29),
    }


@needs_kubectl
def test_the_hook_lints_the_roots_a_changed_file_belongs_to(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(SHOP, repo / "deploy")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    # The hook's entry with the changed file names, as pre-commit passes them.
    proc = run_cli(
        "lint", "--skip-non-kubernetes", "--jobs", "1", "--format", "json",
        "deploy/overlays/prod/image-patch.yaml", "deploy/base/config/settings.yaml",
        cwd=repo,
        env=THIS_TREE,
    )  # fmt: skip
    report = json.loads(proc.stdout)
    assert proc.returncode == 1, proc.stderr
    got = {(f["rule"], f["file"], f["line"]) for f in report["findings"]}
    assert (
        "noexecute-unbounded",
        "deploy/components/tolerate-unreachable/kustomization.yaml",
        8,
    ) in got
    assert ("memory-limit-missing", "deploy/overlays/dev/kustomization.yaml", 19) in got
    assert not any("image-patch" in f for _, f, _ in got)


def test_the_root_for_every_file_a_build_reads() -> None:
    from evictguard.lint.kustomize import discover

    plan = discover([str(SHOP)])
    assert sorted(Path(r).relative_to(SHOP).as_posix() for r in plan.roots) == [
        "overlays/dev",
        "overlays/prod",
    ]  # the base is used, the component is never built alone
    patches = {Path(p).relative_to(SHOP).as_posix() for p in plan.patch_files()}
    assert patches == {
        "overlays/prod/image-patch.yaml",
        "overlays/prod/args-patch.yaml",
        "overlays/prod/memory-patch.yaml",
    }
    assert str(SHOP / "base/config/settings.yaml") in plan.not_objects()


@needs_kubectl
@pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit missing")
def test_the_real_hooks_on_a_kustomize_tree(tmp_path: Path) -> None:
    """`pre-commit try-repo` with both hooks: the lint hook reports what the overlays deploy,
    placed on the patch that writes it, and the fix hook never edits a patch and applies
    the safe fixes only."""
    from tests.test_precommit import git

    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(SHOP, repo / "deploy")
    base = repo / "deploy/base/deployment.yaml"
    unbounded = (
        "      tolerations:\n"
        "        - key: node.kubernetes.io/not-ready\n"
        "          operator: Exists\n"
        "          effect: NoExecute\n"
    )
    base.write_text(base.read_text() + unbounded)  # a safe fix for the fix hook
    git(repo, "init", "-q")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "init")
    patches = {p: p.read_bytes() for p in (repo / "deploy/overlays/prod").glob("*-patch.yaml")}
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("GITHUB_ACTIONS", None)

    def hook(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pre-commit", "try-repo", str(ROOT), name, "--all-files", "--color", "never"],
            cwd=repo, env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip

    lint_run = hook("evictguard")
    assert lint_run.returncode == 1, lint_run.stdout + lint_run.stderr
    out = lint_run.stdout
    assert "deploy/overlays/prod/memory-patch.yaml:12:23: error memory-quantity-suspicious" in out
    assert "deploy/overlays/dev/kustomization.yaml:19:17: error memory-limit-missing" in out
    assert "image-patch.yaml" not in out and "args-patch.yaml" not in out
    # one process builds each root once (require_serial), so each finding is said once
    assert out.count("deploy/base/deployment.yaml:29:11: error memory-limit-missing") == 1
    fix_run = hook("evictguard-fix")
    assert fix_run.returncode == 1, fix_run.stdout + fix_run.stderr  # the base was fixed
    assert all(p.read_bytes() == before for p, before in patches.items())
    assert "left alone: a kustomize patch" in fix_run.stdout
    fixed = base.read_text()
    assert fixed.endswith("          effect: NoExecute\n          tolerationSeconds: 300\n")
    # log-shipper's missing limit has an unsafe fix only: the hook leaves it, and says how
    assert "limits" not in fixed.split("log-shipper")[1]
    assert "apply them with --unsafe-fixes" in fix_run.stdout


@needs_kubectl
def test_as_admitted_reads_the_limit_ranges_a_kustomization_deploys(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    (shop / "base/limitrange.yaml").write_text(
        "apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: memory-defaults\nspec:\n"
        "  limits:\n    - type: Container\n      default:\n        memory: 512Mi\n"
    )
    base = shop / "base/kustomization.yaml"
    base.write_text(
        base.read_text().replace("  - service.yaml\n", "  - service.yaml\n  - limitrange.yaml\n")
    )
    code, report, stderr = lint("--as-admitted", str(shop))
    assert code == 1 and report["errors"] == [], stderr
    # kustomize puts the LimitRange in each overlay's namespace: every container there gets
    # the default limit, so only values written wrong are left
    assert {f["rule"] for f in report["findings"]} == {
        "memory-quantity-suspicious",
        "memory-request-exceeds-limit",
        "noexecute-unbounded",
    }


@needs_kubectl
def test_a_json_6902_remove_is_where_the_missing_limit_belongs(tmp_path: Path) -> None:
    """tests/data/kustomize/remove: the base CronJob has a limit; the staging overlay's
    `patchesJson6902` file removes it. The deployed object has no limit: the finding is on
    the `remove`, and fix neither edits the patch nor adds a limit to the base."""
    code, report, stderr = lint("tests/data/kustomize/remove")
    assert code == 1 and report["errors"] == [], stderr
    assert where(report) == {
        ("memory-limit-missing", "tests/data/kustomize/remove/overlays/staging/drop-limits.yaml", 3)
    }
    tree = tmp_path / "remove"
    shutil.copytree(DATA / "kustomize" / "remove", tree)
    before = {p: p.read_bytes() for p in tree.rglob("*.yaml")}
    proc = run_cli("fix", str(tree))
    assert proc.returncode == 0, proc.stderr
    assert all(p.read_bytes() == content for p, content in before.items())
    assert "drop-limits.yaml:3:9: note: memory-limit-missing not fixed: a kustomize patch" in (
        proc.stderr
    )


@needs_kubectl
def test_a_container_a_patch_adds_is_reported_where_the_patch_defines_it() -> None:
    """tests/data/kustomize/sidecar: the mesh overlay's strategic-merge patch adds an envoy
    container with no resources to a base whose only container has its limit."""
    code, report, stderr = lint("tests/data/kustomize/sidecar")
    assert code == 1 and report["errors"] == [], stderr
    patch = "tests/data/kustomize/sidecar/overlays/mesh/proxy-sidecar.yaml"
    assert where(report) == {
        ("memory-limit-missing", patch, 9)  # the envoy container's name: line
    }
    assert {f["container"] for f in report["findings"]} == {"envoy"}


def test_a_kustomization_nested_too_deeply_is_no_crash(tmp_path: Path) -> None:
    """Kustomization files and patches are read with the same bounds as linted files: a
    kustomization nested 5,000 deep crashed the run with a RecursionError traceback."""
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources:\n- pod.yaml\ncommonLabels: " + "[" * 5000 + "]" * 5000 + "\n"
    )
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
        "spec:\n  containers: [{name: a, image: x}]\n"
    )
    proc = run_cli("lint", "--format", "json", str(tmp_path))
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert {f["rule"] for f in report["findings"]} >= {"memory-limit-missing"}


@needs_kubectl
@pytest.mark.parametrize("spelling", ["absolute", "absolute-under-cwd", "relative-up"])
def test_a_base_shared_by_a_built_and_a_failed_root_is_reported_once(
    tmp_path: Path, spelling: str
) -> None:
    """A failed root's files are linted one by one, its base too, which a root that builds
    also reads: the same finding reached both ways was reported twice when the folder was
    named as `../x` or by an absolute path (one copy named as typed, the other not)."""
    shop = copy_shop(tmp_path / "repo")
    broken = shop / "overlays" / "broken"
    broken.mkdir()
    (broken / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources:\n  - ../../base\n  - missing-role-binding.yaml\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cwd = tmp_path if spelling == "absolute-under-cwd" else elsewhere
    typed = os.path.relpath(shop, elsewhere) if spelling == "relative-up" else str(shop)
    code, report, stderr = lint(typed, cwd=cwd)
    assert code == 1, stderr
    assert "overlays/broken: kustomize build failed" in stderr
    keys = [(f["rule"], f["file"], f["line"], f["column"]) for f in report["findings"]]
    assert len(keys) == len(set(keys)), keys
    assert all(f["file"].startswith(typed + os.sep) for f in report["findings"]), keys
    base = os.path.join(typed, "base", "deployment.yaml")
    assert ("memory-limit-missing", base, 29) in {(k[0], k[1], k[2]) for k in keys}


# A whole Deployment, with no memory limit, in a file a kustomization only uses as a patch.
WHOLE_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: bad, namespace: shop}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers: [{name: c, image: i}]
"""
# Ways to use ../app/bad.yaml as a patch that kustomize refuses (its load restrictor: the
# file is not in or below the kustomization's folder), so the root never builds.
OUTSIDE_PATCH = {
    "patches": "patches:\n  - path: ../app/bad.yaml\n    target: {kind: NoSuchKind}\n",
    "patchesStrategicMerge": "patchesStrategicMerge:\n  - ../app/bad.yaml\n",
}
UNBUILT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "namespace": "shop",
    "name": "bad",
    "line": 8,
    "pointer": "/spec/template/spec",
    "reason": "kustomize patch not built",
    "seen": None,
}


def hidden_by_a_patch(tmp_path: Path, spelling: str) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "bad.yaml").write_text(WHOLE_DEPLOYMENT)
    (tmp_path / "hide").mkdir()
    (tmp_path / "hide" / "kustomization.yaml").write_text(OUTSIDE_PATCH[spelling])
    return tmp_path


@needs_kubectl
@pytest.mark.parametrize("spelling", sorted(OUTSIDE_PATCH))
def test_a_patch_whose_root_failed_is_named_not_checked(tmp_path: Path, spelling: str) -> None:
    """The only kustomization that uses app/bad.yaml fails to build: the Deployment in it
    is not linted (a patch is no whole object) but is named, in JSON and in the summary,
    where it passed as "0 file(s), 0 object(s)" before."""
    tree = hidden_by_a_patch(tmp_path, spelling)
    code, report, stderr = lint(".", cwd=tree)
    assert code == 0, stderr
    assert "./hide: kustomize build failed" in stderr and "not in or below" in stderr
    assert report["findings"] == [] and report["errors"] == []
    assert report["summary"]["notChecked"] == [{**UNBUILT, "file": "./app/bad.yaml"}]
    for output in ("text", "github"):  # JUnit's summary is the text one too
        text = run_cli("lint", "--format", output, ".", cwd=tree).stdout.splitlines()[-1]
        assert text.endswith(
            "; 1 object(s) with pods not checked, in kustomize patches whose builds failed "
            "(see the notes): ./app/bad.yaml"
        ), (output, text)


@needs_kubectl
def test_the_hook_names_a_changed_patch_whose_root_failed(tmp_path: Path) -> None:
    tree = hidden_by_a_patch(tmp_path, "patches")
    subprocess.run(["git", "init", "-q"], cwd=tree, check=True)
    proc = run_cli(
        "lint", "--skip-non-kubernetes", "--format", "json", "app/bad.yaml",
        cwd=tree, env=THIS_TREE,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["summary"]["notChecked"] == [{**UNBUILT, "file": "app/bad.yaml"}]


@needs_kubectl
def test_a_patch_a_built_root_applied_is_not_named_though_another_root_failed(
    tmp_path: Path,
) -> None:
    """ok/patch.yaml is applied by ok (built; its effect is linted on the built object) and
    refused by broken: it was applied, so it is neither linted nor named."""
    ok, broken = tmp_path / "ok", tmp_path / "broken"
    ok.mkdir()
    broken.mkdir()
    limited = WHOLE_DEPLOYMENT.replace(
        "image: i}", "image: i, resources: {requests: {memory: 64Mi}, limits: {memory: 64Mi}}}"
    )
    (ok / "deployment.yaml").write_text(limited)
    (ok / "patch.yaml").write_text(WHOLE_DEPLOYMENT.replace("image: i", "image: i:2"))
    (ok / "kustomization.yaml").write_text(
        "resources:\n  - deployment.yaml\npatches:\n  - path: patch.yaml\n"
    )
    (broken / "kustomization.yaml").write_text("patches:\n  - path: ../ok/patch.yaml\n")
    code, report, stderr = lint(".", cwd=tmp_path)
    assert "./broken: kustomize build failed" in stderr
    assert "./ok: kustomize build failed" not in stderr
    assert code == 0, stderr
    assert report["findings"] == [] and report["summary"]["notChecked"] == []


@needs_kubectl
def test_a_file_both_patch_and_resource_of_a_failed_root_is_named(tmp_path: Path) -> None:
    """A resource the failed root also patches with itself is no fallback resource (files
    used as patches are left out of those): it is named too, where it passed silently."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "bad.yaml").write_text(WHOLE_DEPLOYMENT)
    (app / "kustomization.yaml").write_text(
        "resources:\n  - bad.yaml\n  - missing.yaml\npatches:\n  - path: bad.yaml\n"
    )
    code, report, stderr = lint(".", cwd=tmp_path)
    assert code == 0 and "./app: kustomize build failed" in stderr, stderr
    assert report["summary"]["notChecked"] == [{**UNBUILT, "file": "./app/bad.yaml"}]
