"""Skimming changes speed, never a result: `load_text(text, name, wanted)` gives what
`load_text(text, name)` gives, field by field, except that an object `wanted` declines may
come back skimmed (only its apiVersion and kind), and then the full parse has exactly that
identity and no error for its document. And `build_plain` builds what the constructor builds.

Every stream below is real YAML text (valid or not), run both ways: skimming whatever can
be skimmed, and with the predicate the linter uses.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
import yaml
from evictguard.lint.files import _read_by_rules
from evictguard.policy.load import load_preset
from evictguard.yaml.goyaml import KubernetesLoader, build_plain
from evictguard.yaml.loader import LoadedSource, load_text
from evictguard.yaml.safety import MAX_DEPTH, TOO_DEEP, depth_bound
from evictguard.yaml.skim import Identity, identity, split_documents
from evictguard.yaml.sources import decode
from evictguard.yaml.stream import ParsedDocument
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT

Wanted = Callable[[str, str], bool]


def _skim_everything(api_version: str, kind: str) -> bool:
    return False


LINTER: Wanted = partial(_read_by_rules, load_preset("default"))
PREDICATES = [pytest.param(_skim_everything, id="skim-all"), pytest.param(LINTER, id="linter")]
CORPUS = ROOT.parent / "shared" / "corpus"


# --- the comparison -----------------------------------------------------------------------


def norm(value: Any) -> Any:
    """A value with its types spelled out (True is not 1, 1.0 is not 1) and NaN equal to
    itself, so that == compares what a rule would see."""
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else repr(value))
    if isinstance(value, dict):
        return ("dict", [(norm(k), norm(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [norm(v) for v in value])
    if value is None or isinstance(value, (bool, int, str)):
        return (type(value).__name__, value)
    return ("other", type(value).__name__, repr(value))


def pointers(value: Any, base: str = "") -> Iterator[str]:
    yield base
    if isinstance(value, dict):
        for key, child in value.items():
            token = str(key).replace("~", "~0").replace("/", "~1")
            yield from pointers(child, f"{base}/{token}")
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from pointers(child, f"{base}/{i}")


def errors(loaded: LoadedSource) -> list[tuple[str, int | None, int | None, str]]:
    return [(e.file, e.line, e.column, e.message) for e in loaded.errors]


def marks(document: ParsedDocument) -> tuple[int, int, int, int]:
    """Where the document's root node starts and ends in the file (0-based)."""
    node, offset = document.node, document.line_offset
    start, end = node.start_mark, node.end_mark
    return start.line + offset, start.column, end.line + offset, end.column


def documents(loaded: LoadedSource) -> list[tuple[int, int, int]]:
    return [(d.index, d.first_line, d.last_line) for d in loaded.parsed]


def assert_same_load(
    text: str,
    wanted: Wanted,
    *,
    full: LoadedSource | None = None,
    max_pointers: int = 400,
    skimmed_positions: bool = True,
    all_hashes: bool = True,
) -> LoadedSource:
    """Load `text` without (unless `full` is that load) and with skimming and compare
    every field a caller reads. Positions in a skimmed document compose it: the corpus
    test asks for them in some files only, and for the `#`s of directives only."""
    full = load_text(text, "s.yaml") if full is None else full
    skim = load_text(text, "s.yaml", wanted)
    assert errors(skim) == errors(full)
    assert skim.documents == full.documents
    assert documents(skim) == documents(full)
    assert [(o.obj.get("apiVersion"), o.obj.get("kind"), o.base) for o in skim.objects] == [
        (o.obj.get("apiVersion"), o.obj.get("kind"), o.base) for o in full.objects
    ]
    for ours, theirs in zip(skim.objects, full.objects, strict=True):
        at = (theirs.document.index, theirs.document.first_line, theirs.document.last_line)
        assert (ours.document.index, ours.document.first_line, ours.document.last_line) == at
        if ours.skimmed:
            kind = theirs.obj["kind"]
            assert ours.obj == {"apiVersion": theirs.obj["apiVersion"], "kind": kind}
            assert list(ours.obj) == ["apiVersion", "kind"]
            assert theirs.base == "" and not wanted(theirs.obj["apiVersion"], kind)
            assert not kind.endswith("List")  # lists are always read
            first, last = ours.document.first_line, ours.document.last_line
            assert not [e for e in full.errors if e.line and first <= e.line <= last]
        else:
            assert norm(ours.obj) == norm(theirs.obj)
        if ours.skimmed and not skimmed_positions:
            continue
        paths = [*itertools.islice(pointers(theirs.obj), max_pointers), "/nope", "/metadata/x/0"]
        for pointer in paths:
            assert ours.position(pointer) == theirs.position(pointer), pointer
    for ours_doc, theirs_doc in zip(skim.parsed, full.parsed, strict=True):
        if ours_doc.composed is None and not skimmed_positions:
            continue
        assert marks(ours_doc) == marks(theirs_doc)
    # What inline directives ask: whether a `#` is text inside a scalar or a comment.
    for number, line in enumerate(text.splitlines(), start=1):
        if "#" not in line or not (all_hashes or "evictguard:" in line):
            continue
        for column, char in enumerate(line):
            if char == "#":
                ours_hold = any(d.holds_text_at(number, column) for d in skim.parsed)
                theirs_hold = any(d.holds_text_at(number, column) for d in full.parsed)
                assert ours_hold == theirs_hold, (number, column)
    return skim


def skimmed_kinds(text: str, wanted: Wanted = _skim_everything) -> list[str]:
    return [o.obj["kind"] for o in load_text(text, "s.yaml", wanted).objects if o.skimmed]


# --- the table ----------------------------------------------------------------------------

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  key: value\n"
SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ntype: Opaque\n"
POD = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
    "    - name: c\n      image: example/c:1.0\n"
)
DEPLOYMENT = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n"
    "    spec:\n      containers:\n        - name: c\n          image: example/c:1.0\n"
)
CRD_PROSE = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  versions:
    - name: v1
      schema:
        openAPIV3Schema:
          description: |
            A widget. Fields:
            * `size`: how big (see *Sizing*), !important
            * `ref`: &anchor-like text, *alias-like text
            ? not a key
            <<: not a merge
            kind: Pod
          properties:
            status:
              x-kubernetes-list-type: map
              jsonPath: .status.conditions[?(@.type=="Ready")].status
"""


def bomb(levels: int, style: str = "block") -> str:
    """A billion-laughs document: `levels` anchors, each aliasing the previous one 9 times."""
    names = "abcdefghijklmnop"[:levels]
    if style == "json":
        parts = ['"a":&a ["x","x","x","x","x","x","x","x","x"]']
        for prev, name in itertools.pairwise(names):
            parts.append(f'"{name}":&{name} [' + ",".join([f"*{prev}"] * 9) + "]")
        return "{" + ", ".join(parts) + "}\n"
    lines = ["apiVersion: v1", "kind: ConfigMap", "a: &a [x, x, x, x, x, x, x, x, x]"]
    for prev, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def nested(levels: int, flow: bool) -> str:
    if flow:
        return "apiVersion: v1\nkind: ConfigMap\ndata: " + "[" * levels + "x" + "]" * levels + "\n"
    body = "".join(f"{'  ' * i}k{i}:\n" for i in range(levels)) + "  " * levels + "leaf: 1\n"
    return (
        "apiVersion: v1\nkind: ConfigMap\ndata:\n"
        + "\n".join("  " + line for line in body.splitlines())
        + "\n"
    )


MANY_KEYS = "".join(f"key{i}: value {i}\n" for i in range(70))

IDENTITY_VALUES = [
    "ConfigMap",
    "y",
    "n",
    "1",
    "1.5",
    "0o17",
    "null",
    "~",
    "",
    '""',
    "''",
    '"ConfigMap"',
    "'ConfigMap'",
    '"Config\\u004dap"',
    "!!str ConfigMap",
    "!!str 1",
    "! ConfigMap",
    "!local ConfigMap",
    "&k ConfigMap",
    "|\n  ConfigMap",
    ">-\n  ConfigMap",
    "Config\n  Map",
    "Config\n\n  Map",  # a plain scalar runs on past a blank line
    "Config\n  # c\n",
    "ConfigMap # kind: Pod",
    "ConfigMap#x",  # not a comment: the value is `ConfigMap#x`
    "[ConfigMap]",
    "{a: ConfigMap}",
    "\n  ConfigMap",
    "PodList",
    "ConfigMapList",
]

CASES: list[Any] = [
    # --- plain documents: these are skimmed --------------------------------------------
    pytest.param(CONFIGMAP, id="configmap"),
    pytest.param(CONFIGMAP + "---\n" + SECRET + "---\n" + POD + "---\n" + DEPLOYMENT, id="mix"),
    pytest.param(CRD_PROSE, id="crd-prose-with-indicator-like-text"),
    pytest.param(POD + "---\n" + CRD_PROSE + "---\n" + CONFIGMAP, id="pod-crd-configmap"),
    pytest.param(
        "# Copyright 2024 The Authors\n# evictguard: disable=memory-limit-missing\n---\n"
        + CONFIGMAP
        + "---\n"
        + POD,
        id="license-header-with-directive",
    ),
    pytest.param(
        "# evictguard: disable-file\n" + CONFIGMAP + "---\n# evictguard: disable\n" + POD,
        id="directives",
    ),
    pytest.param(
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  script: |\n    # evictguard: disable\n"
        "    echo '# not a comment'\n  note: \"# evictguard: disable\"  # evictguard: disable\n",
        id="hash-inside-scalars",
    ),
    # --- a fake identity line at column 0 inside a multi-line scalar or flow collection --
    pytest.param(
        'apiVersion: v1\nmetadata:\n  annotations:\n    note: "first\nkind: ConfigMap\n  last"\n',
        id="dq-fake-kind-real-missing",
    ),
    pytest.param(
        "apiVersion: v1\nmetadata:\n  annotations:\n    note: 'first\nkind: ConfigMap\n  last'\n",
        id="sq-fake-kind-real-missing",
    ),
    pytest.param(
        'apiVersion: v1\nkind: Pod\nmetadata:\n  note: "a\nkind: ConfigMap\n  b"\n',
        id="dq-fake-kind-real-pod",
    ),
    pytest.param(
        'apiVersion: v1\nmetadata:\n  note: "a\nkind: ConfigMap\n  b"\nkind: Pod\n',
        id="dq-fake-kind-before-real-pod",
    ),
    pytest.param(
        'apiVersion: v1\ndata: "a\napiVersion: apps/v1\n  b"\nkind: ConfigMap\n',
        id="dq-fake-apiversion-real-missing",
    ),
    pytest.param("apiVersion: v1\ndata: {a: 1,\nkind: ConfigMap}\n", id="flow-fake-kind"),
    pytest.param("apiVersion: v1\ndata: [a,\nkind: ConfigMap]\n", id="flow-seq-fake-kind"),
    pytest.param(
        "apiVersion: v1\nkind: Secret\ndata: {a: 1,\nkind: ConfigMap}\n", id="flow-fake-kind-dup"
    ),
    # Found: a document indented as a whole hides its duplicate kind from the column-0 scan
    # while a quoted scalar's continuation lines offer one apiVersion and one kind there.
    pytest.param(
        '  apiVersion: v1\n  kind: ConfigMap\n  data: "x\napiVersion: v1\nkind: ConfigMap\n  y"\n'
        "  kind: Pod\n",
        id="indented-root-duplicate-kind-behind-fake-lines",
    ),
    pytest.param(
        "  apiVersion: v1\n  kind: ConfigMap\n  data: [a,\napiVersion: v1,\nkind: ConfigMap]\n"
        "  kind: Pod\n",
        id="indented-root-duplicate-kind-behind-flow",
    ),
    pytest.param("  apiVersion: v1\n  kind: ConfigMap\n", id="indented-root"),
    # --- duplicate identity keys ---------------------------------------------------------
    pytest.param("apiVersion: v1\nkind: ConfigMap\nkind: Pod\n", id="dup-kind-plain"),
    pytest.param('apiVersion: v1\nkind: ConfigMap\n"kind": Pod\n', id="dup-kind-dq"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\n'kind': Pod\n", id="dup-kind-sq"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\nkind : Pod\n", id="dup-kind-space-colon"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\nkind\t: Pod\n", id="dup-kind-tab-colon"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\n? kind\n: Pod\n", id="dup-kind-explicit"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\n<<: {kind: Pod}\n", id="dup-kind-merge"),
    pytest.param(
        "apiVersion: v1\nkind: ConfigMap\nbase: &b {kind: Pod, apiVersion: apps/v1}\n<<: *b\n",
        id="dup-kind-merge-alias",
    ),
    pytest.param("<<: {kind: Pod}\napiVersion: v1\nkind: ConfigMap\n", id="merge-before"),
    pytest.param(
        "apiVersion: v1\nkind: ConfigMap\nx: &k kind\n*k : Pod\n", id="dup-kind-alias-key"
    ),
    pytest.param("apiVersion: v1\nkind: ConfigMap\napiVersion: apps/v1\n", id="dup-apiversion"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\n!!str kind: Pod\n", id="dup-kind-tagged"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\n&a kind: Pod\n", id="dup-kind-anchored"),
    pytest.param(
        "apiVersion: v1\nkind: ConfigMap\n" + MANY_KEYS + "kind: Pod\n", id="dup-kind-far-down"
    ),
    # --- identity far down, identity values that are not plain strings ------------------
    pytest.param(MANY_KEYS + "apiVersion: v1\nkind: ConfigMap\n", id="identity-after-70-keys"),
    pytest.param(
        "apiVersion: v1\nmetadata:\n  labels: {"
        + ", ".join(f"l{i}: v" for i in range(40))
        + "}\nkind: ConfigMap\n",
        id="kind-after-80-events",
    ),
    *[
        pytest.param(f"apiVersion: v1\nkind: {value}\nmetadata:\n  name: x\n", id=f"kind={value!r}")
        for value in IDENTITY_VALUES
    ],
    *[
        pytest.param(f"apiVersion: {value}\nkind: ConfigMap\n", id=f"apiVersion={value!r}")
        for value in ["1", "1.0", "y", "null", "", "'v1'", "!!str v1", "v1 # c", "[v1]"]
    ],
    pytest.param("anchor: &k ConfigMap\napiVersion: v1\nkind: *k\n", id="kind-alias"),
    pytest.param("kind: ConfigMap\napiVersion: v1\n", id="kind-first"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\nkind:\n", id="dup-kind-empty"),
    # --- anchors, aliases, tags ----------------------------------------------------------
    pytest.param(CONFIGMAP + "x: &a [1, 2]\ny: *a\n", id="anchor-alias"),
    pytest.param(CONFIGMAP + "y: *undefined\n", id="undefined-alias"),
    pytest.param(CONFIGMAP + "---\n" + CONFIGMAP + "y: *undefined\n---\n" + POD, id="undef-mid"),
    # Found: a composer error (not a syntax error) in a valid stream: the full parse goes
    # on chunk by chunk (a comment-only header is a chunk of its own), skimming did not.
    pytest.param(
        "# license\n---\n" + CONFIGMAP + "---\n" + SECRET + "x: *x\n---\n" + CONFIGMAP,
        id="header-then-undefined-alias",
    ),
    pytest.param(
        "# license\n---\n" + CONFIGMAP + "a: &x 1\nb: &x 2\n---\n" + CONFIGMAP,
        id="header-then-duplicate-anchor",
    ),
    pytest.param(bomb(7), id="alias-bomb"),
    pytest.param(bomb(7) + "---\n" + CONFIGMAP, id="alias-bomb-then-configmap"),
    pytest.param(bomb(7, "json"), id="alias-bomb-json-style"),
    pytest.param(CONFIGMAP + "x: &a [*a]\n", id="alias-cycle"),
    pytest.param(CONFIGMAP + "x: !!python/object:os.system {}\n", id="python-object"),
    pytest.param(CONFIGMAP + "x: !!python/name:os.system ''\n", id="python-name"),
    pytest.param(CONFIGMAP + "x: !custom value\n", id="local-tag"),
    pytest.param(CONFIGMAP + "x: ! foo\n", id="non-specific-tag"),
    pytest.param(CONFIGMAP + "x: !!binary aGVsbG8=\n", id="binary"),
    pytest.param(CONFIGMAP + "x: !!set {a, b}\n", id="set"),
    pytest.param(CONFIGMAP + "x: !!omap [a: 1, b: 2]\n", id="omap"),
    pytest.param(CONFIGMAP + "x: !!timestamp 2001-12-14\n", id="timestamp"),
    pytest.param(CONFIGMAP + "x: !!map {a: 1}\ny: !!seq [1]\n", id="explicit-map-seq"),
    pytest.param(CONFIGMAP + "x: !!str [1]\n", id="str-tag-on-seq"),
    pytest.param(CONFIGMAP + "x: !!seq {a: 1}\n", id="seq-tag-on-map"),
    # Found: a tag on an indented first line (the root mapping's own properties) was taken
    # for text: only indentation after a line break was looked at.
    pytest.param(" !t \napiVersion: v1\nkind: ConfigMap\n", id="tag-on-indented-first-line"),
    pytest.param("  !!str\napiVersion: v1\nkind: ConfigMap\n", id="str-tag-on-root-mapping"),
    pytest.param("\t&a\napiVersion: v1\nkind: ConfigMap\n", id="anchor-on-indented-first-line"),
    pytest.param("# c\n  !t\napiVersion: v1\nkind: ConfigMap\n", id="tag-after-comment"),
    pytest.param("--- !!map\napiVersion: v1\nkind: ConfigMap\n", id="tag-after-marker"),
    pytest.param("--- &root\napiVersion: v1\nkind: ConfigMap\n", id="anchor-after-marker"),
    pytest.param("--- !tag\napiVersion: v1\nkind: ConfigMap\n", id="local-tag-after-marker"),
    pytest.param(CONFIGMAP + "list:\n- !!int 1\n-\t!x 2\n", id="tags-in-sequence"),
    pytest.param(CONFIGMAP + 'x: {"a":!!int 1}\n', id="tag-after-json-colon"),
    pytest.param(CONFIGMAP + 'x: {"a":&x [1], "b": *x}\n', id="anchor-after-json-colon"),
    # --- collection and merge keys -------------------------------------------------------
    pytest.param(CONFIGMAP + "[a]: b\n", id="seq-key"),
    pytest.param(CONFIGMAP + "{a: 1}: b\n", id="map-key"),
    pytest.param(CONFIGMAP + "? [a]\n: b\n", id="explicit-seq-key"),
    pytest.param(CONFIGMAP + "? - a\n  - b\n: c\n", id="explicit-block-seq-key"),
    # Found: PyYAML's constructor keeps a failed document's pending work (here the second
    # unhashable key): the next document it built reported that error and was lost.
    pytest.param(
        SECRET + "x: [[a]: 1]\ny: {[b]}\n---\n" + CONFIGMAP + "<<: {z: 1}\n---\n" + POD,
        id="two-bad-keys-then-merge-document",
    ),
    pytest.param(
        SECRET + "x: [{[a]}]\ny: {[b]}\n---\n" + CONFIGMAP + "z: {[c]}\n", id="three-bad-keys"
    ),
    pytest.param(CONFIGMAP + "x: {[a]: 1}\n", id="flow-map-seq-key"),
    pytest.param(CONFIGMAP + "x: {[a] : 1}\n", id="flow-map-seq-key-space"),
    # Found: a flow collection as a key with no value (`{[a]}`) has no `:` after it.
    pytest.param(CONFIGMAP + "x: {[a]}\n", id="flow-map-seq-key-no-value"),
    pytest.param(CONFIGMAP + "x: {{a: 1}, b: c}\n", id="flow-map-map-key-no-value"),
    pytest.param(CONFIGMAP + "x: {b: c, [a]  ,}\n", id="flow-map-seq-key-later"),
    pytest.param(CONFIGMAP + "x: {[a] # c\n  }\n", id="flow-map-seq-key-comment"),
    pytest.param(CONFIGMAP + "x: {[a]\n  , b: 1}\n", id="flow-map-seq-key-newline"),
    pytest.param(CONFIGMAP + "x: [[a]: 1]\n", id="flow-seq-pair-seq-key"),
    pytest.param(CONFIGMAP + "x: [? [a]]\n", id="flow-seq-explicit-key"),
    pytest.param(CONFIGMAP + "x: [{[a]}]\n", id="flow-seq-map-seq-key"),
    pytest.param(CONFIGMAP + "x: [[a], {b: c}, [d]]\n", id="flow-collections-no-keys"),
    pytest.param(CONFIGMAP + "base: &b {a: 1}\nx:\n  <<: *b\n  c: 2\n", id="merge-valid"),
    pytest.param(CONFIGMAP + "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n", id="merge-list"),
    pytest.param(CONFIGMAP + "x:\n  <<: {a: 1}\n", id="merge-plain-map"),
    pytest.param(CONFIGMAP + "x:\n  <<: 1\n", id="merge-invalid-scalar"),
    pytest.param(CONFIGMAP + "x:\n  <<: [1]\n", id="merge-invalid-list"),
    pytest.param(CONFIGMAP + "x:\n  '<<': 1\n", id="merge-quoted-is-a-string"),
    pytest.param(CONFIGMAP + "x: {<<: {a: 1}}\n", id="merge-in-flow"),
    # Found: go-yaml resolves a plain `<<` to a merge as a value too, which the constructor
    # refuses; only keys were looked at.
    pytest.param(CONFIGMAP + "x: <<\n", id="merge-as-value"),
    pytest.param(CONFIGMAP + "x: [a, <<]\ny: {a: <<}\n", id="merge-in-flow-values"),
    pytest.param(CONFIGMAP + "x:\n- << # c\n", id="merge-as-item"),
    pytest.param(CONFIGMAP + "x: <<", id="merge-at-end"),
    pytest.param(CONFIGMAP + "x: '<<'\ny: <<a\nz: a <<\n", id="merge-lookalikes"),
    pytest.param(
        CONFIGMAP + "  run.sh: |\n    cat <<EOF\n    x\n    EOF\n    cat << 'END'\n", id="heredoc"
    ),
    pytest.param(CONFIGMAP + "x:\n  <<\t: {a: 1}\n", id="merge-tab"),
    # --- document shapes -----------------------------------------------------------------
    pytest.param("{apiVersion: v1, kind: ConfigMap}\n", id="flow-root"),
    pytest.param("{\napiVersion: v1,\nkind: ConfigMap\n}\n", id="flow-root-multiline"),
    pytest.param(
        '{\n  "apiVersion": "v1",\n  "kind": "ConfigMap",\n  "data": {"a": "1"}\n}\n', id="json"
    ),
    pytest.param('{"apiVersion": "v1", "kind": "Pod"}\n---\n' + CONFIGMAP, id="json-then-yaml"),
    pytest.param("- apiVersion: v1\n  kind: ConfigMap\n", id="list-document"),
    pytest.param("hello\n---\n" + CONFIGMAP, id="scalar-document"),
    pytest.param("---\n---\n" + CONFIGMAP + "---\n---\n", id="empty-documents"),
    pytest.param("", id="empty-file"),
    pytest.param("# only a comment\n# and another\n", id="comment-only"),
    pytest.param("\n\n   \n", id="blank-lines"),
    pytest.param("---\n# comment\n---\n" + CONFIGMAP + "# trailing\n", id="comment-document"),
    pytest.param(CONFIGMAP + "...\n---\n" + SECRET + "...\n", id="end-markers"),
    pytest.param(CONFIGMAP + "...\n" + SECRET, id="end-marker-then-bare-document"),
    pytest.param("%YAML 1.1\n---\n" + CONFIGMAP, id="yaml-directive"),
    pytest.param("%TAG !e! tag:example.com,2000:\n---\n" + CONFIGMAP, id="tag-directive"),
    pytest.param(CONFIGMAP + "...\n%YAML 1.1\n---\n" + SECRET, id="directive-mid-stream"),
    pytest.param((CONFIGMAP + "---\n" + POD + "---\n" + SECRET).replace("\n", "\r\n"), id="crlf"),
    pytest.param(CONFIGMAP + "---\n" + SECRET.rstrip("\n"), id="no-trailing-newline"),
    pytest.param(CONFIGMAP.rstrip("\n") + "\n---", id="trailing-marker-no-newline"),
    pytest.param(CONFIGMAP + "---\t\n" + SECRET + "---\t# c\n" + POD, id="tab-after-marker"),
    pytest.param(CONFIGMAP + "data2:\n  a:\tb\n  c: \td\n", id="tabs-in-values"),
    pytest.param(CONFIGMAP + "---\n\tkind: Pod\n", id="tab-indentation-error"),
    pytest.param("--- {a: 1}\n---\n" + CONFIGMAP, id="marker-flow-same-line"),
    pytest.param(
        "--- {apiVersion: v1, kind: ConfigMap}\n# comment\n---\n" + SECRET, id="marker-flow-root"
    ),
    pytest.param("--- !tag\n---\n" + CONFIGMAP, id="marker-tag-same-line"),
    pytest.param("--- |\n  kind: Pod\n---\n" + CONFIGMAP, id="marker-block-scalar"),
    pytest.param("--- >\n  text\n\n---\n" + CONFIGMAP, id="marker-folded-scalar"),
    pytest.param("--- |+\n  text\n\n\n---\n" + CONFIGMAP, id="marker-keep-scalar"),
    pytest.param("--- 'quoted'\n# c\n---\n" + CONFIGMAP, id="marker-quoted-scalar"),
    pytest.param("--- # comment\n" + CONFIGMAP, id="marker-comment"),
    # Found: a root block scalar ends before the comments after it, which the full parse
    # gives to the next document (and its directives with them); its own chunk did not.
    pytest.param(
        "--- |\n  x\n# evictguard: disable=memory-limit-missing\n---\n" + POD,
        id="root-block-scalar-then-directive-then-pod",
    ),
    pytest.param("--- |\n  x\n\n# c\n\n---\n" + CONFIGMAP, id="root-block-scalar-then-comment"),
    pytest.param(
        ("--- >-\n  a\n# c\n---\n" + CONFIGMAP + "--- |\n  b\n# d\n---\n" + POD).replace(
            "\n", "\r\n"
        ),
        id="root-block-scalars-crlf",
    ),
    pytest.param("\ufeff" + CONFIGMAP, id="bom-at-start"),
    pytest.param(CONFIGMAP + "---\n\ufeff" + SECRET, id="bom-after-marker"),
    pytest.param(CONFIGMAP + "\ufeff---\n" + SECRET, id="bom-before-marker"),
    pytest.param(CONFIGMAP + "---\n\ufeff&x [*x]\n", id="bom-anchor-cycle"),
    # Found: libyaml also breaks lines at a lone CR, NEL, LS and PS: split at "\n" only,
    # the second document vanished (the first chunk's skim read one identity and stopped).
    pytest.param("apiVersion: v1\nkind: ConfigMap\r---\rapiVersion: v1\rkind: Pod\r", id="lone-cr"),
    pytest.param(
        "apiVersion: v1\nkind: ConfigMap\x85---\x85apiVersion: v1\x85kind: Pod\n", id="nel"
    ),
    pytest.param(CONFIGMAP + "x: a\u2028b\n---\n" + SECRET, id="line-separator"),
    pytest.param(CONFIGMAP + 'x: "a\u2029b"\n---\n' + POD, id="paragraph-separator"),
    pytest.param(CONFIGMAP + "x: 'a\rb'\n---\n" + SECRET, id="lone-cr-in-quotes"),
    # --- block scalars whose text looks like YAML ----------------------------------------
    pytest.param(
        CONFIGMAP
        + "  script: |\n    *alias\n    &anchor\n    !tag\n    ? key\n    <<: *x\n"
        + "    kind: Pod\n    apiVersion: apps/v1\n    * item\n    - [a]: b\n    {[a]}\n"
        + "    --- not a marker\n    ...\n    %YAML\n",
        id="block-scalar-yaml-lookalikes",
    ),
    pytest.param(
        CONFIGMAP + "  notes: >\n    * one\n    * two *bold* &amp; !x\n", id="markdown-bullets"
    ),
    pytest.param(
        CONFIGMAP + "  jsonpath: '{.items[?(@.type==\"x\")].name}'\n"
        '  q: .status[?(@.type=="Ready")]\n',
        id="jsonpath",
    ),
    pytest.param(
        CONFIGMAP + '  dashboard.json: |\n    {"panels": [{"a": [1]}, {"b": {}}], "x": {}}\n',
        id="json-in-block-scalar",
    ),
    pytest.param(CONFIGMAP + "  a: b*c&d!e?f\n  url: http://x/?a=1&b=2\n", id="indicators-inside"),
    # --- lists and pod-bearing kinds -----------------------------------------------------
    pytest.param(
        "apiVersion: v1\nkind: List\nitems:\n  - "
        + CONFIGMAP.replace("\n", "\n    ").rstrip()
        + "\n  - "
        + POD.replace("\n", "\n    ").rstrip()
        + "\n",
        id="list-kind",
    ),
    pytest.param(
        "apiVersion: v1\nkind: PodList\nitems:\n  - metadata: {name: a}\n    spec: {}\n  - 1\n",
        id="podlist",
    ),
    pytest.param("apiVersion: v1\nkind: ConfigMapList\nitems: []\n", id="configmaplist"),
    pytest.param("apiVersion: v1\nkind: List\nitems: 3\n", id="list-items-not-list"),
    pytest.param("apiVersion: v1\nkind: List\n", id="list-without-items"),
    pytest.param(POD + "---\n" + DEPLOYMENT, id="pod-deployment"),
    pytest.param(
        "apiVersion: batch/v1\nkind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n"
        "        spec: {containers: [{name: c}]}\n",
        id="cronjob",
    ),
    # --- scalars: explicit tags on odd values, go-yaml plain resolution -----------------
    pytest.param(CONFIGMAP + "x: !!int 08\n", id="int-tag-08"),
    pytest.param(CONFIGMAP + "x: !!int 0o17\ny: !!int 1_000\nz: !!int 0x_1F\n", id="int-tags"),
    pytest.param(CONFIGMAP + "x: !!int ''\n", id="int-tag-empty"),
    pytest.param(CONFIGMAP + "x: !!int 1e3\n", id="int-tag-float"),
    pytest.param(CONFIGMAP + "x: !!bool y\ny: !!bool off\n", id="bool-tags"),
    pytest.param(CONFIGMAP + "x: !!bool maybe\n", id="bool-tag-bad"),
    pytest.param(CONFIGMAP + "x: !!float 1_000\ny: !!float .inf\nz: !!float nan\n", id="floats"),
    pytest.param(CONFIGMAP + "x: !!float ''\n", id="float-tag-empty"),
    pytest.param(CONFIGMAP + "x: !!null foo\ny: !!str 1\n", id="null-str-tags"),
    pytest.param(CONFIGMAP + "x: !!timestamp ''\n", id="timestamp-empty"),
    pytest.param(
        CONFIGMAP
        + "  a: 08\n  b: 0o17\n  c: 1e3\n  d: .inf\n  e: -.Inf\n  f: .nan\n  g: y\n  h: n\n"
        + "  i: 1_000\n  j: 0x1F\n  k: 1:30\n  l: 2001-12-14\n  m: =\n  n: 9223372036854775808\n"
        + "  o: 18446744073709551616\n  p: ._5\n  q: +.5\n  r: 0b101\n  s: -0\n  t: 1e999\n",
        id="plain-scalars",
    ),
    pytest.param(
        "apiVersion: v1\nkind: Pod\nspec:\n  tolerations:\n    - {key: k, value: 1e3}\n"
        "    - {key: k, value: y}\n  y: n\n  1: one\n  true: yes\n  ~: null\n  .5: x\n",
        id="odd-keys",
    ),
    # --- nesting ---------------------------------------------------------------------------
    pytest.param(nested(300, flow=False), id="nested-300-block"),
    pytest.param(nested(300, flow=True), id="nested-300-flow"),
    pytest.param(nested(300, flow=True) + "---\n" + POD, id="nested-then-pod"),
    pytest.param(nested(1100, flow=True) + "---\n" + CONFIGMAP, id="nested-past-libyaml-limit"),
    # --- syntax errors: every other document is still reported ---------------------------
    pytest.param(
        CONFIGMAP + "---\nkey: [unclosed\n---\n" + POD + "---\n" + SECRET, id="broken-middle"
    ),
    pytest.param("key: : bad\n---\n" + CONFIGMAP + "---\n" + POD, id="broken-first"),
    pytest.param(CONFIGMAP + "---\n" + POD + "---\na: 'open\n", id="broken-last"),
    pytest.param(
        "# header\n---\n" + CONFIGMAP + '---\nx: "unclosed\n---\n' + SECRET,
        id="header-then-broken",
    ),
    pytest.param(CONFIGMAP + '  q: "a\n---\n  b"\n---\n' + SECRET, id="marker-inside-quotes"),
    pytest.param(CONFIGMAP + "---\n" + POD + "\tbad: tab\n---\n" + SECRET, id="broken-tab"),
    pytest.param(CONFIGMAP + "---\n- a\nb: c\n---\n" + POD, id="broken-mixed-collection"),
    pytest.param(CONFIGMAP + "---\n" + CONFIGMAP + "  x: *nope\n---\n" + POD, id="bad-alias-mid"),
]


@pytest.mark.parametrize("wanted", PREDICATES)
@pytest.mark.parametrize("text", CASES)
def test_skimmed_load_equals_full_load(text: str, wanted: Wanted) -> None:
    assert_same_load(text, wanted)


def test_the_table_is_adversarial_and_still_skims() -> None:
    assert len(CASES) >= 40
    skimmed = sum(bool(skimmed_kinds(p.values[0])) for p in CASES)
    assert skimmed >= 20  # the comparison is not vacuous: skimming happens


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        (CONFIGMAP + "---\n" + SECRET, ["ConfigMap", "Secret"]),
        (CRD_PROSE, ["CustomResourceDefinition"]),
        ((CONFIGMAP + "---\n" + SECRET).replace("\n", "\r\n"), ["ConfigMap", "Secret"]),
        ("# header\n---\n" + CONFIGMAP, ["ConfigMap"]),
        (CONFIGMAP + "x: [[a], {b: c}]\n", ["ConfigMap"]),
        ('apiVersion: v1\nkind: "ConfigMap"\n', ["ConfigMap"]),
        (CONFIGMAP + "  run.sh: |\n    cat <<EOF\n    x: <<\n    EOF\n", ["ConfigMap"]),
        (CONFIGMAP + '  dashboard.json: |\n    {"a": [{"b": 1}, {}]}\n', ["ConfigMap"]),
    ],
)
def test_plain_documents_are_skimmed(text: str, kinds: list[str]) -> None:
    assert skimmed_kinds(text) == kinds


def test_linter_never_skims_pod_bearing_kinds_or_lists() -> None:
    text = "---\n".join([POD, DEPLOYMENT, CONFIGMAP, "apiVersion: v1\nkind: List\nitems: []\n"])
    loaded = load_text(text, "s.yaml", LINTER)
    assert [(o.obj["kind"], o.skimmed) for o in loaded.objects] == [
        ("Pod", False),
        ("Deployment", False),
        ("ConfigMap", True),
    ]


def test_json_style_anchors_are_bounded() -> None:
    # `{"a":&x ...}`: an anchor right after a JSON-like key's `:` is still an anchor, so the
    # alias bound applies instead of building millions of nodes (`build_plain` does not
    # share aliased nodes the way the constructor does).
    start = time.perf_counter()
    loaded = load_text(bomb(7, "json"), "s.yaml")
    assert time.perf_counter() - start < 2
    assert [e.message for e in loaded.errors] == [
        "document contains excessive aliasing: its aliases expand to more than 1,000,000 "
        "nodes (refused, as Kubernetes refuses it)"
    ]


def test_a_failed_document_leaves_nothing_behind() -> None:
    text = SECRET + "x: [[a]: 1]\ny: {[b]}\n---\n" + CONFIGMAP + "<<: {z: 1}\n"
    loaded = load_text(text, "s.yaml")
    assert [o.obj["kind"] for o in loaded.objects] == ["ConfigMap"]
    assert [(e.line, e.column) for e in loaded.errors] == [(7, 5)]


def test_split_refuses_line_breaks_it_does_not_count() -> None:
    for text in ["a: 1\r---\rb: 2\r", "a: 1\x85---\nb: 2\n", "a: '\u2028'\n---\nb: 2\n"]:
        assert split_documents(text) is None
    assert split_documents("a: 1\r\n---\r\nb: 2\r\n") == [(0, "a: 1\r\n"), (1, "---\r\nb: 2\r\n")]


def test_text_checks_stay_linear() -> None:
    # Hostile text for the text searches that clear a document: a long comment after a flow
    # collection, runs of brackets and indicators in strings.
    tails = [
        "x: [a] " + "#" * 5000,
        "x: [a] " + "# ]" * 30000,
        "x: '" + "] " * 50000 + "'",
        "x: '" + "*&!? " * 30000 + "'",
        "x: '" + "}\n  " * 30000 + "'",
    ]
    start = time.perf_counter()
    for tail in tails:
        assert identity(CONFIGMAP + tail + "\n") == Identity("v1", "ConfigMap")
    assert time.perf_counter() - start < 3


def test_identity_needs_keys_at_column_zero() -> None:
    assert identity("  apiVersion: v1\n  kind: ConfigMap\n") is None
    assert identity("apiVersion: v1\nkind: ConfigMap\n") is not None


# --- the corpus ---------------------------------------------------------------------------


def corpus_texts() -> list[tuple[str, str]]:
    texts = []
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix in (".yaml", ".yml") and path.is_file():
            text, error = decode(path.read_bytes(), str(path))
            if text is not None and error is None:
                texts.append((str(path.relative_to(CORPUS)), text))
    return texts


def test_corpus_skimmed_equals_full() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"no corpus at {CORPUS}")
    texts = corpus_texts()
    assert texts
    skimmed = 0
    for number, (name, text) in enumerate(texts):
        full = load_text(text, "s.yaml")
        for wanted in (_skim_everything, LINTER):
            try:
                loaded = assert_same_load(
                    text,
                    wanted,
                    full=full,
                    max_pointers=12,
                    skimmed_positions=wanted is _skim_everything and number % 4 == 0,
                    all_hashes=False,
                )
            except AssertionError as exc:
                raise AssertionError(f"{name}: {exc}") from exc
            skimmed += sum(o.skimmed for o in loaded.objects)
    assert skimmed > len(texts)  # most of the corpus is skimmed


# --- properties ---------------------------------------------------------------------------

PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TRICKY = [
    "kind: Pod", "apiVersion: apps/v1", "*a", "&b", "!x", "!!python/object:os.system", "? q",
    "<<: *a", "[a]: b", "{[a]}", "--- x", "---", "...", "%YAML 1.1", "# evictguard: disable",
    "\t", "y", "n", "~", "null", "08", "0o17", "1e3", ".inf", "1_000", "0x1F", "1:30", "-",
    "- item", "* item", '[?(@.type=="x")]', "{}", "[]", "'", '"', "\\", "é", "#", ": ",
    "key: value", "a\nkind: ConfigMap\nb", "\nkind: Pod\n", "x\n\ny", " lead", "trail ", "",
]  # fmt: skip

SCALAR_TOKENS = [
    "0", "1", "-", "+", ".", "_", "e", "E", "x", "o", "b", "0x", "0o", "0b", "inf", "nan",
    "Inf", "NaN", "y", "n", "Y", "N", "yes", "no", "on", "off", "true", "False", "null",
    "NULL", "~", ":", "1e3", "08", "9", "7", "a", "<<", "=", "9223372036854775807",
    "18446744073709551616",
]  # fmt: skip

TAGS = ["", "", "", "!!int ", "!!float ", "!!bool ", "!!null ", "!!str ", "!!binary "]

plain_data = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | st.sampled_from(TRICKY),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(TRICKY) | st.integers() | st.booleans(),
            children,
            max_size=4,
        )
    ),
    max_leaves=25,
)


def compose(text: str) -> tuple[Any, yaml.Node] | None:
    loader = KubernetesLoader(text)
    try:
        return loader, loader.get_single_node()
    except yaml.YAMLError:
        loader.dispose()
        return None


def assert_build_plain_matches(text: str) -> None:
    composed = compose(text)
    if composed is None:
        return
    loader, node = composed
    try:
        try:
            ours: Any = ("value", norm(build_plain(node)))
        except Exception as exc:  # NotPlain or an error: the constructor decides
            ours = ("raised", type(exc).__name__)
        try:
            theirs: Any = ("value", norm(loader.construct_document(node)))
        except Exception:
            theirs = None
    finally:
        loader.dispose()
    if ours[0] == "value":
        assert ours == theirs, text


@PROPS
@given(plain_data, st.sampled_from([False, True, None]), st.integers(min_value=20, max_value=80))
@example({"a": float("nan"), 1: True, "b": [None, 1.0, True]}, False, 80)
@example({"k": "a\nkind: ConfigMap\nb"}, False, 20)
def test_build_plain_equals_the_constructor_on_dumped_data(
    data: Any, flow: bool | None, width: int
) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, width=width, allow_unicode=True)
    assert_build_plain_matches(text)


@PROPS
@given(
    st.lists(
        st.tuples(
            st.sampled_from(TAGS),
            st.lists(st.sampled_from(SCALAR_TOKENS), min_size=1, max_size=4).map("".join),
        ),
        min_size=1,
        max_size=6,
    )
)
@example([("!!int ", "0x_1F"), ("", "08"), ("!!float ", ".inf"), ("!!bool ", "y")])
@example([("!!null ", "nan"), ("!!int ", ""), ("!!float ", "1_0")])
def test_build_plain_equals_the_constructor_on_odd_scalars(scalars: list[tuple[str, str]]) -> None:
    block = "".join(f"k{i}: {tag}{value}\n" for i, (tag, value) in enumerate(scalars))
    flow = "[" + ", ".join(f"{tag}{value}" for tag, value in scalars) + "]\n"
    keys = "{" + ", ".join(f"{tag}{value}: {i}" for i, (tag, value) in enumerate(scalars)) + "}\n"
    for text in (block, flow, keys):
        assert_build_plain_matches(text)


KINDS = {
    "Pod": "v1",
    "Deployment": "apps/v1",
    "ConfigMap": "v1",
    "Secret": "v1",
    "CustomResourceDefinition": "apiextensions.k8s.io/v1",
    "Widget": "example.com/v1",
    "ClusterRole": "rbac.authorization.k8s.io/v1",
}


@st.composite
def manifest(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(sorted(KINDS)))
    body: dict[str, Any] = {
        "apiVersion": KINDS[kind],
        "kind": kind,
        "metadata": {"name": draw(st.sampled_from(["a", "b", "y", "0o17"]))},
    }
    extra = draw(st.dictionaries(st.sampled_from(["data", "spec", "x", "note", "z"]), plain_data))
    body.update(extra)
    keys = draw(st.permutations(list(body)))
    ordered = {k: body[k] for k in keys}
    style = draw(st.sampled_from(["block", "flow-values", "flow", "json"]))
    if style == "json":
        return json.dumps(ordered, default=str) + "\n"
    flow = {"block": False, "flow-values": None, "flow": True}[style]
    text = yaml.safe_dump(
        ordered, default_flow_style=flow, sort_keys=False, width=draw(st.integers(20, 100))
    )
    if draw(st.booleans()):  # a block scalar holding tricky lines
        lines = draw(st.lists(st.sampled_from([t for t in TRICKY if "\n" not in t]), max_size=6))
        if style == "block":
            text += "script: |\n" + "".join(f"  {line}\n" for line in ["text", *lines])
    return text


@PROPS
@given(
    st.lists(manifest(), min_size=1, max_size=5),
    st.lists(
        st.sampled_from(["", "# c\n", "\n", "# evictguard: disable\n"]), min_size=6, max_size=6
    ),
    st.booleans(),
    st.booleans(),
)
def test_skimmed_load_equals_full_load_on_generated_streams(
    docs: list[str], comments: list[str], crlf: bool, header: bool
) -> None:
    text = "---\n".join(doc + comment for doc, comment in zip(docs, comments, strict=False))
    if header:
        text = "# Copyright\n# evictguard: disable=memory-limit-missing\n---\n" + text
    if crlf:
        text = text.replace("\n", "\r\n")
    for wanted in (_skim_everything, LINTER):
        assert_same_load(text, wanted)


# --- bounds: the same on both paths, whatever libyaml ----------------------------------------

DEEP_HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n"


def deep_configmap(depth: int, style: str) -> tuple[str, int]:
    """A ConfigMap (a kind the linter skims) whose collections nest `depth` deep, and the
    1-based line of the collection one level past MAX_DEPTH."""
    levels = depth - 2  # the root mapping, then data's mapping
    if style == "flow":  # x's lists, all on the `x:` line
        return DEEP_HEAD + "  x: " + "[" * levels + "x" + "]" * levels + "\n", 6
    if style == "block":  # compact block sequences, all on the line after `x:`
        return DEEP_HEAD + "  x:\n    " + "- " * levels + "x\n", 7
    # a block mapping per line and column: data's at line 6 (depth 2), then one more a line
    body = "".join(" " * (i + 2) + f"k{i}:\n" for i in range(levels))
    return DEEP_HEAD + body + " " * (levels + 2) + "leaf: 1\n", 6 + MAX_DEPTH + 1 - 2


@pytest.mark.parametrize(
    ("depth", "style"),
    [
        (50_000, "flow"),
        (50_000, "block"),
        (3_000, "indented"),  # 4.5 MB: a column per level
        (MAX_DEPTH + 1, "flow"),  # under libyaml 0.2.6's own limit, past ours
        (MAX_DEPTH + 1, "indented"),
    ],
)
@pytest.mark.parametrize("wanted", PREDICATES)
def test_a_configmap_nested_too_deeply_is_refused_skimmed_or_not(
    depth: int, style: str, wanted: Wanted
) -> None:
    """PyYAML 6.0.3's libyaml (0.2.5) has no nesting limit: the skimming path, which reads
    only libyaml's syntax check, skimmed a ConfigMap nested 50,000 deep with no error. And
    6.0.4's (0.2.6) stops at 1,000 levels with its own message and place. The bound is
    evictguard's, the same on both paths and under both."""
    deep, line = deep_configmap(depth, style)
    before = POD.replace("name: p", "name: before")
    after = POD.replace("name: p", "name: after")
    text = before + "---\n" + deep + "---\n" + after
    offset = before.count("\n") + 1  # the pod and the `---` line
    expected = [("deep.yaml", offset + line, None, TOO_DEEP)]
    full = load_text(text, "deep.yaml")
    skim = load_text(text, "deep.yaml", wanted)
    assert errors(full) == expected
    assert errors(skim) == expected
    for loaded in (full, skim):
        assert [o.obj["metadata"]["name"] for o in loaded.objects] == ["before", "after"]
    alone = load_text(deep, "deep.yaml", wanted)  # a ConfigMap alone in its file: skimmable
    assert errors(alone) == [("deep.yaml", line, None, TOO_DEEP)]
    assert not alone.objects


@pytest.mark.parametrize("style", ["flow", "block", "indented"])
def test_nesting_up_to_the_bound_is_skimmed(style: str) -> None:
    text, _ = deep_configmap(MAX_DEPTH, style)
    assert max_depth(text) == MAX_DEPTH
    loaded = load_text(text, "deep.yaml", _skim_everything)
    assert [(o.obj["kind"], o.skimmed) for o in loaded.objects] == [("ConfigMap", True)]
    assert not loaded.errors
    assert not load_text(text, "deep.yaml").errors


def max_depth(text: str) -> int:
    """How deep the text's collections nest, by the pure-Python parser (no limit of its own,
    and no recursion either)."""
    depth = deepest = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            deepest = max(deepest, depth)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return deepest


DEPTH_SHAPES = [
    "- - - - - x\n",
    "a:\n- b:\n  - c:\n    - d:\n      - e\n",  # sequences at their key's column
    "? - ? - x\n",
    "? a\n: - - b\n",
    "? a\n: b: c\n",
    "- &a k:\n  - &b [x, {y: [z]}]\n",
    "\ufeff- - - x\n",
    "a:\r- - - - x\r",  # CR line breaks: libyaml's columns start again after each
    "a:\x85- - - x\x85",
    "a:\u2028- - - x\u2029",
    "- '\n  - - - x\n  '\n",  # text inside a scalar: counted, though no level
    "k: |\n  - - - - - - - - - -\n",
]


@pytest.mark.parametrize("text", DEPTH_SHAPES)
def test_depth_bound_holds_on_hand_made_shapes(text: str) -> None:
    assert max_depth(text) <= depth_bound(text, 10**9)


@PROPS
@given(
    plain_data,
    st.sampled_from([False, True, None]),
    st.integers(min_value=2, max_value=6),
    st.integers(min_value=20, max_value=80),
)
def test_depth_bound_holds_on_dumped_data(
    data: Any, flow: bool | None, indent: int, width: int
) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, indent=indent, width=width)
    assert max_depth(text) <= depth_bound(text, 10**9)
    compact = yaml.safe_dump(data, default_flow_style=False, indent=indent)
    compact = compact.replace("-\n" + " " * indent, "- ")
    try:
        depth = max_depth(compact)
    except yaml.YAMLError:
        return
    assert depth <= depth_bound(compact, 10**9)
