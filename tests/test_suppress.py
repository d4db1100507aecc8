"""Suppression: policy exemptions, the `evictguard.io/exempt` annotation, inline comments.

Expected lines were counted by hand in tests/data/suppress/*.yaml.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml
from evictguard.engine.check import check_object
from evictguard.engine.exemptions import ALL, ANNOTATION_ALL
from evictguard.lint.directives import parse_directives
from evictguard.model import Report
from evictguard.policy.load import load_policy_file, load_preset
from evictguard.policy.model import ConfigError

from tests.conftest import DATA, ROOT, lint_paths, run_json

SUPPRESS = DATA / "suppress"
POLICY = SUPPRESS / "policy.yaml"
LIMIT, REQUEST = "memory-limit-missing", "memory-request-missing"
INVALID, SUSPICIOUS = "memory-quantity-invalid", "memory-quantity-suspicious"


def found(report: Report) -> set[tuple[str | None, int | None, str]]:
    return {(f.ref.name, f.line, f.rule) for f in report.findings}


def found_json(report: dict) -> set[tuple[str | None, int | None, str]]:
    return {(f["name"], f["line"], f["rule"]) for f in report["findings"]}


# --- policy exemptions ----------------------------------------------------------------------


# coredns is in kube-system, which the default policy leaves out with admission (README:
# Policy); these tests lint every namespace, so that exemptions are what spares it.
EVERY_NAMESPACE = "admission:\n  ignoredNamespaces: []\n"


def test_targets_without_exemptions_report_everything() -> None:
    every = dataclasses.replace(load_preset("default"), ignored_namespaces=())
    report = lint_paths(SUPPRESS / "exempt-targets.yaml", policy=every)
    # No limit and no request: memory-limit-missing's one finding says both (the request
    # rule's finding stands in where the limit rule is exempted or silenced: below).
    assert found(report) == {
        ("coredns", 8, LIMIT),
        ("shell-debug", 18, LIMIT),
        ("report", 33, LIMIT),
        ("report", 38, SUSPICIOUS),  # 1Mi, below the 4Mi floor
        ("report", 52, LIMIT),
        ("report", 64, LIMIT),
        ("tool-debug", 73, LIMIT),
    }


def test_policy_exemptions_by_namespace_name_and_kind() -> None:
    code, report = run_json("--config", str(POLICY), str(SUPPRESS / "exempt-targets.yaml"))
    assert code == 1
    assert found_json(report) == {
        # coredns: namespace kube-system, every rule exempt
        ("shell-debug", 18, REQUEST),  # *-debug: only memory-limit-missing exempt
        ("report", 33, LIMIT),  # Cron* in batch-*: request and suspicious exempt
        ("report", 52, LIMIT),  # CronJob in apps: namespace does not match
        ("report", 64, LIMIT),  # Deployment in batch-nightly: kind does not match
        ("tool-debug", 73, REQUEST),  # no namespace: the names-only exemption still applies
    }


def test_exemption_fields_must_all_match_and_star_means_every_rule(tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(
        "exemptions:\n"
        "  - kinds: [CronJob]\n    names: [report]\n    rules: ['*']\n"
        "  - namespaces: ['kube-*']\n    kinds: [Deployment]\n" + EVERY_NAMESPACE
    )
    report = lint_paths(SUPPRESS / "exempt-targets.yaml", policy=load_policy_file(str(policy_file)))
    remaining = found(report)
    assert not {r for r in remaining if r[1] in (33, 38, 52)}  # both CronJobs named report
    assert ("coredns", 8, LIMIT) in remaining  # a Pod, not a Deployment
    assert ("report", 64, LIMIT) in remaining  # a Deployment named report, not a CronJob


def test_exemption_with_only_rules_turns_those_rules_off_everywhere(tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text("exemptions:\n  - rules: [memory-request-missing]\n    reason: noisy\n")
    report = lint_paths(SUPPRESS / "exempt-targets.yaml", policy=load_policy_file(str(policy_file)))
    assert {rule for _, _, rule in found(report)} == {LIMIT, SUSPICIOUS}


HOOKS = """\
# The shape of a chart's hook Job (ingress-nginx's admission-create, cert-manager's
# startupapicheck): annotated on the Job itself, not on its pod template.
apiVersion: batch/v1
kind: Job
metadata:
  name: shop-ingress-nginx-admission-create
  namespace: ingress
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  template:
    metadata:
      annotations:
        helm.sh/hook: not-the-job
    spec:
      restartPolicy: OnFailure
      containers:
        - name: create
          image: registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.5.2
          args: [create, --namespace=$(POD_NAMESPACE)]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: nightly-report
  namespace: ingress
  annotations: {team: reports}
spec:
  template:
    metadata:
      annotations: {helm.sh/hook: post-install}
    spec:
      restartPolicy: Never
      containers:
        - name: report
          image: example/report:1.0
"""


def test_exemptions_by_the_objects_own_annotations(tmp_path: Path) -> None:
    """`annotations: {helm.sh/hook: "*"}`: Helm's hook Jobs (a policy's choice, README:
    Helm hooks); a pod template's annotation is not the object's."""
    manifest = tmp_path / "hooks.yaml"
    manifest.write_text(HOOKS)
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(
        "exemptions:\n"
        "  - annotations: {helm.sh/hook: '*'}\n"
        "    rules: [memory-limit-missing]\n"
        "    reason: hooks run to completion in seconds\n"
    )
    report = lint_paths(manifest, policy=load_policy_file(str(policy_file)))
    assert {(f.ref.name, f.rule) for f in report.findings} == {
        ("shop-ingress-nginx-admission-create", REQUEST),  # only the limit rule exempted
        ("nightly-report", LIMIT),  # its template's annotation does not count
    }
    # every key given must be there, each value matching its glob
    policy_file.write_text(
        "exemptions:\n  - annotations: {helm.sh/hook: 'pre-install*', team: '*'}\n"
    )
    report = lint_paths(manifest, policy=load_policy_file(str(policy_file)))
    assert {f.ref.name for f in report.findings} == {
        "shop-ingress-nginx-admission-create",
        "nightly-report",
    }
    policy_file.write_text("exemptions:\n  - annotations: {helm.sh/hook: 'pre-install*'}\n")
    report = lint_paths(manifest, policy=load_policy_file(str(policy_file)))
    assert {f.ref.name for f in report.findings} == {"nightly-report"}


@pytest.mark.parametrize(
    "bad", ["annotations: {}", "annotations: [helm.sh/hook]", "annotations: {helm.sh/hook: 1}"]
)
def test_exemption_annotations_must_be_a_mapping_of_globs(tmp_path: Path, bad: str) -> None:
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(f"exemptions:\n  - {bad}\n")
    with pytest.raises(ConfigError, match="exemptions"):
        load_policy_file(str(policy_file))


# --- the annotation ---------------------------------------------------------------------------


def test_exempt_annotation_on_the_object_and_on_the_pod_template() -> None:
    report = lint_paths(SUPPRESS / "annotations.yaml")
    assert found(report) == {
        # all-exempt: "*" on the Deployment
        ("template-exempt", 30, INVALID),  # the template exempts only limit and request
        ("pod-exempt", 40, LIMIT),  # the Pod exempts only the request rule
        # cron-exempt: "all" on the CronJob's pod template
        ("not-exempt", 73, LIMIT),  # another annotation key; a rule that is off anyway
    }


def test_the_annotation_is_honoured_by_the_engine_without_files(default_policy) -> None:
    """The admission path has objects, not files: the annotation must work there too."""
    documents = list(yaml.safe_load_all((SUPPRESS / "annotations.yaml").read_text()))
    results = {d["metadata"]["name"]: check_object(d, default_policy) for d in documents}
    rules = {name: sorted(f.rule for f in r.findings) for name, r in results.items()}
    assert rules == {
        "all-exempt": [],
        "template-exempt": [INVALID],
        "pod-exempt": [LIMIT],
        "cron-exempt": [],
        "not-exempt": [LIMIT],  # whose finding says the request is missing too
    }


def test_all_in_the_annotation_means_every_rule_and_is_documented(tmp_path: Path) -> None:
    """`evictguard.io/exempt: all` has always meant `*`: kept (annotations in use rely on
    it), and said in the README, whose list of ways to suppress did not mention it."""
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\n"
        "  annotations: {{evictguard.io/exempt: {value}}}\n"
        "spec:\n  containers: [{{name: c, image: x}}]\n"
    )
    values = ["all", "'*'", "All", "alll", "memory-limit-missing"]
    path = tmp_path / "pods.yaml"
    path.write_text("---\n".join(pod.format(i=i, value=v) for i, v in enumerate(values)))
    code, report = run_json(str(path))
    assert code == 1 and not report["errors"]
    rules: dict[str, set[str]] = {f"p{i}": set() for i in range(len(values))}
    for finding in report["findings"]:
        rules[finding["name"]].add(finding["rule"])
    assert rules == {
        "p0": set(),  # all
        "p1": set(),  # *
        "p2": {LIMIT},  # ids are exact: `All` is no rule, and no synonym
        "p3": {LIMIT},
        "p4": {REQUEST},  # the limit rule exempted: the request rule's finding stands
    }
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("### Suppressing findings", 1)[1].split("\n#", 1)[0]
    assert set(ANNOTATION_ALL) == {ALL, "all"}
    for spelling in ANNOTATION_ALL:
        assert f"`{spelling}`" in section or f'`"{spelling}"`' in section, spelling


@pytest.mark.parametrize(
    ("value", "remaining"),
    [
        ("*", []),
        ("all", []),
        ("memory-limit-missing", [REQUEST]),
        (" memory-limit-missing ,memory-request-missing ", []),
        ("memory-limit-missing,,", [REQUEST]),
        ("", [LIMIT]),
        ("memory-*", [LIMIT]),  # not a glob: ids or "*" only
    ],
)
def test_annotation_values(default_policy, value: str, remaining: list[str]) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "annotations": {"evictguard.io/exempt": value}},
        "spec": {"containers": [{"name": "c", "image": "x"}]},
    }
    assert sorted(f.rule for f in check_object(pod, default_policy).findings) == remaining


# --- inline comments --------------------------------------------------------------------------


def test_inline_comments() -> None:
    report = lint_paths(SUPPRESS / "inline.yaml")
    assert found(report) == {
        # trailing: each comment silences only its own line, only the rules it names
        ("trailing", 7, REQUEST),  # line 7 silences the limit rule only
        ("trailing", 23, SUSPICIOUS),  # line 23 names another rule
        # lines 13 (list, then an explanation) and 18 (no list) are silenced entirely
        # standalone: the request rule, in that document only
        ("standalone", 32, LIMIT),
        ("next-document", 41, LIMIT),
        # standalone-all: a bare `disable` at the end of the document silences it all
        # not-directives: `disabled`, `disable-next-line`, `enable` are not directives
        ("not-directives", 60, LIMIT),
        ("not-directives", 62, LIMIT),
    }


def test_inline_comments_do_not_reach_the_engine(default_policy) -> None:
    """Comments exist in files only: the same objects through the engine keep everything."""
    documents = list(yaml.safe_load_all((SUPPRESS / "inline.yaml").read_text()))
    trailing = check_object(documents[0], default_policy)
    assert sorted(f.rule for f in trailing.findings) == sorted(
        [LIMIT, INVALID, SUSPICIOUS, SUSPICIOUS]
    )
    # The request rule's finding is left out for the limit rule's, not lost: it stands in
    # where a comment silences the limit rule (line 7 in test_inline_comments).
    assert [(kept.rule, left_out.rule) for kept, left_out in trailing.superseded] == [
        (LIMIT, REQUEST)
    ]


def test_disable_file() -> None:
    report = lint_paths(SUPPRESS / "disable-file.yaml")
    assert (report.findings, report.objects) == ([], 2)


def test_disable_file_with_rules_anywhere_in_the_file() -> None:
    report = lint_paths(SUPPRESS / "disable-file-rule.yaml")
    assert found(report) == {("first", 7, LIMIT), ("second", 22, LIMIT)}


def test_standalone_comment_before_the_separator_stays_in_its_document(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {{name: {}}}\nspec:\n  containers:\n    - name: c\n"
    path.write_text(
        pod.format("first")
        + "# evictguard: disable=memory-limit-missing\n---\n"
        + pod.format("second")
    )
    # Silenced in the first only: there the request rule's finding stands in for it.
    assert found(lint_paths(path)) == {("first", 6, REQUEST), ("second", 14, LIMIT)}


def test_standalone_comment_after_a_flow_document_stays_in_it(tmp_path: Path) -> None:
    """A flow (JSON-style) document ends mid-line; the comment lines after it used to be
    counted in the next document, so the directive silenced the wrong object."""
    pod = (
        '{{"apiVersion": "v1", "kind": "Pod", "metadata": {{"name": "{}"}}, '
        '"spec": {{"containers": [{{"name": "c"}}]}}}}\n'
    )
    path = tmp_path / "flow.yaml"
    path.write_text(
        pod.format("first")
        + "# evictguard: disable\n---\n"
        + pod.format("second")
        + "---\n"
        + pod.format("third")
        + "# evictguard: disable=memory-limit-missing\n"
    )
    assert found(lint_paths(path)) == {("second", 4, LIMIT), ("third", 6, REQUEST)}


def test_standalone_scope_survives_a_broken_document_before_it(tmp_path: Path) -> None:
    """A syntax error makes the loader re-parse `---` chunks; document ranges must follow."""
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {{name: {}}}\nspec:\n  containers:\n    - name: c\n"
    path = tmp_path / "broken.yaml"
    path.write_text(
        pod.format("first")
        + "---\nmetadata:\n  name: bad: yaml\n"
        + "---\n# evictguard: disable=memory-limit-missing\n"
        + pod.format("third")
        + "---\n"
        + pod.format("fourth")
    )
    report = lint_paths(path)
    assert [(e.line, e.message[:12]) for e in report.errors] == [(9, "invalid YAML")]
    assert found(report) == {
        ("first", 6, LIMIT),
        ("third", 17, REQUEST),  # the limit rule silenced: the request rule's finding stands
        ("fourth", 24, LIMIT),
    }


# --- the directive grammar --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("a: 1  # evictguard: disable=memory-limit-missing", {1: {LIMIT}}),
        (
            "a: 1  # evictguard: disable = memory-limit-missing , memory-request-missing",
            {1: {LIMIT, REQUEST}},
        ),
        ("a: 1  # evictguard: disable=memory-limit-missing because reasons", {1: {LIMIT}}),
        ("a: 1  # evictguard: disable=memory-limit-missing # and a comment", {1: {LIMIT}}),
        ("a: 1  # evictguard: disable", {1: {ALL}}),
        ("a: 1  #evictguard:disable=*", {1: {ALL}}),
        ("a: 1  # evictguard: disabled", {}),
        ("a: 1  # evictguard: disable-next-line=memory-limit-missing", {}),
        ("a: 1  # evictguard: enable=memory-limit-missing", {}),
        ("a: 1  # evictguard disable", {}),
    ],
)
def test_trailing_directive_grammar(line: str, expected: dict[int, set[str]]) -> None:
    directives = parse_directives(line)
    if directives is None:  # no `evictguard:` at all: the cheap path
        assert expected == {}
        return
    assert directives.line_rules == expected
    assert directives.standalone == [] and directives.file_rules == set()


def test_directive_kinds() -> None:
    text = (
        "# evictguard: disable-file=memory-limit-ratio\n"
        "a: 1\n"
        "   # evictguard: disable=memory-request-missing\n"
        "b: 2  # evictguard: disable-file\n"
    )
    directives = parse_directives(text)
    assert directives is not None
    assert directives.file_rules == {"memory-limit-ratio", ALL}
    assert directives.standalone == [(3, {REQUEST})]
    assert directives.line_rules == {}
    assert parse_directives("a: 1\n# just a comment\n") is None


POD_AFTER_STRINGS = (
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n"
    "spec: {containers: [{name: app, image: x, resources: {requests: {memory: 64Mi}}}]}\n"
)


@pytest.mark.parametrize(
    "strings",
    [
        # a script in a block scalar, with a directive-looking shell comment
        "data:\n  lint.sh: |\n    # evictguard: disable-file\n    echo data\n",
        "data:\n  lint.sh: >-\n    # evictguard: disable\n    echo data\n",
        "data:\n  keep.sh: |+\n    # evictguard: disable-file\n\n\n",
        # quoted strings, on one line and over several
        'data:\n  note: "x # evictguard: disable-file"\n',
        "data:\n  note: 'a\n    # evictguard: disable-file\n    b'\n",
    ],
    ids=["literal", "folded", "keep-chomping", "double-quoted", "single-quoted-multiline"],
)
def test_directive_text_inside_strings_is_not_a_comment(tmp_path: Path, strings: str) -> None:
    path = tmp_path / "strings.yaml"
    path.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n" + strings + POD_AFTER_STRINGS
    )
    report = lint_paths(path)
    assert {f.rule for f in report.findings} == {"memory-limit-missing"}, report.errors


def test_a_real_comment_right_after_a_block_scalar_is_still_a_directive(tmp_path: Path) -> None:
    path = tmp_path / "after-block.yaml"
    path.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n"
        "data:\n  lint.sh: |\n    echo data\n# evictguard: disable-file\n" + POD_AFTER_STRINGS
    )
    assert lint_paths(path).findings == []


def test_the_exempt_annotation_is_ignored_when_the_policy_says_so() -> None:
    """Whoever writes a Pod can annotate it: the strict preset honours only the policy."""
    from evictguard.engine.check import check_object
    from evictguard.policy.load import load_preset

    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "annotations": {"evictguard.io/exempt": "*"}},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
    }
    assert check_object(pod, load_preset("default")).findings == []
    strict = check_object(pod, load_preset("strict")).findings
    assert "memory-limit-missing" in {f.rule for f in strict}
