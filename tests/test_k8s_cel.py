"""The Kubernetes CEL harness (tests/k8s_cel): libraries, environment, the VAP evaluator.

Quantity cases are those of Kubernetes' own library test
(staging/src/k8s.io/apiserver/pkg/cel/library/quantity_test.go ``TestQuantity``), rewritten.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip(
    "cel_expr_python", reason="cel-expr-python (Python >= 3.11) runs the exported CEL offline"
)

from cel_expr_python import cel

from tests.k8s_cel.environment import Result, kubernetes_env, run
from tests.k8s_cel.mutating import mutate
from tests.k8s_cel.vap import (
    Outcome,
    admission_request,
    evaluate,
    namespace_object,
)

ENV = kubernetes_env((1, 30), {"object": cel.Type.DYN})


def cel_eval(expression: str, obj: Any = None, env: cel.Env = ENV) -> Result:
    return run(env.compile(expression), {"object": obj})


# --- quantity ------------------------------------------------------------------------------

QUANTITY_VALUES = [
    ('quantity("12Mi") == quantity("12Mi")', True),
    ('isQuantity("20")', True),
    ('isQuantity("20M")', True),
    ('isQuantity("20Mi")', True),
    ('isQuantity("20Mo")', False),
    ('isQuantity("10Mm")', False),
    ('quantity("200M") == quantity("200M")', True),
    ('quantity("200M") == quantity("0.2G") && quantity("0.2G") == quantity("200M")', True),
    (
        'quantity("2M") == quantity("0.002G") && quantity("2000k") == quantity("2M")'
        ' && quantity("0.002G") == quantity("2000k")',
        True,
    ),
    ('quantity("200M") == quantity("0.3G")', False),
    ('quantity("50M").isLessThan(quantity("50Mi"))', True),
    ('quantity("50M").isLessThan(quantity("100M"))', True),
    ('quantity("100M").isLessThan(quantity("50M"))', False),
    ('quantity("50Mi").isGreaterThan(quantity("50M"))', True),
    ('quantity("150Mi").isGreaterThan(quantity("100Mi"))', True),
    ('quantity("50M").isGreaterThan(quantity("100M"))', False),
    ('quantity("200M").compareTo(quantity("0.2G"))', 0),
    ('quantity("50M").compareTo(quantity("50Mi"))', -1),
    ('quantity("50Mi").compareTo(quantity("50M"))', 1),
    ('quantity("50k").add(quantity("20")) == quantity("50.02k")', True),
    ('quantity("50k").add(20).isLessThan(quantity("50020"))', False),
    ('quantity("50k").sub(quantity("20")) == quantity("49.98k")', True),
    ('quantity("50k").sub(20) == quantity("49980")', True),
    ('quantity("50k").add(20).sub(quantity("100k")).asInteger()', -49980),
    ('quantity("50k").add(20).sub(quantity("100k")).sub(-50000).asInteger()', 20),
    ('quantity("50k").asInteger()', 50000),
    ('quantity("9999999999999999999999999999999999999G").isInteger()', False),
    ('quantity("50").isInteger()', True),
    ('quantity("50.703k").asApproximateFloat()', 50703.0),
    # quantity.go: sign is a global overload; the doc comment's examples.
    ('sign(quantity("-2Gi"))', -1),
    ('sign(quantity("0"))', 0),
    ('quantity("50k").sub(20000) == quantity("30k")', True),
    ('quantity("100m").isInteger()', False),
]


@pytest.mark.parametrize(("expression", "expected"), QUANTITY_VALUES)
def test_quantity_library_matches_kubernetes_cases(expression: str, expected: Any) -> None:
    result = cel_eval(expression)
    assert result.error is None
    assert result.value == expected
    assert type(result.value) is type(expected)


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        ('quantity("10Mo")', "quantities must match the regular expression '^([+-]?[0-9.]+)"),
        ('quantity("10Mm")', "unable to parse quantity's suffix"),
        ('quantity("9999999999999999999999999999999999999G").asInteger()', "cannot convert value"),
        ('quantity("junk")', "quantities must match the regular expression"),
    ],
)
def test_quantity_errors_are_cel_errors(expression: str, error: str) -> None:
    result = cel_eval(expression)
    assert result.value is None
    assert result.error is not None and result.error.startswith(error)


def test_a_quantity_error_is_absorbed_like_any_cel_error() -> None:
    assert cel_eval('quantity("junk").isInteger() || true') == Result(True, None, "BOOL")
    assert cel_eval('true && quantity("junk").isInteger()').error is not None


@pytest.mark.parametrize(
    "expression", ["isQuantity([1, 2, 3])", 'quantity("1").sign()', "quantity(1)"]
)
def test_quantity_overloads_are_typed_as_in_kubernetes(expression: str) -> None:
    with pytest.raises(RuntimeError, match=r"no matching overload|undeclared reference"):
        ENV.compile(expression)


def test_quantity_reads_manifest_values() -> None:
    pod = {"spec": {"containers": [{"resources": {"limits": {"memory": "1536Mi"}}}]}}
    expression = (
        "object.spec.containers.all(c, quantity(c.resources.limits.memory)"
        '.isGreaterThan(quantity("1Gi")))'
    )
    assert cel_eval(expression, pod).value is True


# --- environment by version ----------------------------------------------------------------


def test_libraries_arrive_with_their_kubernetes_version() -> None:
    def compiles(version: tuple[int, int], expression: str) -> bool:
        try:
            kubernetes_env(version, {"object": cel.Type.DYN}).compile(expression)
        except RuntimeError:
            return False
        return True

    assert not compiles((1, 27), 'quantity("1")')
    assert compiles((1, 28), 'quantity("1")')
    assert not compiles((1, 27), "object.?a.orValue(1)")
    assert compiles((1, 28), "object.?a.orValue(1)")
    assert not compiles((1, 28), "sets.contains([1], [1])")
    assert compiles((1, 29), "sets.contains([1], [1])")
    assert not compiles((1, 28), "strings.quote('a')")  # strings v0 before 1.29
    assert compiles((1, 29), "strings.quote('a')")
    assert compiles((1, 0), "[1].isSorted() && 'a'.find('a') == 'a'")


# --- lists, regex, sets, optional, strings -------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("[1, 2, 2, 3].isSorted()", True),
        ("['b', 'a'].isSorted()", False),
        ("[].isSorted()", True),
        ("[1, 2, 3].sum()", 6),
        ("[1.5, 2.0].sum()", 3.5),
        ("[].sum()", 0),
        ("[3, 1, 2].min()", 1),
        ("['a', 'c', 'b'].max()", "c"),
        ("[1, 2, 1].indexOf(1)", 0),
        ("[1, 2, 1].lastIndexOf(1)", 2),
        ("[1, 2].indexOf(3)", -1),
        ("[dyn(1), dyn(true)].indexOf(true)", 1),
        ("'abc'.indexOf('c')", 2),  # the strings extension's indexOf still works beside it
        ("'abc 123'.find('[0-9]+')", "123"),
        ("'abc'.find('[0-9]+')", ""),
        ("'123 abc 456'.findAll('[0-9]+')", ["123", "456"]),
        ("'123 abc 456'.findAll('[0-9]+', 1)", ["123"]),
        ("'123 abc 456'.findAll('[0-9]+', 0)", []),
        ("'a1b22'.findAll('[0-9]*')", ["", "1", "22"]),
        ("sets.contains([1, 2, 3], [3, 1])", True),
        ("sets.equivalent([1, 2], [2, 1, 1])", True),
        ("sets.intersects([1, 2], [3])", False),
        ("object.?metadata.?labels.?app.orValue('none')", "none"),
        ("optional.of(1).hasValue() && !optional.none().hasValue()", True),
        ("' Mixed Case '.trim().lowerAscii().split(' ')", ["mixed", "case"]),
        ("['a', 'b'].join('-')", "a-b"),
    ],
)
def test_kubernetes_libraries(expression: str, expected: Any) -> None:
    result = cel_eval(expression, {"metadata": {}})
    assert result.error is None
    assert result.value == expected


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        ("[].min()", "min called on empty list"),
        ("[].max()", "max called on empty list"),
        ("'a'.find('(')", "Illegal regex: "),
    ],
)
def test_library_errors(expression: str, error: str) -> None:
    result = cel_eval(expression)
    assert result.error is not None and result.error.startswith(error)


# --- ValidatingAdmissionPolicy -------------------------------------------------------------


def pod(namespace: str = "team", memory: str = "2Gi", labels: dict | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": namespace, "labels": labels or {"app": "web"}},
        "spec": {"containers": [{"name": "app", "resources": {"limits": {"memory": memory}}}]},
    }


POD_RULES = {
    "resourceRules": [
        {
            "apiGroups": [""],
            "apiVersions": ["v1"],
            "operations": ["CREATE", "UPDATE"],
            "resources": ["pods"],
        }
    ]
}
MEMORY_CAP = {
    "expression": "object.spec.containers.all(c, "
    "quantity(c.resources.limits.memory).compareTo(quantity('1Gi')) <= 0)",
    "message": "memory limit above 1Gi",
}


def policy(name: str, validations: list[dict], **spec: Any) -> dict:
    spec.setdefault("matchConstraints", POD_RULES)
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": {"validations": validations, **spec},
    }


def binding(name: str, policy_name: str, actions: list[str], **spec: Any) -> dict:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name},
        "spec": {"policyName": policy_name, "validationActions": actions, **spec},
    }


TEAM = namespace_object("team", {"env": "prod"})


def run_vap(
    policies: list[dict], bindings: list[dict], obj: dict | None = None, **kw: Any
) -> Outcome:
    request = admission_request(obj if obj is not None else pod(), **kw)
    return evaluate(policies, bindings, request, TEAM)


def test_admission_request_and_namespace_object() -> None:
    request = admission_request(pod(), operation="UPDATE", old_object=pod(), username="bob")
    assert request["kind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert request["resource"] == {"group": "", "version": "v1", "resource": "pods"}
    assert (request["name"], request["namespace"], request["operation"]) == (
        "web",
        "team",
        "UPDATE",
    )
    assert request["userInfo"]["username"] == "bob"
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}
    assert admission_request(deployment)["resource"] == {
        "group": "apps",
        "version": "v1",
        "resource": "deployments",
    }
    assert TEAM["metadata"]["labels"] == {"env": "prod", "kubernetes.io/metadata.name": "team"}


def test_deny_binding_denies_with_the_policy_message() -> None:
    outcome = run_vap([policy("cap", [MEMORY_CAP])], [binding("cap-b", "cap", ["Deny"])])
    assert outcome == Outcome(
        denied=True,
        messages=[
            "ValidatingAdmissionPolicy 'cap' with binding 'cap-b' denied request: "
            "memory limit above 1Gi"
        ],
        warnings=[],
        audit=[],
        errors=[],
        reason="Invalid",
        code=422,
    )
    assert not run_vap(
        [policy("cap", [MEMORY_CAP])], [binding("b", "cap", ["Deny"])], pod(memory="1Gi")
    ).denied


def test_warn_binding_warns_in_the_dispatchers_words() -> None:
    outcome = run_vap([policy("cap", [MEMORY_CAP])], [binding("cap-b", "cap", ["Warn"])])
    assert not outcome.denied
    assert outcome.warnings == [
        "Validation failed for ValidatingAdmissionPolicy 'cap' with binding 'cap-b': "
        "memory limit above 1Gi"
    ]


def test_audit_binding_records_a_validation_failure() -> None:
    outcome = run_vap([policy("cap", [MEMORY_CAP])], [binding("cap-b", "cap", ["Audit"])])
    assert not outcome.denied and not outcome.warnings
    ((key, value),) = outcome.audit
    assert key == "validation.policy.admission.k8s.io/validation_failure"
    assert json.loads(value) == [
        {
            "message": "memory limit above 1Gi",
            "policy": "cap",
            "binding": "cap-b",
            "expressionIndex": 0,
            "validationActions": ["Audit"],
        }
    ]


def test_a_binding_with_deny_and_warn_is_refused() -> None:
    with pytest.raises(ValueError, match="Deny and Warn"):
        run_vap([policy("cap", [MEMORY_CAP])], [binding("b", "cap", ["Deny", "Warn"])])


def test_policy_without_binding_does_nothing() -> None:
    outcome = run_vap([policy("cap", [MEMORY_CAP])], [binding("b", "other", ["Deny"])])
    assert outcome == Outcome(False, [], [], [], [])


def test_match_conditions_that_are_false_skip_the_policy() -> None:
    skip_web = [{"name": "not-web", "expression": "object.metadata.labels.app != 'web'"}]
    outcome = run_vap(
        [policy("cap", [MEMORY_CAP], matchConditions=skip_web)], [binding("b", "cap", ["Deny"])]
    )
    assert not outcome.denied
    assert run_vap(
        [policy("cap", [MEMORY_CAP], matchConditions=skip_web)],
        [binding("b", "cap", ["Deny"])],
        pod(labels={"app": "db"}),
    ).denied


def test_match_conditions_see_no_namespace_object() -> None:
    """matcher.go Match passes no namespace to ForInput; validations get it."""
    conditions = [{"name": "ns", "expression": "namespaceObject == null"}]
    validations = [{"expression": "namespaceObject.metadata.name != 'team'", "message": "team"}]
    outcome = run_vap(
        [policy("p", validations, matchConditions=conditions)], [binding("b", "p", ["Deny"])]
    )
    assert outcome.messages == [
        "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: team"
    ]


def test_namespace_selector_not_in_kube_system() -> None:
    not_system = {
        "matchExpressions": [
            {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system"]}
        ]
    }
    cap = policy(
        "cap", [MEMORY_CAP], matchConstraints={**POD_RULES, "namespaceSelector": not_system}
    )
    bindings = [binding("b", "cap", ["Deny"])]
    assert run_vap([cap], bindings).denied
    system_pod = admission_request(pod(namespace="kube-system"))
    assert not evaluate([cap], bindings, system_pod, namespace_object("kube-system")).denied


def test_binding_match_resources_narrow_the_policy() -> None:
    prod_only = {"namespaceSelector": {"matchLabels": {"env": "prod"}}}
    dev_only = {"namespaceSelector": {"matchLabels": {"env": "dev"}}}
    cap = policy("cap", [MEMORY_CAP])
    assert run_vap([cap], [binding("b", "cap", ["Deny"], matchResources=prod_only)]).denied
    assert not run_vap([cap], [binding("b", "cap", ["Deny"], matchResources=dev_only)]).denied


@pytest.mark.parametrize(
    ("resources", "sub_resource", "operation", "expected"),
    [
        (["pods"], "", "CREATE", True),
        (["pods"], "resize", "UPDATE", False),
        (["pods/resize"], "resize", "UPDATE", True),
        (["pods/*"], "resize", "UPDATE", True),
        (["pods/*"], "", "CREATE", True),  # rules.go resource(): sub "*" matches "" too
        (["*"], "", "CREATE", True),
        (["*/resize"], "resize", "UPDATE", True),
        (["deployments"], "", "CREATE", False),
        (["pods"], "", "DELETE", False),
    ],
)
def test_resource_rules(
    resources: list[str], sub_resource: str, operation: str, expected: bool
) -> None:
    rules = {
        "resourceRules": [
            {
                "apiGroups": ["*"],
                "apiVersions": ["v1"],
                "operations": ["CREATE", "UPDATE"],
                "resources": resources,
            }
        ]
    }
    deny_all = policy("p", [{"expression": "false"}], matchConstraints=rules)
    old = pod() if operation != "CREATE" else None
    outcome = run_vap(
        [deny_all],
        [binding("b", "p", ["Deny"])],
        operation=operation,
        old_object=old,
        sub_resource=sub_resource,
    )
    assert outcome.denied is expected


def test_exclude_resource_rules_and_object_selector() -> None:
    exclude = {
        **POD_RULES,
        "excludeResourceRules": [{**POD_RULES["resourceRules"][0], "resourceNames": ["web"]}],
    }
    bindings = [binding("b", "p", ["Deny"])]
    assert not run_vap(
        [policy("p", [{"expression": "false"}], matchConstraints=exclude)], bindings
    ).denied
    selected = {**POD_RULES, "objectSelector": {"matchLabels": {"app": "db"}}}
    deny = policy("p", [{"expression": "false"}], matchConstraints=selected)
    assert not run_vap([deny], bindings).denied
    assert run_vap([deny], bindings, pod(labels={"app": "db"})).denied


def test_variables_and_message_expression() -> None:
    validations = [
        {
            "expression": "variables.over.size() == 0",
            "messageExpression": "'containers over 1Gi: ' + variables.over.join(', ')",
            "message": "fallback",
            "reason": "Forbidden",
        }
    ]
    variables = [
        {"name": "cap", "expression": "quantity('1Gi')"},
        {
            "name": "over",
            "expression": "object.spec.containers.filter(c, "
            "quantity(c.resources.limits.memory).isGreaterThan(variables.cap)).map(c, c.name)",
        },
    ]
    outcome = run_vap(
        [policy("cap", validations, variables=variables)], [binding("b", "cap", ["Deny"])]
    )
    assert outcome.messages == [
        "ValidatingAdmissionPolicy 'cap' with binding 'b' denied request: containers over 1Gi: app"
    ]
    assert (outcome.reason, outcome.code) == ("Forbidden", 403)


@pytest.mark.parametrize(
    ("message_expression", "expected"),
    [
        ("quantity('x').sign() == 1 ? 'a' : 'b'", "fallback"),  # an error: message
        ("'two\\nlines'", "fallback"),  # multi-line: refused
        ("'   '", "fallback"),  # blank
        ("1", "fallback"),  # not a string
        ("'  custom  '", "custom"),
    ],
)
def test_message_expression_falls_back_to_message(message_expression: str, expected: str) -> None:
    validation = {
        "expression": "false",
        "messageExpression": message_expression,
        "message": "fallback",
    }
    outcome = run_vap([policy("p", [validation])], [binding("b", "p", ["Deny"])])
    assert outcome.messages == [
        f"ValidatingAdmissionPolicy 'p' with binding 'b' denied request: {expected}"
    ]


def test_without_message_the_expression_is_the_message() -> None:
    outcome = run_vap([policy("p", [{"expression": " 1 > 2 "}])], [binding("b", "p", ["Deny"])])
    assert outcome.messages == [
        "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: failed expression: 1 > 2"
    ]


ERROR = "expression 'quantity('x').isInteger()' resulted in error: quantities must match"


@pytest.mark.parametrize("failure_policy", [None, "Fail", "Ignore"])
def test_failure_policy_on_an_evaluation_error(failure_policy: str | None) -> None:
    extra = {"failurePolicy": failure_policy} if failure_policy else {}
    broken = policy("p", [{"expression": "quantity('x').isInteger()"}], **extra)
    outcome = run_vap([broken], [binding("b", "p", ["Deny"])])
    assert len(outcome.errors) == 1 and outcome.errors[0].startswith(ERROR)
    assert outcome.denied is (failure_policy != "Ignore")
    if outcome.denied:
        assert outcome.messages[0].startswith(
            f"ValidatingAdmissionPolicy 'p' with binding 'b' denied request: {ERROR}"
        )


def test_an_error_in_a_warn_binding_warns() -> None:
    broken = policy("p", [{"expression": "quantity('x').isInteger()"}])
    outcome = run_vap([broken], [binding("b", "p", ["Warn"])])
    assert not outcome.denied
    assert outcome.warnings[0].startswith(
        f"Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': {ERROR}"
    )


def test_a_failing_variable_fails_only_where_used() -> None:
    variables = [{"name": "bad", "expression": "quantity('x')"}, {"name": "n", "expression": "1"}]
    uses_n = policy("p", [{"expression": "variables.n == 2", "message": "n"}], variables=variables)
    assert run_vap([uses_n], [binding("b", "p", ["Deny"])]).messages == [
        "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: n"
    ]
    uses_bad = policy("p", [{"expression": "variables.bad.isInteger()"}], variables=variables)
    outcome = run_vap([uses_bad], [binding("b", "p", ["Deny"])])
    assert outcome.errors[0].startswith(
        "expression 'variables.bad.isInteger()' resulted in error: quantities must match"
    )


@pytest.mark.parametrize("failure_policy", ["Fail", "Ignore"])
def test_match_condition_errors_follow_the_failure_policy(failure_policy: str) -> None:
    conditions = [{"name": "broken", "expression": "quantity('x').isInteger()"}]
    p = policy(
        "p", [{"expression": "false"}], matchConditions=conditions, failurePolicy=failure_policy
    )
    outcome = run_vap([p], [binding("b", "p", ["Deny"])])
    assert outcome.denied is (failure_policy == "Fail")
    false_first = [{"name": "no", "expression": "false"}, *conditions]
    p["spec"]["matchConditions"] = false_first  # a false condition wins over errors
    assert not run_vap([p], [binding("b", "p", ["Deny"])]).denied


def test_audit_annotations() -> None:
    annotations = [
        {"key": "memory", "valueExpression": "object.spec.containers[0].resources.limits.memory"},
        {"key": "skipped", "valueExpression": "null"},
    ]
    p = policy("p", [{"expression": "true"}], auditAnnotations=annotations)
    assert run_vap([p], [binding("b", "p", ["Audit"])]).audit == [("p/memory", "2Gi")]
    p["spec"]["auditAnnotations"] = [{"key": "n", "valueExpression": "1"}]
    outcome = run_vap([p], [binding("b", "p", ["Audit"])])
    assert outcome.denied  # a non-string value is an error, which denies under Fail
    assert outcome.messages == [
        "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: valueExpression '1' "
        "resulted in unsupported return type: int. Return type must be either string or null."
    ]


def test_old_object_is_null_on_create_and_set_on_update() -> None:
    p = policy("p", [{"expression": "oldObject == null", "message": "has old"}])
    assert not run_vap([p], [binding("b", "p", ["Deny"])]).denied
    assert run_vap([p], [binding("b", "p", ["Deny"])], operation="UPDATE", old_object=pod()).denied


def test_request_variable_is_what_the_api_server_builds() -> None:
    p = policy(
        "p",
        [
            {
                "expression": "request.userInfo.username == 'alice' && request.namespace == 'team'"
                " && request.kind.kind == 'Pod' && request.resource.resource == 'pods'"
                " && !has(request.object) && request.dryRun == false"
            }
        ],
    )
    outcome = run_vap([p], [binding("b", "p", ["Deny"])])
    assert outcome == Outcome(False, [], [], [], [])


# --- MutatingAdmissionPolicy (JSONPatch) ---------------------------------------------------


def mutating_policy(name: str, expressions: list[str], **spec: Any) -> dict:
    mutations = [{"patchType": "JSONPatch", "jsonPatch": {"expression": e}} for e in expressions]
    return {
        "apiVersion": "admissionregistration.k8s.io/v1beta1",
        "kind": "MutatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": {"matchConstraints": POD_RULES, "mutations": mutations, **spec},
    }


def mutating_binding(name: str, policy_name: str) -> dict:
    return {"metadata": {"name": name}, "spec": {"policyName": policy_name}}


def run_map(expressions: list[str], obj: dict | None = None, **spec: Any) -> Any:
    return mutate(
        [mutating_policy("m", expressions, **spec)],
        [mutating_binding("mb", "m")],
        admission_request(obj if obj is not None else pod()),
        TEAM,
    )


def test_json_patch_mutations_apply_in_order_on_the_mutated_object() -> None:
    outcome = run_map(
        [
            "[JSONPatch{op: 'replace', path: '/spec/containers/0/resources/limits/memory',"
            " value: '1Gi'}]",
            "[JSONPatch{op: 'add', path: '/metadata/labels/' + jsonpatch.escapeKey('memory/cap'),"
            " value: object.spec.containers[0].resources.limits.memory}]",
            "[JSONPatch{op: 'add', path: '/spec/priority', value: 3},"
            " JSONPatch{op: 'add', path: '/spec/extra', value: {'k': [1, 2.5]}}]",
        ]
    )
    assert not outcome.denied
    assert outcome.object["spec"]["containers"][0]["resources"]["limits"]["memory"] == "1Gi"
    assert outcome.object["metadata"]["labels"] == {"app": "web", "memory/cap": "1Gi"}
    assert outcome.object["spec"]["priority"] == 3
    assert type(outcome.object["spec"]["priority"]) is int
    assert outcome.object["spec"]["extra"] == {"k": [1, 2.5]}


def test_a_failed_test_op_leaves_the_object_unchanged() -> None:
    outcome = run_map(
        [
            "[JSONPatch{op: 'test', path: '/metadata/name', value: 'other'},"
            " JSONPatch{op: 'remove', path: '/spec'}]"
        ]
    )
    assert outcome.object == pod() and not outcome.denied


@pytest.mark.parametrize("failure_policy", ["Fail", "Ignore"])
def test_mutation_errors_follow_the_failure_policy(failure_policy: str) -> None:
    outcome = run_map(["[JSONPatch{op: 'remove', path: '/nope'}]"], failurePolicy=failure_policy)
    assert outcome.object == pod()
    assert outcome.denied is (failure_policy == "Fail")
    if outcome.denied:
        assert outcome.messages[0].startswith(
            "policy 'm' with binding 'mb' denied request: JSONPath:"
        )
    broken = run_map(["quantity('x').isInteger() ? [] : []"], failurePolicy=failure_policy)
    assert broken.errors[0].startswith("expression 'quantity('x').isInteger() ? [] : []' resulted")
