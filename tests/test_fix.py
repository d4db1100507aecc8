"""`evictguard fix`: the safe fixes applied to files in place, every other byte kept.

Golden files: `tests/data/fix/input/` holds the inputs (copies of `examples/bad/` and cases
for comments, flow style, quoting, indentation, streams, Lists, inline suppression, JSON),
`tests/data/fix/expected/` the exact result of `python -m evictguard fix` on a copy of them.
After an intended change rewrite them with

    EVICTGUARD_UPDATE_GOLDEN=1 python -m pytest tests/test_fix.py

and review the diff. Every test runs the real command in a subprocess on copies in
tmp_path: the repository's files are never touched.
"""

from __future__ import annotations

import codecs
import difflib
import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from evictguard.engine.remedy import remedy
from evictguard.patch import json_equal
from evictguard.policy.load import load_policy_file, load_preset
from evictguard.yaml import linediff, roundtrip
from evictguard.yaml.linediff import merge3, opcodes, split_lines
from evictguard.yaml.loader import load_text
from evictguard.yaml.roundtrip import detect_layouts

from tests.conftest import DATA, ROOT, run_cli

FIX = DATA / "fix"
INPUT, EXPECTED = FIX / "input", FIX / "expected"
CASES = sorted(p.name for p in INPUT.iterdir())
UPDATE = os.environ.get("EVICTGUARD_UPDATE_GOLDEN") == "1"
SUMMARY = re.compile(r"^(fixed|would fix) (\d+) finding\(s\) in (\d+) file\(s\)")
UNCHANGED = ("typos.yaml", "clean.yaml")  # nothing to fix there


def copy_inputs(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "manifests"
    folder.mkdir()
    for name in names or CASES:
        shutil.copyfile(INPUT / name, folder / name)
    return folder


def fix(*args: str | Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """`fix --unsafe-fixes`: these tests are about editing files, with every fix applied
    (the golden files hold the default sizes); `safe_fix` is plain `fix`."""
    return run_cli("fix", "--unsafe-fixes", *(str(a) for a in args), **kwargs)


def safe_fix(*args: str | Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return run_cli("fix", *(str(a) for a in args), **kwargs)


def summary(stderr: str) -> tuple[str, int, int]:
    match = SUMMARY.match(stderr.strip().splitlines()[-1])
    assert match, stderr
    return match.group(1), int(match.group(2)), int(match.group(3))


def lint_json(*paths: Path, config: Path | None = None) -> dict[str, Any]:
    options = ["--config", str(config)] if config else []
    proc = run_cli("lint", "--format", "json", *options, *(str(p) for p in paths))
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def documents(text: str) -> list[str]:
    """A stream cut before each `---` line, every byte kept."""
    parts: list[str] = []
    for line in split_lines(text):
        if line.startswith("---") or not parts:
            parts.append("")
        parts[-1] += line
    return parts


# --- golden files -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixed_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """Every input fixed in one run (the run other tests look at)."""
    folder = copy_inputs(tmp_path_factory.mktemp("golden"))
    return folder, fix(folder)


def test_the_golden_inputs_are_what_examples_bad_holds() -> None:
    for path in (ROOT / "examples/bad").glob("*.yaml"):
        assert (INPUT / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.parametrize("name", CASES)
def test_fix_output_is_byte_exact(fixed_folder: tuple[Path, Any], name: str) -> None:
    folder, _ = fixed_folder
    produced = (folder / name).read_bytes()
    if UPDATE:
        EXPECTED.mkdir(exist_ok=True)
        (EXPECTED / name).write_bytes(produced)
    assert produced == (EXPECTED / name).read_bytes()


def test_fix_run_exit_code_and_summary(fixed_folder: tuple[Path, Any]) -> None:
    folder, proc = fixed_folder
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    changed = [n for n in CASES if (EXPECTED / n).read_bytes() != (INPUT / n).read_bytes()]
    verb, findings, files = summary(proc.stderr)
    assert (verb, files) == ("fixed", len(changed))
    listed = [line for line in proc.stderr.splitlines() if ": fixed " in line]
    assert len(listed) == findings
    assert all(
        re.match(rf"{re.escape(str(folder))}/[\w.-]+:\d+:\d+: fixed [a-z-]+$", x) for x in listed
    )


def test_files_with_nothing_to_fix_are_not_rewritten(tmp_path: Path) -> None:
    folder = copy_inputs(tmp_path, *UNCHANGED)
    before = {n: os.stat(folder / n).st_mtime_ns for n in UNCHANGED}
    proc = fix(folder)
    assert proc.returncode == 0, proc.stderr
    assert summary(proc.stderr) == ("fixed", 0, 0)
    for name in UNCHANGED:
        assert (folder / name).read_bytes() == (INPUT / name).read_bytes()
        assert os.stat(folder / name).st_mtime_ns == before[name]


def test_a_second_fix_changes_nothing(fixed_folder: tuple[Path, Any], tmp_path: Path) -> None:
    folder, _ = fixed_folder
    again = tmp_path / "again"
    shutil.copytree(folder, again)
    proc = fix(again)
    assert proc.returncode == 0, proc.stderr
    assert summary(proc.stderr) == ("fixed", 0, 0)
    for name in CASES:
        assert (again / name).read_bytes() == (folder / name).read_bytes(), name


def test_fixed_files_lint_without_the_fixed_findings(fixed_folder: tuple[Path, Any]) -> None:
    folder, proc = fixed_folder
    before = lint_json(*(INPUT / n for n in CASES))
    after = lint_json(folder)
    assert after["errors"] == []
    fixable_after = [(Path(f["file"]).name, f["rule"]) for f in after["findings"] if f["fix"]]
    # Only the fix that would move an inline-silenced finding off its line is left.
    assert fixable_after == [("inline-disable.yaml", "memory-request-missing")]
    assert "memory-request-missing not fixed: its fix would move the memory-limit-missing" in (
        proc.stderr
    )
    # Findings without a fix are all still there; no finding is new.
    unfixable = sorted(
        (Path(f["file"]).name, f["rule"]) for f in before["findings"] if not f["fix"]
    )
    kept = sorted((Path(f["file"]).name, f["rule"]) for f in after["findings"] if not f["fix"])
    assert kept == unfixable


def test_fixed_objects_are_what_the_mutating_webhook_makes(
    fixed_folder: tuple[Path, Any],
) -> None:
    """Each fixed object is `remedy()` of the original (the webhook's operations), save
    where an inline comment keeps a finding out of reach."""
    folder, _ = fixed_folder
    policy = load_preset("default")
    for name in CASES:
        if name == "inline-disable.yaml":
            continue
        original = load_text((INPUT / name).read_text(), name)
        fixed = load_text((folder / name).read_text(), name)
        assert len(original.objects) == len(fixed.objects)
        for before, after in zip(original.objects, fixed.objects, strict=True):
            assert json_equal(after.obj, remedy(before.obj, policy).fixed), name


def test_unchanged_documents_of_a_stream_are_byte_identical() -> None:
    before, after = (documents((d / "multi.yaml").read_text()) for d in (INPUT, EXPECTED))
    assert len(before) == len(after) == 3
    assert after[0] == before[0]  # the odd spacing ruamel would not keep, too
    assert after[2] == before[2]  # `---   # a comment`, flow style, `...`
    assert after[1] != before[1]
    assert after[1].startswith(before[1].rstrip("\n"))  # the request and all before it kept


def test_kind_list_items_are_fixed_in_place() -> None:
    fixed = load_text((EXPECTED / "list.yaml").read_text(), "list.yaml")
    assert [o.base for o in fixed.objects] == ["/items/0", "/items/1"]
    tolerations = fixed.objects[1].obj["spec"]["tolerations"]
    assert tolerations[0]["tolerationSeconds"] == 300
    assert (EXPECTED / "list.yaml").read_text().startswith((INPUT / "list.yaml").read_text())


def test_inline_disable_leaves_silenced_findings_unfixed() -> None:
    text = (EXPECTED / "inline-disable.yaml").read_text()
    obj = load_text(text, "x").objects[0].obj
    legacy, app = obj["spec"]["containers"]
    assert "resources" not in legacy  # limit silenced; the request fix would un-silence it
    assert app["resources"]["limits"] == {"memory": "512Mi"}
    unreachable, not_ready = obj["spec"]["tolerations"]
    assert "tolerationSeconds" not in unreachable  # silenced on its line
    assert not_ready["tolerationSeconds"] == 300
    silenced = {"memory-limit-missing", "noexecute-unbounded"}
    findings = lint_json(EXPECTED / "inline-disable.yaml")["findings"]
    assert not silenced & {f["rule"] for f in findings}


def test_new_strings_kubectl_would_not_read_as_strings_are_quoted() -> None:
    text = (EXPECTED / "quoted.yaml").read_text()
    assert "            limits:\n              memory: '5e6'\n" in text  # the file's quotes
    assert "            limits:\n              memory: 1Gi\n" in text  # plain is a string
    limits = [c["resources"]["limits"] for c in load_text(text, "q").objects[0].obj["spec"][
        "template"]["spec"]["containers"]]  # fmt: skip
    assert limits == [{"memory": "5e6"}, {"memory": "1Gi"}]


# --- examples/bad round trip ----------------------------------------------------------------


def test_fix_on_examples_bad_keeps_every_line_and_comment(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    shutil.copytree(ROOT / "examples/bad", folder)
    proc = fix(folder)
    assert proc.returncode == 1, proc.stderr
    for path in sorted((ROOT / "examples/bad").glob("*.yaml")):
        before = path.read_text().splitlines()
        after = (folder / path.name).read_text().splitlines()
        comments = [line for line in before if line.lstrip().startswith("#") or " # " in line]
        assert [line for line in after if line in comments] == comments, path.name
        # Every original line is still there, in order: these fixes only add lines.
        matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
        assert sum(block.size for block in matcher.get_matching_blocks()) == len(before)
    assert lint_json(folder)["errors"] == []
    assert not [f for f in lint_json(folder)["findings"] if f["fix"]]


# --- --diff ---------------------------------------------------------------------------------


def test_diff_prints_a_unified_diff_and_changes_nothing(tmp_path: Path) -> None:
    names = ("tolerations.yaml", "multi.yaml", "clean.yaml")
    folder = copy_inputs(tmp_path, *names)
    proc = fix("--diff", "manifests", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    for name in names:
        assert (folder / name).read_bytes() == (INPUT / name).read_bytes()
    expected = "".join(
        "".join(
            difflib.unified_diff(
                (INPUT / name).read_text().splitlines(keepends=True),
                (EXPECTED / name).read_text().splitlines(keepends=True),
                f"a/manifests/{name}",
                f"b/manifests/{name}",
            )
        )
        for name in sorted(names)
    )
    assert proc.stdout == expected
    assert proc.stdout.startswith(
        "--- a/manifests/multi.yaml\n+++ b/manifests/multi.yaml\n@@ -21,6 +21,8 @@\n"
    )
    assert "clean.yaml" not in proc.stdout
    assert summary(proc.stderr) == ("would fix", 2, 2)
    assert "manifests/tolerations.yaml:21:11: would fix noexecute-unbounded" in proc.stderr


def test_diff_with_nothing_to_fix_prints_nothing_and_exits_0(tmp_path: Path) -> None:
    folder = copy_inputs(tmp_path, *UNCHANGED)
    proc = fix("--diff", folder)
    assert (proc.returncode, proc.stdout) == (0, "")
    assert summary(proc.stderr) == ("would fix", 0, 0)


def test_diff_marks_a_last_line_without_a_line_break(tmp_path: Path) -> None:
    path = tmp_path / "no-eol.yaml"
    path.write_text((INPUT / "tolerations.yaml").read_text().rstrip("\n"))
    proc = fix("--diff", "no-eol.yaml", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "--- a/no-eol.yaml\n+++ b/no-eol.yaml\n" in proc.stdout
    assert proc.stdout.count("\\ No newline at end of file\n") == 0  # the change is mid-file
    path.write_text((INPUT / "suppressed.yaml").read_text().rstrip("\n"))
    proc = fix("--diff", "no-eol.yaml", cwd=tmp_path)
    assert proc.stdout.endswith(
        "-          image: example/sidecar:1.0\n\\ No newline at end of file\n"
        "+          image: example/sidecar:1.0\n"
        "+          resources:\n+            limits:\n+              memory: 512Mi\n"
        "+            requests:\n+              memory: 256Mi\n\\ No newline at end of file\n"
    )


# --- line breaks, encodings, stdin ------------------------------------------------------------


@pytest.mark.parametrize("name", ["comments.yaml", "multi.yaml", "pod.json", "tolerations.yaml"])
def test_crlf_line_breaks_are_kept(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes((INPUT / name).read_bytes().replace(b"\n", b"\r\n"))
    proc = fix(path)
    assert proc.returncode == 1, proc.stderr
    assert path.read_bytes() == (EXPECTED / name).read_bytes().replace(b"\n", b"\r\n")


def test_no_line_break_at_the_end_stays_so(tmp_path: Path) -> None:
    path = tmp_path / "suppressed.yaml"
    path.write_bytes((INPUT / "suppressed.yaml").read_bytes().rstrip(b"\n"))
    assert fix(path).returncode == 1
    assert path.read_bytes() == (EXPECTED / "suppressed.yaml").read_bytes().rstrip(b"\n")


@pytest.mark.parametrize(
    "bom, codec",
    [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")],
)
def test_a_byte_order_mark_and_the_encoding_are_kept(
    tmp_path: Path, bom: bytes, codec: str
) -> None:
    path = tmp_path / "tolerations.yaml"
    path.write_bytes(bom + (INPUT / "tolerations.yaml").read_text().encode(codec))
    assert fix(path).returncode == 1
    assert path.read_bytes() == bom + (EXPECTED / "tolerations.yaml").read_text().encode(codec)


def test_stdin_prints_the_fixed_text() -> None:
    proc = fix("-", stdin=(INPUT / "no-limits.yaml").read_text())
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == (EXPECTED / "no-limits.yaml").read_text()
    # Counted as lint counts them: `fetch` has neither value, one finding whose fix sets both.
    assert "<stdin>:9:7: fixed memory-limit-missing\n<stdin>:14:7: fixed" in proc.stderr
    assert "memory-request-missing" not in proc.stderr
    assert summary(proc.stderr) == ("fixed", 4, 1)
    lint = lint_json(INPUT / "no-limits.yaml")
    assert len(lint["findings"]) == 4


def test_stdin_with_nothing_to_fix_prints_it_unchanged() -> None:
    text = (INPUT / "typos.yaml").read_text()
    proc = fix("-", stdin=text)
    assert (proc.returncode, proc.stdout) == (0, text)


def test_stdin_with_diff() -> None:
    proc = fix("--diff", "-", stdin=(INPUT / "tolerations.yaml").read_text())
    assert proc.returncode == 1
    assert proc.stdout.startswith("--- a/<stdin>\n+++ b/<stdin>\n@@ -21,6 +21,7 @@\n")
    assert "+          tolerationSeconds: 300\n" in proc.stdout


# --- rule selection and policy ------------------------------------------------------------


def test_select_fixes_only_those_rules(tmp_path: Path) -> None:
    folder = copy_inputs(tmp_path, "no-limits.yaml", "tolerations.yaml")
    proc = fix("--select", "noexecute-*", folder)
    assert proc.returncode == 1, proc.stderr
    assert summary(proc.stderr) == ("fixed", 1, 1)
    assert (folder / "no-limits.yaml").read_bytes() == (INPUT / "no-limits.yaml").read_bytes()
    assert (folder / "tolerations.yaml").read_bytes() == (
        EXPECTED / "tolerations.yaml"
    ).read_bytes()


def test_ignore_skips_those_rules(tmp_path: Path) -> None:
    folder = copy_inputs(tmp_path, "comments.yaml")
    proc = fix("--ignore", "memory-limit-missing,memory-request-missing", folder)
    assert proc.returncode == 1, proc.stderr
    text = (folder / "comments.yaml").read_text()
    assert "tolerationSeconds: 300" in text
    assert "resources" not in text


def test_the_policy_decides_which_rules_run(tmp_path: Path) -> None:
    folder = copy_inputs(tmp_path, "tolerations.yaml")
    config = tmp_path / "policy.yaml"
    config.write_text(
        "apiVersion: evictguard.io/v1alpha1\nkind: Policy\nrules:\n"
        "  noexecute-unbounded:\n    mode: off\n"
    )
    proc = fix("--config", config, folder)
    assert proc.returncode == 0, proc.stderr
    assert (folder / "tolerations.yaml").read_bytes() == (INPUT / "tolerations.yaml").read_bytes()


def test_an_unknown_rule_is_a_usage_error(tmp_path: Path) -> None:
    folder = copy_inputs(tmp_path, "tolerations.yaml")
    proc = fix("--select", "no-such-rule", folder)
    assert proc.returncode == 2
    assert "no rule matches 'no-such-rule'" in proc.stderr
    assert (folder / "tolerations.yaml").read_bytes() == (INPUT / "tolerations.yaml").read_bytes()


# --- errors -------------------------------------------------------------------------------------


def test_a_file_that_cannot_be_parsed_is_reported_and_skipped(tmp_path: Path) -> None:
    folder = copy_inputs(tmp_path, "tolerations.yaml")
    broken = folder / "broken.yaml"
    broken.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [oops\nspec:\n  containers: []\n"
    )
    original = broken.read_bytes()
    proc = fix(folder)
    assert proc.returncode == 2
    assert re.search(rf"{re.escape(str(broken))}:\d+:\d+: input-error invalid YAML", proc.stderr)
    assert broken.read_bytes() == original
    # The rest is still fixed.
    assert (folder / "tolerations.yaml").read_bytes() == (
        EXPECTED / "tolerations.yaml"
    ).read_bytes()
    assert summary(proc.stderr) == ("fixed", 1, 1)


def test_missing_paths_and_non_objects_are_errors(tmp_path: Path) -> None:
    other = tmp_path / "values.yaml"
    other.write_text("replicas: 3\n---\n" + (INPUT / "tolerations.yaml").read_text())
    proc = fix(tmp_path / "missing.yaml", other)
    assert proc.returncode == 2
    assert "missing.yaml: input-error no such file or folder" in proc.stderr
    assert "values.yaml:1:1: input-error object has no apiVersion and kind" in proc.stderr
    assert other.read_text() == "replicas: 3\n---\n" + (INPUT / "tolerations.yaml").read_text()
    # As in lint, --skip-non-kubernetes leaves such documents alone quietly.
    proc = fix("--skip-non-kubernetes", other)
    assert proc.returncode == 1, proc.stderr
    assert other.read_text() == "replicas: 3\n---\n" + (EXPECTED / "tolerations.yaml").read_text()


def test_an_edit_that_would_not_read_back_is_refused(tmp_path: Path) -> None:
    """Duplicate keys: YAML loaders keep different ones, so no edit can be trusted."""
    path = tmp_path / "duplicate.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: dup\nspec:\n  containers:\n"
        "  - name: a\n    image: x\n    resources:\n      requests:\n        memory: 1Gi\n"
        "      requests:\n        memory: 2Gi\n"
    )
    original = path.read_bytes()
    proc = fix(path)
    assert proc.returncode == 2
    assert "duplicate.yaml:1: fix-error cannot fix: the edited document does not read back" in (
        proc.stderr
    )
    assert f"{path}: left unchanged" in proc.stderr
    assert path.read_bytes() == original


def test_a_symlink_is_followed_and_the_mode_kept(tmp_path: Path) -> None:
    target = copy_inputs(tmp_path, "tolerations.yaml") / "tolerations.yaml"
    target.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    assert fix(link).returncode == 1
    assert link.is_symlink()
    assert target.read_bytes() == (EXPECTED / "tolerations.yaml").read_bytes()
    assert target.stat().st_mode & 0o777 == 0o640


# --- the merge itself -----------------------------------------------------------------------


def test_merge_keeps_the_original_where_ruamel_writes_differently() -> None:
    original = ["a:   1  # odd", "b:", "  c: 2"]
    base = ["a: 1 # odd", "b:", "  c: 2"]
    changed = ["a: 1 # odd", "b:", "  c: 2", "  d: 3"]
    assert [line for line, _ in merge3(original, base, changed)] == [*original, "  d: 3"]
    assert [origin for _, origin in merge3(original, base, changed)] == [0, 1, 2, None]


def test_merge_puts_added_lines_above_outdented_comments_and_blank_lines() -> None:
    original = ["x:", "  - a: 1", "  # about y", "", "y: 2"]
    changed = ["x:", "  - a: 1", "  # about y", "", "    b: 2", "y: 2"]
    merged = [line for line, _ in merge3(original, original, changed)]
    assert merged == ["x:", "  - a: 1", "    b: 2", "  # about y", "", "y: 2"]
    plain = [line for line, _ in merge3(original, original, changed, hoist=False)]
    assert plain == changed


@pytest.mark.parametrize(
    "name, mapping, sequence, offset",
    [
        ("indent4.yaml", 4, 8, 4),
        ("indentless.yaml", 2, 2, 0),
        ("comments.yaml", 2, 4, 2),
    ],
)
def test_layout_detection(name: str, mapping: int, sequence: int, offset: int) -> None:
    node = load_text((INPUT / name).read_text(), name).parsed[0].node
    layout = detect_layouts(node)[0]
    assert (layout.mapping, layout.sequence, layout.offset) == (mapping, sequence, offset)


def test_mixed_indentation_is_tried_both_ways() -> None:
    node = load_text((INPUT / "mixed-indent.yaml").read_text(), "m").parsed[0].node
    found = {(x.mapping, x.sequence, x.offset) for x in detect_layouts(node)}
    assert {(4, 8, 4), (4, 4, 0)} <= found


@pytest.mark.parametrize(
    "text, value, expected",
    [
        # A one-line value replacing a block scalar is written inline (not as `|-`), and the
        # blank line or comment that followed the block stays.
        ("a: |\n  old\n\nb: 1\n", "new", "a: new\n\nb: 1\n"),
        ("x:\n  a: >\n    old\n  # note\n  b: 1\n", "new", "x:\n  a: new\n  # note\n  b: 1\n"),
        # A trailing comment a longer value pushes keeps its gap (quotes counted)...
        ("a:   # empty\nb: 1\n", "new", "a: new   # empty\nb: 1\n"),
        ("a: 'x'  # c\n", "longer", "a: 'longer'  # c\n"),
        # ...and keeps its column where the value fits.
        ("a: long   # c\n", "v", "a: v      # c\n"),
    ],
)
def test_a_replaced_value_is_written_as_by_hand(text: str, value: str, expected: str) -> None:
    lines = split_lines(text)
    before = yaml.safe_load(text)
    base = "/x" if "x" in before else ""
    inner = before.get("x", before)
    edit = roundtrip.Edit(base, inner, {**inner, "a": value})
    node = yaml.compose(text)
    assert roundtrip.edit_yaml(lines, [edit], detect_layouts(node)[0])[0] == expected


@pytest.mark.parametrize("work", [0, 20_000])  # patience anchors only / difflib when small
def test_opcodes_turn_one_text_into_the_other(monkeypatch: pytest.MonkeyPatch, work: int) -> None:
    monkeypatch.setattr(linediff, "_DIFFLIB_WORK", work)
    rng = random.Random(7)
    for _ in range(500):
        a = [rng.choice("abcdexyz") for _ in range(rng.randint(0, 40))]
        b = list(a)
        for _ in range(rng.randint(0, 6)):
            roll = rng.random()
            if roll < 0.4 and b:
                del b[rng.randrange(len(b))]
            elif roll < 0.8:
                b.insert(rng.randint(0, len(b)), rng.choice("abcdefghijklmnop"))
            elif b:
                b[rng.randrange(len(b))] = rng.choice("pq")
        rebuilt: list[str] = []
        at_a = at_b = 0
        for tag, a1, a2, b1, b2 in opcodes(a, b):
            assert (a1, b1) == (at_a, at_b)
            assert tag in ("equal", "replace", "insert", "delete")
            if tag == "equal":
                assert a[a1:a2] == b[b1:b2]
            rebuilt += b[b1:b2]
            at_a, at_b = a2, b2
        assert (at_a, at_b, rebuilt) == (len(a), len(b), b)


def test_a_large_list_of_repetitive_items_is_fixed_in_place(tmp_path: Path) -> None:
    """Hundreds of near-identical items: every one gets its limit, nothing else moves."""
    item = (
        "  - apiVersion: v1\n    kind: Pod\n    metadata:\n      name: p{i}\n    spec:\n"
        "      containers:\n        - name: app\n          image: example/app:1.0\n"
        "          resources:\n            requests:\n              memory: 1Gi\n"
    )
    limit = "            limits:\n              memory: 1Gi\n"
    path = tmp_path / "list.yaml"
    path.write_text(
        "apiVersion: v1\nkind: List\nitems:\n" + "".join(item.format(i=i) for i in range(300))
    )
    proc = fix(path)
    assert proc.returncode == 1, proc.stderr
    assert summary(proc.stderr) == ("fixed", 300, 1)
    expected = "".join(item.format(i=i) + limit for i in range(300))
    assert path.read_text() == "apiVersion: v1\nkind: List\nitems:\n" + expected


def test_an_explicit_null_resources_is_replaced_keeping_its_comment(tmp_path: Path) -> None:
    """`resources: ~` / `resources: null`: the key ruamel writes is `resources:`, and the
    new limits and requests go under it (found in review: the null stayed, the file was
    refused as unreadable after the edit)."""
    path = tmp_path / "pod.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: n1}\nspec:\n  containers:\n"
        "    - name: c\n      image: x\n      resources: null   # nothing yet\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "evictguard", "fix", "--unsafe-fixes", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert path.read_text() == (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: n1}\nspec:\n  containers:\n"
        "    - name: c\n      image: x\n      resources:        # nothing yet\n"
        "        limits:\n          memory: 512Mi\n        requests:\n          memory: 256Mi\n"
    )


# --- safe and unsafe fixes ----------------------------------------------------------------

SAFETY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
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
        - name: cache
          image: redis:7
          resources:
            requests:
              memory: 300Mi
      tolerations:
        - key: node.kubernetes.io/unreachable
          operator: Exists
          effect: NoExecute
"""


def test_fix_applies_safe_fixes_only_and_unsafe_ones_with_the_flag(tmp_path: Path) -> None:
    path = tmp_path / "api.yaml"
    path.write_text(SAFETY)
    proc = safe_fix(path)
    assert proc.returncode == 1, proc.stderr
    text = path.read_text()
    # The safe fix: Kubernetes' own 300 s bound.
    assert text == SAFETY + "          tolerationSeconds: 300\n"
    # Left: the guessed sizes (api has no resources) and the limit copied from the request.
    assert "512Mi" not in text and "256Mi" not in text and "limits" not in text
    assert f"{path}:21:11: fixed noexecute-unbounded" in proc.stderr
    assert "fixed memory-" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    # (api has no resources: one finding, whose fix sets its limit and request)
    assert last.startswith("fixed 1 finding(s) in 1 file(s); 2 more with unsafe fixes")
    assert last.endswith("apply them with --unsafe-fixes")
    again = safe_fix(path)  # nothing safe is left: no change, exit 0, the unsafe ones said
    assert again.returncode == 0 and path.read_text() == text
    assert "fixed 0 finding(s) in 0 file(s); 2 more with unsafe fixes" in again.stderr

    proc = fix(path)  # --unsafe-fixes
    assert proc.returncode == 1, proc.stderr
    text = path.read_text()
    api, cache = text.split("- name: cache")
    assert "limits: {memory: 512Mi}" in api or "memory: 512Mi" in api  # the policy default
    assert "memory: 256Mi" in api
    assert "limits:\n              memory: 300Mi" in cache  # the request, copied
    assert "unsafe fixes" not in proc.stderr
    assert [f for f in lint_json(path)["findings"] if f["fix"]] == []


def test_fix_diff_without_the_flag_shows_only_the_safe_fix() -> None:
    proc = safe_fix("--diff", "-", stdin=SAFETY)
    assert proc.returncode == 1, proc.stderr
    added = [line for line in proc.stdout.splitlines() if line.startswith("+ ")]
    assert added == ["+          tolerationSeconds: 300"]
    assert "would fix 1 finding(s) in 1 file(s); 2 more with unsafe fixes" in proc.stderr


def test_json_says_which_fixes_are_safe(tmp_path: Path) -> None:
    path = tmp_path / "api.yaml"
    path.write_text(SAFETY)
    findings = lint_json(path)["findings"]
    assert {(f["rule"], f["container"], f["fixApplicability"]) for f in findings} == {
        ("memory-limit-missing", "api", "unsafe"),  # no limit, no request: one finding
        ("memory-limit-missing", "cache", "unsafe"),
        ("noexecute-unbounded", None, "safe"),
    }


def _objects_by_ref(path: Path) -> dict[tuple[Any, ...], Any]:
    """The objects of a file by (apiVersion, kind, namespace, name), the ones named once."""
    seen: dict[tuple[Any, ...], list[Any]] = {}
    for item in load_text(path.read_text(), str(path)).objects:
        meta = item.obj.get("metadata") or {}
        key = (item.obj.get("apiVersion"), item.obj.get("kind"), meta.get("namespace"))
        seen.setdefault((*key, meta.get("name")), []).append(item.obj)
    return {key: objs[0] for key, objs in seen.items() if len(objs) == 1}


COMPOSE = """\
apiVersion: v1
kind: Pod
metadata:
  name: bare
spec:
  containers:
    - name: a
      image: x
    - name: b
      image: x
      resources: null
  initContainers:
    - name: init
      image: x
      resources: {}
  tolerations:
    - key: node.kubernetes.io/unreachable
      operator: Exists
    - key: node.kubernetes.io/not-ready
      operator: Exists
"""


def test_the_json_fixes_of_one_object_compose_in_report_order(tmp_path: Path) -> None:
    """Each object's fixes, applied in the order the report lists them with the `jsonpatch`
    library, all apply and none undoes another: every finding that offered a fix is gone
    (two fixes that both create `resources` used to leave only the second's request)."""
    import jsonpatch
    from evictguard.engine.check import check_object

    (tmp_path / "compose.yaml").write_text(COMPOSE)
    files = [tmp_path / "compose.yaml", *(INPUT / name for name in CASES)]
    # A policy under which a container with neither value gets both memory findings (the
    # request rule's is more severe, so it is not left out for the limit rule's): two fixes
    # on one container that both create `resources`.
    config = tmp_path / "policy.yaml"
    config.write_text(
        "rules:\n  memory-limit-missing: {mode: warn}\n  memory-request-missing: {mode: enforce}\n"
    )
    report = lint_json(*files, config=config)
    policy = load_policy_file(str(config))
    by_object: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for finding in report["findings"]:
        ref = (finding["apiVersion"], finding["kind"], finding["namespace"], finding["name"])
        by_object.setdefault((finding["file"], *ref), []).append(finding)
    objects = {(str(f), *ref): obj for f in files for ref, obj in _objects_by_ref(f).items()}
    composed = 0
    for key, findings in by_object.items():
        fixes = [f for f in findings if f["fix"]]
        if key not in objects or len(fixes) < 2:
            continue
        obj = objects[key]
        for finding in fixes:
            obj = jsonpatch.apply_patch(obj, finding["fix"])
        left = {(f.rule, f.pointer) for f in check_object(obj, policy).findings}
        assert not left & {(f["rule"], f["pointer"]) for f in fixes}, key
        composed += 1
    assert composed >= 5  # the bare Pod, and the examples' objects with several fixes
    bare = by_object[(str(tmp_path / "compose.yaml"), "v1", "Pod", None, "bare")]
    first, second = (f for f in bare if f["container"] == "a")
    assert (first["rule"], second["rule"]) == ("memory-limit-missing", "memory-request-missing")
    assert second["fix"] == [
        {"op": "add", "path": "/spec/containers/0/resources/requests/memory", "value": "256Mi"}
    ]
