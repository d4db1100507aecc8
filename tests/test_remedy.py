"""Applying all of an object's safe fixes at once: one patch, no fix undoing another, and
nothing left to fix afterwards (the property a mutating webhook needs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from evictguard.engine.check import check_object
from evictguard.engine.remedy import remedy
from evictguard.patch import apply_patch, diff
from evictguard.policy.model import Policy
from evictguard.yaml.loader import load_text
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import DATA, gained_findings, list_items

BARE_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p"},
    "spec": {"containers": [{"name": "a", "image": "x"}]},
}


def test_two_fixes_that_both_create_resources_do_not_undo_each_other(default_policy: Policy):
    checked = check_object(BARE_POD, default_policy)
    # One finding is reported (the limit rule's covers the request); the request rule's is
    # left out for it, its fix still offered (the mutating webhook applies it: below).
    assert [f.rule for f in checked.findings] == ["memory-limit-missing"]
    findings = [*checked.findings, *(left_out for _, left_out in checked.superseded)]
    assert [f.rule for f in findings] == ["memory-limit-missing", "memory-request-missing"]
    # Applied one after the other as written, the second `add /resources` drops the limit:
    naive: Any = BARE_POD
    for finding in findings:
        naive = apply_patch(naive, finding.fix)
    assert "limits" not in naive["spec"]["containers"][0]["resources"]

    result = remedy(BARE_POD, default_policy)
    assert result.fixed["spec"]["containers"][0]["resources"] == {
        "limits": {"memory": "512Mi"},
        "requests": {"memory": "256Mi"},
    }
    assert result.patch == [
        {
            "op": "add",
            "path": "/spec/containers/0/resources",
            "value": {"limits": {"memory": "512Mi"}, "requests": {"memory": "256Mi"}},
        }
    ]
    assert apply_patch(BARE_POD, result.patch) == result.fixed
    assert [f.rule for f in result.applied] == ["memory-limit-missing"]
    assert check_object(result.fixed, default_policy).findings == []


def test_a_second_remedy_changes_nothing(default_policy: Policy):
    first = remedy(BARE_POD, default_policy)
    again = remedy(first.fixed, default_policy)
    assert (again.patch, again.applied) == ([], [])


def test_accept_limits_which_fixes_are_applied(default_policy: Policy):
    """As the default policy's mutating webhook does (memory-request-missing `mutate: true`,
    memory-limit-missing not): the request rule's fix applies though its finding is left
    out for the limit rule's, whose fix is not accepted."""
    only_requests = remedy(
        BARE_POD, default_policy, accept=lambda f: f.rule == "memory-request-missing"
    )
    assert only_requests.patch == [
        {
            "op": "add",
            "path": "/spec/containers/0/resources",
            "value": {"requests": {"memory": "256Mi"}},
        }
    ]
    remaining = {f.rule for f in check_object(only_requests.fixed, default_policy).findings}
    assert remaining == {"memory-limit-missing"}


def _fail_objects() -> list[tuple[str, dict[str, Any]]]:
    objects = []
    for path in sorted((DATA / "rules").glob("*/fail/*.yaml")):
        loaded = load_text(path.read_text("utf-8"), str(path))
        for i, item in enumerate(loaded.objects):
            objects.append((f"{path.parent.parent.name}/{path.name}#{i}", item.obj))
    return objects


@pytest.mark.parametrize(("name", "obj"), _fail_objects(), ids=[n for n, _ in _fail_objects()])
def test_remedy_leaves_no_fixable_finding_and_adds_none(name: str, obj: dict, default_policy):
    before = check_object(obj, default_policy).findings
    result = remedy(obj, default_policy)
    after = check_object(result.fixed, default_policy).findings
    assert [f for f in after if f.fix] == [], name
    # No finding appears that was not there before (a fix never creates a new problem).
    grew = list_items(result.fixed) > list_items(obj)
    assert not gained_findings(before, after, grew), name
    assert apply_patch(obj, result.patch) == result.fixed
    assert remedy(result.fixed, default_policy).patch == []


def test_the_fail_fixtures_exercise_remedy():
    assert len(_fail_objects()) >= 20 and Path(DATA / "rules").is_dir()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text("ab/~", max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text("ab/~", max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(JSON, JSON)
def test_diff_then_apply_gives_the_changed_document(original, changed):
    patch = diff(original, changed)
    result = apply_patch(original, patch)
    assert result == changed and type(result) is type(changed)
    assert diff(changed, changed) == []


def test_diff_escapes_pointer_tokens():
    assert diff({"a/b": 1, "c~d": 2}, {"a/b": 3}) == [
        {"op": "remove", "path": "/c~0d"},
        {"op": "replace", "path": "/a~1b", "value": 3},
    ]


def test_diff_tells_booleans_from_numbers():
    assert diff({"x": 1}, {"x": True}) == [{"op": "replace", "path": "/x", "value": True}]
