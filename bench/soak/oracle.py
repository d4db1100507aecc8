"""What each answer should be: the server's own logic in-process, under the policy in force."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evictguard.policy.load import load_policy_file
from evictguard.policy.model import Policy
from evictguard.webhook import admission

from .. import admission_corpus
from .records import Request

# A worker looks at the policy file once a second (policy_store.CHECK_INTERVAL): for this long
# after a change an answer may follow either policy.
TRANSITION = 2.5
# loadgen.check's reasons (and a malformed HTTP answer): the server answered, wrongly.
WRONG = (
    "HTTP ",
    "response not JSON",
    "not an AdmissionReview",
    "wrong apiVersion",
    "uid mismatch",
    "allowed not a boolean",
    "bad HTTP",
)


class Oracle:
    """The AdmissionReview each body should get, per endpoint and policy, from
    `webhook.admission` in-process (the server's own logic, without gunicorn, TLS or reloads)."""

    def __init__(self, bodies: Sequence[admission_corpus.ReviewBody], policies: dict[str, Path]):
        self.bodies = list(bodies)
        self.policies: dict[str, Policy] = {
            n: load_policy_file(str(p)) for n, p in policies.items()
        }
        self._cache: dict[tuple[str, int, str], dict[str, Any]] = {}

    def expected(self, path: str, body: int, policy: str) -> dict[str, Any]:
        key = (path, body, policy)
        if key not in self._cache:
            data = json.loads(self.bodies[body].render(admission_corpus.UID_PLACEHOLDER))
            review = admission.parse_review(data)
            decide = admission.validate if path == "/validate" else admission.mutate
            answer = admission.respond(review, decide(review, self.policies[policy]))
            self._cache[key] = json.loads(json.dumps(answer))
        return self._cache[key]

    def differs(self, path: str, body: int, a: str, b: str) -> bool:
        return self.expected(path, body, a) != self.expected(path, body, b)

    def judge(self, request: Request, acceptable: Sequence[str]) -> None:
        """Set the request's verdict: failed (no answer), wrong, or correct (and under which
        of the acceptable policies)."""
        if request.error is not None:
            wrong = request.error.startswith(WRONG)
            request.verdict, request.why = ("wrong" if wrong else "failed"), request.error
            return
        try:
            got = json.loads(request.payload or b"")
        except ValueError:
            request.verdict, request.why = "wrong", "response not JSON"
            return
        matched = []
        for name in acceptable:
            want = self.expected(request.path, request.body, name)
            want = {**want, "response": {**want["response"], "uid": request.uid}}
            if got == want:
                matched.append(name)
        if matched:
            request.verdict, request.matched = "correct", "+".join(matched)
            return
        want = self.expected(request.path, request.body, acceptable[-1])["response"]
        fields = sorted(
            k
            for k in set(want) | set(got.get("response") or {})
            if k != "uid" and want.get(k) != (got.get("response") or {}).get(k)
        )
        request.verdict = "wrong"
        request.why = f"differs from policy {'/'.join(acceptable)} in {', '.join(fields) or '?'}"


@dataclass
class PolicyTimeline:
    """Which policy file was in place when; a request may follow any policy in place within
    TRANSITION seconds before it was sent, up to its answer."""

    first: str
    changes: list[tuple[float, str]] = field(default_factory=list)  # (time written, policy)

    def at(self, moment: float) -> str:
        current = self.first
        for when, name in self.changes:
            if when <= moment:
                current = name
        return current

    def acceptable(self, sent: float, done: float) -> list[str]:
        names = [self.at(sent - TRANSITION)]
        for when, name in self.changes:
            if sent - TRANSITION < when <= done and name not in names:
                names.append(name)
        return names
