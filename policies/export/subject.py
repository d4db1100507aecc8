"""The object a rule's CEL reads: the request's `object`, or on UPDATE its `oldObject`.

An exported rule writes its check once, against a Subject; the policy evaluates it on both
and compares (`vap._variables`): on UPDATE only violations the change introduced deny, as
the webhook decides (`webhook.admission._introduced`). Each name is a CEL expression (most
are `variables.*`, defined once per policy in `shared_variables`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..k8s.controllers import DAEMONSET_CONTROLLERS
from ..k8s.podspec import POD_SPEC_PATHS, SERVED_DAEMONSET_VERSIONS
from .cel import literal, strings


@dataclass(frozen=True)
class Subject:
    obj: str  # `object` or `oldObject`
    prefix: str  # variables of this subject: `variables.<prefix>Spec`, ...

    def name(self, name: str) -> str:
        """The policy variable's own name: `spec` for the object, `oldSpec` for the old one."""
        return f"{self.prefix}{name[0].upper()}{name[1:]}" if self.prefix else name

    def var(self, name: str) -> str:
        """`variables.spec` for the object, `variables.oldSpec` for the old one."""
        return f"variables.{self.name(name)}"

    @property
    def spec(self) -> str:
        """The pod spec (Pod `spec`, a workload's `spec.template.spec`, a CronJob's
        `spec.jobTemplate.spec.template.spec`, a PodTemplate's `template.spec`)."""
        return self.var("spec")

    @property
    def containers(self) -> str:
        """Init containers (sidecars among them) then regular ones: every container whose
        resources count (ephemeral containers may not set resources)."""
        return self.var("containers")

    def label(self, c: str) -> str:
        """`init container a` or `container a` for container `c` of `containers`: a
        violation names the list it is in, so that moving a container between
        initContainers and containers is a change on UPDATE, as the webhook's finding key
        (its JSON Pointer) makes it. Names are unique across both lists (the API checks)."""
        return (
            f"({c}.name in {self.var('initNames')} ? 'init container ' : 'container ') + {c}.name"
        )

    @property
    def regular(self) -> str:
        return f"{self.spec}.containers"

    @property
    def init(self) -> str:
        return f"{self.spec}.?initContainers.orValue([])"

    @property
    def tolerations(self) -> str:
        return self.var("tolerations")

    @property
    def volumes(self) -> str:
        return f"{self.spec}.?volumes.orValue([])"

    @property
    def daemon(self) -> str:
        """A DaemonSet, or a Pod its DaemonSet controller made (`k8s.podspec.is_daemon` as
        admission reads it: an ownerReference is believed from that controller only)."""
        return self.var("daemon")

    @property
    def metadata(self) -> str:
        return f"{self.obj}.metadata"


OBJECT = Subject("object", "")
OLD_OBJECT = Subject("oldObject", "old")
SUBJECTS = (OBJECT, OLD_OBJECT)

# Where each kind keeps its pod spec, from the one table lint and the webhook use.
_KIND_PATHS = {kind: path for kind, (_, path) in POD_SPEC_PATHS.items()}
TEMPLATE_KINDS = tuple(kind for kind in POD_SPEC_PATHS if kind != "Pod")


def _by_kind(obj: str, path_of: Callable[[tuple[str, ...]], str]) -> str:
    """An expression choosing, by `obj.kind`, the CEL `path_of(pod spec path)` gives; the
    kinds sharing `spec.template.spec` are the last branch."""
    common = _KIND_PATHS["Deployment"]
    expression = path_of(common)
    for kind, path in reversed(_KIND_PATHS.items()):
        if path != common:
            expression = f"{obj}.kind == {literal(kind)} ? {path_of(path)} : {expression}"
    return expression


def pod_spec(obj: str) -> str:
    """The pod spec; `{}` where a template has none (the API server refuses such an object,
    but an expression must not fail on it)."""
    return _by_kind(obj, lambda path: f"{obj}.?{'.?'.join(path)}.orValue({{}})")


def pod_spec_path(obj: str) -> str:
    """The JSON Pointer of the pod spec (`/spec/template/spec`), for JSON Patch paths."""
    return _by_kind(obj, lambda path: literal("/" + "/".join(path)))


def template_metadata(obj: str) -> str:
    """The metadata Pods made from `obj` get (a Pod's own; `{}` where a template has none):
    the `evictguard.io/exempt` annotation counts there too (`engine.exemptions`)."""
    return _by_kind(obj, lambda path: f"{obj}.?{'.?'.join((*path[:-1], 'metadata'))}.orValue({{}})")


def shared_variables(subject: Subject) -> list[tuple[str, str]]:
    """(name, expression) of the variables every exported pod rule reads, for `subject`.
    VAP variables are evaluated lazily, so an unused one costs nothing."""
    obj = subject.obj
    daemon = (
        f"{obj}.kind == 'DaemonSet' || ({obj}.kind == 'Pod'"
        f" && request.userInfo.?username.orValue('') in {strings(sorted(DAEMONSET_CONTROLLERS))}"
        f" && {obj}.metadata.?ownerReferences.orValue([]).exists(o,"
        f" o.?controller.orValue(false) == true && o.kind == 'DaemonSet'"
        f" && o.apiVersion in {strings(sorted(SERVED_DAEMONSET_VERSIONS))}))"
    )
    return [
        (subject.name("spec"), pod_spec(obj)),
        (
            subject.name("containers"),
            f"{subject.init} + {subject.spec}.?containers.orValue([])",
        ),
        (subject.name("daemon"), daemon),
        (subject.name("initNames"), f"{subject.init}.map(c, c.name)"),
        (
            subject.name("tolerations"),
            f"{subject.spec}.?tolerations.orValue([])",
        ),
    ]
