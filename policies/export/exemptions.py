"""The policy's exemptions in CEL: whether an object (or, on UPDATE, the old one) is exempt
from a rule (`engine.exemptions`). The exported policies skip exempt objects with
`matchConditions`; a rule that defers to another asks whether the object is exempt from it.
"""

from __future__ import annotations

from ..engine.exemptions import ANNOTATION_ALL, EXEMPT_ANNOTATION
from ..policy.model import Exemption, Policy
from .cel import all_of, any_of, literal, matches_any, strings
from .subject import Subject, template_metadata


def annotation_exempt(rule_id: str, obj: str, template: bool = True) -> str:
    """The `evictguard.io/exempt` annotation on the object or (`template`: for pod specs; a
    budget has none, the engine reads its own) its pod template lists the rule (or `*`,
    `all`): comma-separated, spaces trimmed (`engine.exemptions`)."""
    names = strings([*ANNOTATION_ALL, rule_id])
    where = [f"{obj}.metadata", *([template_metadata(obj)] if template else [])]
    return (
        f"[{', '.join(where)}].exists(m,"
        f" m.?annotations[{literal(EXEMPT_ANNOTATION)}].orValue('').split(',')"
        f".exists(p, p.trim() in {names}))"
    )


def applies(exemption: Exemption, subject: Subject) -> str:
    """`engine.exemptions._exemption_applies`: namespace, name and kind globs (the object's
    own: a Pod made with generateName has no name to match) and annotation globs."""
    meta = subject.metadata
    parts = []
    if exemption.namespaces is not None:
        parts.append("request.?namespace.orValue('') != ''")
        parts.append(matches_any("request.?namespace.orValue('')", exemption.namespaces))
    if exemption.names is not None:
        parts.append(f"{meta}.?name.orValue('') != ''")
        parts.append(matches_any(f"{meta}.?name.orValue('')", exemption.names))
    if exemption.kinds is not None:
        parts.append(matches_any(f"{subject.obj}.kind", exemption.kinds))
    for key, glob in exemption.annotations or ():
        value = f"{meta}.?annotations[{literal(key)}]"
        parts.append(f"{value}.hasValue()")
        parts.append(matches_any(f"{value}.value()", [glob]))
    return all_of(parts)


def exempt(rule_id: str, policy: Policy, subject: Subject, template: bool = True) -> str:
    """Whether `subject` is exempt from the rule by the policy's exemptions or its
    annotation (`engine.exemptions.exempted_rules`)."""
    parts = [
        applies(e, subject) for e in policy.exemptions if e.rules is None or rule_id in e.rules
    ]
    if policy.annotation_exemptions:
        parts.append(annotation_exempt(rule_id, subject.obj, template))
    return any_of(parts)
