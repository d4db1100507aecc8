"""emptydir-size-limit-missing in CEL: each emptyDir on the node's disk (medium unset) has
a sizeLimit above 0, unless some container sets an ephemeral-storage limit (the pod's
total then bounds its emptyDirs). A critical pod changes only the advice, not the verdict."""

from __future__ import annotations

from ..subject import Subject
from ..volumes import empty_dirs, has_ephemeral_limit, size_state
from .base import CelRule, ExportContext


def findings(subject: Subject, ctx: ExportContext) -> str:
    return (
        f"{has_ephemeral_limit(subject)} ? [] : {empty_dirs(subject, '')}"
        f".map(v, 'emptyDir volume \"' + v.name + '\" has ' + {size_state('v')}"
        " + ' and no container sets an ephemeral-storage limit')"
    )


RULE = CelRule("emptydir-size-limit-missing", findings)
