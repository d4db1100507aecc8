"""ephemeral-storage-limit-missing in CEL: where no container (regular, init or sidecar)
sets an ephemeral-storage limit, each regular container is reported (the kubelet checks
per-container limits on regular containers only). A critical pod changes only the advice."""

from __future__ import annotations

from ..subject import Subject
from ..volumes import has_ephemeral_limit, regular
from .base import CelRule, ExportContext


def findings(subject: Subject, ctx: ExportContext) -> str:
    return (
        f"{has_ephemeral_limit(subject)} ? [] : {regular(subject)}.map(c,"
        " 'container ' + c.name + ' has no ephemeral-storage limit, nor does any container')"
    )


RULE = CelRule("ephemeral-storage-limit-missing", findings)
