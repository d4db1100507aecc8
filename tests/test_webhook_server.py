"""The admission webhook, end to end: the real server (`evictguard serve`: gunicorn, two
workers, TLS with a generated CA) on loopback, spoken to as kube-apiserver speaks to it
(see tests/webhook_client.py: TLS verified against the caBundle and the Service name,
AdmissionReview v1, responses checked as `VerifyAdmissionResponse` checks them)."""

from __future__ import annotations

import copy
import json
import re
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from evictguard.certs.generate import generate
from evictguard.engine.registry import RULES

from tests.conftest import ROOT
from tests.webhook_client import (
    SERVICE_HOST,
    Server,
    admission_review,
    apply_patch,
    client_context,
    running_server,
)

SANS = ("localhost", "127.0.0.1")


def pod(name: str = "web", **spec: Any) -> dict[str, Any]:
    containers = spec.pop(
        "containers",
        [{"name": "app", "image": "nginx:1.27", "resources": {"limits": {"memory": "256Mi"}}}],
    )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"containers": containers, **spec},
    }


UNBOUNDED = {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}
NO_LIMIT = [{"name": "app", "image": "nginx:1.27"}]


def deployment(containers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "checkout"}},
            "template": {
                "metadata": {"labels": {"app": "checkout"}},
                "spec": {"containers": containers},
            },
        },
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("webhook")
    generate(base / "tls", "evictguard", "evictguard", extra_sans=SANS)
    with running_server(base / "tls", base / "server.log") as running:
        yield running


def rules_in(text: str) -> set[str]:
    """Rule ids in `[rule-id]` brackets (not field indices such as `tolerations[0]`)."""
    return {r for r in re.findall(r"\[([a-z0-9-]+)\]", text) if r in RULES}


# --- basic endpoints -----------------------------------------------------------------------


def test_health_readiness_and_metrics(server: Server) -> None:
    assert server.request("GET", "/healthz").body == {"status": "ok"}
    ready = server.request("GET", "/readyz")
    assert ready.status == 200 and ready.body["status"] == "ok"
    assert ready.body["policy"] == "preset:default"
    assert ready.body["certificate"].startswith("certificate valid until ")
    server.review("/validate", admission_review(pod(), namespace="shop"))
    metrics = server.request("GET", "/metrics")
    assert metrics.status == 200
    text = metrics.body.decode() if isinstance(metrics.body, bytes) else str(metrics.body)
    assert 'evictguard_admission_requests_total{endpoint="validate",kind="Pod"' in text
    assert "evictguard_admission_duration_seconds_bucket" in text
    assert re.search(r"evictguard_certificate_expiry_timestamp_seconds \d", text)


def test_tls_is_verified_as_the_api_server_verifies_it(server: Server, tmp_path: Path) -> None:
    # Another CA: the handshake fails, as it would with a wrong caBundle.
    other = generate(tmp_path / "other", "evictguard", "evictguard")
    with pytest.raises(ssl.SSLCertVerificationError):
        server.request("GET", "/healthz", conn=server.connection(ca_file=other.ca_cert))
    # A name the certificate does not carry.
    with pytest.raises(ssl.SSLCertVerificationError):
        server.request("GET", "/healthz", conn=server.connection(server_hostname="evil.example"))
    # TLS 1.1 and older are refused.
    context = client_context(server.cert_dir / "ca.crt")
    with pytest.warns(DeprecationWarning):
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    import socket

    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
        pytest.raises(ssl.SSLError),
    ):
        context.wrap_socket(raw, server_hostname=SERVICE_HOST)
    # Plain HTTP is not served at all.
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b'{"status": "ok"}' not in raw.recv(4096)


# --- validate --------------------------------------------------------------------------------


def test_a_clean_pod_is_allowed_untouched(server: Server) -> None:
    answer = server.review("/validate", admission_review(pod(), namespace="shop"))
    assert answer.response == {"uid": answer.response["uid"], "allowed": True}


def test_enforced_findings_deny_with_403_and_say_what_to_change(server: Server) -> None:
    blip = {  # evicted 5 s into a not-ready blip: noexecute-seconds-too-low warns
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 5,
    }
    review = admission_review(
        pod(containers=NO_LIMIT, tolerations=[UNBOUNDED, blip]), namespace="shop"
    )
    answer = server.review("/validate", review)
    response = answer.response
    assert response["allowed"] is False
    status = response["status"]
    assert (status["code"], status["reason"], status["status"]) == (403, "Forbidden", "Failure")
    message = status["message"]
    # The namespace comes from the request: the object, as kubectl -n sends it, has none.
    assert message.startswith("evictguard: Pod shop/web violates 2 rule(s): ")
    assert rules_in(message) == {"memory-limit-missing", "noexecute-unbounded"}
    # One finding for the container with neither memory value, which covers the request.
    assert (
        "set resources.limits.memory and resources.requests.memory (policy defaults 512Mi "
        "and 256Mi)" in message
    )
    assert "set tolerationSeconds (policy default 300)" in message
    # Warn findings come along as warnings, short and clean.
    assert [rules_in(w) for w in response["warnings"]] == [{"noexecute-seconds-too-low"}]


def test_warnings_are_short_clean_and_within_the_api_budget(server: Server) -> None:
    # Forty containers with a tab in their names and no request, in a Pod exempted from the
    # limit rule (so the request rule's findings stand): forty warnings naming them.
    containers = [{"name": f"c{i}\tx", "image": "x"} for i in range(40)]
    obj = pod(containers=containers)
    obj["metadata"]["annotations"] = {"evictguard.io/exempt": "memory-limit-missing"}
    answer = server.review("/validate", admission_review(obj))
    warnings = answer.response["warnings"]
    assert all(len(w) <= 256 and w.isprintable() for w in warnings)
    assert 'container "c0 x" has no memory request' in warnings[0]
    assert sum(len(w) for w in warnings) <= 4096
    assert len(warnings) < 40 and warnings[-1].startswith("… and ")
    assert "run `evictguard lint`" in warnings[-1]


def test_workload_templates_are_validated(server: Server) -> None:
    answer = server.review("/validate", admission_review(deployment(NO_LIMIT)))
    assert answer.response["allowed"] is False
    assert rules_in(answer.response["status"]["message"]) == {"memory-limit-missing"}
    assert "Deployment shop/checkout" in answer.response["status"]["message"]


def test_other_kinds_operations_and_subresources_pass_untouched(server: Server) -> None:
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}}
    bad = pod(containers=NO_LIMIT)
    cases = [
        admission_review(config_map, namespace="shop"),
        admission_review(None, operation="DELETE", old=bad, namespace="shop"),
        admission_review(bad, operation="CONNECT", namespace="shop"),
        admission_review(bad, operation="UPDATE", old=bad, sub_resource="status"),
    ]
    for review in cases:
        for path in ("/validate", "/mutate"):
            answer = server.review(path, review)
            assert answer.response == {"uid": review["request"]["uid"], "allowed": True}, path


def test_update_denies_only_what_the_change_introduces(server: Server) -> None:
    legacy = deployment(NO_LIMIT)  # admitted before the policy existed
    relabelled = copy.deepcopy(legacy)
    relabelled["metadata"]["labels"] = {"team": "payments"}
    relabelled["spec"]["replicas"] = 5
    answer = server.review(
        "/validate", admission_review(relabelled, operation="UPDATE", old=legacy)
    )
    assert answer.response["allowed"] is True
    assert [w.split("]")[0] for w in answer.response["warnings"]] == [
        "pre-existing [memory-limit-missing"  # which says the request is missing too
    ]
    # A new container without a limit is introduced by this change: denied.
    worse = copy.deepcopy(relabelled)
    worse["spec"]["template"]["spec"]["containers"].insert(0, {"name": "sidecar", "image": "x"})
    answer = server.review("/validate", admission_review(worse, operation="UPDATE", old=legacy))
    assert answer.response["allowed"] is False
    message = answer.response["status"]["message"]
    assert 'container "sidecar"' in message and 'container "app"' not in message


def test_v1beta1_is_answered_in_v1beta1(server: Server) -> None:
    review = admission_review(pod(containers=NO_LIMIT), version="admission.k8s.io/v1beta1")
    answer = server.review("/validate", review)
    assert answer.body["apiVersion"] == "admission.k8s.io/v1beta1"
    assert answer.response["allowed"] is False


def test_dry_run_is_answered_identically(server: Server) -> None:
    obj = pod(containers=NO_LIMIT, tolerations=[UNBOUNDED])
    wet = admission_review(obj, namespace="shop")
    dry = copy.deepcopy(wet)
    dry["request"]["dryRun"] = True
    dry["request"]["uid"] = "dry-" + wet["request"]["uid"]
    for path in ("/validate", "/mutate"):
        a, b = server.review(path, wet), server.review(path, dry)
        a.response.pop("uid"), b.response.pop("uid")
        assert a.response == b.response, path


def test_exempt_objects_are_allowed(server: Server) -> None:
    exempt = pod(containers=NO_LIMIT)
    exempt["metadata"]["annotations"] = {"evictguard.io/exempt": "memory-limit-missing"}
    answer = server.review("/validate", admission_review(exempt, namespace="shop"))
    assert answer.response["allowed"] is True


# --- mutate -----------------------------------------------------------------------------------


def test_mutation_patches_pods_and_the_result_validates_clean(server: Server) -> None:
    obj = pod(
        containers=[{"name": "app", "image": "x", "resources": {"limits": {"memory": "1Gi"}}}],
        tolerations=[UNBOUNDED, {"operator": "Exists", "effect": "NoSchedule"}],
    )
    obj["metadata"]["annotations"] = {"team/owner": "payments"}  # `/` escaped as ~1 below
    review = admission_review(obj, namespace="shop")
    before = server.review("/validate", review)
    assert before.response["allowed"] is False
    answer = server.review("/mutate", review)
    assert answer.response["allowed"] is True and answer.response["patchType"] == "JSONPatch"
    patch = answer.patch
    assert {
        "op": "add",
        "path": "/metadata/annotations/evictguard.io~1mutated",
        "value": ("noexecute-unbounded:spec.tolerations[0].tolerationSeconds"),
    } in patch
    patched = apply_patch(obj, answer)
    assert patched["spec"]["tolerations"][0]["tolerationSeconds"] == 300
    assert patched["metadata"]["annotations"]["team/owner"] == "payments"
    after = server.review("/validate", admission_review(patched, namespace="shop"))
    assert after.response["allowed"] is True
    # Idempotent: the patched object gets no patch (reinvocationPolicy: IfNeeded is safe).
    again = server.review("/mutate", admission_review(patched, namespace="shop"))
    assert "patch" not in again.response and again.response["allowed"] is True


def test_mutation_of_a_pod_with_null_metadata(server: Server) -> None:
    obj = pod(tolerations=[UNBOUNDED])
    obj["metadata"] = None  # JSON null decodes as empty metadata: still patchable
    answer = server.review("/mutate", admission_review(obj, namespace="shop"))
    patched = apply_patch(obj, answer)
    assert patched["metadata"]["annotations"] == {
        "evictguard.io/mutated": "noexecute-unbounded:spec.tolerations[0].tolerationSeconds"
    }


def test_mutation_leaves_templates_and_limits_alone_by_default(server: Server) -> None:
    # Templates: patching them makes GitOps tools see drift.
    answer = server.review("/mutate", admission_review(deployment(NO_LIMIT)))
    assert "patch" not in answer.response
    # A missing limit is denied, never guessed; the missing request is filled in.
    answer = server.review("/mutate", admission_review(pod(containers=NO_LIMIT), namespace="a"))
    patched = apply_patch(pod(containers=NO_LIMIT), answer)
    assert patched["spec"]["containers"][0]["resources"] == {"requests": {"memory": "256Mi"}}
    annotation = patched["metadata"]["annotations"]["evictguard.io/mutated"]
    assert annotation == "memory-request-missing:spec.containers[app].resources.requests.memory"


# --- malformed requests: 400/413 with a JSON error, never 500 -------------------------------


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"not json", 400, "not an AdmissionReview: invalid literal, expected"),
        (b"[]", 400, "the body must be an object"),
        (b'{"apiVersion": "v1", "kind": "Pod"}', 400, "apiVersion must be one of"),
        (
            b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}',
            400,
            "request must be an object",
        ),
        (
            b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", '
            b'"request": {"operation": "CREATE", "kind": {}}}',
            400,
            "request.uid must be a non-empty string",
        ),
        (
            b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": '
            b'{"uid": "u", "operation": "CREATE", "kind": {"kind": "Pod"}, "object": 5}}',
            400,
            "request.object must be an object",
        ),
        (b"\xff\xfe garbage", 400, "not an AdmissionReview"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "JSON nested too deeply"),
    ],
)
def test_malformed_requests(server: Server, body: bytes, status: int, error: str) -> None:
    for path in ("/validate", "/mutate"):
        answer = server.request("POST", path, body, {"Content-Type": "application/json"})
        assert answer.status == status, (path, answer.body)
        assert answer.body["code"] == status and error in answer.body["error"]


def test_oversized_wrong_method_and_unknown_path(server: Server) -> None:
    big = b'{"apiVersion": "admission.k8s.io/v1", "x": "' + b"a" * (5 * 1024 * 1024) + b'"}'
    answer = server.request("POST", "/validate", big, {"Content-Type": "application/json"})
    assert answer.status == 413
    assert answer.body == {"error": "request body larger than 4194304 bytes", "code": 413}
    assert server.request("GET", "/validate").status == 405
    assert server.request("POST", "/nowhere", b"{}").status == 404
    assert server.request("GET", "/healthz").status == 200  # the workers survived all of it


def test_every_review_is_logged_without_object_contents(server: Server) -> None:
    review = admission_review(pod(containers=NO_LIMIT), namespace="logs")
    server.review("/validate", review)
    uid = review["request"]["uid"]
    server.wait_until(lambda: any(line.get("uid") == uid for line in server.log_lines()))
    [line] = [line for line in server.log_lines() if line.get("uid") == uid]
    assert line["decision"] == "denied" and line["denied_by"] == ["memory-limit-missing"]
    assert (line["kind"], line["namespace"], line["object_name"], line["operation"]) == (
        "Pod",
        "logs",
        "web",
        "CREATE",
    )
    assert "nginx" not in json.dumps(line)  # the image is object content: never logged


# --- parity with lint ------------------------------------------------------------------------


Key = tuple[str, str, str, str]  # file, kind, namespace, name


def _lint_rules(paths: list[Path]) -> dict[Key, set[str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "evictguard", "lint", "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    out: dict[Key, set[str]] = {}
    for finding in json.loads(proc.stdout)["findings"]:
        if RULES[finding["rule"]].check_input is not None:
            continue  # compares objects across the input: lint only (README: Drains)
        if finding["severity"] in ("error", "warning"):
            key = (
                str(Path(finding["file"]).resolve()),
                finding["kind"],
                finding["namespace"] or "",
                finding["name"] or "",
            )
            out.setdefault(key, set()).add(finding["rule"])
    return out


PARITY_FILES = [
    path
    for path in sorted((ROOT / "examples").rglob("*.yaml"))
    + sorted((ROOT / "tests" / "data" / "rules").glob("*/fail/*.yaml"))
    if "evictguard:" not in path.read_text("utf-8")  # inline comments are lint-only by design
]


def test_lint_and_validate_give_the_same_rule_ids(server: Server) -> None:
    """Every object of the examples and of the rule data through both doors: the rule ids
    lint reports (errors and warnings) are the ones /validate denies with or warns about."""
    from evictguard.yaml.loader import load_text

    expected = _lint_rules(PARITY_FILES)
    got: dict[Key, set[str]] = {}
    compared = 0
    for path in PARITY_FILES:
        for item in load_text(path.read_text("utf-8"), str(path)).objects:
            obj = item.obj
            meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            key = (
                str(path.resolve()),
                str(obj.get("kind")),
                str(meta.get("namespace") or ""),
                str(meta.get("name") or ""),
            )
            response = server.review("/validate", admission_review(obj)).response
            rules = rules_in(" ".join(response.get("warnings") or []))
            if not response["allowed"]:
                rules |= rules_in(response["status"]["message"])
            got.setdefault(key, set()).update(rules)
            compared += 1
    assert {k: v for k, v in got.items() if v} == expected
    assert compared >= 100


# --- the README's example ----------------------------------------------------------------


def test_the_readme_admission_example(server: Server) -> None:
    """The commands the README shows right after set-up, and the bundled reviews."""
    readme = (ROOT / "README.md").read_text("utf-8")
    block = readme.split("Then the admission webhook", 1)[1].split("```sh\n", 1)[1]
    block = block.split("```", 1)[0]
    assert block.startswith("evictguard serve --bind 127.0.0.1:8443 &\n")
    match = re.search(r"--data @(\S+) https://localhost:8443(/\w+)", block)
    assert match and "--cacert certs/dev/ca.crt" in block
    review = json.loads((ROOT / match[1]).read_text("utf-8"))
    denied = server.review(match[2], review).response
    assert denied["allowed"] is False
    assert rules_in(denied["status"]["message"]) == {"memory-limit-missing", "noexecute-unbounded"}
    # The other bundled review: mutated, then allowed.
    mutated = json.loads((ROOT / "examples/admission/pod-mutated.json").read_text("utf-8"))
    answer = server.review("/mutate", mutated)
    patched = apply_patch(mutated["request"]["object"], answer)
    assert patched["spec"]["tolerations"][0]["tolerationSeconds"] == 300
    again = copy.deepcopy(mutated)
    again["request"]["object"] = patched
    assert server.review("/validate", again).response["allowed"] is True


def test_controller_made_objects_are_judged_on_their_owners_template(server: Server) -> None:
    """A ReplicaSet's Pods (made by kube-controller-manager) warn instead of deny: the
    template was judged when the workload was applied, and denying its Pods would only
    stall scale-ups of workloads that predate the policy. A hand-written ownerReference
    changes nothing."""
    owned = pod(containers=NO_LIMIT)
    owned["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "web-6d9f",
            "uid": "u1",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    review = admission_review(owned, namespace="shop")
    review["request"]["userInfo"] = {
        "username": "system:serviceaccount:kube-system:replicaset-controller"
    }
    answer = server.review("/validate", review)
    assert answer.response["allowed"] is True
    assert answer.response["warnings"][0].startswith(
        "enforced on the ReplicaSet [memory-limit-missing]"
    )
    forged = admission_review(owned, namespace="shop")  # userInfo: alice
    assert server.review("/validate", forged).response["allowed"] is False
    # Only kube-controller-manager's own controllers count, not any `*-controller` account.
    lookalike = admission_review(owned, namespace="shop")
    lookalike["request"]["userInfo"] = {
        "username": "system:serviceaccount:kube-system:sealed-secrets-controller"
    }
    assert server.review("/validate", lookalike).response["allowed"] is False
    # The Deployment's ReplicaSet, made by the deployment controller, likewise.
    replica_set = deployment(NO_LIMIT)
    replica_set["kind"] = "ReplicaSet"
    replica_set["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "checkout",
            "uid": "u2",
            "controller": True,
        }
    ]
    review = admission_review(replica_set)
    review["request"]["userInfo"] = {"username": "system:kube-controller-manager"}
    assert server.review("/validate", review).response["allowed"] is True


def test_exemptions_leave_a_trace_in_the_log(server: Server) -> None:
    exempt = pod(containers=NO_LIMIT)
    exempt["metadata"]["annotations"] = {"evictguard.io/exempt": "*"}
    review = admission_review(exempt, namespace="audit")
    assert server.review("/validate", review).response["allowed"] is True
    uid = review["request"]["uid"]
    server.wait_until(lambda: any(line.get("uid") == uid for line in server.log_lines()))
    [line] = [line for line in server.log_lines() if line.get("uid") == uid]
    assert line["exempted"] == ["*"] and line["user"] == "alice"


def test_a_chunked_body_above_the_cap_is_refused_not_cut(server: Server) -> None:
    review = admission_review(pod(), namespace="shop")
    body = json.dumps(review).encode() + b" " * (4 * 1024 * 1024)  # valid JSON, too large
    conn = server.connection()
    conn.putrequest("POST", "/validate")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    for start in range(0, len(body), 1 << 20):
        chunk = body[start : start + (1 << 20)]
        conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    conn.send(b"0\r\n\r\n")
    reply = conn.getresponse()
    assert reply.status == 413
    assert json.loads(reply.read())["error"] == "request body larger than 4194304 bytes"


def test_an_object_nested_too_deeply_is_a_400_not_a_500(server: Server) -> None:
    obj = pod()
    node: dict[str, Any] = obj["spec"]["containers"][0]
    for _ in range(900):  # deep enough to exhaust Python's recursion limit in a copy
        node["x"] = {}
        node = node["x"]
    review = admission_review(obj)  # no namespace anywhere: the object is copied to add one
    review["request"]["namespace"] = "shop"
    body = json.dumps(review).encode()
    for path in ("/validate", "/mutate"):
        answer = server.request("POST", path, body, {"Content-Type": "application/json"})
        assert answer.status in (200, 400), (path, answer.body)
        if answer.status == 400:
            assert "nested too deeply" in answer.body["error"]
