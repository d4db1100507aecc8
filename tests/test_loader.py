"""The loader on real files: documents, lists, errors with their lines, paths and encodings.

Every expected line and column below was counted by hand in the file under tests/data/loader.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from evictguard.model import Report
from evictguard.yaml.loader import load_text
from evictguard.yaml.safety import MAX_DEPTH, TOO_DEEP, depth_bound, too_deep
from evictguard.yaml.sources import expand_paths

from tests.conftest import DATA, lint_paths, run_cli, run_json

LOADER = DATA / "loader"
POD_NO_LIMIT = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  containers:
    - name: c
      image: example/c:1.0
"""


def triples(report: Report) -> set[tuple[str, int | None, int | None, str]]:
    return {(Path(f.file or "").name, f.line, f.column, f.rule) for f in report.findings}


def errors_of(report: Report) -> list[tuple[str, int | None, str]]:
    return [(Path(e.file).name, e.line, e.message) for e in report.errors]


# --- documents ----------------------------------------------------------------------------


def test_multi_document_lines_are_right_in_later_documents() -> None:
    report = lint_paths(LOADER / "multi.yaml")
    assert triples(report) == {
        ("multi.yaml", 26, 7, "memory-limit-missing"),  # 2nd document, `resources:` of leaky
        ("multi.yaml", 45, 23, "memory-quantity-invalid"),  # 3rd document, the value 512MB
    }
    by_rule = {f.rule: f for f in report.findings}
    assert by_rule["memory-limit-missing"].ref.name == "second"
    assert by_rule["memory-limit-missing"].container == "leaky"
    assert by_rule["memory-quantity-invalid"].ref.namespace == "shop"
    # The trailing `---` is an empty document, not an object and not an error.
    assert (report.documents, report.objects, report.errors) == (3, 3, [])


def test_empty_documents_and_trailing_separators_are_skipped() -> None:
    report = lint_paths(LOADER / "empty-docs.yaml")
    assert (report.documents, report.objects, report.findings, report.errors) == (1, 1, [], [])


def test_kind_list_items_are_objects_with_pointers_relative_to_the_item() -> None:
    report = lint_paths(LOADER / "list.yaml")
    assert triples(report) == {
        ("list.yaml", 10, 11, "memory-limit-missing"),
        ("list.yaml", 23, 36, "memory-request-exceeds-limit"),
    }
    assert (report.documents, report.objects, report.errors) == (1, 3, [])
    pointers = {(f.ref.kind, f.ref.name, f.rule): f.pointer for f in report.findings}
    assert pointers[("Pod", "listed-pod", "memory-limit-missing")] == (
        "/spec/containers/0/resources/limits/memory"
    )
    assert pointers[("Deployment", "listed-deploy", "memory-request-exceeds-limit")] == (
        "/spec/template/spec/containers/0/resources/requests/memory"
    )
    # Fixes are patches against the item, not against the List.
    fix = next(f.fix for f in report.findings if f.rule == "memory-limit-missing")
    assert fix is not None and all(not op["path"].startswith("/items") for op in fix)


def test_typed_list_items_get_kind_and_api_version_from_the_list() -> None:
    report = lint_paths(LOADER / "podlist.yaml")
    assert triples(report) == {
        ("podlist.yaml", 15, 23, "memory-quantity-suspicious"),
        ("podlist.yaml", 21, 11, "memory-limit-missing"),
    }
    for finding in report.findings:
        assert (finding.ref.api_version, finding.ref.kind, finding.ref.namespace) == (
            "v1",
            "Pod",
            "prod",
        )
        assert finding.pointer.startswith("/spec/containers/0/resources/")
    assert {f.ref.name for f in report.findings} == {"api-7d9f", "worker-1"}
    assert report.objects == 2


def test_list_items_that_are_not_objects_are_errors_at_the_item() -> None:
    report = lint_paths(LOADER / "list-errors.yaml")
    assert errors_of(report) == [
        ("list-errors.yaml", 4, "List item 0 is a string, not an object"),
        ("list-errors.yaml", 5, "List item 1 has no kind"),
    ]
    assert report.objects == 1 and report.findings == []


def test_syntax_error_is_reported_and_the_documents_after_it_are_linted() -> None:
    report = lint_paths(LOADER / "broken-middle.yaml")
    assert [(e.line, e.column) for e in report.errors] == [(12, 15)]
    assert report.errors[0].message.startswith("invalid YAML: mapping values are not allowed")
    assert triples(report) == {
        ("broken-middle.yaml", 6, 7, "memory-limit-missing"),
        ("broken-middle.yaml", 24, 19, "memory-quantity-invalid"),  # the document after it
    }


def test_syntax_error_in_a_crlf_file_still_lints_the_documents_after_it(tmp_path: Path) -> None:
    """`---\\r\\n` is a document separator too (re.MULTILINE `$` stops before `\\n` only)."""
    crlf = tmp_path / "crlf.yaml"
    crlf.write_bytes((LOADER / "broken-middle.yaml").read_bytes().replace(b"\n", b"\r\n"))
    report = lint_paths(crlf)
    assert [e.line for e in report.errors] == [12]
    assert ("crlf.yaml", 24, 19, "memory-quantity-invalid") in triples(report)
    assert report.objects == 2


def test_documents_that_are_not_kubernetes_objects_are_errors_with_lines() -> None:
    report = lint_paths(LOADER / "not-objects.yaml")
    assert errors_of(report) == [
        ("not-objects.yaml", 2, "document is a list, not a Kubernetes object (a mapping)"),
        ("not-objects.yaml", 5, "document is a string, not a Kubernetes object (a mapping)"),
        ("not-objects.yaml", 7, "document is a number, not a Kubernetes object (a mapping)"),
        ("not-objects.yaml", 9, "object has no apiVersion and kind: not a Kubernetes object"),
        ("not-objects.yaml", 12, "object has no kind: not a Kubernetes object"),
        ("not-objects.yaml", 15, "object has no apiVersion: not a Kubernetes object"),
    ]
    assert (report.documents, report.objects) == (7, 1)


def test_not_objects_exit_2_on_the_command_line() -> None:
    proc = run_cli("lint", str(LOADER / "not-objects.yaml"))
    assert proc.returncode == 2
    assert f"{LOADER / 'not-objects.yaml'}:12:1: input-error object has no kind" in proc.stdout


def test_json_files_are_linted_with_positions() -> None:
    report = lint_paths(LOADER / "pod.json")
    assert triples(report) == {
        ("pod.json", 10, 44, "memory-quantity-invalid"),  # the "1GB" string
        ("pod.json", 13, 9, "memory-limit-missing"),  # the sidecar's "name" key
    }


def test_duplicate_keys_are_located_where_the_value_that_counts_is() -> None:
    """PyYAML keeps the last of duplicate keys; the position must point there too."""
    report = lint_paths(LOADER / "duplicate-keys.yaml")
    assert triples(report) == {("duplicate-keys.yaml", 11, 19, "memory-quantity-invalid")}


# --- positions ----------------------------------------------------------------------------


def test_missing_fields_point_at_the_nearest_parent_and_values_at_the_value() -> None:
    report = lint_paths(LOADER / "positions.yaml")
    where = {(f.rule, f.container): (f.line, f.column) for f in report.findings}
    # (`#0` and `bare` have neither memory value: one finding each, memory-limit-missing's)
    assert where == {
        # no name, no resources: the container mapping itself (its first key)
        ("memory-limit-missing", None): (7, 7),
        # no resources: the container's `name:` line
        ("memory-limit-missing", "bare"): (8, 7),
        # resources without limits: the `resources:` key
        ("memory-limit-missing", "requests-only"): (12, 7),
        # limits without memory: the `limits:` key
        ("memory-limit-missing", "cpu-limit-only"): (18, 9),
        # a value that is there: the value itself, after the extra spaces
        ("memory-quantity-invalid", "typo"): (26, 21),
    }
    unnamed = next(f for f in report.findings if f.container is None)
    assert 'container "#0"' in unnamed.message


def test_document_line_ranges_cover_preceding_comments() -> None:
    loaded = load_text((LOADER / "multi.yaml").read_text(), "multi.yaml")
    ranges = [(d.first_line, d.last_line) for d in loaded.parsed]
    assert ranges[:3] == [(1, 11), (12, 28), (29, 45)]


# --- hostile input ------------------------------------------------------------------------


def test_python_tags_are_refused_and_never_executed() -> None:
    marker = Path("/tmp/evictguard-python-tag-ran")
    marker.unlink(missing_ok=True)
    report = lint_paths(LOADER / "python-tag.yaml")
    assert not marker.exists()
    assert [(e.line, e.column) for e in report.errors] == [(4, 9)]
    assert report.errors[0].message == (
        "invalid YAML: tag !!python/object/apply:os.system is not allowed: only plain data "
        "(mappings, lists, scalars) is loaded"
    )
    # The next document in the same file is still linted.
    assert triples(report) == {
        ("python-tag.yaml", 11, 7, "memory-limit-missing"),
    }


@pytest.mark.parametrize(
    "value", ["!!int ''", "!!bool maybe", "!!float ''", "!!int", "!!timestamp ''", "!!float x"]
)
def test_a_scalar_that_does_not_fit_its_tag_is_an_error_not_a_crash(
    tmp_path: Path, value: str
) -> None:
    """PyYAML raises IndexError, KeyError, AttributeError for these; they escaped the loader
    and crashed the whole run with a traceback."""
    path = tmp_path / "tags.yaml"
    path.write_text(f"a: 1\nb: {value}\n---\n" + POD_NO_LIMIT.format(name="after-tag"))
    report = lint_paths(path)
    assert len(report.errors) == 1 and report.errors[0].line == 1
    assert report.errors[0].message.startswith("invalid YAML value: ")
    assert {(f.ref.name, f.line) for f in report.findings} == {("after-tag", 10)}


def billion_laughs() -> str:
    lines = ['  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"  {name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n" + "\n".join(lines)


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    bomb = tmp_path / "laughs.yaml"
    bomb.write_text(billion_laughs() + "\n---\n" + POD_NO_LIMIT.format(name="after-bomb"))
    report = lint_paths(bomb)
    assert len(report.errors) == 1
    assert report.errors[0].line == 1
    assert "excessive aliasing" in report.errors[0].message
    assert "1,000,000 nodes" in report.errors[0].message
    # Only the bomb is refused: the next document is linted.
    assert {(f.ref.name, f.line) for f in report.findings} == {
        ("after-bomb", 21)
    }  # 13 lines of bomb, `---`, then line 7 of the Pod


@pytest.mark.parametrize(
    "anchor_prefix", ["[&", "{k: &", ":\t&"], ids=["flow-seq", "flow-map", "tab-separated"]
)
def test_alias_bombs_in_any_anchor_spelling_are_refused(anchor_prefix: str) -> None:
    """The bound is skipped only for text with no anchor at all, so no spelling of an
    anchor (in a flow collection, after a tab) may slip past it."""
    level0 = '["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'
    if anchor_prefix == "[&":
        items = [f"&a {level0}"] + [
            f"&{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8)
        ]
        text = "data: [" + ", ".join(items) + "]\n"
    elif anchor_prefix == "{k: &":
        items = [f"a: &a {level0}"] + [
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]"
            for i in range(8)
        ]
        text = "data: {" + ", ".join(items) + "}\n"
    else:
        text = billion_laughs().replace(": &", ":\t&").split("data:\n", 1)[1]
        text = "data:\n" + text + "\n"
    report = load_text("apiVersion: v1\nkind: ConfigMap\n" + text, "bomb.yaml")
    assert [e.message.split(":")[0] for e in report.errors] == [
        "document contains excessive aliasing"
    ]
    assert report.objects == []


def test_recursive_alias_is_refused_and_the_next_document_linted() -> None:
    report = lint_paths(LOADER / "recursive-alias.yaml")
    assert errors_of(report) == [
        (
            "recursive-alias.yaml",
            1,
            "an anchor contains an alias to itself (refused, as Kubernetes refuses it)",
        )
    ]
    assert {(f.ref.name, f.line, f.column) for f in report.findings} == {("after-loop", 12, 7)}


def test_nesting_depth_is_bounded_cheaply() -> None:
    assert too_deep("a: " + "[" * 50 + "]" * 50) is None  # short text: no scan at all
    assert too_deep("x: 1\n" * 5000) is None  # long but flat: the bound clears it
    deep = "a: 1\n" * 3 + "b: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert too_deep(deep) == 3  # 0-based line of the collection past the limit
    # real manifests nest a few dozen levels; MAX_DEPTH is under libyaml 0.2.6's own 1,000
    assert MAX_DEPTH < 999
    ok = "b: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n" + "c: 1\n" * MAX_DEPTH
    assert too_deep(ok) is None
    assert too_deep(ok.replace("b: [", "b: [[", 1)) == 0
    # long lines of text are no levels: only indentation and indicators before a token are
    long_lines = "".join(f"k{i}: {'x ' * 2 * MAX_DEPTH}\n" for i in range(3))
    assert depth_bound(long_lines) == 2


def test_very_deep_nesting_is_an_error_not_a_crash(tmp_path: Path) -> None:
    """libyaml's composer recursed 50,000 levels down in C and killed the process with
    SIGSEGV (exit -11); it must be an input error, and the other documents still linted."""
    depth = 50_000
    path = tmp_path / "deep.yaml"
    path.write_text(
        POD_NO_LIMIT.format(name="before-deep")
        + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  x: "
        + "[" * depth
        + "]" * depth
        + "\n---\n"
        + POD_NO_LIMIT.format(name="after-deep")
    )
    code, report = run_json(str(path))
    assert code == 2
    assert [(e["line"], e["message"]) for e in report["errors"]] == [
        (14, TOO_DEEP)  # the `x:` line, where the nesting starts
    ]
    assert {(f["name"], f["line"]) for f in report["findings"]} == {
        ("before-deep", 7),
        ("after-deep", 22),
    }


# --- encodings ----------------------------------------------------------------------------


def test_utf8_bom_is_accepted_and_lines_are_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + POD_NO_LIMIT.format(name="bom").encode())
    report = lint_paths(path)
    assert report.errors == []
    assert triples(report) == {
        ("bom.yaml", 7, 7, "memory-limit-missing"),
    }


def test_utf16_with_bom_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "utf16.yaml"
    path.write_bytes(POD_NO_LIMIT.format(name="wide").encode("utf-16"))
    report = lint_paths(path)
    assert report.errors == [] and {f.line for f in report.findings} == {7}


def test_invalid_utf8_is_an_error_naming_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: caf\xe9\n")
    good = tmp_path / "z-good.yaml"
    good.write_text(POD_NO_LIMIT.format(name="fine"))
    proc = run_cli("lint", str(bad), str(good))
    assert proc.returncode == 2
    assert f"{bad}:4: input-error not UTF-8 text (byte 46: invalid continuation byte)" in (
        proc.stdout
    )
    assert f"{good}:7:7: error memory-limit-missing" in proc.stdout


# --- stdin --------------------------------------------------------------------------------


def test_stdin_is_named_stdin_and_keeps_lines() -> None:
    text = (LOADER / "multi.yaml").read_text()
    code, report = run_json("-", stdin=text)
    assert code == 1
    assert {(f["file"], f["line"], f["column"], f["rule"]) for f in report["findings"]} == {
        ("<stdin>", 26, 7, "memory-limit-missing"),
        ("<stdin>", 45, 23, "memory-quantity-invalid"),
    }
    assert report["summary"]["files"] == 1


def test_stdin_through_a_real_shell_pipe() -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        f"cat {LOADER / 'pod.json'} | {sys.executable} -m evictguard lint -",
        shell=True,
        capture_output=True,
        text=True,
        cwd=DATA.parent.parent,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "<stdin>:10:44: error memory-quantity-invalid" in proc.stdout


def test_stdin_mixed_with_files() -> None:
    code, report = run_json(str(LOADER / "list.yaml"), "-", stdin=POD_NO_LIMIT.format(name="s"))
    assert code == 1
    files = {f["file"] for f in report["findings"]}
    assert files == {str(LOADER / "list.yaml"), "<stdin>"}
    assert report["summary"]["files"] == 2


# --- paths and folders --------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A folder of manifests, hidden files and folders, and files that are no manifests."""
    root = tmp_path / "tree"
    for rel in (
        "b.yaml",
        "a.yml",
        "sub/d.yaml",
        "sub/deeper/E.YAML",
        ".hidden.yaml",
        ".hidden/x.yaml",
        ".git/y.yaml",
        "sub/.secret/z.yaml",
        "notes.txt",
        "README.md",
        "values.yaml.bak",
    ):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(POD_NO_LIMIT.format(name=path.stem.lower().lstrip(".")))
    (root / "c.json").write_text(
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "c"},\n'
        ' "spec": {"containers": [{"name": "c", "image": "x"}]}}\n'
    )
    return root


def test_folders_are_walked_recursively_sorted_skipping_hidden_and_other_files(tree: Path) -> None:
    found = [path for path, error in expand_paths([str(tree)]) if error is None]
    assert [Path(p).relative_to(tree).as_posix() for p in found] == [
        "a.yml",
        "b.yaml",
        "c.json",
        "sub/d.yaml",
        "sub/deeper/E.YAML",
    ]
    code, report = run_json(str(tree))
    assert code == 1
    assert report["summary"]["files"] == 5 and report["summary"]["objects"] == 5
    names = [f["name"] for f in report["findings"] if f["rule"] == "memory-limit-missing"]
    assert names == ["a", "b", "c", "d", "e"]


def test_hidden_files_and_folders_are_linted_when_named(tree: Path) -> None:
    report = lint_paths(tree / ".hidden.yaml", tree / ".hidden")
    assert sorted({f.ref.name for f in report.findings}) == ["hidden", "x"]
    assert report.errors == []


def test_missing_path_is_an_error_and_the_others_are_still_linted(tree: Path) -> None:
    missing = tree / "nope.yaml"
    proc = run_cli("lint", str(missing), str(tree / "a.yml"))
    assert proc.returncode == 2
    assert f"{missing}: input-error no such file or folder" in proc.stdout
    assert f"{tree / 'a.yml'}:7:7: error memory-limit-missing" in proc.stdout


def test_a_folder_without_manifests_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "docs"
    empty.mkdir()
    (empty / "notes.txt").write_text("apiVersion: v1\n")
    (empty / ".hidden.yaml").write_text(POD_NO_LIMIT.format(name="h"))
    code, report = run_json(str(empty))
    assert code == 2
    assert report["errors"] == [
        {
            "file": str(empty),
            "line": None,
            "column": None,
            "code": "no-manifests",
            "message": "folder holds no .yaml, .yml or .json file",
        }
    ]
    assert report["findings"] == []


def test_an_unreadable_file_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "dir.yaml"  # a folder whose name looks like a manifest: walked, empty
    folder.mkdir()
    report = lint_paths(folder)
    assert errors_of(report) == [("dir.yaml", None, "folder holds no .yaml, .yml or .json file")]


def test_lists_inside_lists_are_flattened_as_kubectl_does() -> None:
    text = (
        "apiVersion: v1\n"
        "kind: List\n"
        "items:\n"
        "  - apiVersion: v1\n"
        "    kind: List\n"
        "    items:\n"
        "      - apiVersion: v1\n"
        "        kind: Pod\n"
        "        metadata: {name: nested}\n"
        "        spec:\n"
        "          containers:\n"
        "            - name: n\n"
        "              image: x\n"
        "      - 3\n"
    )
    loaded = load_text(text, "nested.yaml")
    assert [(o.base, o.obj["metadata"]["name"]) for o in loaded.objects] == [
        ("/items/0/items/0", "nested")
    ]
    assert loaded.objects[0].position("/spec/containers/0/resources") == (12, 15)
    assert [(e.line, e.message) for e in loaded.errors] == [
        (14, "List item 1 is a number, not an object")
    ]
