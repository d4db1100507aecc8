"""One installed top-level package, `evictguard`: nothing named `policies`, `webhook` or
`certs` lands in site-packages (PyPI has distributions installing `policies` and `certs`),
and folders of those names in the working directory (common in GitOps repositories) cannot
shadow the tool: `python -m` and gunicorn both put the current folder on `sys.path`."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.webhook_client import running_server

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

FOLDERS = {"policies": "evictguard", "webhook": "evictguard.webhook", "certs": "evictguard.certs"}


def declared_packages() -> list[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return data["tool"]["setuptools"]["packages"]


def test_every_package_folder_is_declared() -> None:
    """A subpackage missing from pyproject's list would be missing from the wheel (the
    editable install, which maps folders, would not notice)."""
    found = set()
    for folder, package in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            found.add(".".join([package, *relative.parts]))
    assert found == set(declared_packages())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {proc.stderr.strip()[-300:]}")
    [built] = out.glob("evictguard-*.whl")
    return built


def test_the_wheel_installs_one_top_level_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {
        name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")
    }
    assert top == {"evictguard"}
    for data in (
        "evictguard/policy/schema/policy.schema.json",
        "evictguard/policy/presets/default.yaml",
        "evictguard/policy/presets/strict.yaml",
        "evictguard/webhook/gunicorn.conf.py",
        "evictguard/certs/generate.py",
        "evictguard/rules/memory_limit_missing.py",
        "evictguard/__main__.py",
    ):
        assert data in names, data


DECOY = 'raise SystemExit("a decoy {name} package was imported instead of evictguard\'s")\n'


@pytest.fixture()
def decoys(tmp_path: Path) -> Path:
    """A working directory holding packages named like the repository's folders."""
    for name in FOLDERS:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(DECOY.format(name=name))
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
        "  containers:\n    - name: app\n      image: nginx\n"
    )
    return tmp_path


def test_lint_from_a_folder_with_decoy_packages(decoys: Path) -> None:
    script = Path(sys.executable).parent / "evictguard"
    for argv in ([sys.executable, "-m", "evictguard"], [str(script)]):
        proc = subprocess.run(
            [*argv, "lint", "pod.yaml"],
            cwd=decoys,
            capture_output=True,
            text=True,
            timeout=60,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        )
        assert "decoy" not in proc.stderr, proc.stderr
        assert proc.returncode == 1, proc.stderr  # the bare pod's finding
        assert "memory-limit-missing" in proc.stdout


def test_serve_from_a_folder_with_decoy_packages(
    decoys: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """gunicorn puts its working directory first on `sys.path`: a decoy `webhook` there
    used to be what it imported, and one named like a dependency (`yaml`, `flask`) would
    be imported instead of the real package."""
    monkeypatch.delenv("PYTHONPATH", raising=False)
    for name in ("yaml", "flask", "evictguard"):
        (decoys / name).mkdir()
        (decoys / name / "__init__.py").write_text(DECOY.format(name=name))
    # The console script, as the image's ENTRYPOINT runs it: `python -m` itself puts the
    # working directory first on sys.path, before evictguard has any say.
    script = str(Path(sys.executable).parent / "evictguard")
    with running_server(
        tmp_path / "tls", tmp_path / "server.log", cwd=decoys, launcher=(script,)
    ) as server:
        answer = server.request("GET", "/healthz")
        assert answer.status == 200
    assert "decoy" not in (tmp_path / "server.log").read_text()
