"""Fixes: RFC 6902 building blocks, and the property every offered fix must have.

The property: applying a finding's fix to its object silences that rule for that container
and gives the object no finding (of any rule) that it did not have before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from evictguard.engine.check import check_object
from evictguard.model import Finding
from evictguard.patch import PatchError, apply_patch, merge_ops, set_value_ops
from evictguard.policy.load import load_policy_file
from evictguard.policy.model import ConfigError, Policy
from evictguard.yaml.loader import load_text

from tests.conftest import gained_findings, list_items, run_json
from tests.test_rules_data import FAIL_FILES, file_id, policy_for, ratio_policy

LIMIT = "/spec/containers/0/resources/limits/memory"
REQUEST = "/spec/containers/0/resources/requests/memory"


def owner_of(pointer: str) -> str:
    """The container (or pod spec) a resources pointer belongs to."""
    return pointer.rsplit("/resources/", 1)[0]


def keys(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.rule, f.pointer) for f in findings}


# --- the property, over every fail data file -----------------------------------------------


@pytest.mark.parametrize("case", FAIL_FILES, ids=file_id)
def test_every_fix_silences_its_rule_and_adds_nothing(
    case: tuple[str, Path], tmp_path: Path
) -> None:
    rule_id, path = case
    policy = policy_for(rule_id, tmp_path)
    everything = ratio_policy(tmp_path)  # the default policy with every rule on
    for item in load_text(path.read_text("utf-8"), str(path)).objects:
        before = check_object(item.obj, everything).findings
        for finding in check_object(item.obj, policy).findings:
            if finding.fix is None:
                continue
            patched = apply_patch(item.obj, finding.fix)
            after = check_object(patched, everything)
            assert not after.problems, (path, finding.pointer, after.problems)
            owner = owner_of(finding.pointer)
            still = [
                f for f in after.findings if f.rule == finding.rule and owner_of(f.pointer) == owner
            ]
            assert not still, f"{path}: fix {finding.fix} left {still}"
            grew = list_items(patched) > list_items(item.obj)
            gained = gained_findings(before, after.findings, grew)
            assert not gained, f"{path}: fix {finding.fix} for {finding.pointer} gave {gained}"


def test_the_property_is_not_vacuous(tmp_path: Path) -> None:
    fixed: dict[str, int] = {}
    for rule_id, path in FAIL_FILES:
        policy = policy_for(rule_id, tmp_path)
        for item in load_text(path.read_text("utf-8"), str(path)).objects:
            for finding in check_object(item.obj, policy).findings:
                if finding.fix is not None:
                    fixed[finding.rule] = fixed.get(finding.rule, 0) + 1
    assert fixed.get("memory-limit-missing", 0) >= 15
    assert fixed.get("memory-request-missing", 0) >= 10


# --- set_value_ops -----------------------------------------------------------------------


def pod(container: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "app", "image": "nginx", **container}], **spec},
    }


@pytest.mark.parametrize(
    ("container", "expected"),
    [
        (
            {},
            [
                {
                    "op": "add",
                    "path": "/spec/containers/0/resources",
                    "value": {"limits": {"memory": "1Gi"}},
                }
            ],
        ),
        (
            {"resources": {"requests": {"cpu": "1"}}},
            [
                {
                    "op": "add",
                    "path": "/spec/containers/0/resources/limits",
                    "value": {"memory": "1Gi"},
                }
            ],
        ),
        ({"resources": {"limits": {"cpu": "1"}}}, [{"op": "add", "path": LIMIT, "value": "1Gi"}]),
        (
            {"resources": {"limits": {"memory": "2Gi"}}},
            [{"op": "replace", "path": LIMIT, "value": "1Gi"}],
        ),
        (
            {"resources": {"limits": {"memory": None}}},
            [{"op": "replace", "path": LIMIT, "value": "1Gi"}],
        ),
        (
            {"resources": None},
            [
                {
                    "op": "replace",
                    "path": "/spec/containers/0/resources",
                    "value": {"limits": {"memory": "1Gi"}},
                }
            ],
        ),
        (
            {"resources": {"limits": None}},
            [
                {
                    "op": "replace",
                    "path": "/spec/containers/0/resources/limits",
                    "value": {"memory": "1Gi"},
                }
            ],
        ),
        ({"resources": ["limits"]}, None),
        ({"resources": {"limits": "memory=1Gi"}}, None),
    ],
    ids=[
        "no-resources",
        "no-limits",
        "no-memory",
        "replace",
        "null-memory",
        "null-resources",
        "null-limits",
        "resources-list",
        "limits-string",
    ],
)
def test_set_value_ops(container: dict[str, Any], expected: list[dict[str, Any]] | None) -> None:
    obj = pod(container)
    ops = set_value_ops(obj, LIMIT, "1Gi")
    assert ops == expected
    if ops is not None:
        patched = apply_patch(obj, ops)
        assert patched["spec"]["containers"][0]["resources"]["limits"]["memory"] == "1Gi"
        assert patched["spec"]["containers"][0]["image"] == "nginx"


def test_set_value_ops_keeps_siblings() -> None:
    obj = pod({"resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "500m"}}})
    patched = apply_patch(obj, set_value_ops(obj, LIMIT, "1Gi") or [])
    assert patched["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "1", "memory": "1Gi"},
        "requests": {"cpu": "500m"},
    }


def test_set_value_ops_refuses_missing_list_items() -> None:
    assert set_value_ops(pod({}), "/spec/containers/1/resources", {}) is None
    assert set_value_ops(pod({}), "/spec/containers/x/resources", {}) is None


def test_set_value_ops_escapes_pointer_tokens() -> None:
    obj = {"metadata": {"annotations": {"a~b": "1"}}}
    ops = set_value_ops(obj, "/metadata/annotations/evictguard.io~1exempt", "*")
    assert ops == [
        {"op": "add", "path": "/metadata/annotations/evictguard.io~1exempt", "value": "*"}
    ]
    assert apply_patch(obj, ops)["metadata"]["annotations"] == {
        "a~b": "1",
        "evictguard.io/exempt": "*",
    }
    ops = set_value_ops(obj, "/metadata/annotations/a~0b", "2")
    assert ops == [{"op": "replace", "path": "/metadata/annotations/a~0b", "value": "2"}]
    # A missing parent whose name needs escaping is created escaped, with its name as is.
    ops = set_value_ops({}, "/x~1y/z~0", 1)
    assert ops == [{"op": "add", "path": "/x~1y", "value": {"z~": 1}}]
    assert apply_patch({}, ops) == {"x/y": {"z~": 1}}


# --- merge_ops ---------------------------------------------------------------------------


def test_merge_ops_folds_two_adds_of_the_same_parent() -> None:
    """A container with no resources: the limit and the request both create `resources`;
    applied one after the other, the second would silently drop the limit."""
    obj = pod({})
    limit_ops = set_value_ops(obj, LIMIT, "512Mi")
    request_ops = set_value_ops(obj, REQUEST, "256Mi")
    merged = merge_ops(limit_ops, request_ops)
    assert merged == [
        {
            "op": "add",
            "path": "/spec/containers/0/resources",
            "value": {"limits": {"memory": "512Mi"}, "requests": {"memory": "256Mi"}},
        }
    ]
    resources = apply_patch(obj, merged)["spec"]["containers"][0]["resources"]
    assert resources == {"limits": {"memory": "512Mi"}, "requests": {"memory": "256Mi"}}


def test_merge_ops_folds_a_child_into_the_parent_created_before() -> None:
    first = [{"op": "add", "path": "/a", "value": {"b": {"c": 1}}}]
    second = [{"op": "add", "path": "/a/b/d", "value": 2}]
    third = [{"op": "add", "path": "/a/e/f", "value": 3}]
    assert merge_ops(first, second, third) == [
        {"op": "add", "path": "/a", "value": {"b": {"c": 1, "d": 2}, "e": {"f": 3}}}
    ]
    assert first == [{"op": "add", "path": "/a", "value": {"b": {"c": 1}}}], "inputs untouched"


def test_merge_ops_keeps_unrelated_and_unfoldable_operations() -> None:
    ops = merge_ops(
        [{"op": "add", "path": "/a", "value": {"x": 1}}],
        None,
        [{"op": "add", "path": "/ab", "value": 2}],  # a sibling whose name starts alike
        [{"op": "replace", "path": "/s", "value": "text"}],
        [{"op": "add", "path": "/s/t", "value": 3}],  # cannot go inside a string
        [{"op": "remove", "path": "/a/x"}],
    )
    assert [op["path"] for op in ops] == ["/a", "/ab", "/s", "/s/t", "/a/x"]
    assert merge_ops() == []


# --- apply_patch (RFC 6902) --------------------------------------------------------------


DOC = {"a": {"b": 1, "c/d": 2, "e~f": 3}, "list": [10, 20, 30], "n": None}


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ({"op": "add", "path": "/a/x", "value": 5}, {**DOC, "a": {**DOC["a"], "x": 5}}),
        ({"op": "add", "path": "/a/b", "value": 5}, {**DOC, "a": {**DOC["a"], "b": 5}}),
        ({"op": "replace", "path": "/a/c~1d", "value": 5}, {**DOC, "a": {**DOC["a"], "c/d": 5}}),
        ({"op": "replace", "path": "/a/e~0f", "value": 5}, {**DOC, "a": {**DOC["a"], "e~f": 5}}),
        ({"op": "replace", "path": "/n", "value": {"k": 1}}, {**DOC, "n": {"k": 1}}),
        ({"op": "remove", "path": "/a/b"}, {**DOC, "a": {"c/d": 2, "e~f": 3}}),
        ({"op": "add", "path": "/list/1", "value": 15}, {**DOC, "list": [10, 15, 20, 30]}),
        ({"op": "add", "path": "/list/3", "value": 40}, {**DOC, "list": [10, 20, 30, 40]}),
        ({"op": "add", "path": "/list/-", "value": 40}, {**DOC, "list": [10, 20, 30, 40]}),
        ({"op": "replace", "path": "/list/0", "value": 5}, {**DOC, "list": [5, 20, 30]}),
        ({"op": "remove", "path": "/list/2"}, {**DOC, "list": [10, 20]}),
        ({"op": "test", "path": "/list/0", "value": 10.0}, DOC),
        ({"op": "test", "path": "/n", "value": None}, DOC),
        ({"op": "test", "path": "/a", "value": {"e~f": 3, "c/d": 2, "b": 1}}, DOC),
        ({"op": "replace", "path": "", "value": [1]}, [1]),
    ],
)
def test_apply_patch(op: dict[str, Any], expected: Any) -> None:
    before = repr(DOC)
    assert apply_patch(DOC, [op]) == expected
    assert repr(DOC) == before, "the input document is never modified"


@pytest.mark.parametrize(
    "op",
    [
        {"op": "replace", "path": "/a/missing", "value": 1},
        {"op": "remove", "path": "/a/missing"},
        {"op": "add", "path": "/missing/x", "value": 1},
        {"op": "add", "path": "/list/4", "value": 1},  # past the end
        {"op": "add", "path": "/list/01", "value": 1},  # leading zero
        {"op": "add", "path": "/list/-1", "value": 1},  # no negative indexes
        {"op": "replace", "path": "/list/3", "value": 1},
        {"op": "replace", "path": "/list/-", "value": 1},
        {"op": "remove", "path": "/list/-1"},
        {"op": "test", "path": "/list/0", "value": 11},
        {"op": "test", "path": "/a/b", "value": True},  # a boolean is no number
        {"op": "test", "path": "/a/missing", "value": None},
        {"op": "test", "path": "/list/9", "value": None},
        {"op": "add", "path": "/a/b/c", "value": 1},  # 1 is no container
        {"op": "move", "path": "/a/b", "from": "/a/c~1d"},
        {"op": "remove", "path": ""},
    ],
)
def test_apply_patch_errors(op: dict[str, Any]) -> None:
    with pytest.raises(PatchError):
        apply_patch(DOC, [op])


def test_apply_patch_is_all_or_nothing_for_the_caller() -> None:
    patch = [{"op": "add", "path": "/a/x", "value": 1}, {"op": "remove", "path": "/nope"}]
    with pytest.raises(PatchError):
        apply_patch(DOC, patch)
    assert "x" not in DOC["a"]


# --- the fixes the rules offer -----------------------------------------------------------


def fix_of(obj: dict[str, Any], rule: str, policy: Policy, pointer: str = LIMIT) -> Any:
    [finding] = [f for f in check_object(obj, policy).findings if f.rule == rule]
    assert finding.pointer == pointer
    return finding.fix


def limit_fix(obj: dict[str, Any], policy: Policy) -> Any:
    return fix_of(obj, "memory-limit-missing", policy)


def patched_resources(obj: dict[str, Any], fix: Any) -> Any:
    return apply_patch(obj, fix)["spec"]["containers"][0]["resources"]


@pytest.mark.parametrize(
    "request_value", [1073741824, "0.5Gi", " 1Gi", "1e9", 1.5e9, "512M", "+64Mi"]
)
def test_limit_fix_uses_the_request_as_written(request_value: Any, default_policy: Policy) -> None:
    obj = pod({"resources": {"requests": {"memory": request_value, "cpu": "250m"}}})
    fix = limit_fix(obj, default_policy)
    resources = patched_resources(obj, fix)
    assert resources["limits"] == {"memory": request_value}
    assert type(resources["limits"]["memory"]) is type(request_value)
    assert resources["requests"] == {"memory": request_value, "cpu": "250m"}


def test_limit_fix_without_a_request_uses_the_policy_defaults(default_policy: Policy) -> None:
    obj = pod({})
    fix = limit_fix(obj, default_policy)
    assert fix == [
        {
            "op": "add",
            "path": "/spec/containers/0/resources",
            "value": {"limits": {"memory": "512Mi"}, "requests": {"memory": "256Mi"}},
        }
    ]


def test_limit_fix_uses_the_policy_file_defaults(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "rules:\n  memory-limit-missing:\n    defaultLimit: 1Gi\n    defaultRequest: 768Mi\n"
    )
    obj = pod({"resources": {"limits": {"cpu": "1"}}})
    resources = patched_resources(obj, limit_fix(obj, load_policy_file(str(path))))
    assert resources == {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"memory": "768Mi"}}


def test_limit_fix_replaces_null_resources(default_policy: Policy) -> None:
    obj = pod({"resources": None})
    resources = patched_resources(obj, limit_fix(obj, default_policy))
    assert resources == {"limits": {"memory": "512Mi"}, "requests": {"memory": "256Mi"}}


def test_limit_fix_replaces_a_zero_limit(default_policy: Policy) -> None:
    obj = pod({"resources": {"requests": {"memory": "300Mi"}, "limits": {"memory": 0}}})
    fix = limit_fix(obj, default_policy)
    assert fix == [{"op": "replace", "path": LIMIT, "value": "300Mi"}]


@pytest.mark.parametrize("zero", [0, "0Mi", None])
def test_limit_fix_replaces_a_zero_request_its_finding_reports(
    zero: Any, default_policy: Policy
) -> None:
    """A request of 0 or null reserves nothing: the one finding says so (memory-request-
    missing's is left out for it), so its fix sets the request too, as that rule's would."""
    obj = pod({"resources": {"requests": {"memory": zero}}})
    resources = patched_resources(obj, limit_fix(obj, default_policy))
    assert resources == {"requests": {"memory": "256Mi"}, "limits": {"memory": "512Mi"}}


@pytest.mark.parametrize("request_value", ["512m", "1Mi", 0.5, "512MB", "-1Gi", True])
def test_no_limit_fix_from_a_request_that_needs_a_human(
    request_value: Any, default_policy: Policy
) -> None:
    """Copying "512m" (0.512 bytes) or a value below the floor into the limit would make
    a second finding; an invalid request has no value to copy."""
    obj = pod({"resources": {"requests": {"memory": request_value}}})
    assert limit_fix(obj, default_policy) is None


@pytest.mark.parametrize(
    "pod_resources",
    [
        {"requests": {"memory": "256Mi"}},
        {"limits": {"memory": 0}},
        {"limits": {"memory": None}},  # null is a pod-level limit of 0
    ],
)
def test_no_limit_fix_under_pod_level_memory(
    pod_resources: dict[str, Any], default_policy: Policy
) -> None:
    """The API server requires a pod-level request of at least the containers' requests
    (a new container limit becomes that container's request when the Pod is created), and
    no container limit above a pod-level limit, even a pod-level limit of 0."""
    obj = pod({}, resources=pod_resources)
    assert limit_fix(obj, default_policy) is None


def test_a_policy_whose_default_request_exceeds_the_default_limit_is_refused(
    tmp_path: Path,
) -> None:
    """Such defaults would make the fix produce a Pod the API server rejects."""
    path = tmp_path / "policy.yaml"
    path.write_text(
        "rules:\n  memory-limit-missing:\n    defaultLimit: 128Mi\n    defaultRequest: 256Mi\n"
    )
    with pytest.raises(ConfigError, match="'256Mi' is above defaultLimit '128Mi'"):
        load_policy_file(str(path))


def test_request_fix_sets_the_default_request_and_keeps_siblings(no_limit_policy: Policy) -> None:
    obj = pod({"resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "1"}}})
    fix = fix_of(obj, "memory-request-missing", no_limit_policy, REQUEST)
    assert fix == [{"op": "add", "path": REQUEST, "value": "256Mi"}]
    assert patched_resources(obj, fix) == {
        "requests": {"cpu": "100m", "memory": "256Mi"},
        "limits": {"cpu": "1"},
    }


@pytest.mark.parametrize("zero", [0, "0Mi", None])
def test_request_fix_replaces_a_zero_or_null_request(zero: Any, no_limit_policy: Policy) -> None:
    obj = pod({"resources": {"requests": {"memory": zero, "cpu": "100m"}}})
    fix = fix_of(obj, "memory-request-missing", no_limit_policy, REQUEST)
    assert fix == [{"op": "replace", "path": REQUEST, "value": "256Mi"}]
    assert patched_resources(obj, fix) == {"requests": {"memory": "256Mi", "cpu": "100m"}}


@pytest.mark.parametrize(
    ("container", "pod_resources"),
    [
        ({"resources": {"limits": {"memory": 0}}}, None),
        ({"resources": {"requests": {"memory": 0}, "limits": {"memory": None}}}, None),
        ({}, {"requests": {"memory": 0}}),
        ({}, {"limits": {"memory": None}}),
    ],
    ids=["zero-limit", "null-limit", "pod-level-zero-request", "pod-level-null-limit"],
)
def test_no_request_fix_against_a_zero_limit(
    container: dict[str, Any], pod_resources: dict[str, Any] | None, no_limit_policy: Policy
) -> None:
    """A default request above a container limit of 0 is refused (request > limit), and so
    is one above a pod-level request or limit of 0 (memory-pod-level-conflict)."""
    obj = pod(container, **({"resources": pod_resources} if pod_resources else {}))
    assert fix_of(obj, "memory-request-missing", no_limit_policy, REQUEST) is None


def test_fix_in_the_json_output_is_one_operation(tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"
        "spec:\n  containers:\n    - name: app\n      image: nginx\n"
    )
    code, out = run_json(str(manifest), cwd=tmp_path)
    assert code == 1
    [limit] = [f for f in out["findings"] if f["rule"] == "memory-limit-missing"]
    assert limit["fix"] == [
        {
            "op": "add",
            "path": "/spec/containers/0/resources",
            "value": {"limits": {"memory": "512Mi"}, "requests": {"memory": "256Mi"}},
        }
    ]
