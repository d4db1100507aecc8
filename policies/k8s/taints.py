"""The taints Kubernetes itself puts on nodes, and the tolerations its components add.

Data, not branches: rules look things up here. Sources (kubernetes/kubernetes):
`staging/src/k8s.io/api/core/v1/well_known_taints.go`, the node lifecycle controller
(`pkg/controller/nodelifecycle`), `plugin/pkg/admission/defaulttolerationseconds`,
`pkg/controller/daemon/util/daemonset_util.go` and kubeadm's control-plane taint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NO_SCHEDULE = "NoSchedule"
PREFER_NO_SCHEDULE = "PreferNoSchedule"
NO_EXECUTE = "NoExecute"
EFFECTS = (NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE)  # the order the API lists them in

EQUAL, EXISTS, LT, GT = "Equal", "Exists", "Lt", "Gt"

NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure"
DISK_PRESSURE = "node.kubernetes.io/disk-pressure"
PID_PRESSURE = "node.kubernetes.io/pid-pressure"
NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"
CLOUD_UNINITIALIZED = "node.cloudprovider.kubernetes.io/uninitialized"
CLOUD_SHUTDOWN = "node.cloudprovider.kubernetes.io/shutdown"
CONTROL_PLANE = "node-role.kubernetes.io/control-plane"
MASTER = "node-role.kubernetes.io/master"
ETCD = "node-role.kubernetes.io/etcd"
RKE1_CONTROL_PLANE = "node-role.kubernetes.io/controlplane"  # a label and taint of RKE1 only

LIFECYCLE = "lifecycle"  # NoExecute on a dead node: the taint manager evicts
PRESSURE = "pressure"  # the kubelet is already evicting pods on this node
UNAVAILABLE = "unavailable"  # the node takes no new pods: cordoned, or no pod network
ROLE = "control-plane"
OTHER = "other"


@dataclass(frozen=True)
class KnownTaint:
    key: str
    effects: frozenset[str] | None  # None: whoever sets it chooses
    values: frozenset[str] | None  # None: any value (distributions differ)
    category: str
    set_by: str


WELL_KNOWN_TAINTS: dict[str, KnownTaint] = {
    t.key: t
    for t in (
        KnownTaint(
            NOT_READY,
            frozenset({NO_SCHEDULE, NO_EXECUTE}),
            frozenset({""}),
            LIFECYCLE,
            "the node lifecycle controller, while the node's Ready condition is False",
        ),
        KnownTaint(
            UNREACHABLE,
            frozenset({NO_SCHEDULE, NO_EXECUTE}),
            frozenset({""}),
            LIFECYCLE,
            "the node lifecycle controller, while the node's Ready condition is Unknown",
        ),
        KnownTaint(
            MEMORY_PRESSURE,
            frozenset({NO_SCHEDULE}),
            frozenset({""}),
            PRESSURE,
            "the node lifecycle controller, while the node reports MemoryPressure",
        ),
        KnownTaint(
            DISK_PRESSURE,
            frozenset({NO_SCHEDULE}),
            frozenset({""}),
            PRESSURE,
            "the node lifecycle controller, while the node reports DiskPressure",
        ),
        KnownTaint(
            PID_PRESSURE,
            frozenset({NO_SCHEDULE}),
            frozenset({""}),
            PRESSURE,
            "the node lifecycle controller, while the node reports PIDPressure",
        ),
        KnownTaint(
            NETWORK_UNAVAILABLE,
            frozenset({NO_SCHEDULE}),
            frozenset({""}),
            UNAVAILABLE,
            "the node lifecycle controller, while the node's network is not configured",
        ),
        KnownTaint(
            UNSCHEDULABLE,
            frozenset({NO_SCHEDULE}),
            frozenset({""}),
            UNAVAILABLE,
            "the node lifecycle controller, while the node is cordoned",
        ),
        KnownTaint(
            OUT_OF_SERVICE,
            None,
            None,
            OTHER,
            "an administrator, after a non-graceful node shutdown",
        ),
        KnownTaint(
            CLOUD_UNINITIALIZED,
            frozenset({NO_SCHEDULE}),
            frozenset({"true"}),
            OTHER,
            "the kubelet with --cloud-provider=external, until the cloud controller "
            "initialises the node",
        ),
        KnownTaint(
            CLOUD_SHUTDOWN,
            frozenset({NO_SCHEDULE}),
            frozenset({""}),
            OTHER,
            "the cloud node lifecycle controller, while the instance is shut down",
        ),
        # Values and effects vary between distributions (kubeadm: empty value, NoSchedule;
        # RKE2: "true"), so only the key is known.
        KnownTaint(CONTROL_PLANE, None, None, ROLE, "kubeadm and most distributions"),
        KnownTaint(MASTER, None, None, ROLE, "kubeadm before 1.25 and older distributions"),
        KnownTaint(ETCD, None, None, ROLE, "RKE2 (and RKE1) on dedicated etcd nodes, NoExecute"),
    )
}

# Keys no Kubernetes component sets but a distribution did: a toleration for them is taken
# for a misspelling, with this said in the message (list the key under knownTaints if the
# cluster is one of these).
DISTRIBUTION_TAINTS: dict[str, str] = {
    RKE1_CONTROL_PLANE: "RKE1 (end of life since July 2025) sets it on control-plane nodes",
}

# The effect a control-plane taint keeps pods off with: a toleration without it does not let
# the pod onto such nodes.
CONTROL_PLANE_EFFECTS: dict[str, str] = {
    CONTROL_PLANE: NO_SCHEDULE,
    MASTER: NO_SCHEDULE,
    ETCD: NO_EXECUTE,
}
# The same for DISTRIBUTION_TAINTS, counted only where the policy lists them in knownTaints.
DISTRIBUTION_CONTROL_PLANE_EFFECTS: dict[str, str] = {
    RKE1_CONTROL_PLANE: NO_SCHEDULE,
}

# The node labels that mark control-plane nodes: kubeadm's LabelNodeRoleControlPlane
# (cmd/kubeadm/app/constants), its `master` before 1.24 (still set by k3s and RKE2), RKE1's
# `controlplane` and RKE's `etcd`. A pod that selects or prefers nodes by one of them is meant
# for the control plane (placement.chooses_control_plane).
CONTROL_PLANE_LABELS = frozenset({CONTROL_PLANE, MASTER, RKE1_CONTROL_PLANE, ETCD})

# Keys older clusters use for the control-plane taint -> the current key: listed beside a
# toleration of the current key with the same effect, an alias is deliberate (charts tolerate
# both to run on old and new clusters), not a misspelling.
CONTROL_PLANE_ALIASES: dict[str, str] = {
    MASTER: CONTROL_PLANE,
    RKE1_CONTROL_PLANE: CONTROL_PLANE,
}

# Keys nothing sets any more: a toleration for them matches no taint on a current cluster.
RETIRED_TAINTS: dict[str, str] = {
    "node.alpha.kubernetes.io/notReady": NOT_READY,
    "node.alpha.kubernetes.io/unreachable": UNREACHABLE,
    "node.kubernetes.io/out-of-disk": DISK_PRESSURE,  # the OutOfDisk condition is gone
}

PRESSURE_KEYS = frozenset(k for k, t in WELL_KNOWN_TAINTS.items() if t.category == PRESSURE)
UNAVAILABLE_KEYS = frozenset(k for k, t in WELL_KNOWN_TAINTS.items() if t.category == UNAVAILABLE)
LIFECYCLE_KEYS = (NOT_READY, UNREACHABLE)

# The NoExecute taints the node lifecycle controller puts on dead nodes (NotReadyTaintTemplate,
# UnreachableTaintTemplate): what a toleration must bound to let pods move elsewhere.
LIFECYCLE_NOEXECUTE_TAINTS: tuple[Mapping[str, str], ...] = tuple(
    {"key": key, "value": "", "effect": NO_EXECUTE} for key in LIFECYCLE_KEYS
)

# The out-of-service taint as Kubernetes documents it (`kubectl taint nodes <node>
# node.kubernetes.io/out-of-service=nodeshutdown:NoExecute`, KEP-2268): after a non-graceful
# shutdown, the taint manager evicts every pod that does not tolerate it, pod GC force-deletes
# the terminating pods of a NotReady node that has it (podgc `gcTerminating`), and the
# attach-detach controller detaches their volumes without the 6 min wait.
OUT_OF_SERVICE_NOEXECUTE_TAINT: Mapping[str, str] = {
    "key": OUT_OF_SERVICE,
    "value": "nodeshutdown",
    "effect": NO_EXECUTE,
}

# The NoExecute taints that move pods off a dead node: a toleration the taint manager uses for
# one of them must be bounded (noexecute-unbounded), and not by an hour or more
# (noexecute-seconds-too-high).
DEAD_NODE_NOEXECUTE_TAINTS: tuple[Mapping[str, str], ...] = (
    *LIFECYCLE_NOEXECUTE_TAINTS,
    OUT_OF_SERVICE_NOEXECUTE_TAINT,
)

# DefaultTolerationSeconds appends one of these for each key no toleration covers
# (`--default-not-ready-toleration-seconds`, `--default-unreachable-toleration-seconds`).
DEFAULT_TOLERATION_SECONDS = 300


def default_toleration(key: str, seconds: int = DEFAULT_TOLERATION_SECONDS) -> dict[str, Any]:
    return {"key": key, "operator": EXISTS, "effect": NO_EXECUTE, "tolerationSeconds": seconds}


DEFAULT_TOLERATIONS: tuple[dict[str, Any], ...] = tuple(
    default_toleration(key) for key in LIFECYCLE_KEYS
)

# AddOrUpdateDaemonPodTolerations: what the DaemonSet controller puts on every daemon pod
# (without tolerationSeconds: forever), plus network-unavailable for hostNetwork pods.
DAEMONSET_TOLERATIONS: tuple[dict[str, Any], ...] = (
    {"key": NOT_READY, "operator": EXISTS, "effect": NO_EXECUTE},
    {"key": UNREACHABLE, "operator": EXISTS, "effect": NO_EXECUTE},
    {"key": DISK_PRESSURE, "operator": EXISTS, "effect": NO_SCHEDULE},
    {"key": MEMORY_PRESSURE, "operator": EXISTS, "effect": NO_SCHEDULE},
    {"key": PID_PRESSURE, "operator": EXISTS, "effect": NO_SCHEDULE},
    {"key": UNSCHEDULABLE, "operator": EXISTS, "effect": NO_SCHEDULE},
)
DAEMONSET_HOST_NETWORK_TOLERATIONS: tuple[dict[str, Any], ...] = (
    {"key": NETWORK_UNAVAILABLE, "operator": EXISTS, "effect": NO_SCHEDULE},
)
# What the controller judges harmless for a pod on the host's network (it needs no pod
# network): toleration-node-unavailable lets any hostNetwork pod tolerate these.
HOST_NETWORK_KEYS = frozenset(t["key"] for t in DAEMONSET_HOST_NETWORK_TOLERATIONS)

# The taints a node carries until its pod network is up, each NoSchedule: not-ready (the
# kubelet reports Ready False while the runtime says NetworkReady false, nodestatus
# ReadyCondition reading runtimeState.networkErrors, and the node lifecycle controller taints
# by condition), network-unavailable (the NetworkUnavailable condition, until routes exist)
# and uninitialized (a kubelet with --cloud-provider=external, until the cloud controller
# initialises the node). Only a hostNetwork pod can start there (the kubelet's SyncPod refuses
# any other while networkErrors() is set: pkg/kubelet/kubelet.go), so these are what a pod
# that installs or runs the pod network must tolerate, by key: what Tigera's operator gives
# its host-networked Deployments (TolerateBootstrap, less control-plane and CriticalAddonsOnly)
# after its wildcards kept them on cordoned nodes (tigera/operator#4820, cilium/cilium#28549).
PRE_NETWORK_KEYS: tuple[str, ...] = (NOT_READY, NETWORK_UNAVAILABLE, CLOUD_UNINITIALIZED)
PRE_NETWORK_TOLERATIONS: tuple[dict[str, Any], ...] = tuple(
    {"key": key, "operator": EXISTS, "effect": NO_SCHEDULE} for key in PRE_NETWORK_KEYS
)
assert set(PRE_NETWORK_KEYS) >= HOST_NETWORK_KEYS  # the DaemonSet controller's is one of them
assert all(NO_SCHEDULE in (WELL_KNOWN_TAINTS[k].effects or ()) for k in PRE_NETWORK_KEYS)
