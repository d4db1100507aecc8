"""Property tests: whatever text or object comes in, linting returns a report and never
raises, and everything it reports can be placed (a file, and lines counted from 1)."""

from __future__ import annotations

import re
from typing import Any

import yaml
from evictguard.engine.check import check_object
from evictguard.lint.files import lint_text
from evictguard.model import Report
from evictguard.policy.load import load_preset
from evictguard.yaml.sources import decode
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

POLICY = load_preset("default")
STRICT = load_preset("strict")
NAME = "prop.yaml"
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_report(report: Report, text: str) -> None:
    # libyaml also breaks lines at a lone "\r", NEL, LS and PS; splitlines() at a few more.
    lines = len(text.splitlines()) + 1
    for finding in report.findings:
        assert finding.file == NAME
        assert finding.line is not None and 1 <= finding.line <= lines
        assert finding.column is not None and finding.column >= 1
        assert finding.pointer == "" or finding.pointer.startswith("/")
        assert finding.message
    for error in report.errors:
        assert error.file == NAME
        assert error.line is None or 1 <= error.line <= lines + 1  # EOF may be one past
        assert error.column is None or error.column >= 1
        assert "internal error" not in error.message, error.message
    # A text that reads as a Helm template is one notice and no file linted (policies/yaml/helm.py).
    notices = report.notices
    assert all(n.file == NAME and (n.line is None or 1 <= n.line <= lines) for n in notices)
    assert (report.files, len(notices)) in ((1, 0), (0, 1)), (report.files, notices)
    if notices:
        assert not report.findings and not report.errors


# --- arbitrary bytes and text -------------------------------------------------------------


@FAST
@given(st.binary(max_size=400))
@example(b"\xef\xbb\xbf")
@example(b"\xff\xfe\x00")
@example(b"\x00\x01\x02")
@example(b"apiVersion: v1\nkind: Pod\nspec: \xe9\n")
def test_random_bytes_never_raise(raw: bytes) -> None:
    text, error = decode(raw, NAME)
    if error is not None:
        assert error.file == NAME and (error.line is None or error.line >= 1)
        text = raw.decode("utf-8", errors="replace")
    assert text is not None
    check_report(lint_text(text, POLICY, NAME), text)


@FAST
@given(st.text(max_size=300))
@example("\x85\u2028\u2029")
@example("a: b\r---\rc: d\r")
def test_random_text_never_raises(text: str) -> None:
    check_report(lint_text(text, POLICY, NAME), text)


YAML_TOKENS = [
    "apiVersion: v1\n", "apiVersion: apps/v1\n", "kind: Pod\n", "kind: List\n",
    "kind: PodList\n", "kind: Deployment\n", "metadata:\n", "  name: x\n", "spec:\n",
    "  containers:\n", "    - name: c\n", "      resources:\n", "        limits:\n",
    "          memory: ", "        requests: {memory: ", "template:\n", "items:\n", "- ",
    "512Mi", "1GB", "512m", "-1Gi", "0", "1e3", ".inf", "null", "~", "true", "[]", "{}",
    "---\n", "...\n", "\n", "  ", "    ", "\t", ": ", ":", ",", "[", "]", "{", "}", "'", '"',
    "|\n", ">-\n", "? ", "&a ", "*a", "&b ", "*b", "<<: *a\n", "!!str ", "!!int ", "!!binary ",
    "!!python/object:os.system ", "!local ", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "#",
    "# evictguard: disable\n", "# evictguard: disable-file=memory-limit-missing\n",
    "  # evictguard: disable=memory-request-missing\n", "\ufeff", "é", "\r\n", "\x00",
    "evictguard.io/exempt: '*'\n", "annotations:\n", "!!bool ", "!!float ", "!!timestamp ",
]  # fmt: skip


@FAST
@given(st.lists(st.sampled_from(YAML_TOKENS), max_size=60))
@example(["!!int "])  # PyYAML: IndexError on an empty int, once a crash of the whole run
@example(["a", ": ", "!!int ", "'", "'"])
@example(["!!timestamp "])
@example(["!!bool "])
def test_yaml_ish_token_soup_never_raises(tokens: list[str]) -> None:
    text = "".join(tokens)
    check_report(lint_text(text, POLICY, NAME), text)
    check_report(lint_text(text, STRICT, NAME), text)


# --- random structures, dumped and mutated ------------------------------------------------

KEYS = st.sampled_from(
    [
        "apiVersion", "kind", "metadata", "name", "namespace", "spec", "template",
        "containers", "initContainers", "ephemeralContainers", "resources", "limits",
        "requests", "memory", "cpu", "items", "annotations", "evictguard.io/exempt",
        "jobTemplate", "restartPolicy", "x", "~", "a/b",
    ]
)  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["512Mi", "1Gi", "1GB", "512m", "-1", "0", "1e400", " 1Gi ", "*", "v1",
                     "Pod", "List", "apps/v1", "Deployment", "Always", ""]),
    st.text(max_size=10),
)  # fmt: skip
TREES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=5)
    ),
    max_leaves=25,
)
KINDS = st.sampled_from(
    [
        ("v1", "Pod"), ("v1", "List"), ("v1", "PodList"), ("apps/v1", "Deployment"),
        ("batch/v1", "CronJob"), ("batch/v1", "Job"), ("v1", "PodTemplate"),
        ("apps/v1", "StatefulSet"), ("v1", "ConfigMap"), ("extensions/v1beta1", "DaemonSet"),
    ]
)  # fmt: skip


@st.composite
def manifests(draw: st.DrawFn) -> str:
    api_version, kind = draw(KINDS)
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind}
    obj.update(draw(st.dictionaries(KEYS, TREES, max_size=4)))
    style = draw(st.sampled_from([False, True, None]))
    documents = [obj, *draw(st.lists(TREES, max_size=2))]
    return yaml.safe_dump_all(documents, default_flow_style=style, allow_unicode=True)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(manifests())
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(["delete", "insert", "swap", "truncate", "indent"]))
        at = draw(st.integers(0, max(0, len(text))))
        if action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 5)) :]
        elif action == "insert":
            text = text[:at] + draw(st.sampled_from(YAML_TOKENS)) + text[at:]
        elif action == "swap":
            lines = text.split("\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        elif action == "truncate":
            text = text[:at]
        else:
            text = text[:at] + "  " + text[at:]
    return text


@FAST
@given(manifests())
def test_dumped_structures_never_raise(text: str) -> None:
    report = lint_text(text, POLICY, NAME)
    check_report(report, text)
    assert not [e for e in report.errors if e.message.startswith("invalid YAML:")]


@FAST
@given(mutated())
def test_mutated_dumps_never_raise(text: str) -> None:
    check_report(lint_text(text, POLICY, NAME), text)


# --- pod-shaped objects straight into the engine ------------------------------------------

RESOURCE_VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.sampled_from(["memory", "cpu", "x"]), SCALARS, max_size=3),
    st.from_regex(r"\A[+-]?[0-9]{0,4}(\.[0-9]{0,3})?([eE][+-]?[0-9]{1,3}|[kMGTPE]i?|[munk])?\Z"),
)


def sections() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        RESOURCE_VALUES,
        st.fixed_dictionaries({}, optional={"memory": RESOURCE_VALUES, "cpu": SCALARS}),
    )


CONTAINERS = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "name": st.one_of(st.text(max_size=5), st.integers(), st.none()),
            "image": st.just("x"),
            "restartPolicy": st.sampled_from(["Always", "Never", None]),
            "resources": st.one_of(
                RESOURCE_VALUES,
                st.fixed_dictionaries({}, optional={"limits": sections(), "requests": sections()}),
            ),
        },
    ),
    SCALARS,
)


@st.composite
def pods(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for field in ("containers", "initContainers", "ephemeralContainers"):
        if draw(st.booleans()):
            spec[field] = draw(st.one_of(st.lists(CONTAINERS, max_size=4), SCALARS))
    if draw(st.booleans()):
        spec["resources"] = draw(
            st.fixed_dictionaries({}, optional={"limits": sections(), "requests": sections()})
        )
    annotations = draw(
        st.one_of(st.none(), st.dictionaries(st.just("evictguard.io/exempt"), SCALARS))
    )
    metadata: dict[str, Any] = {"name": draw(st.one_of(st.text(max_size=5), st.none()))}
    if annotations is not None:
        metadata["annotations"] = annotations
    if draw(st.booleans()):
        return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {"template": {"metadata": metadata, "spec": spec}},
    }


@settings(max_examples=250, deadline=None)
@given(pods())
def test_random_pods_through_the_engine_never_raise(pod: dict[str, Any]) -> None:
    for policy in (POLICY, STRICT):
        result = check_object(pod, policy)
        for problem in result.problems:
            assert "internal error" not in problem.message, problem.message
        for finding in result.findings:
            assert finding.pointer.startswith("/spec/")
            assert finding.rule in policy.active_rules()
            assert finding.message


@settings(max_examples=80, deadline=None)
@given(pods())
def test_random_pods_as_yaml_files_are_placed_on_lines(pod: dict[str, Any]) -> None:
    try:
        text = yaml.safe_dump(pod, allow_unicode=True)
    except yaml.YAMLError:
        assume(False)
    report = lint_text(text, POLICY, NAME)
    check_report(report, text)
    assert report.objects == 1
    # A finding about a value that is there is placed on that value.
    lines = text.splitlines()
    for finding in report.findings:
        value = resolve(pod, finding.pointer)
        if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9]+", value):
            assert finding.line is not None and finding.column is not None
            at = lines[finding.line - 1][finding.column - 1 :]
            assert at.lstrip("'\"").startswith(value), (finding, at)


def resolve(obj: Any, pointer: str) -> Any:
    """The value a JSON pointer names in `obj`, or None when it is not there."""
    for token in pointer.split("/")[1:]:
        if isinstance(obj, dict):
            obj = obj.get(token)
        elif isinstance(obj, list) and token.isdigit() and int(token) < len(obj):
            obj = obj[int(token)]
        else:
            return None
    return obj
