"""Ways a violating spec could get in after its object exists, closed on the real server
(gunicorn over TLS, spoken to as kube-apiserver speaks: tests/webhook_client.py): in-place
resize, values changed in place, an exemption removed, a DaemonSet owner written by hand,
and mutation of existing objects."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from evictguard.certs.generate import generate

from tests.conftest import run_json
from tests.test_webhook_server import NO_LIMIT, UNBOUNDED, deployment, pod, rules_in
from tests.webhook_client import Server, admission_review, running_server

DAEMONSET_CONTROLLER = "system:serviceaccount:kube-system:daemon-set-controller"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("updates")
    generate(base / "tls", "evictguard", "evictguard", extra_sans=["localhost", "127.0.0.1"])
    with running_server(base / "tls", base / "server.log", workers=1) as running:
        yield running


def limited(limit: Any, request: Any = None, name: str = "app") -> dict[str, Any]:
    resources: dict[str, Any] = {"limits": {"memory": limit}}
    if request is not None:
        resources["requests"] = {"memory": request}
    return {"name": name, "image": "nginx:1.27", "resources": resources}


def update(server: Server, old: dict[str, Any], new: dict[str, Any], **kw: Any) -> dict[str, Any]:
    review = admission_review(new, operation="UPDATE", old=old, namespace="shop", **kw)
    return server.review("/validate", review).response


def denied_rules(response: dict[str, Any]) -> set[str]:
    assert response["allowed"] is False, response
    return rules_in(response["status"]["message"])


# --- pods/resize ---------------------------------------------------------------------------


def resize(pod_before: dict[str, Any], limit: Any, request: Any = None) -> dict[str, Any]:
    after = copy.deepcopy(pod_before)
    after["spec"]["containers"][0] = limited(limit, request)
    return after


RUNNING = pod(containers=[limited("512Mi", "256Mi")])  # Burstable


@pytest.mark.parametrize(
    "limit, request_, rules",
    [
        # ValidatePodResize keeps keys, QoS class and request <= limit, nothing more.
        ("512m", "256m", {"memory-quantity-suspicious"}),  # 0.512 bytes
        ("0", "256Mi", {"memory-limit-missing", "memory-request-exceeds-limit"}),
        ("10E", "256Mi", {"memory-quantity-invalid"}),  # Value() overflows: no limit at all
    ],
)
def test_a_resize_is_judged_as_a_pod_update(
    server: Server, limit: str, request_: str, rules: set[str]
) -> None:
    response = update(server, RUNNING, resize(RUNNING, limit, request_), sub_resource="resize")
    assert rules <= denied_rules(response)


def test_a_resize_is_allowed_when_it_introduces_nothing(server: Server) -> None:
    response = update(server, RUNNING, resize(RUNNING, "1Gi", "512Mi"), sub_resource="resize")
    assert response["allowed"] is True and "warnings" not in response
    legacy = pod(containers=[limited("512m", "256m")])  # admitted before the policy
    grown = copy.deepcopy(legacy)
    grown["spec"]["containers"].append(limited("1Gi", name="second"))  # not a resize: shape
    same = resize(legacy, "512m", "256m")
    response = update(server, legacy, same, sub_resource="resize")
    assert response["allowed"] is True
    assert response["warnings"][0].startswith("pre-existing [memory-quantity-suspicious]")


def test_a_resize_of_a_controller_made_pod_by_a_person_is_denied(server: Server) -> None:
    owned = copy.deepcopy(RUNNING)
    owned["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "web-1",
            "uid": "u",
            "controller": True,
        }
    ]
    response = update(server, owned, resize(owned, "512m", "256m"), sub_resource="resize")
    assert "memory-quantity-suspicious" in denied_rules(response)


@pytest.mark.parametrize("sub_resource", ["status", "ephemeralcontainers"])
def test_other_pod_subresources_are_not_judged(server: Server, sub_resource: str) -> None:
    bad = pod(containers=NO_LIMIT)
    review = admission_review(bad, operation="UPDATE", old=bad, sub_resource=sub_resource)
    assert server.review("/validate", review).response["allowed"] is True


def test_mutation_never_patches_an_update_or_a_resize(server: Server) -> None:
    before = pod(containers=[limited("1Gi")], tolerations=[UNBOUNDED])
    assert server.review("/mutate", admission_review(before)).patch  # CREATE: patched
    for sub_resource in (None, "resize"):
        review = admission_review(before, operation="UPDATE", old=before, sub_resource=sub_resource)
        answer = server.review("/mutate", review)
        assert answer.response == {"uid": review["request"]["uid"], "allowed": True}


# --- UPDATE compares values, not only places ----------------------------------------------


def test_a_value_changed_in_place_is_a_new_violation(server: Server) -> None:
    legacy = deployment([limited("512m")])  # suspicious already, admitted before the policy
    relabelled = copy.deepcopy(legacy)
    relabelled["spec"]["template"]["metadata"]["labels"]["tier"] = "web"
    response = update(server, legacy, relabelled)
    assert response["allowed"] is True
    assert response["warnings"][0].startswith("pre-existing [memory-quantity-suspicious]")
    worse = copy.deepcopy(legacy)
    worse["spec"]["template"]["spec"]["containers"][0] = limited("1m")
    assert denied_rules(update(server, legacy, worse)) == {"memory-quantity-suspicious"}


def test_a_request_over_a_lowered_limit_is_a_new_violation(server: Server) -> None:
    """memory-request-exceeds-limit points at the request; its verdict rests on the limit."""
    legacy = deployment([limited("1Gi", "2Gi")])
    lowered = copy.deepcopy(legacy)
    lowered["spec"]["template"]["spec"]["containers"][0] = limited("512Mi", "2Gi")
    assert denied_rules(update(server, legacy, lowered)) == {"memory-request-exceeds-limit"}
    scaled = copy.deepcopy(legacy)
    scaled["spec"]["replicas"] = 9
    assert update(server, legacy, scaled)["allowed"] is True


def test_changed_toleration_seconds_are_a_new_violation(server: Server) -> None:
    wraps = {**UNBOUNDED, "tolerationSeconds": 9223372037}  # wraps to forever (int64 ns)
    legacy = deployment([limited("1Gi")])
    legacy["spec"]["template"]["spec"]["tolerations"] = [wraps]
    same = copy.deepcopy(legacy)
    same["spec"]["template"]["metadata"]["labels"]["tier"] = "web"
    assert update(server, legacy, same)["allowed"] is True
    changed = copy.deepcopy(legacy)
    changed["spec"]["template"]["spec"]["tolerations"] = [
        {**wraps, "tolerationSeconds": 9223372038}
    ]
    assert denied_rules(update(server, legacy, changed)) == {"noexecute-unbounded"}


# --- removing an exemption ----------------------------------------------------------------


@pytest.mark.parametrize("on_template", [False, True])
def test_removing_an_exemption_is_judged(server: Server, on_template: bool) -> None:
    exempt = deployment(NO_LIMIT)
    where = exempt["spec"]["template"]["metadata"] if on_template else exempt["metadata"]
    where["annotations"] = {"evictguard.io/exempt": "memory-limit-missing"}
    removed = copy.deepcopy(exempt)
    where = removed["spec"]["template"]["metadata"] if on_template else removed["metadata"]
    del where["annotations"]
    assert denied_rules(update(server, exempt, removed)) == {"memory-limit-missing"}
    narrowed = copy.deepcopy(exempt)
    where = narrowed["spec"]["template"]["metadata"] if on_template else narrowed["metadata"]
    where["annotations"] = {"evictguard.io/exempt": "memory-request-missing"}
    assert denied_rules(update(server, exempt, narrowed)) == {"memory-limit-missing"}
    kept = copy.deepcopy(exempt)
    kept["spec"]["replicas"] = 4
    assert update(server, exempt, kept)["allowed"] is True


def test_removing_a_pods_exemption_is_judged(server: Server) -> None:
    exempt = pod(containers=NO_LIMIT)
    exempt["metadata"]["annotations"] = {"evictguard.io/exempt": "*"}
    removed = copy.deepcopy(exempt)
    removed["metadata"]["annotations"] = {}
    assert "memory-limit-missing" in denied_rules(update(server, exempt, removed))


# --- DaemonSet owner references -------------------------------------------------------------


def daemon_pod(owner_version: str) -> dict[str, Any]:
    obj = pod(containers=[limited("1Gi")], tolerations=[UNBOUNDED])
    obj["metadata"]["ownerReferences"] = [
        {
            "apiVersion": owner_version,
            "kind": "DaemonSet",
            "name": "x",
            "uid": "u",
            "controller": True,
        }
    ]
    return obj


@pytest.mark.parametrize("owner_version", ["apps/v1beta2", "apps/v1", "extensions/v1beta1"])
def test_a_hand_written_daemonset_owner_changes_nothing(server: Server, owner_version: str) -> None:
    """The API server checks only that an owner reference's fields are set; a bare Pod that
    claims a DaemonSet owner must not switch the NoExecute rules off."""
    review = admission_review(daemon_pod(owner_version), namespace="shop")
    assert denied_rules(server.review("/validate", review).response) == {"noexecute-unbounded"}


def test_the_daemonset_controllers_pods_are_daemon_pods(server: Server) -> None:
    review = admission_review(
        daemon_pod("apps/v1"), namespace="shop", username=DAEMONSET_CONTROLLER
    )
    response = server.review("/validate", review).response
    assert response["allowed"] is True and "warnings" not in response
    # A version the API no longer serves names no DaemonSet: no controller made this Pod,
    # so it is denied (test_the_controller_exemption_covers_only_...).
    review = admission_review(
        daemon_pod("apps/v1beta2"), namespace="shop", username=DAEMONSET_CONTROLLER
    )
    response = server.review("/validate", review).response
    assert response["allowed"] is False


@pytest.mark.parametrize(
    "owner_version, rules", [("apps/v1", []), ("apps/v1beta2", ["noexecute-unbounded"])]
)
def test_lint_assumes_a_served_daemonset_owner_was_set_by_its_controller(
    tmp_path: Path, owner_version: str, rules: list[str]
) -> None:
    import json

    manifest = tmp_path / "pod.json"
    manifest.write_text(json.dumps(daemon_pod(owner_version)))
    _, report = run_json(str(manifest))
    assert [f["rule"] for f in report["findings"]] == rules


def test_a_reordering_that_widens_a_wildcard_is_a_new_violation(server: Server) -> None:
    """Found by review: the wildcard's finding was keyed by its content only, so moving it
    before the bounded not-ready toleration (an UPDATE may reorder: validateOnlyAddedTolerations
    needs only every old toleration present) passed as pre-existing, though the Pod is now
    unbounded on not-ready too."""
    bounded = {
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    }
    wildcard = {"operator": "Exists"}
    old = pod(containers=[limited("1Gi")], tolerations=[bounded, wildcard])
    moved = pod(containers=[limited("1Gi")], tolerations=[wildcard, bounded])
    # The wildcard is now the toleration used for not-ready too: noexecute-unbounded's
    # finding (which owns an unbounded wildcard the taint manager uses for a dead node).
    assert "noexecute-unbounded" in denied_rules(update(server, old, moved))
    same = copy.deepcopy(old)
    same["spec"]["activeDeadlineSeconds"] = 600
    assert update(server, old, same)["allowed"] is True


def test_the_controller_exemption_covers_only_what_it_makes_from_a_served_template(
    server: Server,
) -> None:
    """Found by a black-box review: a resize sent as kube-controller-manager, or a Pod whose
    owner names a DaemonSet version the API no longer serves, was only warned about."""
    owned = copy.deepcopy(RUNNING)
    owned["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "web-1",
            "uid": "u",
            "controller": True,
        }
    ]
    manager = "system:kube-controller-manager"
    resized = resize(owned, "0", "256Mi")
    assert "memory-limit-missing" in denied_rules(
        update(server, owned, resized, sub_resource="resize", username=manager)
    )
    stale = daemon_pod("apps/v1beta2")
    review = admission_review(stale, namespace="shop", username=DAEMONSET_CONTROLLER)
    assert denied_rules(server.review("/validate", review).response) == {"noexecute-unbounded"}
    served = admission_review(daemon_pod("apps/v1"), namespace="shop", username=manager)
    assert server.review("/validate", served).response["allowed"] is True
