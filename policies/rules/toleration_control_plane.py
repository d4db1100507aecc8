"""toleration-control-plane: workloads let onto control-plane nodes they did not choose.

A pod whose nodeSelector or node affinity selects or prefers control-plane nodes (by their
role labels) needs the toleration to get there: that is the opt-in, not an accident."""

from __future__ import annotations

from collections.abc import Iterator

from ..k8s.eviction import written_tolerations
from ..k8s.placement import chooses_control_plane
from ..k8s.taints import CONTROL_PLANE_EFFECTS, DISTRIBUTION_CONTROL_PLANE_EFFECTS, EQUAL, EXISTS
from ..model import Mode, Violation
from .base import Consequence, Context, Rule


def check(ctx: Context) -> Iterator[Violation]:
    if ctx.pod.daemon or ctx.in_system_namespace or chooses_control_plane(ctx.pod):
        return
    # RKE1's control-plane key is a misspelling to Kubernetes, a control-plane taint where the
    # policy lists it among the cluster's own taints.
    listed = {k["key"] for k in ctx.cluster.known_taints}
    known = {k: e for k, e in DISTRIBUTION_CONTROL_PLANE_EFFECTS.items() if k in listed}
    for view, t in written_tolerations(ctx.pod, ctx.comparison):
        # Any value may match: kubeadm's taint has none, other distributions set "true". The
        # effect must be the one that keeps pods off (PreferNoSchedule alone lets none on).
        effect = CONTROL_PLANE_EFFECTS.get(t.key) or known.get(t.key)
        if effect is None or t.effect not in ("", effect) or t.operator not in ("", EQUAL, EXISTS):
            continue
        yield Violation(
            pointer=view.field_pointer("key"),
            message=f"{ctx.ref.describe()}: {view.describe()} lets the pod run on "
            f"control-plane nodes ({t.key}) outside the system namespaces "
            f"({', '.join(ctx.cluster.system_namespaces)}); remove it",
        )


RULE = Rule(
    id="toleration-control-plane",
    summary="No toleration of node-role.kubernetes.io/control-plane (or /master, or RKE's "
    "/etcd) outside DaemonSets, the system namespaces and pods whose nodeSelector or node "
    "affinity chooses control-plane nodes.",
    why="Control-plane nodes are tainted NoSchedule so that etcd, the API server and the "
    "controllers keep their memory and CPU. A workload tolerating the taint can be "
    "scheduled there, and a memory-hungry one puts the node under memory pressure: the "
    "kubelet starts evicting pods and the whole cluster's control plane suffers.",
    remediation="Remove the toleration; if the workload belongs on control-plane nodes, "
    "say so with a nodeSelector or node affinity on their role label, or run it in a "
    "system namespace if it is part of the cluster itself.",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: app
          image: nginx
      tolerations:
        - key: node-role.kubernetes.io/control-plane
          operator: Exists
          effect: NoSchedule
""",
    check=check,
    consequence=Consequence.SCHEDULING,
    default_mode=Mode.WARN,
)
