"""What the exported policies do on UPDATE, and with objects controllers make: the same as
the webhook (`webhook.admission.validate`), checked through both doors.

- A violation the object already had (on `oldObject`) never denies: a label added to a Pod
  that predates the policy, a finalizer removed, pass; the `-pre-existing` policy warns.
- A violation the change introduces denies (an in-place resize that drops the limit).
- Removing the exemption annotation makes the object's violations new: denied.
- Pods kube-controller-manager makes from a template (judged there) are warned, not denied;
  a DaemonSet ownerReference is believed only from the DaemonSet controller.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from evictguard.export.vap import export_vap
from evictguard.policy.load import load_preset
from evictguard.webhook import admission

from tests.as_admission_sees import webhook_review

vap = pytest.importorskip("tests.k8s_cel.vap", reason="needs cel-expr-python (Python >= 3.11)")

POLICY = load_preset("default")
EXPORTED = export_vap(POLICY).objects
REPLICASET_CONTROLLER = "system:serviceaccount:kube-system:replicaset-controller"
DAEMONSET_CONTROLLER = "system:serviceaccount:kube-system:daemon-set-controller"


def pod(**metadata: Any) -> dict[str, Any]:
    """A Pod with no memory limit (memory-limit-missing, enforced) and the tolerations
    DefaultTolerationSeconds gave it."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "shop", **metadata},
        "spec": {
            "containers": [
                {"name": "app", "image": "nginx", "resources": {"requests": {"memory": "1Gi"}}}
            ],
            "tolerations": [
                {
                    "key": f"node.kubernetes.io/{key}",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                }
                for key in ("not-ready", "unreachable")
            ],
        },
    }


def limited(obj: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    out["spec"]["containers"][0]["resources"]["limits"] = {"memory": "1Gi"}
    return out


def both(
    obj: dict[str, Any],
    old: dict[str, Any] | None = None,
    username: str = "alice",
    sub_resource: str = "",
) -> tuple[tuple[bool, bool], tuple[bool, bool]]:
    """((denied, warned) by the webhook, (denied, warned) by the exported policies)."""
    operation = "UPDATE" if old is not None else "CREATE"
    review = webhook_review(obj, username, old, sub_resource)
    decision = admission.validate(review, POLICY)
    request = vap.admission_request(
        obj, old, operation=operation, username=username, sub_resource=sub_resource
    )
    policies = [o for o in EXPORTED if o["kind"] == "ValidatingAdmissionPolicy"]
    bindings = [o for o in EXPORTED if o["kind"] == "ValidatingAdmissionPolicyBinding"]
    outcome = vap.evaluate(policies, bindings, request, vap.namespace_object("shop"))
    assert not outcome.errors, outcome.errors
    webhook = (not decision.allowed, bool(decision.warnings))
    return webhook, (outcome.denied, bool(outcome.warnings))


def test_a_violation_on_create_denies() -> None:
    webhook, policies = both(pod())
    assert webhook == policies == (True, False)


def test_a_label_added_to_a_pod_with_a_pre_existing_violation_passes_with_a_warning() -> None:
    old = pod()
    new = pod(labels={"team": "shop"})
    webhook, policies = both(new, old)
    assert webhook == policies == (False, True)


def test_a_resize_that_removes_the_limit_is_denied() -> None:
    old = limited(pod())
    webhook, policies = both(pod(), old, sub_resource="resize")
    assert webhook == policies == (True, False)


def test_a_fixed_pod_passes_clean() -> None:
    webhook, policies = both(limited(pod()), pod(), sub_resource="resize")
    assert webhook == policies == (False, False)


def test_removing_the_exemption_makes_violations_new() -> None:
    old = pod(annotations={"evictguard.io/exempt": "memory-limit-missing"})
    webhook, policies = both(pod(), old)
    assert webhook == policies == (True, False)
    exempt_still, exempt_still_policies = both(
        pod(annotations={"evictguard.io/exempt": "memory-limit-missing"}), old
    )
    assert exempt_still == exempt_still_policies == (False, False)


def test_a_pod_a_controller_made_from_a_template_is_warned_not_denied() -> None:
    owner = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": "web-7d4",
        "uid": "1",
        "controller": True,
    }
    made = pod(ownerReferences=[owner])
    webhook, policies = both(made, username=REPLICASET_CONTROLLER)
    assert webhook == policies == (False, True)
    by_hand = both(made, username="alice")  # an ownerReference written by anyone else
    assert by_hand[0] == by_hand[1] == (True, False)


def test_a_daemonset_owner_is_believed_from_the_daemonset_controller_only() -> None:
    owner = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "name": "agent",
        "uid": "1",
        "controller": True,
    }
    obj = limited(pod(ownerReferences=[owner]))
    obj["spec"]["tolerations"] = [{"operator": "Exists"}]  # forever, on every taint
    from_controller = both(obj, username=DAEMONSET_CONTROLLER)
    from_anyone = both(obj, username="alice")
    assert from_controller[0] == from_controller[1] == (False, False)
    assert from_anyone[0] == from_anyone[1] == (True, True)  # noexecute-unbounded; wildcard


def test_the_exemption_list_is_trimmed_as_go_trims_it() -> None:
    """`\\x1f` is space to Python's `str.strip()` but not to Go's `unicode.IsSpace` (CEL's
    `trim()`): both doors read `\\x1fall` as no rule at all, and ` all ` as every rule."""
    assert both(pod(annotations={"evictguard.io/exempt": "\x1fall"})) == ((True, False),) * 2
    assert both(pod(annotations={"evictguard.io/exempt": "\u2003all\n"})) == ((False, False),) * 2


def _moved(resources: dict[str, Any], to_regular: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """(old, new): container `a` (with `resources`) moves between initContainers and
    containers; `b`, limited, stays regular."""
    a = {"name": "a", "image": "busybox", "resources": resources}
    b = {"name": "b", "image": "nginx", "resources": {"limits": {"memory": "1Gi"}}}
    old, new = pod(), pod()
    old["spec"]["containers"], new["spec"]["containers"] = [b], [b, a]
    old["spec"]["initContainers"] = [a]
    if not to_regular:
        old, new = new, old
    return old, new


@pytest.mark.parametrize("to_regular", [True, False])
@pytest.mark.parametrize(
    "resources",
    [
        {"requests": {"memory": "64Mi"}},  # memory-limit-missing
        {"limits": {"memory": "1Gi", "ephemeral-storage": "0"}},  # ephemeral-storage-limit-zero
    ],
)
def test_moving_a_container_between_its_lists_is_a_change(
    resources: dict[str, Any], to_regular: bool
) -> None:
    """The webhook keys a violation by its place (initContainers/a is not containers/a):
    moving a violating container is a new violation, denied through both doors."""
    old, new = _moved(resources, to_regular)
    webhook, policies = both(new, old)
    assert webhook == policies
    assert webhook[0] is True
