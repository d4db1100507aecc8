"""The DefaultTolerationSeconds admission plugin
(`plugin/pkg/admission/defaulttolerationseconds/admission.go`, on by default): a Pod gets
the 300 s `NoExecute` toleration of `node.kubernetes.io/not-ready` and of
`node.kubernetes.io/unreachable` when none of its tolerations covers the key."""

from __future__ import annotations

from collections.abc import Sequence

from ..eviction import covers_for_default_seconds
from ..taints import LIFECYCLE_KEYS, default_toleration
from ..tolerations import Toleration

DTS_SOURCE = "DefaultTolerationSeconds"


def default_tolerations(existing: Sequence[Toleration]) -> list[Toleration]:
    """The tolerations the plugin appends after `existing`, in its order."""
    added: list[Toleration] = []
    for key in LIFECYCLE_KEYS:
        if not any(covers_for_default_seconds(t, key) for t in [*existing, *added]):
            added.append(Toleration.of(default_toleration(key)))
    return added
