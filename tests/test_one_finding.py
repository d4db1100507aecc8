"""One problem, one finding: a container with neither a memory request nor a limit gets
memory-limit-missing's finding alone (its message and fix cover the request), while
memory-request-missing reports the containers the policy lets go without a limit.

The request rule's finding is left out only for one at least as severe on the same container
(a deny stays a deny), stands in again wherever the limit rule's is exempted, ignored or
silenced, and its fix stays available to the mutating webhook (`mutate: true`).
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
from evictguard.engine.check import ObjectResult, _leave_out_superseded, check_object
from evictguard.model import Finding, Mode, ObjectRef, Severity
from evictguard.policy.load import load_preset
from evictguard.policy.model import Policy, RuleSettings
from evictguard.webhook.admission import mutate, parse_review, validate
from evictguard.yaml.loader import load_text

from tests.conftest import DATA, run_cli, run_json

LIMIT, REQUEST = "memory-limit-missing", "memory-request-missing"

BARE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"containers": [{"name": "app", "image": "nginx"}]},
}


def with_modes(policy: Policy, **modes: Mode) -> Policy:
    """`policy` with the two memory rules' modes set (keyword: rule id with `_` for `-`)."""
    rules = dict(policy.rules)
    for key, mode in modes.items():
        rule = key.replace("_", "-")
        rules[rule] = RuleSettings(mode, policy.params(rule))
    return dataclasses.replace(policy, rules=rules)


def rules_of(obj: dict[str, Any], policy: Policy) -> list[tuple[str, Severity]]:
    return [(f.rule, f.severity) for f in check_object(obj, policy).findings]


# --- which finding stands ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit_mode", "request_mode", "expected"),
    [
        # the default policy (enforce, warn) and strict (enforce, enforce): one finding
        (Mode.ENFORCE, Mode.WARN, [(LIMIT, Severity.ERROR)]),
        (Mode.ENFORCE, Mode.ENFORCE, [(LIMIT, Severity.ERROR)]),
        (Mode.WARN, Mode.WARN, [(LIMIT, Severity.WARNING)]),
        (Mode.ENFORCE, Mode.AUDIT, [(LIMIT, Severity.ERROR)]),
        # the request rule more severe: both stand, so the object is still denied
        (Mode.WARN, Mode.ENFORCE, [(LIMIT, Severity.WARNING), (REQUEST, Severity.ERROR)]),
        (Mode.AUDIT, Mode.WARN, [(LIMIT, Severity.INFO), (REQUEST, Severity.WARNING)]),
        # limits not required: the request rule reports the container
        (Mode.OFF, Mode.WARN, [(REQUEST, Severity.WARNING)]),
        (Mode.ENFORCE, Mode.OFF, [(LIMIT, Severity.ERROR)]),
    ],
)
def test_the_request_finding_is_left_out_only_for_one_as_severe(
    limit_mode: Mode,
    request_mode: Mode,
    expected: list[tuple[str, Severity]],
    default_policy: Policy,
) -> None:
    policy = with_modes(
        default_policy, memory_limit_missing=limit_mode, memory_request_missing=request_mode
    )
    assert rules_of(BARE, policy) == expected


def test_the_strict_preset_denies_what_it_denied_before() -> None:
    """Strict enforces both rules: the bare container is still denied, with one finding."""
    strict = load_preset("strict")
    result = check_object(BARE, strict)
    assert [(f.rule, f.severity) for f in result.findings] == [(LIMIT, Severity.ERROR)]
    assert [(k.rule, left.rule) for k, left in result.superseded] == [(LIMIT, REQUEST)]


def test_an_exemption_from_the_limit_rule_lets_the_request_finding_stand(
    default_policy: Policy,
) -> None:
    exempt = copy.deepcopy(BARE)
    exempt["metadata"]["annotations"] = {"evictguard.io/exempt": LIMIT}
    assert rules_of(exempt, default_policy) == [(REQUEST, Severity.WARNING)]
    [finding] = check_object(exempt, default_policy).findings
    assert finding.message == (
        'Pod shop/web: container "app" has no memory request and no limit; set '
        "resources.requests.memory (policy default 256Mi)"
    )


def test_the_one_finding_says_both_and_its_fix_sets_both(default_policy: Policy) -> None:
    [finding] = check_object(BARE, default_policy).findings
    assert finding.message == (
        'Pod shop/web: container "app" has no memory limit and no memory request; set '
        "resources.limits.memory and resources.requests.memory (policy defaults 512Mi and "
        "256Mi)"
    )
    fixed = jsonpatch.apply_patch(BARE, finding.fix)
    assert fixed["spec"]["containers"][0]["resources"] == {
        "limits": {"memory": "512Mi"},
        "requests": {"memory": "256Mi"},
    }
    assert check_object(fixed, default_policy).findings == []


def test_without_the_request_rule_the_message_speaks_of_the_limit_only(
    default_policy: Policy,
) -> None:
    """A policy that does not ask for requests is not told to set one."""
    policy = with_modes(default_policy, memory_request_missing=Mode.OFF)
    [finding] = check_object(BARE, policy).findings
    assert finding.message == (
        'Pod shop/web: container "app" has no memory limit; set resources.limits.memory '
        "(policy default 512Mi)"
    )


def test_containers_are_judged_one_by_one(default_policy: Policy) -> None:
    """Each bare container gets its one finding; a sized one none. (A sidecar runs beside
    the others, so their requests do not cover it; a run-to-completion init container would
    run inside the sized container's 1Gi: see the end of this file.)"""
    obj = copy.deepcopy(BARE)
    obj["spec"]["initContainers"] = [{"name": "init", "image": "x", "restartPolicy": "Always"}]
    obj["spec"]["containers"].append(
        {"name": "sized", "image": "x", "resources": {"limits": {"memory": "1Gi"}}}
    )
    result = check_object(obj, default_policy)
    assert sorted((f.rule, f.container) for f in result.findings) == [
        (LIMIT, "app"),
        (LIMIT, "init"),
    ]
    assert sorted((k.container, left.container) for k, left in result.superseded) == [
        ("app", "app"),
        ("init", "init"),
    ]


def _finding(rule: str, severity: Severity, pointer: str) -> Finding:
    return Finding(rule, severity, ObjectRef("v1", "Pod", None, "p"), pointer, "m")


def test_a_finding_is_left_out_only_for_one_on_its_own_container() -> None:
    """Containers without a name (refused by the API server, but linted) are told apart by
    their place; pod-level findings are on no container."""
    first = "/spec/containers/0/resources/limits/memory"
    second = "/spec/containers/1/resources/requests/memory"
    init = "/spec/initContainers/0/resources/requests/memory"
    result = ObjectResult(ObjectRef("v1", "Pod", None, "p"))
    result.findings = [
        _finding(LIMIT, Severity.ERROR, first),
        _finding(REQUEST, Severity.WARNING, second),
        _finding(REQUEST, Severity.WARNING, init),
        _finding(REQUEST, Severity.WARNING, "/spec/resources/requests/memory"),  # pod-level
    ]
    _leave_out_superseded(result)
    assert [f.pointer for f in result.findings] == [
        first,
        second,
        init,
        "/spec/resources/requests/memory",
    ]
    assert result.superseded == []


# --- the invariant over the data files -----------------------------------------------------


def _objects() -> list[tuple[str, dict[str, Any]]]:
    objects = []
    for path in sorted((DATA / "rules").glob("memory-*/*/*.yaml")):
        for i, item in enumerate(load_text(path.read_text("utf-8"), str(path)).objects):
            objects.append(
                (f"{path.parent.parent.name}/{path.parent.name}/{path.name}#{i}", item.obj)
            )
    return objects


@pytest.mark.parametrize("preset", ["default", "strict"])
def test_no_container_gets_both_findings_unless_the_request_one_is_more_severe(
    preset: str,
) -> None:
    policy = load_preset(preset)
    checked = 0
    for name, obj in _objects():
        result = check_object(obj, policy)
        by_container: dict[str, set[str]] = {}
        for f in result.findings:
            by_container.setdefault(f.container or f.pointer, set()).add(f.rule)
        both = [c for c, rules in by_container.items() if {LIMIT, REQUEST} <= rules]
        assert both == [], (name, both)
        checked += bool(result.superseded)
    assert checked >= 10  # the invariant was exercised, not vacuous


# --- every door ----------------------------------------------------------------------------


def _review(
    obj: dict[str, Any], old: dict[str, Any] | None = None, sub_resource: str | None = None
) -> Any:
    group, _, version = obj["apiVersion"].rpartition("/")
    request: dict[str, Any] = {
        "uid": "1",
        "operation": "CREATE" if old is None else "UPDATE",
        "kind": {"group": group, "version": version, "kind": obj["kind"]},
        "object": obj,
        "namespace": "shop",
        "userInfo": {"username": "alice"},
    }
    if old is not None:
        request["oldObject"] = old
    if sub_resource:
        request["subResource"] = sub_resource
    return parse_review(
        {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}
    )


def test_the_mutating_webhook_still_sets_the_request(default_policy: Policy) -> None:
    """`mutate: true` on memory-request-missing, `mutate: false` on memory-limit-missing (as
    before): the request rule's fix applies though its finding is left out for the limit
    rule's, and validation then denies the missing limit with one finding."""
    decision = mutate(_review(BARE), default_policy)
    assert decision.patch is not None
    mutated = jsonpatch.apply_patch(BARE, decision.patch)
    assert mutated["spec"]["containers"][0]["resources"] == {"requests": {"memory": "256Mi"}}
    verdict = validate(_review(mutated), default_policy)
    assert not verdict.allowed
    assert [f.rule for f in verdict.denied_by] == [LIMIT]
    assert verdict.warnings == []


def test_the_validating_webhook_denies_with_one_finding_and_no_warning(
    default_policy: Policy,
) -> None:
    verdict = validate(_review(BARE), default_policy)
    assert not verdict.allowed and verdict.warnings == []
    assert [f.rule for f in verdict.findings] == [LIMIT]


def test_lint_json_and_cli_agree(tmp_path: Path) -> None:
    path = tmp_path / "pod.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n"
        "  containers:\n    - name: app\n      image: nginx\n"
    )
    code, report = run_json(str(path))
    assert code == 1
    assert [f["rule"] for f in report["findings"]] == [LIMIT]
    code, ignored = run_json("--ignore", LIMIT, str(path))
    assert code == 0  # the request rule warns
    assert [f["rule"] for f in ignored["findings"]] == [REQUEST]


def test_a_prometheus_main_container_gets_one_finding(default_policy: Policy) -> None:
    """prometheus-operator: the main container's resources are `spec.resources`; with neither
    value there, one finding on it (the same container as a `spec.containers` entry of its
    name, which the operator merges into it)."""
    prometheus = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "Prometheus",
        "metadata": {"name": "k8s", "namespace": "monitoring"},
        "spec": {"replicas": 2, "serviceAccountName": "prometheus-k8s"},
    }
    result = check_object(prometheus, default_policy)
    assert [(f.rule, f.container, f.pointer) for f in result.findings] == [
        (LIMIT, "prometheus", "/spec/resources/limits/memory")
    ]
    assert "no memory limit and no memory request" in result.findings[0].message


# --- found by review: what the left-out finding must still do -----------------------------

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "nginx",
                        "resources": {"requests": {"memory": "256Mi"}},
                    }
                ]
            },
        },
    },
}


def test_an_update_that_removes_the_request_is_judged_by_the_request_rule() -> None:
    """The limit was missing before (pre-existing); the request is what the change removed:
    strict (request rule enforced) denies it, as before the one-finding change, instead of
    calling it all pre-existing."""
    after = copy.deepcopy(DEPLOYMENT)
    del after["spec"]["template"]["spec"]["containers"][0]["resources"]
    strict = validate(_review(after, old=DEPLOYMENT), load_preset("strict"))
    assert not strict.allowed
    assert [f.rule for f in strict.denied_by] == [REQUEST]
    default = validate(_review(after, old=DEPLOYMENT), load_preset("default"))
    assert default.allowed
    assert [w.split("]")[0] for w in default.warnings] == [
        "[memory-request-missing",  # new: a warning of its own
        "pre-existing [memory-limit-missing",
    ]
    # the pre-existing one says only its own part, the request rule's says the rest
    assert "request" not in default.warnings[1].split(";")[0]


def test_a_resize_to_a_zero_request_is_denied_by_the_strict_preset() -> None:
    old = copy.deepcopy(BARE)
    old["spec"]["containers"][0]["resources"] = {"requests": {"memory": "256Mi"}}
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["resources"]["requests"]["memory"] = "0"
    verdict = validate(_review(new, old=old, sub_resource="resize"), load_preset("strict"))
    assert not verdict.allowed
    assert [f.rule for f in verdict.denied_by] == [REQUEST]


def test_leaving_out_is_linear_with_repeated_container_names(
    monkeypatch: pytest.MonkeyPatch, default_policy: Policy
) -> None:
    """Names repeat in a bad spec (and in custom resources nobody checks): containers are
    told apart by their place, and each finding is looked at a bounded number of times."""
    from evictguard.engine import check as engine

    calls = 0
    real = engine._container

    def counted(finding: Finding) -> Any:
        nonlocal calls
        calls += 1
        return real(finding)

    monkeypatch.setattr(engine, "_container", counted)
    containers = [
        {"name": "a", "image": "x", "resources": {"requests": {"memory": "1"}}} for _ in range(500)
    ] + [{"name": "a", "image": "x"} for _ in range(500)]
    obj = copy.deepcopy(BARE)
    obj["spec"]["containers"] = containers
    result = check_object(obj, default_policy)
    total = len(result.findings) + len(result.superseded)
    assert calls <= 2 * total
    # every bare container: its own one finding; the others keep theirs
    assert len(result.superseded) == 500
    assert all(kept.container_at == left.container_at for kept, left in result.superseded)


def _lint_text(tmp_path: Path, text: str, *args: str) -> dict[str, Any]:
    path = tmp_path / "pod.yaml"
    path.write_text(text)
    _, report = run_json(*args, str(path))
    return report


SILENCED_ZERO_REQUEST = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
    - name: app
      image: nginx
      resources:
        requests:
          memory: 0  # evictguard: disable=memory-request-missing
"""


def test_a_silenced_request_finding_is_not_said_again_by_the_limit_finding(
    tmp_path: Path,
) -> None:
    report = _lint_text(tmp_path, SILENCED_ZERO_REQUEST)
    [finding] = report["findings"]
    assert finding["rule"] == LIMIT
    assert finding["message"] == (
        'Pod shop/web: container "app" has no memory limit; set resources.limits.memory '
        "(policy default 512Mi)"
    )
    # ... and its fix keeps the request as written
    fixed = jsonpatch.apply_patch(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {
                "containers": [
                    {"name": "app", "image": "nginx", "resources": {"requests": {"memory": 0}}}
                ]
            },
        },
        finding["fix"],
    )
    assert fixed["spec"]["containers"][0]["resources"] == {
        "requests": {"memory": 0},
        "limits": {"memory": "512Mi"},
    }


def test_fix_keeps_a_request_silenced_by_a_comment(tmp_path: Path) -> None:
    path = tmp_path / "pod.yaml"
    path.write_text(SILENCED_ZERO_REQUEST)
    proc = run_cli("fix", "--unsafe-fixes", str(path))
    assert proc.returncode == 1, proc.stderr
    text = path.read_text()
    assert "memory: 0  # evictguard: disable=memory-request-missing" in text
    assert "limits:" in text and "512Mi" in text and "256Mi" not in text


def test_fix_does_not_move_a_request_finding_silenced_on_the_container_line(
    tmp_path: Path,
) -> None:
    """As before: the only fix would add `resources` under the silenced line, moving that
    finding off it; fix says so and changes nothing."""
    path = tmp_path / "pod.yaml"
    original = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n"
        "  containers:\n    - name: app  # evictguard: disable=memory-request-missing\n"
        "      image: nginx\n"
    )
    path.write_text(original)
    proc = run_cli("fix", "--unsafe-fixes", str(path))
    assert path.read_text() == original
    assert "memory-limit-missing not fixed: its fix would move the memory-request-missing" in (
        proc.stderr
    )
    [finding] = _lint_text(tmp_path, original)["findings"]
    assert finding["message"].endswith(
        "has no memory limit; set resources.limits.memory (policy default 512Mi)"
    )


def test_without_the_request_rule_a_zero_request_stays(tmp_path: Path) -> None:
    config = tmp_path / "policy.yaml"
    config.write_text('rules:\n  memory-request-missing: {mode: "off"}\n')
    path = tmp_path / "pod.yaml"
    path.write_text(
        SILENCED_ZERO_REQUEST.replace("  # evictguard: disable=memory-request-missing", "")
    )
    proc = run_cli("fix", "--unsafe-fixes", "--config", str(config), str(path))
    assert proc.returncode == 1, proc.stderr
    assert "memory: 0\n" in path.read_text() and "256Mi" not in path.read_text()


def test_repeated_names_are_told_apart_when_a_comment_silences_one(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n"
        "  initContainers:\n    - name: app  # evictguard: disable=memory-limit-missing\n"
        "      image: busybox\n  containers:\n    - name: app\n      image: nginx\n"
    )
    report = _lint_text(tmp_path, text)
    assert sorted((f["line"], f["rule"]) for f in report["findings"]) == [
        (6, REQUEST),  # the init container's limit finding silenced: its request one stands
        (9, LIMIT),
    ]


# --- an init container inside the pod's request --------------------------------------------

VOLUME_PERMISSIONS: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "shop-redis", "namespace": "shop"},
    "spec": {
        "selector": {"matchLabels": {"app.kubernetes.io/name": "redis"}},
        "template": {
            "metadata": {"labels": {"app.kubernetes.io/name": "redis"}},
            "spec": {
                "initContainers": [
                    {
                        "name": "volume-permissions",
                        "image": "docker.io/bitnami/os-shell:12-debian-12-r43",
                        "command": ["/bin/bash", "-ec", "chown -R 1001:1001 /data"],
                        "securityContext": {"runAsUser": 0},
                    }
                ],
                "containers": [
                    {
                        "name": "redis",
                        "image": "docker.io/bitnami/redis:7.4.2-debian-12-r0",
                        "resources": {
                            "requests": {"memory": "128Mi"},
                            "limits": {"memory": "256Mi"},
                        },
                    }
                ],
            },
        },
    },
}


@pytest.mark.parametrize("preset", ["default", "strict"])
def test_a_covered_init_container_gets_the_limit_finding_in_its_own_words(preset: str) -> None:
    """The init container runs inside the pod's 128Mi: no request finding to leave out, so
    the limit finding says only the limit (an init container without one is unbounded)."""
    result = check_object(VOLUME_PERMISSIONS, load_preset(preset))
    [finding] = result.findings
    assert (finding.rule, finding.container) == (LIMIT, "volume-permissions")
    assert finding.message == (
        'Deployment shop/shop-redis: init container "volume-permissions" has no memory '
        "limit; set resources.limits.memory (policy default 512Mi)"
    )
    assert result.superseded == []


def test_a_covered_init_container_has_no_request_finding_without_the_limit_rule(
    default_policy: Policy,
) -> None:
    policy = with_modes(default_policy, memory_limit_missing=Mode.OFF)
    assert check_object(VOLUME_PERMISSIONS, policy).findings == []


def test_the_limit_fix_of_a_covered_init_container_keeps_its_reservation_small(
    default_policy: Policy,
) -> None:
    """Decision: the fix writes the default request beside the limit, as for any container
    without a request. A limit alone would be copied into the request when the Pod is
    created (SetDefaults_Pod): the pod would reserve 512Mi, not 256Mi."""
    [finding] = check_object(VOLUME_PERMISSIONS, default_policy).findings
    fixed = jsonpatch.apply_patch(VOLUME_PERMISSIONS, finding.fix)
    init = fixed["spec"]["template"]["spec"]["initContainers"][0]
    assert init["resources"] == {"limits": {"memory": "512Mi"}, "requests": {"memory": "256Mi"}}
    assert check_object(fixed, default_policy).findings == []


def test_a_covered_init_container_with_a_zero_request_keeps_it(default_policy: Policy) -> None:
    """`requests.memory: 0` counts for nothing in the aggregate: the init container runs
    inside the pod's request, and the limit fix leaves the 0 as written."""
    obj = copy.deepcopy(VOLUME_PERMISSIONS)
    init = obj["spec"]["template"]["spec"]["initContainers"][0]
    init["resources"] = {"requests": {"memory": "0"}}
    [finding] = check_object(obj, default_policy).findings
    assert finding.rule == LIMIT and "request" not in finding.message
    fixed = jsonpatch.apply_patch(obj, finding.fix)
    resources = fixed["spec"]["template"]["spec"]["initContainers"][0]["resources"]
    assert resources == {"requests": {"memory": "0"}, "limits": {"memory": "512Mi"}}


def test_the_mutating_webhook_sets_no_request_on_a_covered_init_container(
    default_policy: Policy,
) -> None:
    """The policy mutates Pods (`mutateKinds`): one of the Deployment's."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "shop-redis-0", "namespace": "shop"},
        "spec": copy.deepcopy(VOLUME_PERMISSIONS["spec"]["template"]["spec"]),
    }
    decision = mutate(_review(pod), default_policy)
    assert not decision.patch  # nothing to set: the request rule has no finding
    bare = copy.deepcopy(pod)  # ... where the app reserves nothing, it sets the request
    del bare["spec"]["containers"][0]["resources"]
    patched = mutate(_review(bare), default_policy).patch
    assert patched is not None
    assert {op["path"] for op in patched if op["path"].startswith("/spec/")} == {
        "/spec/initContainers/0/resources",
        "/spec/containers/0/resources",
    }
    verdict = validate(_review(pod), default_policy)
    assert not verdict.allowed
    assert [f.rule for f in verdict.denied_by] == [LIMIT]


def test_an_init_container_the_pod_leaves_no_room_still_gets_one_finding_for_both(
    default_policy: Policy,
) -> None:
    """Without the app's request the pod reserves nothing: the one finding says both."""
    obj = copy.deepcopy(VOLUME_PERMISSIONS)
    del obj["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]
    obj["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] = "0"
    result = check_object(obj, default_policy)
    assert sorted((f.rule, f.container) for f in result.findings) == [
        (LIMIT, "redis"),
        (LIMIT, "volume-permissions"),
    ]
    assert all("no memory request" in f.message for f in result.findings)
    assert len(result.superseded) == 2
