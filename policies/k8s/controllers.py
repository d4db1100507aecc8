"""Who in kube-controller-manager makes objects from pod templates, and under which
identities: admission believes an ownerReference only from them (the webhook and the
exported admission policies read the same tables)."""

from __future__ import annotations

CONTROLLER_MANAGER = "system:kube-controller-manager"
# The versions the API serves of the kinds kube-controller-manager makes objects from: an
# owner reference naming another (apps/v1beta2, extensions/v1beta1) points at nothing.
SERVED_TEMPLATE_OWNERS = frozenset({"v1", "apps/v1", "batch/v1"})
# The kube-controller-manager controllers that create objects from a pod template, under
# their own service accounts (--use-service-account-credentials, the default in kubeadm).
TEMPLATE_CONTROLLERS = frozenset(
    f"system:serviceaccount:kube-system:{name}"
    for name in (
        "deployment-controller",
        "replicaset-controller",
        "statefulset-controller",
        "daemon-set-controller",
        "job-controller",
        "cronjob-controller",
        "replication-controller",
    )
)


# Who creates a DaemonSet's Pods: its controller in kube-controller-manager, under its own
# service account or the manager's identity (--use-service-account-credentials off).
DAEMONSET_CONTROLLERS = frozenset(
    {CONTROLLER_MANAGER, "system:serviceaccount:kube-system:daemon-set-controller"}
)
