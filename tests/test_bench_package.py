"""bench/ is a package run as `python -m bench.<script>` (issue 15): its modules import each
other relatively, so each must import as `bench.<name>` with no sys.path help, and no bare
name of theirs may be one a plain `import` would find first (stdlib, an installed package,
a folder at the project root such as `webhook/`). The smokes in .ci/run check the answers;
these check, in a second, that the scripts still start and take their options."""

from __future__ import annotations

import importlib
import importlib.metadata
import pkgutil
import subprocess
import sys

import pytest

import bench

from .conftest import ROOT

MODULES = sorted(m.name for m in pkgutil.walk_packages(bench.__path__, "bench."))
# Each script and options of its that .ci/run, bench/README.md or the other scripts use.
SCRIPTS = {
    "bench.lint": ("--smoke", "--checkov", "--no-scaling", "--repeat", "--json"),
    "bench.webhook_load": ("--smoke", "--rates", "--skip-max", "--deadline", "--json"),
    "bench.soak": ("--smoke", "--kill-while-invalid", "--keep", "--deadline", "--json"),
    "bench.loadgen": ("--null-server", "--port", "--cert-dir"),
}


def test_the_package_holds_every_script() -> None:
    assert set(SCRIPTS) <= set(MODULES)
    assert "bench.soak.session" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_module_imports_as_part_of_bench(name: str) -> None:
    before = list(sys.path)
    module = importlib.import_module(name)
    assert sys.path == before, f"{name} changed sys.path"
    assert module.__doc__, f"{name}: a docstring saying why it is there"


def _taken() -> set[str]:
    """Names a bare `import` could already mean."""
    installed = set(importlib.metadata.packages_distributions())
    at_root = {p.stem for p in ROOT.iterdir() if p.is_dir() or p.suffix == ".py"}
    return set(sys.stdlib_module_names) | installed | (at_root - {"bench"})


@pytest.mark.parametrize("name", MODULES)
def test_module_name_shadows_nothing(name: str) -> None:
    bare = {part for part in name.split(".")[1:] if part != "__main__"}
    assert not bare & _taken()


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_script_runs_as_a_module(script: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", script, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    for option in SCRIPTS[script]:
        assert option in done.stdout
