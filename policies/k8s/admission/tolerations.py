"""A pod's toleration list through DefaultTolerationSeconds and then
PodTolerationRestriction's merge, each entry tracked to where it came from (the file's
index, or the step that added it). A DaemonSet's template first gets the DaemonSet
controller's tolerations (`pkg/controller/daemon/util/daemonset_util.go
AddOrUpdateDaemonPodTolerations`), which it applies before it creates the Pod."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..eviction import add_or_update, daemonset_tolerations
from ..podspec import PodSpecView
from ..tolerations import Toleration
from .defaulttolerationseconds import DTS_SOURCE, default_tolerations
from .podtolerationrestriction import merge_kept

DAEMONSET_SOURCE = "the DaemonSet controller"


@dataclass
class Entry:
    data: Mapping[str, Any]
    toleration: Toleration
    original: int | None  # index in the written list; None: added by admission
    source: str | None  # None: as written


def admit_tolerations(
    pod: PodSpecView, added: Sequence[tuple[dict[str, Any], Toleration, str]]
) -> list[Entry]:
    """The pod's decodable tolerations, the DaemonSet controller's and
    DefaultTolerationSeconds' after them, merged with `added` (PodTolerationRestriction's)."""
    entries = [
        Entry(view.data, view.toleration, view.index, None)
        for view in pod.tolerations
        if view.toleration is not None
    ]
    if pod.daemon and not pod.is_pod:  # the DaemonSet controller, before the Pod exists
        for toleration in daemonset_tolerations(pod):
            entries = _add_or_update(entries, toleration)
    for toleration in default_tolerations([e.toleration for e in entries]):
        entries.append(Entry(toleration.as_dict(), toleration, None, DTS_SOURCE))
    every = [*entries, *(Entry(data, t, None, source) for data, t, source in added)]
    return [every[i] for i in merge_kept([e.toleration for e in every])]


def _add_or_update(entries: list[Entry], added: Toleration) -> list[Entry]:
    return add_or_update(
        entries,
        added,
        lambda entry: entry.toleration,
        lambda entry: Entry(
            added.as_dict(), added, entry.original if entry else None, DAEMONSET_SOURCE
        ),
    )
