"""The deprecated `scheduler.alpha.kubernetes.io/tolerations` annotation, case by case.

Every case names where its expectation comes from. Abbreviations in the `source` strings:

- VAL: kubernetes/kubernetes `pkg/apis/core/validation/validation.go` at
  f3e7f45436329de1627ebdb1546c302c404b94a6 (v1.35 line): `ValidatePodSpecificAnnotations`
  (`annotations[key] != ""`), `ValidateTolerationsInPodAnnotations` (a decoding error is
  `field.Invalid(fldPath, core.TolerationsAnnotationKey, err.Error())`; else
  `ValidateTolerations(tolerations, fldPath.Child(key), opts)`), `ValidatePodTemplateSpec`
  (`fldPath.Child("annotations")`), `ValidatePodCreate`/`ValidatePodUpdate`
  (`metadata.annotations`).
- HELPER: same commit, `pkg/apis/core/helper/helpers.go` `GetTolerationsFromPodAnnotations`:
  Go's `encoding/json` `json.Unmarshal` into `[]core.Toleration` (the internal type of
  `pkg/apis/core/types.go`, whose fields carry no json tags: Go matches the field names
  `Key`, `Operator`, `Value`, `Effect`, `TolerationSeconds` case-insensitively and names
  them so in errors, with the types `core.TolerationOperator`, `core.TaintEffect`, `*int64`).
- SCAN: golang/go `src/encoding/json/scanner.go` (`checkValid`, `eof`, `quoteChar`, the
  state functions and their contexts), the v1 package (no GOEXPERIMENT=jsonv2).
- DEC: golang/go `src/encoding/json/decode.go` (`UnmarshalTypeError.Error`: `json: cannot
  unmarshal <value> into Go struct field <Struct>.<Field> of type <T>` or `... into Go value
  of type <T>`; `literalStore`: `number <literal>` for integer kinds only, `null` a no-op
  for strings and structs; `foldName`; the first error is saved and returned).
- PATH: kubernetes/apimachinery `pkg/util/validation/field/path.go` (`Child` adds `.name`,
  `Index` adds `[i]`), `errors.go` (`Error()`: `<field>: <type>: <%q bad value>: <detail>`).
- PR38957: kubernetes/kubernetes PR #38957 "Change taints/tolerations to api fields" (1.6):
  the scheduler ignores the annotations since (kubernetes-retired/contrib#2381).
"""

from __future__ import annotations

import dataclasses

import pytest
from evictguard.engine.check import check_object
from evictguard.k8s.gojson import parse, syntax_error
from evictguard.k8s.toleration_annotation import TOLERATIONS_ANNOTATION, decode
from evictguard.model import Finding
from evictguard.policy.load import load_preset
from evictguard.policy.model import Policy
from evictguard.rules.base import COMPARISON_GATE
from evictguard.yaml.loader import load_text

DEFAULT = load_preset("default")
KEY = TOLERATIONS_ANNOTATION
SCAN = "golang/go src/encoding/json/scanner.go"
DEC = "golang/go src/encoding/json/decode.go"
HELPER = "k/k pkg/apis/core/helper/helpers.go GetTolerationsFromPodAnnotations @f3e7f454"
VAL = "k/k pkg/apis/core/validation/validation.go @f3e7f454"


def _pod(annotation: str, spec_tolerations: str = "") -> str:
    return (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\n  annotations:\n"
        f"    {KEY}: {annotation}\n"
        "spec:\n  containers: [{name: a, image: x, resources: {limits: {memory: 1Gi}}}]\n"
        + spec_tolerations
    )


def _findings(text: str, policy: Policy = DEFAULT) -> list[Finding]:
    [item] = load_text(text, "<test>").objects
    return check_object(item.obj, policy).findings


def _quoted(json_text: str) -> str:
    """A JSON text as a single-quoted YAML scalar."""
    return "'" + json_text.replace("'", "''") + "'"


# --- json.Unmarshal's syntax errors (checked before anything is decoded) ------------------

SYNTAX = [
    ("", "unexpected end of JSON input", "eof with nothing read"),
    (" [", "unexpected end of JSON input", "eof inside an array"),
    ('[{"key": "a"', "unexpected end of JSON input", "eof inside an object"),
    ("[1,]", "invalid character ']' looking for beginning of value", "stateBeginValue"),
    ('[{"key": "a",}]', "invalid character '}' looking for beginning of object key string", ""),
    ("[{key: 1}]", "invalid character 'k' looking for beginning of object key string", ""),
    ("[{'key': 1}]", "invalid character '\\'' looking for beginning of object key string", ""),
    ('[{"key" "a"}]', "invalid character '\"' after object key", "stateEndValue"),
    ('[{"a": 1 "b": 2}]', "invalid character '\"' after object key:value pair", ""),
    ("[1 2]", "invalid character '2' after array element", ""),
    ('[{"key": "a"}] x', "invalid character 'x' after top-level value", "stateEndTop"),
    ("[01]", "invalid character '1' after array element", "state0 takes no digit"),
    ("-", "invalid character ' ' in numeric literal", "eof feeds a space"),
    ("[1.]", "invalid character ']' after decimal point in numeric literal", ""),
    ("[1e]", "invalid character ']' in exponent of numeric literal", ""),
    ("[tru]", "invalid character ']' in literal true (expecting 'e')", ""),
    ("nul", "invalid character ' ' in literal null (expecting 'l')", "eof feeds a space"),
    ('["\\x"]', "invalid character 'x' in string escape code", ""),
    ('["\\u12z4"]', "invalid character 'z' in \\u hexadecimal character escape", ""),
    ('["a\tb"]', "invalid character '\\t' in string literal", "control byte in a string"),
    ("NaN", "invalid character 'N' looking for beginning of value", ""),
    ("é", "invalid character 'Ã' looking for beginning of value", "quoteChar: byte as rune"),
    ("[" * 10001, "invalid character '[' exceeded max depth", "maxNestingDepth 10000"),
]


@pytest.mark.parametrize(("text", "message", "why"), SYNTAX, ids=[c[1][:40] for c in SYNTAX])
def test_syntax_errors_are_gos(text: str, message: str, why: str) -> None:
    source = f"{SCAN}: {why}"
    assert syntax_error(text.encode()) == message, source
    with pytest.raises(ValueError) as raised:
        decode(text)
    assert str(raised.value) == message, source


@pytest.mark.parametrize(
    "text", ["[]", " null ", '[{"key": "a"}]', "[" * 10000 + "]" * 10000, '"x"', "-0.5e+3"]
)
def test_well_formed_json_has_no_syntax_error(text: str) -> None:
    assert syntax_error(text.encode()) is None  # SCAN: checkValid returns nil
    parse(text)  # and the parser needs no recursion for deep input


# --- json.Unmarshal into []core.Toleration: type errors, field matching ---------------

TYPE_ERRORS = [
    (
        '{"key": "a"}',
        "json: cannot unmarshal object into Go value of type []core.Toleration",
        "top level is a slice: d.object's default case",
    ),
    ('"[]"', "json: cannot unmarshal string into Go value of type []core.Toleration", ""),
    ("5", "json: cannot unmarshal number into Go value of type []core.Toleration", ""),
    ('["a"]', "json: cannot unmarshal string into Go value of type core.Toleration", "item"),
    ("[[]]", "json: cannot unmarshal array into Go value of type core.Toleration", "item"),
    (
        '[{"tolerationSeconds": "300"}]',
        "json: cannot unmarshal string into Go struct field Toleration.TolerationSeconds of "
        "type int64",
        "*int64 is allocated, the int64 named; the Go field name, no json tag",
    ),
    (
        '[{"tolerationSeconds": 1.5}]',
        "json: cannot unmarshal number 1.5 into Go struct field Toleration.TolerationSeconds "
        "of type int64",
        "literalStore: integer kinds say `number <literal>`",
    ),
    (
        '[{"tolerationSeconds": 9223372036854775808}]',
        "json: cannot unmarshal number 9223372036854775808 into Go struct field "
        "Toleration.TolerationSeconds of type int64",
        "ParseInt overflows",
    ),
    (
        '[{"tolerationSeconds": 3e2}]',
        "json: cannot unmarshal number 3e2 into Go struct field Toleration.TolerationSeconds "
        "of type int64",
        "ParseInt(literal): no exponent",
    ),
    (
        '[{"operator": 1}]',
        "json: cannot unmarshal number into Go struct field Toleration.Operator of type "
        "core.TolerationOperator",
        "string kinds say `number` alone; the named type",
    ),
    (
        '[{"effect": true}]',
        "json: cannot unmarshal bool into Go struct field Toleration.Effect of type "
        "core.TaintEffect",
        "",
    ),
    (
        '[{"value": ["a"]}]',
        "json: cannot unmarshal array into Go struct field Toleration.Value of type string",
        "",
    ),
    (
        '[{"KEY": {}}]',
        "json: cannot unmarshal object into Go struct field Toleration.Key of type string",
        "foldName: KEY is Key",
    ),
    (
        '[{"key": 1}, {"tolerationSeconds": "x"}]',
        "json: cannot unmarshal number into Go struct field Toleration.Key of type string",
        "saveError keeps the first error",
    ),
]


@pytest.mark.parametrize(
    ("text", "message", "why"), TYPE_ERRORS, ids=[c[0][:30] for c in TYPE_ERRORS]
)
def test_type_errors_are_gos(text: str, message: str, why: str) -> None:
    with pytest.raises(ValueError) as raised:
        decode(text)
    assert str(raised.value) == message, f"{DEC}: {why}"


def test_decoding_follows_encoding_json() -> None:
    """DEC: case-insensitive names (foldName, `ſ` is `S`), unknown names dropped, `null`
    a no-op for strings and nil for the *int64, the last duplicate wins, a `null` item the
    zero toleration, `null` as a whole no tolerations."""
    [(_, first), (_, second), (_, third)] = decode(
        '[{"KEY": "a", "Operator": "Exists", "EFFECT": "NoExecute", "tolerationſeconds": 5,'
        ' "unknown": {"x": [1]}},'
        ' {"key": "b", "key": null, "tolerationSeconds": 5, "tolerationSeconds": null,'
        '  "value": "v", "value": "w"},'
        " null]"
    )
    assert (first.key, first.operator, first.effect, first.seconds) == (
        "a",
        "Exists",
        "NoExecute",
        5,
    )
    assert (second.key, second.value, second.seconds) == ("b", "w", None)
    assert third.as_dict() == {}
    assert decode("null") == [] and decode("[]") == []


# --- what the rules report --------------------------------------------------------------

MOVE = (
    " (valid or not, tolerations there have no effect: the scheduler, the taint manager and "
    "DefaultTolerationSeconds have read only spec.tolerations since Kubernetes 1.6; use "
    "spec.tolerations)"
)


def test_a_decoding_error_names_the_annotations_and_the_key() -> None:
    """VAL: field.Invalid(fldPath, core.TolerationsAnnotationKey, err.Error()), fldPath
    being metadata.annotations for a Pod; nothing else is checked then."""
    [finding] = _findings(_pod(_quoted('[{"key": "a", "tolerationSeconds": "60"}]')))
    assert finding.rule == "toleration-invalid"
    assert finding.pointer == "/metadata/annotations/scheduler.alpha.kubernetes.io~1tolerations"
    assert finding.message == (
        f"Pod shop/p: annotation {KEY}: the API server rejects it: metadata.annotations: "
        f'Invalid value: "{KEY}": json: cannot unmarshal string into Go struct field '
        "Toleration.TolerationSeconds of type int64" + MOVE
    )


def test_validation_errors_use_the_child_path() -> None:
    """VAL: ValidateTolerations(tolerations, fldPath.Child(key), opts); PATH: Child renders
    `.scheduler.alpha.kubernetes.io/tolerations`, Index `[1]`."""
    text = _pod(
        _quoted(
            '[{"key": "a", "operator": "Exists"}, {"key": "b", "operator": "Exists", '
            '"value": "x", "effect": "NoSchedule", "tolerationSeconds": 5}]'
        )
    )
    got = [(f.rule, f.message) for f in _findings(text) if f.rule == "toleration-invalid"]
    described = (
        f"Pod shop/p: annotation {KEY}, toleration #1 {{key: b, operator: Exists, value: x, "
        "effect: NoSchedule, tolerationSeconds: 5}: the API server rejects it: "
    )
    assert got == [
        (
            "toleration-invalid",
            described + f"metadata.annotations.{KEY}[1].effect: Invalid value: "
            "\"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set" + MOVE,
        ),
        (
            "toleration-invalid",
            described + f'metadata.annotations.{KEY}[1].operator: Invalid value: "x": '
            "value must be empty when `operator` is 'Exists'" + MOVE,
        ),
    ]


@pytest.mark.parametrize(
    ("head", "metadata_indent", "path"),
    [
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: p, namespace: shop}\n"
            "spec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata:\n",
            "      ",
            "spec.template.annotations",
        ),
        (
            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: p, namespace: shop}\n"
            "spec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n"
            "        metadata:\n",
            "          ",
            "spec.jobTemplate.spec.template.annotations",
        ),
        (
            "apiVersion: v1\nkind: PodTemplate\nmetadata: {name: p, namespace: shop}\n"
            "template:\n  metadata:\n",
            "    ",
            "template.annotations",
        ),
    ],
    ids=["deployment", "cronjob", "podtemplate"],
)
def test_templates_are_checked_at_the_templates_path(
    head: str, metadata_indent: str, path: str
) -> None:
    """VAL: ValidatePodTemplateSpec passes fldPath.Child("annotations") (no `metadata`)."""
    spec_indent = metadata_indent[:-2]
    text = (
        head
        + f"{metadata_indent}annotations:\n"
        + f"""{metadata_indent}  {KEY}: '[{{"key": "a", "operator": "In"}}]'\n"""
        + f"{spec_indent}spec:\n{spec_indent}  containers: [{{name: a, image: x}}]\n"
    )
    [finding] = [f for f in _findings(text) if f.rule == "toleration-invalid"]
    assert f"{path}.{KEY}[0].operator: Unsupported value: " in finding.message


def test_comparison_operators_follow_the_pods_options() -> None:
    """VAL: the annotation gets the pod's own PodValidationOptions: Lt/Gt are NotSupported
    without TaintTolerationComparisonOperators and validated as integers with it."""
    text = _pod(_quoted('[{"key": "sla", "operator": "Gt", "value": "950"}]'))
    [off] = [f for f in _findings(text) if f.rule == "toleration-invalid"]
    assert 'operator: Unsupported value: "Gt": supported values: "Equal", "Exists", "Lt", ' in (
        off.message
    )
    gated = dataclasses.replace(DEFAULT, feature_gates={COMPARISON_GATE: True})
    assert not [f for f in _findings(text, gated) if f.rule == "toleration-invalid"]
    bad = _pod(_quoted('[{"key": "sla", "operator": "Gt", "value": "09"}]'))
    [number] = [f for f in _findings(bad, gated) if f.rule == "toleration-invalid"]
    assert f'metadata.annotations.{KEY}[0].value: Invalid value: "09": value must be a ' in (
        number.message
    )


@pytest.mark.parametrize("value", ['""', "", "'null'", "'[]'", "' [ ] '"])
def test_nothing_to_report(value: str) -> None:
    """VAL: an empty annotation is skipped; HELPER: null and [] hold no tolerations."""
    assert not _findings(_pod(value))


def test_a_valid_annotation_tolerates_nothing_and_no_other_rule_reads_it() -> None:
    """PR38957: nothing reads the annotation, so the wildcard, the unbounded NoExecute
    toleration and the overflowing seconds written there are no finding of the rules that
    judge tolerations; toleration-never-matches says they tolerate nothing, once."""
    text = _pod(
        _quoted(
            '[{"operator": "Exists"}, {"key": "node.kubernetes.io/unreachable", '
            '"operator": "Exists", "effect": "NoExecute"}, {"key": "node.kubernetes.io/'
            'not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 1}]'
        )
    )
    findings = [f for f in _findings(text) if not f.rule.startswith("memory-")]
    assert [f.rule for f in findings] == ["toleration-never-matches"]
    [finding] = findings
    assert finding.pointer == "/metadata/annotations/scheduler.alpha.kubernetes.io~1tolerations"
    assert finding.message.startswith(
        f"Pod shop/p: annotation {KEY} holds 3 tolerations ({{operator: Exists}}, "
        "{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute}, "
    )
    assert finding.message.endswith(
        "that tolerate nothing: the scheduler, the taint manager and DefaultTolerationSeconds "
        "have read only spec.tolerations since Kubernetes 1.6, and the API server only "
        "validates the annotation; move them to spec.tolerations (where the other toleration "
        "rules check them)"
    )


def test_a_yaml_list_is_no_annotation_value() -> None:
    """Annotations are a map[string]string: a YAML list there does not decode."""
    text = _pod("\n      - {key: a, operator: Exists}")
    [finding] = [f for f in _findings(text) if f.rule.startswith("toleration-")]
    assert finding.rule == "toleration-invalid"
    assert finding.message.startswith(
        f"Pod shop/p: annotation {KEY} is a list, not a string: annotation values are strings"
    )
