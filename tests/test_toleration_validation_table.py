"""Table test: `validate_toleration` against Kubernetes' `ValidateTolerations`, case by case.

Every case names where its expectation comes from. Abbreviations in the `source` strings:

- VAL: kubernetes/kubernetes `pkg/apis/core/validation/validation.go`, func
  `ValidateTolerations` (and `validateTaintEffect`), read at commit
  f3e7f45436329de1627ebdb1546c302c404b94a6 (v1.35 line, with the KEP-5471 Lt/Gt branch).
  The pre-Lt/Gt copies at 000f26050b9b (v1.34 era) and a7264f95ffc8 (v1.30 era) were read too.
- POD: kubernetes/kubernetes `pkg/apis/core/validation/validation_test.go`, func
  `TestValidatePod`, at the same commit f3e7f454; the quoted name is the case's map key.
- KUBE: `staging/src/k8s.io/apimachinery/pkg/api/validate/content/kube.go` `IsLabelKey` and
  `IsLabelValue` (`util/validation.IsQualifiedName` and `IsValidLabelValue` are aliases of
  them); DNS: `content/dns.go` `IsDNS1123Subdomain`; ERR: `content/errors.go` `MaxLenError`,
  `RegexError`, `EmptyError`.
- DEC: `content/decimal_int.go` `IsDecimalInteger` and `content/decimal_int_test.go`
  `TestIsDecimalInteger` (the quoted name is the test case's `name`).
- FIELD: `staging/src/k8s.io/apimachinery/pkg/util/validation/field/errors.go`
  (`Error.Error`, `ErrorBody`, `NotSupported`).

The expected errors are listed in the order Go appends them, so the comparison is ordered.
A detail or bad value that differs from the source raises SourceDisagreement (the field and
type part is checked with a plain assert first). Two such disagreements found when this
table was written were fixed in the implementation: Exists with a value reports the value
(since PR #128119, v1.32), and Lt/Gt values get the fixed v1.35 detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from evictguard.k8s.toleration_validation import (
    INVALID,
    NOT_SUPPORTED,
    FieldError,
    validate_toleration,
)
from evictguard.k8s.tolerations import Toleration

PATH = "spec.tolerations[0]"
INT64_MAX = 2**63 - 1
E_ACUTE = "\u00e9"  # two bytes in UTF-8

# --- message texts, copied from the Go sources named above (not from the implementation) ---
# KUBE labelKeyErrMsg + ERR RegexError(msg, labelKeyFmt, "MyName", "my.name", "123-abc")
NAME_REGEX = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
KEY_NAME_REGEX = "name part " + NAME_REGEX
# KUBE IsLabelKey, more than one '/': the opening words differ by version ("a qualified name "
# in the older util/validation copy, "a valid label key " in content/kube.go), so only the
# common part is checked.
KEY_SLASHES = (
    NAME_REGEX + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
)
# DNS dns1123SubdomainErrorMsg + RegexError(..., dns1123SubdomainFmt, "example.com"), prefixed
PREFIX_DNS = (
    "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
    "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
    "'example.com', regex used for validation is "
    r"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
# KUBE labelValueErrMsg + RegexError(..., labelValueFmt, "MyValue", "my_value", "12345")
LABEL_VALUE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
MAX_63 = "must be no more than 63 bytes"  # ERR MaxLenError(63)
# VAL ValidateTolerations detail strings
EMPTY_KEY_OP = (
    'operator must be Exists when `key` is empty, which means "match all values and all keys"'
)
SECONDS_EFFECT = "effect must be 'NoExecute' when `tolerationSeconds` is set"
EXISTS_VALUE = "value must be empty when `operator` is 'Exists'"
NUMERIC_VALUE = "value must be a valid integer for numeric operators"
# FIELD NotSupported: "supported values: " + strconv.Quote of each, joined with ", "
OPS = 'supported values: "Equal", "Exists"'
OPS_CMP = 'supported values: "Equal", "Exists", "Lt", "Gt"'
EFFECTS = 'supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'

VAL = "k/k pkg/apis/core/validation/validation.go ValidateTolerations @f3e7f454"
VAL_EFFECT = "k/k pkg/apis/core/validation/validation.go validateTaintEffect @f3e7f454"
POD = "k/k pkg/apis/core/validation/validation_test.go TestValidatePod @f3e7f454"
KUBE = "apimachinery pkg/api/validate/content/kube.go IsLabelKey"
KUBE_VALUE = "apimachinery pkg/api/validate/content/kube.go IsLabelValue"
DNS = "apimachinery pkg/api/validate/content/dns.go IsDNS1123Subdomain"
DEC = "apimachinery pkg/api/validate/content/decimal_int.go IsDecimalInteger"
DEC_TEST = "apimachinery pkg/api/validate/content/decimal_int_test.go TestIsDecimalInteger"
PR_128119 = (
    "kubernetes/kubernetes PR #128119 'Clarify API validation error for toleration if "
    "`operator` is `Exists` and `value` is not empty' (merged 2024-10-21, v1.32)"
)


class SourceDisagreement(AssertionError):
    """Right errors at the right fields, but a detail text or bad value is not the source's."""


_UNSET: Any = object()


@dataclass(frozen=True)
class Want:
    field: str
    type: str
    detail: str | None = None  # the source's detail: a substring, or the whole of it if exact
    exact: bool = False
    bad: Any = _UNSET  # the bad value the source passes to field.Invalid / NotSupported


def inv(field: str, detail: str | None = None, *, exact: bool = False, bad: Any = _UNSET) -> Want:
    return Want(field, INVALID, detail, exact, bad)


def unsup(field: str, detail: str | None = None, *, bad: Any = _UNSET) -> Want:
    return Want(field, NOT_SUPPORTED, detail, True, bad)


T = Toleration

CASES = [
    # ---------------------------------------------------------------- valid tolerations
    pytest.param(
        T(operator="Exists", effect="NoSchedule"),
        False,
        [],
        POD + ' "empty key with Exists operator is OK for toleration, empty toleration key '
        'means match all taint keys."',
        id="valid-empty-key-exists",
    ),
    pytest.param(
        T(operator="Exists"),
        False,
        [],
        VAL + ": key empty and operator Exists passes; empty effect is skipped",
        id="valid-empty-key-exists-all-effects",
    ),
    pytest.param(
        T(key="foo", operator="Equal", value="bar", effect="NoSchedule"),
        False,
        [],
        POD + ' "populate tolerations equal operator in annotations."',
        id="valid-key-equal-value",
    ),
    pytest.param(
        T(key="foo", operator="Exists", effect="NoSchedule"),
        False,
        [],
        VAL + ": case TolerationOpExists with empty value",
        id="valid-key-exists",
    ),
    pytest.param(
        T(key="foo", value="bar", effect="NoSchedule"),
        False,
        [],
        POD + ' "empty operator is OK for toleration, defaults to Equal."',
        id="valid-empty-operator-means-equal",
    ),
    pytest.param(
        T(key="foo", operator="Equal", value="bar"),
        False,
        [],
        POD + ' "empty effect is OK for toleration, empty toleration effect means match all '
        'taint effects."',
        id="valid-empty-effect",
    ),
    pytest.param(
        T(key="foo", operator="Equal", value=""),
        False,
        [],
        KUBE_VALUE + ": labelValueFmt '(...)?' accepts the empty string",
        id="valid-equal-empty-value",
    ),
    pytest.param(
        T(key="foo", operator="Exists", effect="NoExecute", seconds=60),
        False,
        [],
        POD + ' "populate forgiveness tolerations with exists operator in annotations."',
        id="valid-noexecute-seconds-exists",
    ),
    pytest.param(
        T(key="foo", operator="Equal", value="bar", effect="NoExecute", seconds=60),
        False,
        [],
        POD + ' "populate forgiveness tolerations with equal operator in annotations."',
        id="valid-noexecute-seconds-equal",
    ),
    pytest.param(
        T(key="node.kubernetes.io/not-ready", operator="Exists", effect="NoExecute", seconds=-2),
        False,
        [],
        POD + ' "negative tolerationSeconds is OK for toleration."',
        id="valid-negative-seconds",
    ),
    pytest.param(
        T(key="node.kubernetes.io/not-ready", operator="Exists", effect="NoExecute", seconds=0),
        False,
        [],
        VAL + ": only `TolerationSeconds != nil && Effect != NoExecute` is checked, no range",
        id="valid-zero-seconds",
    ),
    pytest.param(
        T(
            key="node.kubernetes.io/unreachable",
            operator="Exists",
            effect="NoExecute",
            seconds=INT64_MAX,
        ),
        False,
        [],
        VAL + ": no range check on *int64 TolerationSeconds (int64 max)",
        id="valid-int64-max-seconds",
    ),
    pytest.param(
        T(key="foo", operator="Exists", effect="PreferNoSchedule"),
        False,
        [],
        VAL_EFFECT + ": case NoSchedule, PreferNoSchedule, NoExecute",
        id="valid-effect-prefernoschedule",
    ),
    pytest.param(
        T(key="foo", operator="Exists", effect="NoExecute"),
        False,
        [],
        VAL_EFFECT + ": case NoSchedule, PreferNoSchedule, NoExecute (no seconds = forever)",
        id="valid-effect-noexecute",
    ),
    pytest.param(
        T(key="example.com/foo", operator="Exists"),
        False,
        [],
        KUBE + ": prefix is a DNS-1123 subdomain (" + DNS + ")",
        id="valid-key-dns-prefix",
    ),
    pytest.param(
        T(key="example.com/My_Key.v1", operator="Exists"),
        False,
        [],
        KUBE + ": labelKeyFmt '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]' allows upper case and _",
        id="valid-key-upper-underscore-in-name",
    ),
    pytest.param(
        T(key="a" * 253 + "/" + "b" * 63, operator="Exists"),
        False,
        [],
        KUBE + ": name <= 63 bytes; " + DNS + ": prefix <= 253 bytes (both at the limit)",
        id="valid-key-prefix-253-name-63",
    ),
    pytest.param(
        T(key="foo", operator="Equal", value="v" * 63),
        False,
        [],
        KUBE_VALUE + ": LabelValueMaxLength 63 (at the limit)",
        id="valid-value-63-bytes",
    ),
    # ---------------------------------------------------------------- label-key rules
    pytest.param(
        T(key="nospecialchars^=@", operator="Equal", value="bar", effect="NoSchedule"),
        False,
        [inv("key", KEY_NAME_REGEX, exact=True, bad="nospecialchars^=@")],
        POD + ' "invalid toleration key"; message from ' + KUBE,
        id="key-special-chars",
    ),
    pytest.param(
        T(key="Example.com/foo", operator="Exists"),
        False,
        [inv("key", PREFIX_DNS, exact=True)],
        KUBE + ": prefix goes through " + DNS + " (lower case only), messages prefixed",
        id="key-uppercase-in-prefix",
    ),
    pytest.param(
        T(key="my_domain.com/foo", operator="Exists"),
        False,
        [inv("key", PREFIX_DNS, exact=True)],
        KUBE + ": '_' is allowed in the name part only; " + DNS + " rejects it",
        id="key-underscore-in-prefix",
    ),
    pytest.param(
        T(key="a" * 64, operator="Exists"),
        False,
        [inv("key", "name part " + MAX_63, exact=True)],
        KUBE + ": len(name) > labelKeyMaxLength",
        id="key-name-64-bytes",
    ),
    pytest.param(
        T(key="a" * 254 + "/foo", operator="Exists"),
        False,
        [inv("key", "prefix part must be no more than 253 bytes", exact=True)],
        KUBE + " + " + DNS + ": len(prefix) > DNS1123SubdomainMaxLength",
        id="key-prefix-254-bytes",
    ),
    pytest.param(
        T(key="/foo", operator="Exists"),
        False,
        [inv("key", "prefix part must be non-empty", exact=True)],
        KUBE + ': len(prefix) == 0 -> "prefix part "+EmptyError()',
        id="key-empty-prefix",
    ),
    pytest.param(
        T(key="foo/", operator="Exists"),
        False,
        [
            inv("key", "name part must be non-empty", exact=True),
            inv("key", KEY_NAME_REGEX, exact=True),
        ],
        KUBE + ": empty name gives EmptyError and then the regex error too",
        id="key-empty-name",
    ),
    pytest.param(
        T(key="a/b/c", operator="Exists"),
        False,
        [inv("key", KEY_SLASHES)],
        KUBE + ": len(parts) > 2 -> one error, returned at once",
        id="key-two-slashes",
    ),
    pytest.param(
        T(key="-foo", operator="Exists"),
        False,
        [inv("key", KEY_NAME_REGEX, exact=True)],
        KUBE + ": name must start with [A-Za-z0-9]",
        id="key-leading-dash",
    ),
    pytest.param(
        T(key="_foo", operator="Exists"),
        False,
        [inv("key", KEY_NAME_REGEX, exact=True)],
        KUBE + ": '_' only inside the name, not first",
        id="key-leading-underscore",
    ),
    pytest.param(
        T(key="foo.", operator="Exists"),
        False,
        [inv("key", KEY_NAME_REGEX, exact=True)],
        KUBE + ": name must end with [A-Za-z0-9]",
        id="key-trailing-dot",
    ),
    pytest.param(
        T(key="example.com/" + E_ACUTE * 32, operator="Exists"),
        False,
        [
            inv("key", "name part " + MAX_63, exact=True),
            inv("key", KEY_NAME_REGEX, exact=True),
        ],
        KUBE + ": Go len() counts bytes: 32 x U+00E9 = 64 bytes > 63, and not [A-Za-z0-9]",
        id="key-multibyte-name-64-bytes",
    ),
    # ---------------------------------------------------------------- empty key without Exists
    pytest.param(
        T(),
        False,
        [inv("operator", EMPTY_KEY_OP, exact=True, bad="")],
        VAL + ': len(Key) == 0 && Operator != Exists; "" is not Exists',
        id="empty-toleration",
    ),
    pytest.param(
        T(operator="Equal", value="bar", effect="NoSchedule"),
        False,
        [inv("operator", EMPTY_KEY_OP, exact=True, bad="Equal")],
        POD + " \"operator must be 'Exists' when `key` is empty\"",
        id="empty-key-equal",
    ),
    pytest.param(
        T(value="bar", effect="NoSchedule"),
        False,
        [inv("operator", EMPTY_KEY_OP, exact=True, bad="")],
        VAL + ": empty key with empty operator (Equal) and a valid value",
        id="empty-key-empty-operator",
    ),
    # ---------------------------------------------------------------- Exists with a value
    pytest.param(
        T(key="foo", operator="Exists", value="bar", effect="NoSchedule"),
        False,
        [inv("operator", EXISTS_VALUE, exact=True, bad="bar")],
        POD + " \"value must be empty when `operator` is 'Exists'\"; bad value per " + PR_128119,
        id="exists-with-value",
    ),
    pytest.param(
        T(operator="Exists", value="bar"),
        False,
        [inv("operator", EXISTS_VALUE, exact=True)],
        VAL + ": empty key with Exists passes the key check; the value is still rejected",
        id="exists-with-value-empty-key",
    ),
    # ---------------------------------------------------------------- Equal value not a label value
    pytest.param(
        T(key="foo", operator="Equal", value="bar baz"),
        False,
        [inv("operator", LABEL_VALUE, exact=True, bad="bar baz")],
        VAL + ': IsValidLabelValue errors reported at idxPath.Child("operator")',
        id="equal-value-space",
    ),
    pytest.param(
        T(key="foo", operator="Equal", value="v" * 64),
        False,
        [inv("operator", MAX_63, exact=True)],
        KUBE_VALUE + ": len(value) > LabelValueMaxLength; reported at .operator per VAL",
        id="equal-value-64-bytes",
    ),
    pytest.param(
        T(key="foo", operator="Equal", value="-" + "v" * 63),
        False,
        [inv("operator", MAX_63 + ";" + LABEL_VALUE, exact=True)],
        VAL + ': strings.Join(errs, ";") of both ' + KUBE_VALUE + " messages",
        id="equal-value-joined-with-semicolon",
    ),
    pytest.param(
        T(key="foo", operator="Equal", value=E_ACUTE * 32),
        False,
        [inv("operator", MAX_63 + ";" + LABEL_VALUE, exact=True)],
        KUBE_VALUE + ": 32 x U+00E9 is 64 bytes (Go len) and outside the regex; joined by VAL",
        id="equal-value-multibyte",
    ),
    pytest.param(
        T(key="foo", value="-bar"),
        False,
        [inv("operator", LABEL_VALUE, exact=True, bad="-bar")],
        VAL + ': case TolerationOpEqual, "" (empty operator means Equal)',
        id="empty-operator-bad-value",
    ),
    # ---------------------------------------------------------------- unsupported operators
    pytest.param(
        T(key="foo", operator="In", value="bar", effect="NoSchedule"),
        False,
        [unsup("operator", OPS, bad="In")],
        POD + ' "invalid toleration operator"; VAL default branch',
        id="operator-in",
    ),
    pytest.param(
        T(key="foo", operator="exists"),
        False,
        [unsup("operator", OPS, bad="exists")],
        VAL + ": switch is case-sensitive; default branch lists Equal, Exists",
        id="operator-lowercase-exists",
    ),
    pytest.param(
        T(key="foo", operator="equal", value="bar"),
        False,
        [unsup("operator", OPS, bad="equal")],
        VAL + ": switch is case-sensitive; value is not checked in the default branch",
        id="operator-lowercase-equal",
    ),
    pytest.param(
        T(operator="exists"),
        False,
        [inv("operator", EMPTY_KEY_OP, exact=True, bad="exists"), unsup("operator", OPS)],
        VAL + ": empty-key check compares with the exact string Exists, then the switch",
        id="operator-lowercase-exists-empty-key",
    ),
    # ---------------------------------------------------------------- effects
    pytest.param(
        T(key="foo", operator="Exists", effect="Evict"),
        False,
        [unsup("effect", EFFECTS, bad="Evict")],
        VAL_EFFECT + ": default branch, field.NotSupported",
        id="effect-unknown",
    ),
    pytest.param(
        T(key="foo", operator="Exists", effect="noexecute"),
        False,
        [unsup("effect", EFFECTS, bad="noexecute")],
        VAL_EFFECT + ": switch is case-sensitive",
        id="effect-lowercase-noexecute",
    ),
    pytest.param(
        T(key="foo", operator="Exists", effect="NoScheduleNoAdmit"),
        False,
        [unsup("effect", EFFECTS, bad="NoScheduleNoAdmit")],
        VAL_EFFECT + ": TaintEffectNoScheduleNoAdmit is commented out (TODO)",
        id="effect-noschedulenoadmit",
    ),
    pytest.param(
        T(key="node.kubernetes.io/not-ready", operator="Exists", effect="NoSchedule", seconds=20),
        False,
        [inv("effect", SECONDS_EFFECT, exact=True, bad="NoSchedule")],
        POD + " \"effect must be 'NoExecute' when `TolerationSeconds` is set\"",
        id="seconds-with-noschedule",
    ),
    pytest.param(
        T(key="foo", operator="Exists", seconds=300),
        False,
        [inv("effect", SECONDS_EFFECT, exact=True, bad="")],
        VAL + ': TolerationSeconds != nil && Effect != NoExecute; "" is not NoExecute',
        id="seconds-with-empty-effect",
    ),
    pytest.param(
        T(key="foo", operator="Exists", effect="PreferNoSchedule", seconds=0),
        False,
        [inv("effect", SECONDS_EFFECT, exact=True, bad="PreferNoSchedule")],
        VAL + ": any effect but NoExecute, even with 0 seconds",
        id="seconds-with-prefernoschedule",
    ),
    pytest.param(
        T(key="foo", operator="Exists", effect="noexecute", seconds=30),
        False,
        [inv("effect", SECONDS_EFFECT, exact=True), unsup("effect", EFFECTS)],
        VAL + " then " + VAL_EFFECT + ": two errors at .effect",
        id="seconds-with-lowercase-noexecute",
    ),
    # ---------------------------------------------------------------- several errors at once
    pytest.param(
        T(key="Bad Key!", operator="exists", value="x", effect="Always", seconds=5),
        False,
        [
            inv("key", KEY_NAME_REGEX, exact=True),
            inv("effect", SECONDS_EFFECT, exact=True, bad="Always"),
            unsup("operator", OPS, bad="exists"),
            unsup("effect", EFFECTS, bad="Always"),
        ],
        VAL + ": key, empty-key, seconds, operator switch, effect: no short-circuit",
        id="many-errors-key-operator-effect",
    ),
    pytest.param(
        T(operator="Equal", value="bad value", seconds=10),
        False,
        [
            inv("operator", EMPTY_KEY_OP, exact=True, bad="Equal"),
            inv("effect", SECONDS_EFFECT, exact=True, bad=""),
            inv("operator", LABEL_VALUE, exact=True, bad="bad value"),
        ],
        VAL + ": two errors at .operator (empty key, then label value) around the effect one",
        id="many-errors-two-at-operator",
    ),
    pytest.param(
        T(key="foo/", operator="Exists", value="x", effect="bogus"),
        False,
        [
            inv("key", "name part must be non-empty", exact=True),
            inv("key", KEY_NAME_REGEX, exact=True),
            inv("operator", EXISTS_VALUE, exact=True),
            unsup("effect", EFFECTS, bad="bogus"),
        ],
        VAL + " with " + KUBE + ": every check reports",
        id="many-errors-key-exists-value-effect",
    ),
    # ---------------------------------------------------------------- Lt/Gt, gate off
    pytest.param(
        T(key="node.kubernetes.io/sla", operator="Lt", value="950", effect="NoSchedule"),
        False,
        [unsup("operator", OPS_CMP, bad="Lt")],
        POD + ' "numeric operator Lt requires feature gate (gate disabled)"; VAL lists 4 values',
        id="lt-gate-off",
    ),
    pytest.param(
        T(key="node.kubernetes.io/sla", operator="Gt", value="950", effect="NoSchedule"),
        False,
        [unsup("operator", OPS_CMP, bad="Gt")],
        POD + ' "numeric operator Gt requires feature gate (gate disabled)"',
        id="gt-gate-off",
    ),
    pytest.param(
        T(key="foo", operator="Gt", value="abc"),
        False,
        [unsup("operator", OPS_CMP, bad="Gt")],
        VAL + ": gate off -> NotSupported and break, the value is not looked at",
        id="gt-gate-off-bad-value-not-checked",
    ),
    pytest.param(
        T(operator="Lt", value="5"),
        False,
        [inv("operator", EMPTY_KEY_OP, exact=True, bad="Lt"), unsup("operator", OPS_CMP)],
        VAL + ": empty key check, then the gate-off NotSupported",
        id="lt-gate-off-empty-key",
    ),
    # ---------------------------------------------------------------- Lt/Gt, gate on: valid
    pytest.param(
        T(key="node.kubernetes.io/sla", operator="Lt", value="5", effect="NoSchedule"),
        True,
        [],
        VAL + " Lt/Gt branch; " + DEC_TEST + ' "positive single digit 5"',
        id="lt-gate-on-5",
    ),
    pytest.param(
        T(key="node.kubernetes.io/sla", operator="Gt", value="-5"),
        True,
        [],
        VAL + ": label-value rules not applied; " + DEC_TEST + ' "negative single digit"',
        id="gt-gate-on-minus-5",
    ),
    pytest.param(
        T(key="node.kubernetes.io/sla", operator="Lt", value="0"),
        True,
        [],
        DEC_TEST + ' "zero"',
        id="lt-gate-on-0",
    ),
    pytest.param(
        T(key="node.kubernetes.io/sla", operator="Gt", value="950", effect="PreferNoSchedule"),
        True,
        [],
        VAL + " Lt/Gt branch with the option on; value from the POD gate-disabled cases",
        id="gt-gate-on-950",
    ),
    pytest.param(
        T(key="node.kubernetes.io/sla", operator="Gt", value="9223372036854775807"),
        True,
        [],
        DEC_TEST + ' "large positive number" (max int64); ParseInt succeeds',
        id="gt-gate-on-int64-max",
    ),
    pytest.param(
        T(key="node.kubernetes.io/sla", operator="Lt", value="-9223372036854775808"),
        True,
        [],
        DEC_TEST + ' "large negative number" (min int64); ParseInt succeeds',
        id="lt-gate-on-int64-min",
    ),
    pytest.param(
        T(operator="Gt", value="5"),
        True,
        [inv("operator", EMPTY_KEY_OP, exact=True, bad="Gt")],
        VAL + ": the empty-key rule applies with the gate on too",
        id="gt-gate-on-empty-key",
    ),
    # ---------------------------------------------------------------- Lt/Gt, gate on: invalid
    pytest.param(
        T(key="foo", operator="Lt", value="05"),
        True,
        [inv("value", NUMERIC_VALUE, exact=True, bad="05")],
        VAL + " (IsDecimalInteger fails); " + DEC_TEST + ' "leading zero digit ..."',
        id="lt-gate-on-leading-zero",
    ),
    pytest.param(
        T(key="foo", operator="Gt", value="+5"),
        True,
        [inv("value", NUMERIC_VALUE, exact=True, bad="+5")],
        VAL + "; " + DEC_TEST + ' "positive plus sign"',
        id="gt-gate-on-plus-sign",
    ),
    pytest.param(
        T(key="foo", operator="Lt", value="-0"),
        True,
        [inv("value", NUMERIC_VALUE, exact=True, bad="-0")],
        VAL + "; " + DEC_TEST + ' "negative zero"',
        id="lt-gate-on-negative-zero",
    ),
    pytest.param(
        T(key="foo", operator="Gt", value=""),
        True,
        [inv("value", NUMERIC_VALUE, exact=True, bad="")],
        VAL
        + " (IsDecimalInteger gives EmptyError, VAL replaces the text); "
        + DEC_TEST
        + ' "empty string"',
        id="gt-gate-on-empty",
    ),
    pytest.param(
        T(key="foo", operator="Lt", value="abc"),
        True,
        [inv("value", NUMERIC_VALUE, exact=True, bad="abc")],
        VAL + "; " + DEC_TEST + ' "alphabetic"',
        id="lt-gate-on-alphabetic",
    ),
    pytest.param(
        T(key="foo", operator="Gt", value="9223372036854775808"),
        True,
        [inv("value", NUMERIC_VALUE, exact=True, bad="9223372036854775808")],
        VAL + ": IsDecimalInteger passes, strconv.ParseInt(v, 10, 64) is out of range",
        id="gt-gate-on-int64-overflow",
    ),
    pytest.param(
        T(key="foo", operator="Lt", value="-9223372036854775809"),
        True,
        [inv("value", NUMERIC_VALUE, exact=True, bad="-9223372036854775809")],
        VAL + ": strconv.ParseInt out of range below min int64",
        id="lt-gate-on-int64-underflow",
    ),
    pytest.param(
        T(key="foo", operator="Lt", value="1.5"),
        True,
        [inv("value", NUMERIC_VALUE, exact=True, bad="1.5")],
        VAL + "; " + DEC_TEST + ' "decimal number"',
        id="lt-gate-on-fraction",
    ),
    pytest.param(
        T(key="foo", operator="Gt", value="1.5", effect="NoSchedule", seconds=10),
        True,
        [inv("effect", SECONDS_EFFECT, exact=True), inv("value", NUMERIC_VALUE, exact=True)],
        VAL + ": seconds check, then the Lt/Gt value check, both reported",
        id="gt-gate-on-bad-value-and-seconds",
    ),
    # ---------------------------------------------------------------- gate on: others unchanged
    pytest.param(
        T(key="foo", operator="In", value="bar"),
        True,
        [unsup("operator", OPS, bad="In")],
        VAL + ": default branch lists only Equal and Exists, whatever the option",
        id="operator-in-gate-on",
    ),
    pytest.param(
        T(key="foo", operator="Equal", value="-5"),
        True,
        [inv("operator", LABEL_VALUE, exact=True, bad="-5")],
        VAL + ": Equal keeps the label-value rule with the gate on ('-5' is not a label value)",
        id="equal-minus-5-gate-on",
    ),
]


@pytest.mark.parametrize(("toleration", "comparison", "expected", "source"), CASES)
def test_validate_toleration(
    toleration: Toleration, comparison: bool, expected: list[Want], source: str
) -> None:
    errors = validate_toleration(toleration, PATH, comparison=comparison)
    got = [(e.field, e.type) for e in errors]
    want = [(w.field, w.type) for w in expected]
    assert got == want, f"{source}\n  got: {[str(e) for e in errors]}"
    for error in errors:
        assert isinstance(error, FieldError)
        assert error.path == f"{PATH}.{error.field}"
        assert str(error).startswith(f"{error.path}: {error.type}: ")
        assert str(error).endswith(f": {error.detail}")
    problems = []
    for error, w in zip(errors, expected, strict=True):
        if w.detail is not None:
            ok = error.detail == w.detail if w.exact else w.detail in error.detail
            if not ok:
                problems.append(f"{error.path} detail {error.detail!r}, source: {w.detail!r}")
        if w.bad is not _UNSET and error.bad_value != w.bad:
            problems.append(f"{error.path} bad value {error.bad_value!r}, source: {w.bad!r}")
    if problems:
        raise SourceDisagreement(source + "\n  " + "\n  ".join(problems))


# Whole `field.Error.Error()` strings, where the Go text is fully known (FIELD: "<field>: "
# + ErrorBody(); strings print with %q, the named string types TolerationOperator and
# TaintEffect with %#v, which prints the same quoted form).
RENDERED = [
    pytest.param(
        T(operator="Equal", value="bar", effect="NoSchedule"),
        False,
        "spec.tolerations[0]",
        [
            'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists '
            'when `key` is empty, which means "match all values and all keys"'
        ],
        POD + " \"operator must be 'Exists' when `key` is empty\"; VAL detail; FIELD",
        id="empty-key-equal",
    ),
    pytest.param(
        T(),
        False,
        "spec.template.spec.tolerations[0]",
        [
            'spec.template.spec.tolerations[0].operator: Invalid value: "": operator must be '
            'Exists when `key` is empty, which means "match all values and all keys"'
        ],
        "API server output quoted in rancher/rancher issue #45838 (Deployment template)",
        id="empty-operator-in-template",
    ),
    pytest.param(
        T(key="node.kubernetes.io/not-ready", operator="Exists", effect="NoSchedule", seconds=20),
        False,
        "spec.tolerations[0]",
        [
            'spec.tolerations[0].effect: Invalid value: "NoSchedule": effect must be '
            "'NoExecute' when `tolerationSeconds` is set"
        ],
        POD + " \"effect must be 'NoExecute' when `TolerationSeconds` is set\"; VAL; FIELD",
        id="seconds-with-noschedule",
    ),
    pytest.param(
        T(key="foo", operator="In", value="bar", effect="NoSchedule"),
        False,
        "spec.tolerations[0]",
        [
            'spec.tolerations[0].operator: Unsupported value: "In": supported values: '
            '"Equal", "Exists"'
        ],
        POD + ' "invalid toleration operator"; FIELD NotSupported',
        id="operator-in",
    ),
    pytest.param(
        T(key="node.kubernetes.io/sla", operator="Lt", value="950", effect="NoSchedule"),
        False,
        "spec.tolerations[0]",
        [
            'spec.tolerations[0].operator: Unsupported value: "Lt": supported values: '
            '"Equal", "Exists", "Lt", "Gt"'
        ],
        POD + ' "numeric operator Lt requires feature gate (gate disabled)" expects '
        '`Unsupported value: "Lt"`; VAL validValues; FIELD',
        id="lt-gate-off",
    ),
    pytest.param(
        T(operator="Exists", effect="CriticalAddonsOnly"),
        False,
        "spec.template.spec.tolerations[0]",
        [
            'spec.template.spec.tolerations[0].effect: Unsupported value: "CriticalAddonsOnly": '
            'supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'
        ],
        "API server output quoted in kubernetes/kubernetes issue #64301; " + VAL_EFFECT,
        id="effect-unsupported",
    ),
    pytest.param(
        T(key="nospecialchars^=@", operator="Equal", value="bar", effect="NoSchedule"),
        False,
        "spec.tolerations[0]",
        ['spec.tolerations[0].key: Invalid value: "nospecialchars^=@": ' + KEY_NAME_REGEX],
        POD + ' "invalid toleration key"; ' + KUBE + "; ERR RegexError",
        id="key-invalid",
    ),
    pytest.param(
        T(key="foo", operator="Equal", value="-" + "v" * 63),
        False,
        "spec.tolerations[0]",
        [
            'spec.tolerations[0].operator: Invalid value: "-'
            + "v" * 63
            + '": '
            + MAX_63
            + ";"
            + LABEL_VALUE
        ],
        VAL + ': field.Invalid(.operator, Value, strings.Join(errs, ";"))',
        id="value-joined",
    ),
    pytest.param(
        T(key="pool", operator="Exists", value="build", effect="NoSchedule"),
        False,
        "spec.tolerations[0]",
        [
            'spec.tolerations[0].operator: Invalid value: "build": value must be empty when '
            "`operator` is 'Exists'"
        ],
        PR_128119 + " (the 'Now the error message becomes' text); VAL @f3e7f454",
        id="exists-with-value",
    ),
    pytest.param(
        T(key="foo", operator="Lt", value="05"),
        True,
        "spec.tolerations[0]",
        ['spec.tolerations[0].value: Invalid value: "05": ' + NUMERIC_VALUE],
        VAL + ': field.Invalid(idxPath.Child("value"), toleration.Value, ...)',
        id="lt-gate-on-leading-zero",
    ),
]


@pytest.mark.parametrize(("toleration", "comparison", "path", "expected", "source"), RENDERED)
def test_rendered_like_go(
    toleration: Toleration, comparison: bool, path: str, expected: list[str], source: str
) -> None:
    errors = validate_toleration(toleration, path, comparison=comparison)
    rendered = [str(e) for e in errors]
    # Same fields and types first (a plain failure), then the full text (a disagreement).
    heads = [": ".join(r.split(": ")[:2]) for r in rendered]
    assert heads == [": ".join(x.split(": ")[:2]) for x in expected], f"{source}\n{rendered}"
    if rendered != expected:
        raise SourceDisagreement(f"{source}\n  got:    {rendered}\n  source: {expected}")


def test_table_does_not_shrink() -> None:
    assert len(CASES) >= 40
    ids = [case.id for case in CASES]
    assert len(set(ids)) == len(ids), "duplicate case ids"
    assert all(case.values[3] for case in CASES), "every case names its source"
