"""Hostile and malformed requests to the admission webhook (issue 7), one table row per case.

The real server (`evictguard serve`: gunicorn, two workers, TLS) on loopback. Each row is
POSTed to /validate and /mutate and must get a well-formed answer: an AdmissionReview with
the request's uid and a boolean `allowed` (checked as the API server checks it), or a JSON
error with 400 or 413 -- never a 500, a hang or a dead worker (the same worker processes
before and after, /healthz still 200). A malformed request leaves a JSON log line saying
what was wrong; a request that is answered leaves its `review` line.

The property tests at the end POST random JSON, and random mutations of a valid
AdmissionReview, over one keep-alive connection.
"""

from __future__ import annotations

import copy
import http.client
import json
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from evictguard.certs.generate import generate
from evictguard.engine.registry import RULES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_webhook_server import pod
from tests.webhook_client import (
    Answer,
    Server,
    admission_review,
    apply_patch,
    running_server,
    verify,
    worker_pids,
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

SANS = ("localhost", "127.0.0.1")
CAP = 4 * 1024 * 1024  # the server's default body cap
ENDPOINTS = ("/validate", "/mutate")


@dataclass
class Running:
    server: Server
    pids: list[int]  # the workers at the start: the same ones must be there after each case


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    base = tmp_path_factory.mktemp("hostile-webhook")
    generate(base / "tls", "evictguard", "evictguard", extra_sans=SANS)
    with running_server(base / "tls", base / "server.log", workers=2) as server:
        deadline = time.monotonic() + 30
        while len(worker_pids(server)) != 2:  # /readyz answers once the first worker is up
            assert time.monotonic() < deadline, "two workers did not start"
            time.sleep(0.05)
        yield Running(server, worker_pids(server))


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def rules_in(text: str) -> set[str]:
    return {r for r in re.findall(r"\[([a-z0-9-]+)\]", text) if r in RULES}


@dataclass(frozen=True)
class Hostile:
    """`review` is what is sent (as JSON, then through `raw`, which may break it) and what
    a 200 is verified against. `status` per endpoint; for a 200 on /validate, `allowed` and
    the rule ids of the denial; for a 4xx, a fragment of the JSON error and of the log
    line's `error`. `log_bug`: why no log line is written yet (a strict xfail)."""

    review: Any  # usually an AdmissionReview; None for no JSON at all
    status: int | tuple[int, int]  # one for both endpoints, or (validate, mutate)
    error: str | None = None
    log: str | None = None
    allowed: bool = True
    rules: frozenset[str] = frozenset()
    raw: Callable[[bytes], bytes] = lambda body: body
    content_type: str | None = "application/json"
    log_bug: str | None = None
    # Big enough to pass the evaluation budget (2 s) on a slow machine: then answered as
    # onInternalError says (allowed, with a warning), which is as well-formed.
    may_time_out: bool = False

    def body(self) -> bytes:
        return self.raw(json.dumps(self.review).encode() if self.review is not None else b"")

    def status_of(self, path: str) -> int:
        if isinstance(self.status, int):
            return self.status
        return self.status[ENDPOINTS.index(path)]


def review_with(**request: Any) -> dict[str, Any]:
    review = admission_review(pod(), namespace="shop")
    review["request"].update(request)
    return review


def without(key: str) -> dict[str, Any]:
    review = admission_review(pod(), namespace="shop")
    del review["request"][key]
    return review


def replace(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def change(body: bytes) -> bytes:
        assert old in body, old
        return body.replace(old, new, 1)

    return change


DENIED_TYPES = frozenset({"memory-quantity-invalid", "toleration-invalid"})

WRONG_TYPES = pod(
    containers=[
        {"name": "a", "image": "x", "resources": []},  # resources a list
        {"name": 7, "image": "x", "resources": {"limits": {"memory": True}}},  # a bool
        None,
        "sidecar",
    ],
    tolerations=[
        {
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": "300",  # a string
        },
        5,
    ],
)
UNICODE_NAMES = pod(
    "pod-\u202eevil",  # a right-to-left override
    containers=[{"name": "🐳-\u05e9\u05dc\u05d5\u05dd\x00nul\u200b", "image": "x"}],
)
BIG_NUMBER = pod(containers=[{"name": "a", "image": "x", "resources": {"limits": {"memory": 1}}}])

CASES = {
    # --- not JSON, or not an object -----------------------------------------------------------
    "empty-body": Hostile(None, 400, "not an AdmissionReview", "empty document"),
    "not-json": Hostile(
        None, 400, "not an AdmissionReview", "line 1 column 1", raw=lambda _: b"hi"
    ),
    "json-array": Hostile([], 400, "the body must be an object", "the body must be an object"),
    "json-string": Hostile("x", 400, "the body must be an object", "the body must be an object"),
    "trailing-garbage": Hostile(
        review_with(),
        400,
        "not an AdmissionReview",
        "unexpected content after document",
        raw=lambda body: body + b" }",
    ),
    "utf8-bom": Hostile(
        review_with(), 400, "byte order mark", "byte order mark", raw=lambda b: b"\xef\xbb\xbf" + b
    ),
    "invalid-utf8": Hostile(
        review_with(),
        400,
        "not valid UTF-8",
        "not valid UTF-8",
        raw=replace(b'"alice"', b'"al\xffce"'),
    ),
    # --- nesting and size ---------------------------------------------------------------------
    "deep-body-5000": Hostile(
        None, 400, "JSON nested too deeply", "too deep", raw=lambda _: nested(5_000)
    ),
    "deep-body-100000": Hostile(
        None, 400, "JSON nested too deeply", "too deep", raw=lambda _: nested(100_000)
    ),
    "deep-object-5000": Hostile(
        admission_review(pod(x="DEEP")),
        400,
        "JSON nested too deeply",
        "too deep",
        raw=replace(b'"DEEP"', nested(5_000)),
    ),
    "deep-object-100000": Hostile(
        admission_review(pod(x="DEEP")),
        400,
        "JSON nested too deeply",
        "too deep",
        raw=replace(b'"DEEP"', nested(100_000)),
    ),
    # Under orjson's 1,024 levels: /validate never walks an unknown field; /mutate copies the
    # object and runs out of recursion (answered 400, and the API server's failurePolicy
    # decides). The API server drops unknown fields of built-in kinds before calling.
    "deep-object-1000": Hostile(
        admission_review(pod(x="DEEP")),
        (200, 400),
        "request.object nested too deeply",
        "too deep",
        raw=replace(b'"DEEP"', nested(1_000)),
    ),
    "body-over-the-cap": Hostile(
        None,
        413,
        f"request body larger than {CAP} bytes",
        "larger than",
        raw=lambda _: b" " * (CAP + 1),
    ),
    # Exactly at the cap: a review padded with spaces to 4 MiB is read and answered.
    "body-at-the-cap": Hostile(
        admission_review(pod()),
        200,
        raw=lambda body: body + b" " * (CAP - len(body)),
    ),
    # --- headers ------------------------------------------------------------------------------
    # The API server always sends application/json; the body is what is parsed, whatever the
    # header says (no 415 that a proxy's rewriting would turn into failed admissions).
    "content-type-text-plain": Hostile(review_with(), 200, content_type="text/plain"),
    "content-type-missing": Hostile(review_with(), 200, content_type=None),
    "content-type-form": Hostile(
        review_with(), 200, content_type="application/x-www-form-urlencoded"
    ),
    # --- not an AdmissionReview ---------------------------------------------------------------
    "missing-request": Hostile(
        {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"},
        400,
        "request must be an object",
        "request must be an object",
    ),
    "missing-uid": Hostile(
        without("uid"), 400, "request.uid must be a non-empty string", "request.uid must be"
    ),
    "uid-a-number": Hostile(
        review_with(uid=42), 400, "request.uid must be a non-empty string", "request.uid must be"
    ),
    "unknown-api-version": Hostile(
        {**review_with(), "apiVersion": "admission.k8s.io/v2"},
        400,
        'not "admission.k8s.io/v2"',
        "apiVersion must be one of",
    ),
    "wrong-kind": Hostile(
        {**review_with(), "kind": "Pod"}, 400, "kind must be AdmissionReview", "kind must be"
    ),
    "request-kind-a-string": Hostile(
        review_with(kind="Pod"), 400, "request.kind must be an object", "request.kind must be"
    ),
    "object-null": Hostile(
        review_with(object=None),
        400,
        "request.object is required for CREATE",
        "request.object is required",
    ),
    "object-a-list": Hostile(
        review_with(object=[pod()]),
        400,
        "request.object must be an object",
        "request.object must be an object",
    ),
    "unknown-operation": Hostile(review_with(operation="EXPLODE"), 200),
    # --- objects of the wrong shape (the API server decodes into a typed Pod first, so it
    # never sends these; the webhook answers them anyway) ------------------------------------
    "containers-a-string-tolerations-a-mapping": Hostile(
        admission_review(pod(containers="nginx", tolerations={"key": "a"})), 200
    ),
    "fields-of-the-wrong-type": Hostile(
        admission_review(WRONG_TYPES), 200, allowed=False, rules=DENIED_TYPES
    ),
    "metadata-a-string-spec-a-list": Hostile(
        review_with(object={"apiVersion": "v1", "kind": "Pod", "metadata": "x", "spec": []}),
        200,
    ),
    "identity-of-the-wrong-type": Hostile(
        review_with(object={"apiVersion": 1, "kind": ["Pod"], "metadata": None, "spec": None}),
        200,
    ),
    # --- big and strange values ---------------------------------------------------------------
    "1MB-container-name": Hostile(
        admission_review(pod(containers=[{"name": "x" * 1_000_000, "image": "x"}])),
        200,
        allowed=False,
        rules=frozenset({"memory-limit-missing"}),
    ),
    "1MB-namespace": Hostile(admission_review(pod(), namespace="n" * 1_000_000), 200),
    # 10,000 small containers: ~300 KB, well under the cap.
    "10000-containers": Hostile(
        admission_review(pod(containers=[{"name": f"c{i}"} for i in range(10_000)])),
        200,
        allowed=False,
        rules=frozenset({"memory-limit-missing"}),
        may_time_out=True,
    ),
    "unicode-names": Hostile(
        admission_review(UNICODE_NAMES),
        200,
        allowed=False,
        rules=frozenset({"memory-limit-missing"}),
    ),
    # Lone surrogates: orjson refuses them (Go's decoder would substitute U+FFFD; the API
    # server re-encodes objects, so it never sends one).
    "lone-surrogate": Hostile(
        review_with(),
        400,
        "surrogate",
        "surrogate",
        raw=replace(b'"name": "web"', b'"name": "\\ud800"'),
    ),
    "swapped-surrogates": Hostile(
        review_with(),
        400,
        "surrogate",
        "surrogate",
        raw=replace(b'"name": "web"', b'"name": "\\udfff\\ud800"'),
    ),
    # Duplicate keys: the last wins, as in Go's encoding/json.
    "duplicate-api-version": Hostile(
        review_with(),
        400,
        'not "admission.k8s.io/v2"',
        "apiVersion must be one of",
        raw=lambda body: body[:-1] + b', "apiVersion": "admission.k8s.io/v2"}',
    ),
    "duplicate-uid": Hostile(
        review_with(), 200, raw=replace(b'"uid": ', b'"uid": "first", "uid": ')
    ),
    "nan": Hostile(
        admission_review(BIG_NUMBER),
        400,
        "not an AdmissionReview",
        "unexpected character",
        raw=replace(b'"memory": 1', b'"memory": NaN'),
    ),
    "infinity": Hostile(
        admission_review(BIG_NUMBER),
        400,
        "not an AdmissionReview",
        "no digit after sign",
        raw=replace(b'"memory": 1', b'"memory": -Infinity'),
    ),
    "number-beyond-float": Hostile(
        admission_review(BIG_NUMBER),
        400,
        "number is infinity",
        "number is infinity",
        raw=replace(b'"memory": 1', b'"memory": 1e400'),
    ),
    # 10**30 bytes: a quantity the API server accepts, but resource.Quantity.Value()
    # overflows int64 on it (the kubelet would set no limit): denied, not an error.
    "integer-beyond-64-bits": Hostile(
        admission_review(BIG_NUMBER),
        200,
        allowed=False,
        rules=frozenset({"memory-quantity-invalid"}),
        raw=replace(b'"memory": 1', b'"memory": 1' + b"0" * 30),
    ),
    "toleration-seconds-beyond-64-bits": Hostile(
        admission_review(
            pod(
                tolerations=[
                    {
                        "key": "node.kubernetes.io/unreachable",
                        "operator": "Exists",
                        "effect": "NoExecute",
                        "tolerationSeconds": 10**40,
                    }
                ]
            )
        ),
        200,
        allowed=False,
        rules=frozenset({"toleration-invalid"}),
    ),
    # --- UPDATE with a malformed oldObject -----------------------------------------------------
    "update-old-object-of-wrong-types": Hostile(
        admission_review(
            pod(),
            operation="UPDATE",
            old={"apiVersion": "v1", "kind": "Pod", "spec": {"containers": "x", "tolerations": {}}},
        ),
        200,
    ),
    "update-old-object-a-string": Hostile(
        review_with(operation="UPDATE", oldObject="x"),
        400,
        "request.oldObject must be an object",
        "request.oldObject must be an object",
    ),
    "update-old-object-nested-deep": Hostile(
        admission_review(pod(), operation="UPDATE", old=pod(x="DEEP")),
        400,
        "JSON nested too deeply",
        "too deep",
        raw=replace(b'"DEEP"', nested(5_000)),
    ),
}


def send(server: Server, path: str, case: Hostile, conn: http.client.HTTPSConnection) -> Answer:
    headers = {"Content-Type": case.content_type} if case.content_type else {}
    return server.request("POST", f"{path}?timeout=10s", case.body(), headers, conn)


def new_log_lines(server: Server, before: int) -> list[dict[str, Any]]:
    return server.log_lines()[before:]


TIMED_OUT = "took longer than its time budget"


def failures(lines: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(evaluations stopped by the time budget, every other error line: a bug, a crash)."""
    errors = [line for line in lines if line.get("level") == "error"]
    budget = [
        line
        for line in errors
        if line.get("msg") == "evaluation failed"
        and str(line.get("error")).startswith("EvaluationTimeout ")
    ]
    return budget, [line for line in errors if line not in budget]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("name", list(CASES))
def test_hostile_request(running: Running, name: str, path: str) -> None:
    server, case = running.server, CASES[name]
    before = len(server.log_lines())
    started = time.monotonic()
    answer = send(server, path, case, server.connection())
    took = time.monotonic() - started

    status = case.status_of(path)
    assert answer.status == status, answer.body if answer.status != 200 else answer.status
    assert answer.headers["content-type"] == "application/json"
    assert took < 10, f"{took:.1f}s: the API server gives up after timeoutSeconds"
    if status == 200:
        assert case.review is not None
        verify(case.review, answer, mutating=path == "/mutate")
        response = answer.response
        for warning in response.get("warnings") or ():
            assert len(warning) <= 256
            assert "internal error" not in warning, warning
        if any(TIMED_OUT in w for w in response.get("warnings") or ()):
            assert case.may_time_out, response
            assert response["allowed"] is True and "patch" not in response  # allowed unchecked
        elif path == "/validate":
            assert response["allowed"] is case.allowed, response
            message = (response.get("status") or {}).get("message", "")
            assert rules_in(message) == set(case.rules), message
        else:
            assert response["allowed"] is True
            patched = apply_patch(case.review["request"]["object"] or {}, answer)
            assert isinstance(patched, dict)
        uid = response["uid"]
        server.wait_until(
            lambda: any(line.get("uid") == uid for line in new_log_lines(server, before)), 5
        )
    else:
        assert isinstance(answer.body, dict), answer.body
        assert answer.body["code"] == status
        assert case.error is not None and case.error in answer.body["error"], answer.body

    # The worker that answered is still there, and so is the other one.
    assert worker_pids(server) == running.pids
    assert server.request("GET", "/healthz").status == 200
    timed_out, errors = failures(new_log_lines(server, before))
    assert errors == []
    assert not timed_out or case.may_time_out


MALFORMED = [
    pytest.param(
        name,
        path,
        marks=[pytest.mark.xfail(strict=True, reason=case.log_bug)] if case.log_bug else [],
        id=f"{name}-{path.strip('/')}",
    )
    for name, case in CASES.items()
    for path in ENDPOINTS
    if case.status_of(path) != 200
]


@pytest.mark.parametrize(("name", "path"), MALFORMED)
def test_a_malformed_request_is_logged(running: Running, name: str, path: str) -> None:
    """One JSON line that says what was wrong (and never the body itself)."""
    server, case = running.server, CASES[name]
    before = len(server.log_lines())
    answer = send(server, path, case, server.connection())
    assert answer.status == case.status_of(path)
    assert case.log is not None

    def logged() -> bool:
        return any(
            line.get("msg") == "malformed request"
            and line.get("endpoint") == path.strip("/")
            and case.log in str(line.get("error"))
            for line in new_log_lines(server, before)
        )

    # The worker writes the line before it answers: no need to wait long.
    server.wait_until(logged, 0.5)
    for line in new_log_lines(server, before):
        assert len(json.dumps(line)) < 2000, "a log line quotes the request"


def test_a_denial_message_carries_no_control_or_format_characters(running: Running) -> None:
    answer = running.server.review("/validate", admission_review(UNICODE_NAMES))
    message = answer.response["status"]["message"]
    assert '"🐳-שלום nul "' in message  # the container's NUL and zero-width space: cleaned
    assert message.isprintable(), message  # U+202E (right-to-left override) in the name


def test_a_huge_namespace_is_cut_short_in_the_log(running: Running) -> None:
    server = running.server
    review = admission_review(pod(), namespace="n" * 1_000_000)
    server.review("/validate", review)
    uid = review["request"]["uid"]
    server.wait_until(lambda: any(line.get("uid") == uid for line in server.log_lines()), 5)
    [line] = [line for line in server.log_lines() if line.get("uid") == uid]
    assert len(line["namespace"]) <= 253


# --- properties: random JSON, and random mutations of a valid review -------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def keepalive(running: Running) -> http.client.HTTPSConnection:
    return running.server.connection()


def post(running: Running, conn: http.client.HTTPSConnection, path: str, body: bytes) -> Answer:
    answer = running.server.request("POST", path, body, {"Content-Type": "application/json"}, conn)
    assert answer.status < 500, answer.body
    assert answer.status in (200, 400, 413), answer.status
    assert isinstance(answer.body, dict), answer.body
    if answer.status == 200:  # a crash is answered too (onInternalError): it must not happen
        warnings = answer.body.get("response", {}).get("warnings") or []
        assert not any("could not evaluate" in w for w in warnings), warnings
    return answer


@PROPERTY
@given(value=JSON)
def test_random_json_is_never_a_server_error(
    running: Running, keepalive: http.client.HTTPSConnection, value: Any
) -> None:
    body = json.dumps(value).encode()  # NaN and Infinity included, as a client may send them
    for path in ENDPOINTS:
        answer = post(running, keepalive, path, body)
        if answer.status != 200:
            assert set(answer.body) == {"error", "code"}


def paths_of(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths_of(child, (*at, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths_of(child, (*at, index))
    return found


BASE = admission_review(
    pod(
        containers=[
            {"name": "app", "image": "x", "resources": {"limits": {"memory": "256Mi"}}},
            {"name": "side", "image": "x", "resources": {"requests": {"memory": "1Gi"}}},
        ],
        tolerations=[
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}
        ],
    ),
    namespace="shop",
)


@st.composite
def mutated_reviews(draw: st.DrawFn) -> tuple[Any, bytes]:
    review: Any = copy.deepcopy(BASE)
    review["request"]["uid"] = str(uuid.uuid4())
    review["request"]["operation"] = draw(st.sampled_from(["CREATE", "UPDATE", "CREATE"]))
    if review["request"]["operation"] == "UPDATE":
        review["request"]["oldObject"] = copy.deepcopy(review["request"]["object"])
    for _ in range(draw(st.integers(1, 4))):
        paths = paths_of(review)
        where = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "delete", "wrap", "stringify"]))
        if not where:
            review = draw(JSON) if action == "replace" else [review]
            continue
        parent = review
        for key in where[:-1]:
            parent = parent[key]
        key = where[-1]
        if action == "delete":
            del parent[key]
        elif action == "wrap":
            parent[key] = [parent[key]]
        elif action == "stringify":
            parent[key] = json.dumps(parent[key])
        else:
            parent[key] = draw(JSON)
    body = json.dumps(review).encode()
    cut = draw(st.one_of(st.none(), st.integers(0, len(body))))
    if cut is not None:  # a body cut short, or with a stray byte
        body = body[:cut] + draw(st.sampled_from([b"", b"\x00", b"}", b"\xff", b'"']))
    return review, body


@PROPERTY
@given(mutated=mutated_reviews())
def test_mutated_reviews_are_never_a_server_error(
    running: Running, keepalive: http.client.HTTPSConnection, mutated: tuple[Any, bytes]
) -> None:
    review, body = mutated
    for path in ENDPOINTS:
        answer = post(running, keepalive, path, body)
        if answer.status == 200:
            verify(review, answer, mutating=path == "/mutate")
            obj = review["request"].get("object")
            if path == "/mutate" and isinstance(obj, dict):
                apply_patch(obj, answer)  # the patch applies to the object as sent
        else:
            assert set(answer.body) == {"error", "code"}


def test_the_workers_survived_the_properties(running: Running) -> None:
    assert worker_pids(running.server) == running.pids
    assert running.server.request("GET", "/healthz").status == 200
    _, errors = failures(running.server.log_lines())
    assert errors == []
    assert "Traceback" not in Path(running.server.log).read_text("utf-8", "replace")
