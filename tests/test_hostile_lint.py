"""Hostile and malformed input to `evictguard lint` (issue 7), one table row per case.

Each row writes the hostile input into a temporary folder and runs the real CLI on it
*together with* a clean manifest and a manifest with findings, then checks:

- the exit code: 2 when something could not be read or parsed, 1 when there are only
  findings (the bad manifest always has some);
- the input errors: exactly the expected ones, each naming the file, its line where there
  is one, and what was wrong;
- the findings in the hostile file, if any, at their lines;
- that the other two files were still linted (the bad one's findings are there, the good
  one has none), and that nothing crashed (no traceback on stderr).

The property tests at the end feed random pods, tolerations and quantities to the engine.
"""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from evictguard.engine.check import check_object
from evictguard.policy.load import load_preset
from evictguard.yaml import stream
from evictguard.yaml.loader import load_text
from evictguard.yaml.safety import MAX_DEPTH, TOO_DEEP
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT

GOOD = """\
apiVersion: v1
kind: Pod
metadata:
  name: good
spec:
  containers:
    - name: app
      image: nginx:1.27
      resources:
        requests: {memory: 128Mi}
        limits: {memory: 256Mi}
"""

BAD = """\
apiVersion: v1
kind: Pod
metadata:
  name: bad
spec:
  containers:
    - name: app
      image: nginx:1.27
"""
BAD_FINDINGS = {("bad.yaml", 7, "memory-limit-missing")}  # its message covers the request


def pod(name: str, memory: str = "256Mi", extra: str = "") -> str:
    """A Pod whose memory limit sits on line 11 (column 19); `extra` goes under `spec:`."""
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n{extra}"
        "  containers:\n    - name: app\n      image: nginx:1.27\n"
        f"      resources:\n        limits:\n          memory: {memory}\n"
    )


def no_limit(name: str) -> str:
    """A Pod without a memory limit or request: one finding on line 7 (the container)."""
    return BAD.replace("name: bad", f"name: {name}")


def missing(line: int) -> set[tuple[str, int, str]]:
    """The finding of `no_limit` in the hostile file, its container on `line`."""
    return {("hostile", line, "memory-limit-missing")}


# A ConfigMap bomb: 9 levels of 9 aliases each expand to 9**9 (387 million) strings.
LAUGHS = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n"
    '  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    + "".join(
        f"  {chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(8)
    )
)  # 13 lines
DEPTH = 100_000
MARKER = "evictguard-hostile-tag-ran"  # a file the python tags would create if they ran


# A 50 MB manifest, as CRD and ConfigMap bundles get: one large ConfigMap (parsed, though no
# rule reads its data), then a Pod without a limit.
BUNDLE_HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bundle}\ndata:\n"
BUNDLE_ENTRY = "  k%07d: " + "v" * 100 + "\n"
BUNDLE_ENTRIES = (50 * 1024 * 1024 - len(BUNDLE_HEAD)) // len(BUNDLE_ENTRY % 0) + 1
BUNDLE_POD_LINE = 4 + BUNDLE_ENTRIES + 1 + 7  # head, entries, `---`, the container's line


def bundle(folder: Path) -> list[str]:
    path = folder / "hostile.yaml"
    entries = "".join(BUNDLE_ENTRY % i for i in range(BUNDLE_ENTRIES))
    path.write_text(BUNDLE_HEAD + entries + "---\n" + no_limit("last"))
    assert path.stat().st_size > 50 * 1024 * 1024
    return [str(path)]


def _root() -> str | None:
    return "root reads any file whatever its mode" if os.geteuid() == 0 else None


def _proc_mem_unreadable() -> str | None:
    try:
        with open("/proc/self/mem", "rb") as handle:
            handle.read(1)
    except OSError:
        return None
    return "reading /proc/self/mem does not fail here"


def _no_fifo() -> str | None:
    return None if hasattr(os, "mkfifo") else "no named pipes on this platform"


@dataclass(frozen=True)
class Case:
    """`make(folder)` writes the hostile input and returns the paths to lint; the hostile
    file is written as `hostile` + suffix. `errors`: (path relative to the folder, line,
    fragment of the message); `findings`: (file stem, line, rule) in the hostile file."""

    make: Callable[[Path], list[str]]
    code: int
    errors: list[tuple[str, int | None, str]] = field(default_factory=list)
    findings: set[tuple[str, int, str]] = field(default_factory=set)
    skip: Callable[[], str | None] = lambda: None
    max_seconds: float | None = None  # for cases that could hang or crawl


def write(content: str | bytes, name: str = "hostile.yaml") -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        return [str(path)]

    return make


def symlink(target: str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        (folder / "hostile.yaml").symlink_to(target)
        if target == "loop.yaml":
            (folder / "loop.yaml").symlink_to("hostile.yaml")
        return [str(folder / "hostile.yaml")]

    return make


def unreadable(folder: Path) -> list[str]:
    path = folder / "hostile.yaml"
    path.write_text(no_limit("secret"))
    path.chmod(0)
    return [str(path)]


def special_files(folder: Path) -> list[str]:
    """A folder as a repository may hold it: a manifest, and entries that are no files."""
    tree = folder / "tree"
    tree.mkdir()
    (tree / "a-pod.yaml").write_text(no_limit("in-tree"))
    os.mkfifo(tree / "b-pipe.yaml")  # opening it would wait for a writer forever
    (tree / "c-dangling.yaml").symlink_to("gone.yaml")
    (tree / "d-loop.yaml").symlink_to("d-loop.yaml")
    return [str(tree)]


def empty_folder(folder: Path) -> list[str]:
    (folder / "empty").mkdir()
    (folder / "empty" / "notes.txt").write_text("not a manifest")
    return [str(folder / "empty")]


def proc_mem(folder: Path) -> list[str]:
    return ["/proc/self/mem"]


LATIN1 = no_limit("caf\xe9").encode("latin-1")
LATIN1_AT = LATIN1.index(b"\xe9")

CASES = [
    # --- empty, binary, encodings ----------------------------------------------------------
    # An empty file holds no object, as kubectl agrees (it applies nothing): not an error.
    pytest.param(Case(write(""), 1), id="empty-file"),
    pytest.param(Case(write("# just a comment\n---\n# and another\n...\n"), 1), id="comments-only"),
    pytest.param(
        Case(write(bytes(range(256)) * 8), 2, [("hostile.yaml", 1, "a NUL byte at byte 0")]),
        id="binary-with-nul",
    ),
    pytest.param(
        Case(
            write(b"\x89PNG\r\n\x1a\n" + bytes(range(128, 256))),
            2,
            [("hostile.yaml", 1, "not UTF-8 text (byte 0: invalid start byte)")],
        ),
        id="binary-png",
    ),
    pytest.param(
        Case(
            write(LATIN1),
            2,
            [("hostile.yaml", 4, f"not UTF-8 text (byte {LATIN1_AT}: invalid continuation byte)")],
        ),
        id="invalid-utf8",
    ),
    pytest.param(
        Case(write(codecs.BOM_UTF8 + no_limit("bom").encode()), 1, findings=missing(7)),
        id="utf8-bom",
    ),
    pytest.param(
        Case(write(codecs.BOM_UTF16_LE + no_limit("le").encode("utf-16-le")), 1, [], missing(7)),
        id="utf16-le-bom",
    ),
    pytest.param(
        Case(write(codecs.BOM_UTF16_BE + no_limit("be").encode("utf-16-be")), 1, [], missing(7)),
        id="utf16-be-bom",
    ),
    pytest.param(
        Case(
            write(no_limit("nobom").encode("utf-16-le")),
            2,
            [("hostile.yaml", 1, "NUL byte at byte 1): binary data, or UTF-16 text without")],
        ),
        id="utf16-without-bom",
    ),
    pytest.param(
        Case(
            write(codecs.BOM_UTF16_LE + no_limit("odd").encode("utf-16-le") + b"\n"),
            2,
            [("hostile.yaml", None, "cannot decode UTF-16 text: truncated data")],
        ),
        id="utf16-truncated",
    ),
    pytest.param(
        Case(
            write(no_limit("wide").encode("utf-32")),
            2,
            [("hostile.yaml", None, "UTF-32 text is not supported: save it as UTF-8")],
        ),
        id="utf32",
    ),
    pytest.param(
        Case(write(no_limit("crlf").replace("\n", "\r\n")), 1, findings=missing(7)),
        id="crlf-line-ends",
    ),
    # --- characters YAML does not allow ----------------------------------------------------
    pytest.param(
        Case(
            write("apiVersion: v1\nkind: Pod\nmetadata:\n\tname: tabs\nspec: {}\n"),
            2,
            [("hostile.yaml", 4, "invalid YAML: found character that cannot start any token")],
        ),
        id="tab-indentation",
    ),
    pytest.param(
        Case(
            # Before: no line, and "position 69 in <unicode string>" (a byte offset).
            write(
                no_limit("one")
                + '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: é}\ndata:\n  k: "é\x07"\n'
                + "---\n"
                + no_limit("three")
            ),
            2,
            [("hostile.yaml", 14, "invalid YAML: character U+0007 is not allowed")],
            missing(7) | missing(22),
        ),
        id="control-character-mid-stream",
    ),
    pytest.param(
        Case(
            write("apiVersion: v1\nkind: Pod\x00\n"),
            2,
            [("hostile.yaml", 2, "a NUL byte at byte 24")],
        ),
        id="nul-in-text",
    ),
    pytest.param(
        Case(
            write('apiVersion: v1\nkind: Pod\nmetadata:\n  name: "\\ud800"\n'),
            2,
            [("hostile.yaml", 4, "invalid YAML: found invalid Unicode character escape code")],
        ),
        id="lone-surrogate-escape",
    ),
    # --- duplicate keys --------------------------------------------------------------------
    # PyYAML keeps the last of duplicate keys, and so does kubectl: it decodes manifests with
    # sigs.k8s.io/yaml's non-strict Unmarshal (go-yaml v2 into a map: the last value wins;
    # only YAMLToJSONStrict refuses them, "key ... already set in map"), so the cluster gets
    # the last value (kubernetes/kubernetes#89303). kubectl's NoDoubleKeySchema checks only
    # labels and annotations, and only in JSON input. evictguard lints the value that wins.
    pytest.param(
        Case(
            write(
                pod("dup", "256Mi").replace(
                    "memory: 256Mi", "memory: 256Mi\n          memory: lots"
                )
            ),
            1,
            findings={("hostile", 12, "memory-quantity-invalid")},
        ),
        id="duplicate-key-last-wins-invalid",
    ),
    pytest.param(
        Case(
            write(
                pod("dup", "lots").replace("memory: lots", "memory: lots\n          memory: 1Gi")
            ),
            1,
        ),
        id="duplicate-key-last-wins-valid",
    ),
    # --- resource exhaustion ---------------------------------------------------------------
    pytest.param(
        Case(
            write(
                no_limit("before")
                + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  x: "
                + "[" * DEPTH
                + "]" * DEPTH
                + "\n---\n"
                + no_limit("after")
            ),
            2,
            [("hostile.yaml", 14, TOO_DEEP)],
            missing(7) | missing(22),
            # libyaml 0.2.5 (PyYAML 6.0.3's) took 23 s to check this stream's syntax
            max_seconds=10,
        ),
        id="deep-flow-nesting",
    ),
    pytest.param(
        Case(
            write(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n"
                + "".join(" " * (i + 2) + "k:\n" for i in range(3000))
            ),
            2,
            # evictguard's bound, not libyaml's (absent in 0.2.5, 1,000 levels in 0.2.6):
            # data's mapping (depth 2) is on line 5, one more level each line after it
            [("hostile.yaml", 5 + MAX_DEPTH + 1 - 2, TOO_DEEP)],
        ),
        id="deep-block-nesting",
    ),
    pytest.param(
        Case(
            write(LAUGHS + "---\n" + no_limit("after-bomb")),
            2,
            [("hostile.yaml", 1, "excessive aliasing: its aliases expand to more than 1,000,000")],
            missing(21),
        ),
        id="billion-laughs",
    ),
    pytest.param(
        Case(
            write("apiVersion: v1\nkind: ConfigMap\ndata: &a [*a]\n"),
            2,
            [("hostile.yaml", 1, "an anchor contains an alias to itself")],
        ),
        id="self-referencing-anchor",
    ),
    pytest.param(
        Case(bundle, 1, findings=missing(BUNDLE_POD_LINE), max_seconds=20), id="50-MB-file"
    ),
    # --- YAML that would construct objects -------------------------------------------------
    pytest.param(
        Case(
            write(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: !!python/object/apply:os.system"
                f" ['touch /tmp/{MARKER}']\n---\n" + no_limit("after-tag")
            ),
            2,
            [("hostile.yaml", 4, "tag !!python/object/apply:os.system is not allowed")],
            missing(12),
        ),
        id="python-object-apply",
    ),
    pytest.param(
        Case(
            write("apiVersion: v1\nkind: Pod\nmetadata:\n  name: !!python/name:os.system ''\n"),
            2,
            [("hostile.yaml", 4, "tag !!python/name:os.system is not allowed: only plain data")],
        ),
        id="python-name",
    ),
    pytest.param(
        Case(
            write("apiVersion: v1\nkind: Pod\nmetadata:\n  name: !Ref other\n"),
            2,
            [("hostile.yaml", 4, "tag !Ref is not allowed")],
        ),
        id="unknown-local-tag",
    ),
    pytest.param(
        Case(
            write("apiVersion: v1\nkind: Pod\nmetadata:\n  name: *nowhere\n"),
            2,
            [("hostile.yaml", 4, "invalid YAML: found undefined alias")],
        ),
        id="undefined-alias",
    ),
    pytest.param(
        Case(
            write(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n---\n" + no_limit("ok")
            ),
            2,
            [("hostile.yaml", 4, "invalid YAML: did not find expected ',' or ']'")],
            missing(12),
        ),
        id="syntax-error-then-a-good-document",
    ),
    # --- documents that are no Kubernetes object -------------------------------------------
    pytest.param(
        Case(
            write("just a string\n"),
            2,
            [("hostile.yaml", 1, "document is a string, not a Kubernetes object")],
        ),
        id="scalar-document",
    ),
    pytest.param(
        Case(
            write("- apiVersion: v1\n  kind: Pod\n"),
            2,
            [("hostile.yaml", 1, "document is a list, not a Kubernetes object")],
        ),
        id="list-document",
    ),
    pytest.param(
        Case(
            write("apiVersion: v1\nmetadata:\n  name: nokind\n"),
            2,
            [("hostile.yaml", 1, "object has no kind: not a Kubernetes object")],
        ),
        id="no-kind",
    ),
    pytest.param(
        Case(
            write("apiVersion: v1\nkind: 5\nmetadata:\n  name: numeric\n"),
            2,
            [("hostile.yaml", 1, "object has no kind: not a Kubernetes object")],
        ),
        id="kind-not-a-string",
    ),
    pytest.param(
        Case(
            write("apiVersion: v1\nkind: PodList\nitems:\n  - 5\n"),
            2,
            [("hostile.yaml", 4, "PodList item 0 is a number, not an object")],
        ),
        id="list-item-not-an-object",
    ),
    # --- fields of the wrong type ----------------------------------------------------------
    # `containers: null` decodes as no containers (as the API server decodes it; its own
    # validation then asks for one): there is no container to check, and no error.
    pytest.param(
        Case(
            write("apiVersion: v1\nkind: Pod\nmetadata:\n  name: n\nspec:\n  containers: null\n"), 1
        ),
        id="containers-null",
    ),
    pytest.param(
        Case(
            write("apiVersion: v1\nkind: Pod\nmetadata:\n  name: s\nspec:\n  containers: nginx\n"),
            2,
            [("hostile.yaml", 6, "Pod s: spec.containers is a string, not a list")],
        ),
        id="containers-a-string",
    ),
    pytest.param(
        Case(
            write(
                pod("rl").replace(
                    "resources:\n        limits:\n          memory: 256Mi", "resources: [limits]"
                )
            ),
            1,
            findings={("hostile", 9, "memory-quantity-invalid")},
        ),
        id="resources-a-list",
    ),
    # 268435456 bytes is 256Mi: a number is a quantity.
    pytest.param(Case(write(pod("int", "268435456")), 1), id="memory-an-int"),
    pytest.param(
        Case(
            write(pod("float", "0.5")), 1, findings={("hostile", 11, "memory-quantity-suspicious")}
        ),
        id="memory-a-float",
    ),
    pytest.param(
        Case(write(pod("bool", "true")), 1, findings={("hostile", 11, "memory-quantity-invalid")}),
        id="memory-a-bool",
    ),
    pytest.param(
        Case(write(pod("nan", ".nan")), 1, findings={("hostile", 11, "memory-quantity-invalid")}),
        id="memory-nan",
    ),
    pytest.param(
        Case(
            write(pod("tm", extra="  tolerations:\n    key: a\n    operator: Exists\n")),
            2,
            [("hostile.yaml", 6, "Pod tm: spec.tolerations is a mapping, not a list")],
        ),
        id="tolerations-a-mapping",
    ),
    pytest.param(
        Case(
            write(
                pod(
                    "ts",
                    extra="  tolerations:\n    - {key: a, operator: Exists, effect: NoExecute,"
                    " tolerationSeconds: forever}\n",
                )
            ),
            1,
            findings={("hostile", 7, "toleration-invalid")},
        ),
        id="toleration-seconds-a-string",
    ),
    # --- paths -----------------------------------------------------------------------------
    pytest.param(
        Case(unreadable, 2, [("hostile.yaml", None, "cannot read: Permission denied")], skip=_root),
        id="unreadable-file",
    ),
    pytest.param(
        # Unreadable even for root: the read fails (EIO) after the open succeeded.
        Case(
            proc_mem,
            2,
            [("/proc/self/mem", None, "cannot read: Input/output error")],
            skip=_proc_mem_unreadable,
        ),
        id="read-error",
    ),
    pytest.param(
        Case(
            lambda folder: [str(folder / "nope.yaml")],
            2,
            [("nope.yaml", None, "no such file or folder")],
        ),
        id="missing-path",
    ),
    pytest.param(
        # Before: "no such file or folder", though both links are there.
        Case(symlink("loop.yaml"), 2, [("hostile.yaml", None, "symbolic link loop")]),
        id="symlink-loop",
    ),
    pytest.param(
        Case(
            symlink("gone.yaml"),
            2,
            [("hostile.yaml", None, "broken symbolic link: its target 'gone.yaml' is missing")],
        ),
        id="dangling-symlink",
    ),
    pytest.param(
        # Before: the run hung forever on the pipe.
        Case(
            special_files,
            2,
            [
                ("tree/b-pipe.yaml", None, "not a regular file (a named pipe): not read"),
                ("tree/c-dangling.yaml", None, "broken symbolic link: its target 'gone.yaml'"),
                ("tree/d-loop.yaml", None, "symbolic link loop"),
            ],
            {("a-pod", 7, "memory-limit-missing")},
            skip=_no_fifo,
            max_seconds=20,
        ),
        id="folder-with-pipe-and-broken-links",
    ),
    pytest.param(
        Case(empty_folder, 2, [("empty", None, "folder holds no .yaml, .yml or .json file")]),
        id="folder-without-manifests",
    ),
]


def lint(paths: list[str]) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "evictguard", "lint", "--format", "json", *paths],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,  # a hang fails the case instead of the whole run
    )
    return proc, time.monotonic() - started


def relative(name: str, folder: Path) -> str:
    return os.path.relpath(name, folder) if name.startswith(str(folder)) else name


@pytest.mark.parametrize("case", CASES)
def test_hostile_input(case: Case, tmp_path: Path) -> None:
    reason = case.skip()
    if reason:
        pytest.skip(reason)
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "bad.yaml").write_text(BAD)
    marker = Path("/tmp") / MARKER
    marker.unlink(missing_ok=True)
    hostile = case.make(tmp_path)
    proc, took = lint([*hostile, str(tmp_path / "good.yaml"), str(tmp_path / "bad.yaml")])

    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == case.code, (proc.stdout, proc.stderr)
    report: dict[str, Any] = json.loads(proc.stdout)
    errors = [(relative(e["file"], tmp_path), e["line"], e["message"]) for e in report["errors"]]
    assert len(errors) == len(case.errors), errors
    for (name, line, message), (want_name, want_line, fragment) in zip(
        errors, case.errors, strict=True
    ):
        assert (name, line) == (want_name, want_line), errors
        assert fragment in message, (fragment, message)
        assert "\n" not in message and "<unicode string>" not in message, message

    findings = {(Path(f["file"]).stem, f["line"], f["rule"]) for f in report["findings"]}
    others = {f for f in findings if f[0] in ("good", "bad")}
    assert others == {(Path(n).stem, line, rule) for n, line, rule in BAD_FINDINGS}
    assert findings - others == case.findings
    assert report["summary"]["objects"] >= 2  # good and bad
    assert not marker.exists(), "a YAML tag ran code"
    if case.max_seconds is not None:
        assert took < case.max_seconds, f"took {took:.1f}s"


def test_a_control_character_error_is_placed_in_text_output(tmp_path: Path) -> None:
    """The text format names file, line and column of a character YAML refuses."""
    path = tmp_path / "ctrl.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\u00e9\u001b[0m\n")
    proc = subprocess.run(
        [sys.executable, "-m", "evictguard", "lint", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 2
    assert (
        f"{path}:4:13: input-error invalid YAML: character U+001B is not allowed "
        "(control characters are not allowed)"
    ) in proc.stdout


def test_a_folder_walk_with_a_pipe_finishes(tmp_path: Path) -> None:
    """A FIFO found in a folder is reported, not opened; one named on the command line is
    read, as `evictguard lint <(helm template ...)` needs."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes")
    pipe = tmp_path / "named.yaml"
    os.mkfifo(pipe)
    proc = subprocess.Popen(
        [sys.executable, "-m", "evictguard", "lint", "--format", "json", str(pipe)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    with open(pipe, "w") as writer:
        writer.write(BAD)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    assert proc.returncode == 1
    assert {(f["line"], f["rule"]) for f in json.loads(out)["findings"]} == {
        (7, "memory-limit-missing")
    }


def test_a_control_character_with_the_pure_python_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without libyaml, PyYAML's reader checks every character as the loader is built; that
    ReaderError was raised outside the parse's error handling and crashed the whole run."""
    monkeypatch.setattr(stream, "KubernetesLoader", yaml.SafeLoader)
    monkeypatch.setattr(stream, "_BYTE_POSITIONS", False)
    text = (
        no_limit("one")
        + "---\nkind: ConfigMap\ndata:\n  k: caf\u00e9\x07\n---\n"
        + no_limit("three")
    )
    loaded = load_text(text, "pure.yaml")
    assert [(e.line, e.column, e.message) for e in loaded.errors] == [
        (
            12,
            10,
            "invalid YAML: character U+0007 is not allowed (special characters are not allowed)",
        )
    ]
    assert [o.obj["metadata"]["name"] for o in loaded.objects] == ["one", "three"]


# --- the engine on random pods, tolerations and quantities -----------------------------------

POLICIES = (load_preset("default"), load_preset("strict"))

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
QUANTITIES = st.one_of(
    SCALARS,
    st.from_regex(r"\A[+-]?[0-9]{0,25}(\.[0-9]{0,12})?([eE][+-]?[0-9]{1,4}|[kMGTPE]i?|[munk])?\Z"),
    st.sampled_from(["1Gi", "512Mi", "0", "-1Gi", "1e400", "1E", "1Ei", "9" * 40 + "Ei", ".5Mi",
                     "0x10", " 1Gi", "1Gi ", "1gi", "1GB", "+1Gi", "1e-9", "Infinity", "NaN"]),
    st.lists(SCALARS, max_size=2),
    st.dictionaries(st.text(max_size=3), SCALARS, max_size=2),
)  # fmt: skip
OPERATORS = st.one_of(st.sampled_from(["Exists", "Equal", "Lt", "Gt", "exists", ""]), SCALARS)
EFFECTS = st.one_of(st.sampled_from(["NoExecute", "NoSchedule", "PreferNoSchedule", ""]), SCALARS)
KEYS = st.one_of(
    st.sampled_from(
        [
            "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable",
            "node.kubernetes.io/memory-pressure", "node-role.kubernetes.io/control-plane",
            "node.kubernetes.io/disk-pressure", "", "a/b/c", "*",
        ]
    ),
    SCALARS,
)  # fmt: skip
TOLERATIONS = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "key": KEYS,
            "operator": OPERATORS,
            "value": st.one_of(st.from_regex(r"\A-?[0-9]{1,20}\Z"), SCALARS),
            "effect": EFFECTS,
            "tolerationSeconds": st.one_of(
                st.integers(min_value=-(2**70), max_value=2**70), SCALARS
            ),
        },
    ),
    SCALARS,
)


def sections() -> st.SearchStrategy[Any]:
    return st.one_of(
        SCALARS,
        st.fixed_dictionaries({}, optional={"memory": QUANTITIES, "cpu": QUANTITIES}),
    )


CONTAINERS = st.one_of(
    st.fixed_dictionaries(
        {"name": st.one_of(st.text(max_size=8), SCALARS)},
        optional={
            "resources": st.one_of(
                SCALARS,
                st.fixed_dictionaries({}, optional={"limits": sections(), "requests": sections()}),
            ),
            "restartPolicy": st.sampled_from(["Always", "Never", None, 3]),
        },
    ),
    SCALARS,
)


@st.composite
def hostile_pods(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for name, values in (
        ("containers", st.lists(CONTAINERS, max_size=4)),
        ("initContainers", st.lists(CONTAINERS, max_size=2)),
        ("tolerations", st.lists(TOLERATIONS, max_size=5)),
        ("resources", sections()),
        ("priorityClassName", st.sampled_from(["system-node-critical", "x"])),
    ):
        if draw(st.booleans()):
            spec[name] = draw(st.one_of(values, SCALARS))
    metadata = draw(
        st.one_of(
            SCALARS,
            st.fixed_dictionaries(
                {},
                optional={
                    "name": SCALARS,
                    "namespace": SCALARS,
                    "annotations": st.one_of(
                        SCALARS, st.dictionaries(st.just("evictguard.io/exempt"), SCALARS)
                    ),
                },
            ),
        )
    )
    kind = draw(st.sampled_from(["Pod", "Deployment", "CronJob", "Pod"]))
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}
    template = {"metadata": metadata, "spec": spec}
    if kind == "Deployment":
        return {"apiVersion": "apps/v1", "kind": kind, "spec": {"template": template}}
    return {
        "apiVersion": "batch/v1",
        "kind": kind,
        "spec": {"jobTemplate": {"spec": {"template": template}}},
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_pods())
@example(
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": None,
        "spec": {
            "containers": [{"name": 5, "resources": {"limits": {"memory": True}}}],
            "tolerations": [
                {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 2**70}
            ],
        },
    }
)
def test_random_pods_tolerations_and_quantities_never_raise(obj: dict[str, Any]) -> None:
    for policy in POLICIES:
        result = check_object(obj, policy)
        for problem in result.problems:
            assert "internal error" not in problem.message, problem.message
        for finding in result.findings:
            assert finding.rule in policy.active_rules()
            assert finding.message and finding.pointer.startswith("/spec/")
