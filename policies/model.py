"""The engine's vocabulary: what rules report, what the linter and the webhook consume.

Kept free of YAML, Flask and argparse so every door into the engine shares it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

JsonPatch = list[dict[str, Any]]


class Mode(str, enum.Enum):
    """How the policy treats a rule, as Pod Security Admission does (enforce/warn/audit)."""

    ENFORCE = "enforce"
    WARN = "warn"
    AUDIT = "audit"
    OFF = "off"


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


class Applicability(str, enum.Enum):
    """Whether a fix may be applied unattended, as ruff labels its fixes.

    SAFE: the value comes from Kubernetes itself and keeps what the manifest means (300 s,
    DefaultTolerationSeconds' bound for a toleration that has none); `evictguard fix` and
    the `evictguard-fix` hook apply it. UNSAFE: the value is a guess (the policy's default
    sizes) or changes how the workload runs (a limit copied from the request caps memory the
    container may use today); applied only with `fix --unsafe-fixes`. The mutating webhook
    applies what its policy lets it mutate, whichever it is."""

    SAFE = "safe"
    UNSAFE = "unsafe"


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}

SEVERITY_OF_MODE = {
    Mode.ENFORCE: Severity.ERROR,
    Mode.WARN: Severity.WARNING,
    Mode.AUDIT: Severity.INFO,
}


@dataclass(frozen=True)
class Cover:
    """What a finding says, and its fix, when it stands for one it supersedes too
    (`Rule.supersedes`): memory-limit-missing's words and fix for a container that has no
    request either. The engine puts it in place only when it leaves that finding out."""

    message: str
    fix: JsonPatch | None


@dataclass(frozen=True)
class Violation:
    """What a rule says about one object; the engine stamps rule id and severity on it.

    `pointer` is an RFC 6901 pointer into the object (for a missing field: where it
    belongs); `fix` is a list of RFC 6902 operations against the object as it was checked,
    or None; `applicability` says whether it is safe to apply unattended (a fix is unsafe
    unless its rule says otherwise, per violation). To apply several, see `remedy`.
    """

    pointer: str
    message: str
    container: str | None = None
    fix: JsonPatch | None = None
    applicability: Applicability = Applicability.UNSAFE
    # Values the verdict rests on besides the one at `pointer` (the limit a request
    # exceeds): on UPDATE a finding is pre-existing only if all of them are unchanged.
    evidence: tuple[Any, ...] = ()
    # The pointer of the container the finding is about (`ContainerView.pointer`): which
    # findings are on one container, where names repeat (a bad spec) or a container's
    # values live in two places (prometheus-operator's `spec.resources`).
    container_at: str | None = None
    cover: Cover | None = None
    # A case another rule owns: the engine drops this violation where that rule judges the
    # object (on, selected, not exempted), so switching it off never silences the case.
    deferred_to: str | None = None
    # (rule id, text): the text ends the message where the policy turns that rule on.
    notes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ObjectRef:
    api_version: str
    kind: str
    namespace: str | None
    name: str | None  # metadata.name; None when the manifest leaves it to generateName
    generate_name: str | None = None
    # metadata.uid, set on objects read back from a cluster (`kubectl get -o yaml`); only
    # reports that reference live objects (OpenReports) use it, so it takes no part in equality.
    uid: str | None = field(default=None, compare=False)

    def describe(self) -> str:
        name = self.name or (f"{self.generate_name}*" if self.generate_name else "<unnamed>")
        if self.namespace:
            return f"{self.kind} {self.namespace}/{name}"
        return f"{self.kind} {name}"


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    ref: ObjectRef
    pointer: str
    message: str
    container: str | None = None
    fix: JsonPatch | None = None
    evidence: tuple[Any, ...] = ()  # see Violation
    file: str | None = None
    line: int | None = None
    column: int | None = None
    # The chart template the object was rendered from: the `# Source:` comment `helm
    # template` writes before each document (`shop/templates/deployment.yaml`).
    template: str | None = None
    applicability: Applicability = Applicability.UNSAFE  # of `fix` (see Violation)
    container_at: str | None = None  # see Violation
    cover: Cover | None = None  # see Violation

    @property
    def fix_applicability(self) -> Applicability | None:
        """`applicability` when the finding offers a fix, else None."""
        return self.applicability if self.fix is not None else None


class ErrorCode(str, enum.Enum):
    """The kind of an input error, as data (the JSON report's `errors[].code`): callers
    decide on it (skip what is no Kubernetes object, ...), never on the message's words."""

    NOT_FOUND = "not-found"  # no such file or folder, a broken symbolic link
    NO_MANIFESTS = "no-manifests"  # a folder holding no .yaml, .yml or .json file
    UNREADABLE = "unreadable"  # no regular file, a symbolic link loop, the OS refused
    ENCODING = "encoding"  # not UTF-8 or UTF-16 text
    INVALID_YAML = "invalid-yaml"  # syntax, a forbidden character or tag, a value unfit for its tag
    TOO_DEEP = "too-deep"  # collections nested past the parser's bound
    EXCESSIVE_ALIASING = "excessive-aliasing"  # an alias bomb, an anchor aliasing itself
    NOT_AN_OBJECT = "not-an-object"  # a document that is no mapping with apiVersion and kind
    INVALID_LIST = "invalid-list"  # a List's items, or one of them, not an object
    INVALID_OBJECT = "invalid-object"  # a field the API server would reject
    INVALID_CONTEXT = "invalid-context"  # a LimitRange or Namespace the API server would refuse
    CANNOT_FIX = "cannot-fix"  # `fix` could not edit the file safely
    INTERNAL = "internal-error"  # a bug of ours, said for the object it met
    NOT_RENDERED = "not-rendered"  # a notice: a Helm chart or template, not YAML until rendered


@dataclass(frozen=True)
class InputError:
    """A file or document that could not be linted; the rest of the run goes on."""

    file: str
    line: int | None
    message: str
    column: int | None = None
    code: ErrorCode = field(kw_only=True)


@dataclass(frozen=True)
class Notice(InputError):
    """Input not linted for a reason that is no error (a Helm chart: not YAML until
    rendered), with how to lint it; it does not fail a run by itself."""

    code: ErrorCode = field(default=ErrorCode.NOT_RENDERED, kw_only=True)


# Why an object holding pods was not checked (the JSON report's `notChecked[].reason`).
KIND_NOT_KNOWN = "kind not known"
NAMESPACE_IGNORED = "namespace left out of admission"
# A file kustomizations use as a patch, whose roots all failed to build: its patch was never
# applied, and a patch is no whole object to lint (lint/kustomize.py).
KUSTOMIZE_PATCH_NOT_BUILT = "kustomize patch not built"


@dataclass(frozen=True)
class NotChecked:
    """An object holding pods (a pod template or a container list, or the resources or
    tolerations an operator builds pods from) that no rule judged:
    of a kind no table knows, in a namespace admission leaves out (the policy's
    `admission.ignoredNamespaces`), or in a kustomize patch file whose kustomizations
    failed to build. Neither an error nor a finding, but said."""

    api_version: str
    kind: str
    namespace: str | None
    name: str | None
    file: str
    line: int | None
    pointer: str  # where its pod spec or containers are; for a namespace, /metadata/namespace
    reason: str = KIND_NOT_KNOWN
    # For a kind not known (also in a patch not built), what it was seen to hold
    # (k8s.podspec.SEEN_*): containers, or the container resources or tolerations an operator
    # makes pods from.
    seen: str | None = None


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notices: list[InputError] = field(default_factory=list)
    files: int = 0
    documents: int = 0
    objects: int = 0
    not_checked: list[NotChecked] = field(default_factory=list)
    # What each object tells the rules that compare objects (`lint.across`): gathered where
    # files are parsed, judged once over the whole input, then emptied.
    facts: list[Any] = field(default_factory=list)
