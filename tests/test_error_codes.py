"""Input errors carry their kind as data (`ErrorCode`; the JSON report's `errors[].code`):
each code is produced here by a real bad input and asserted by code, never by the words of
its message, which are free to change."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from evictguard.lint.as_admitted import build_admitter
from evictguard.lint.files import LintOptions, lint_sources
from evictguard.lint.fix import fix_text
from evictguard.model import ErrorCode, InputError, Report
from evictguard.policy.load import load_preset
from evictguard.yaml.loader import read_sources

from tests.conftest import DATA, run_cli, run_json

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n"
# Billion laughs: each level nine aliases of the one before.
LAUGHS = "l0: &l0 [lol]\n" + "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)
)
SELF_ALIAS = (DATA / "loader" / "recursive-alias.yaml").read_bytes()

# One file holding one bad input -> the code its error carries.
FILES: dict[str, tuple[bytes, ErrorCode]] = {
    "syntax.yaml": (b"a: b: c\n", ErrorCode.INVALID_YAML),
    "python-tag.yaml": (b"x: !!python/object:os.system {}\n", ErrorCode.INVALID_YAML),
    "tag-value.yaml": (b"x: !!int ''\n", ErrorCode.INVALID_YAML),
    "control-character.yaml": (b"x: a\x07b\n", ErrorCode.INVALID_YAML),
    "latin-1.yaml": (b"kind: caf\xe9\n", ErrorCode.ENCODING),
    "utf-16-without-bom.yaml": ("kind: Pod\n".encode("utf-16-le"), ErrorCode.ENCODING),
    "utf-32.yaml": ("kind: Pod\n".encode("utf-32"), ErrorCode.ENCODING),
    "deep.yaml": (b"[" * 5000 + b"]" * 5000 + b"\n", ErrorCode.TOO_DEEP),
    "laughs.yaml": (LAUGHS.encode(), ErrorCode.EXCESSIVE_ALIASING),
    "self-alias.yaml": (SELF_ALIAS, ErrorCode.EXCESSIVE_ALIASING),
    "scalar.yaml": (b"just a string\n", ErrorCode.NOT_AN_OBJECT),
    "values.yaml": (b"replicas: 3\n", ErrorCode.NOT_AN_OBJECT),
    "list-items.yaml": (b"apiVersion: v1\nkind: List\nitems: 3\n", ErrorCode.INVALID_LIST),
    "list-item.yaml": (b"apiVersion: v1\nkind: List\nitems: [3]\n", ErrorCode.INVALID_LIST),
    "containers.yaml": ((POD + "  containers: 3\n").encode(), ErrorCode.INVALID_OBJECT),
}


def test_the_report_schema_lists_every_code() -> None:
    schema = json.loads((DATA / "cli" / "report.schema.json").read_text())
    assert schema["$defs"]["error"]["properties"]["code"]["enum"] == [c.value for c in ErrorCode]


def lint_paths(*paths: str | Path, skip_non_kubernetes: bool = False) -> Report:
    sources = read_sources([str(p) for p in paths])
    options = LintOptions(skip_non_kubernetes=skip_non_kubernetes)
    return lint_sources(sources, load_preset(), options)


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_bad_file_gets_its_code(tmp_path: Path, name: str) -> None:
    content, code = FILES[name]
    path = tmp_path / name
    path.write_bytes(content)
    report = lint_paths(path)
    assert [e.code for e in report.errors] == [code]
    assert report.errors[0].file == str(path)


def _symlink_loop(folder: Path) -> Path:
    loop = folder / "loop.yaml"
    loop.symlink_to(loop)
    return loop


def _broken_link(folder: Path) -> Path:
    link = folder / "link.yaml"
    link.symlink_to(folder / "gone.yaml")
    return link


def _fifo_in_a_folder(folder: Path) -> Path:
    os.mkfifo(folder / "pipe.yaml")
    return folder


def _empty_folder(folder: Path) -> Path:
    (folder / "notes.txt").write_text("apiVersion: v1\n")
    return folder


# Paths that cannot be read as manifests -> the code their error carries.
PATHS: dict[str, tuple[Callable[[Path], Path], ErrorCode]] = {
    "missing": (lambda folder: folder / "missing.yaml", ErrorCode.NOT_FOUND),
    "broken link": (_broken_link, ErrorCode.NOT_FOUND),
    "symbolic link loop": (_symlink_loop, ErrorCode.UNREADABLE),
    "named pipe": (_fifo_in_a_folder, ErrorCode.UNREADABLE),
    "no manifest": (_empty_folder, ErrorCode.NO_MANIFESTS),
}


@pytest.mark.parametrize("name", sorted(PATHS))
def test_each_unreadable_path_gets_its_code(tmp_path: Path, name: str) -> None:
    make, code = PATHS[name]
    report = lint_paths(make(tmp_path))
    assert [e.code for e in report.errors] == [code]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file whatever its mode")
def test_a_file_the_system_refuses_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text(POD)
    path.chmod(0)
    assert [e.code for e in lint_paths(path).errors] == [ErrorCode.UNREADABLE]


def test_skip_non_kubernetes_decides_on_the_code(tmp_path: Path) -> None:
    """Other YAML is skipped; a broken List or broken YAML is still an error."""
    names = ["values.yaml", "scalar.yaml", "list-item.yaml", "syntax.yaml"]
    for name in names:
        (tmp_path / name).write_bytes(FILES[name][0])
    report = lint_paths(*(tmp_path / n for n in names), skip_non_kubernetes=True)
    assert sorted(e.code for e in report.errors) == [
        ErrorCode.INVALID_LIST,
        ErrorCode.INVALID_YAML,
    ]


def test_a_helm_template_is_a_notice_with_its_code(tmp_path: Path) -> None:
    path = tmp_path / "deployment.yaml"
    path.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n")
    report = lint_paths(path)
    assert report.errors == []
    assert [n.code for n in report.notices] == [ErrorCode.NOT_RENDERED]


def test_an_edit_fix_cannot_trust_is_cannot_fix() -> None:
    """Duplicate keys: YAML loaders keep different ones, so no edit can be trusted."""
    text = (
        POD + "  containers:\n  - name: a\n    image: x\n    resources:\n      requests:\n"
        "        memory: 1Gi\n      requests:\n        memory: 2Gi\n"
    )
    result = fix_text(text, "duplicate.yaml", load_preset(), unsafe=True)
    assert result.errors == []
    assert [f.code for f in result.failures] == [ErrorCode.CANNOT_FIX]


BAD_NAMESPACE = """\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  annotations: {scheduler.alpha.kubernetes.io/defaultTolerations: '{"key": "a"}'}
"""
BAD_LIMIT_RANGE = """\
apiVersion: v1
kind: LimitRange
metadata: {name: typo, namespace: shop}
spec:
  limits:
    - type: Container
      default:
        memory: 512MB
---
"""


def test_context_errors_are_data_even_when_the_file_name_holds_a_colon(tmp_path: Path) -> None:
    """A bad LimitRange among the linted files: its error keeps the file name whole (it
    once went through a `FILE:LINE: message` string, cut at the first `: `), its line and
    column, and its code."""
    path = tmp_path / "team: shop.yaml"
    path.write_text(BAD_LIMIT_RANGE + POD + "  containers: [{name: app, image: nginx}]\n")
    code, report = run_json("--as-admitted", str(path))
    assert code == 2
    [error] = report["errors"]
    assert (error["file"], error["line"], error["code"]) == (str(path), 8, "invalid-context")
    assert error["message"].startswith("LimitRange shop/typo: spec.limits[0].default.memory: ")
    # The column is kept too: the text format says where the value starts.
    proc = run_cli("lint", "--as-admitted", str(path))
    assert f"{path}:8:17: input-error LimitRange shop/typo" in proc.stdout


def test_context_directory_errors_keep_their_own_code(tmp_path: Path) -> None:
    """In a --cluster-context folder, a file that does not parse is an error of its own kind
    and place; other YAML is none there (it holds no LimitRange)."""
    (tmp_path / "values.yaml").write_text("replicas: 3\n")
    broken = tmp_path / "team: shop.yaml"
    broken.write_text("kind: LimitRange\na: b: c\n")
    (tmp_path / "namespace.yaml").write_text(BAD_NAMESPACE)
    errors: list[InputError] = []
    build_admitter([], str(tmp_path), problems_out=errors)
    found = sorted((e.file, e.line, e.column, e.code) for e in errors)
    assert found == [
        (str(tmp_path / "namespace.yaml"), 5, 67, ErrorCode.INVALID_CONTEXT),
        (str(broken), 2, 5, ErrorCode.INVALID_YAML),
    ]
