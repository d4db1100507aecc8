"""AdmissionReview v1 request bodies for the webhook benchmark.

Pods come from real manifests (`../shared/corpus/`, see its SOURCES.md): bare Pods and the Pod
templates of workloads, made into the Pod a controller would create, with the defaults the API
server fills in before webhooks see it (so the bodies have a realistic size and shape), wrapped
as kube-apiserver wraps them (the shape `tests/webhook_client.py` builds). Without the corpus,
the project's `examples/` are used. Each body is pre-serialised around a placeholder uid so the
load generator can stamp a fresh uid per request for the cost of a bytes concatenation.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
EXAMPLES = ROOT / "examples"
MIN_BODY, MAX_BODY = 1024, 15 * 1024
UID_PLACEHOLDER = "00000000-0000-4000-8000-000000000000"  # a uuid's length: 36
TEMPLATE_PATHS = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
USER = {"username": "alice", "groups": ["system:authenticated"]}  # as the tests' reviews


@dataclass(frozen=True)
class ReviewBody:
    """One serialised AdmissionReview, split at its uid."""

    prefix: bytes
    suffix: bytes
    source: str  # file#document, for the report

    def render(self, uid: str) -> bytes:
        return self.prefix + uid.encode("ascii") + self.suffix

    @property
    def size(self) -> int:
        return len(self.prefix) + len(UID_PLACEHOLDER) + len(self.suffix)


def admission_review(obj: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    """A CREATE review as kube-apiserver builds it (`CreateV1AdmissionReview`); copied from
    tests/webhook_client.py (which imports test-only packages) and cut to Pod CREATE."""
    kind = {"group": "", "version": "v1", "kind": "Pod"}
    resource = {"group": "", "version": "v1", "resource": "pods"}
    request = {
        "uid": UID_PLACEHOLDER,
        "kind": kind,
        "resource": resource,
        "requestKind": kind,
        "requestResource": resource,
        "name": (obj.get("metadata") or {}).get("name", ""),
        "namespace": namespace,
        "operation": "CREATE",
        "userInfo": USER,
        "object": obj,
        "oldObject": None,
        "dryRun": False,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
    }
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def serialise(review: Mapping[str, Any], source: str) -> ReviewBody:
    """Compact JSON, as Go's encoding/json sends it."""
    text = json.dumps(review, separators=(",", ":"), default=str).encode()
    prefix, found, suffix = text.partition(UID_PLACEHOLDER.encode())
    if not found:
        raise ValueError("review without the placeholder uid")
    return ReviewBody(prefix, suffix, source)


def _image_pull_policy(image: Any) -> str:
    tag = str(image).rsplit("/", 1)[-1]
    return "Always" if ":" not in tag or tag.endswith(":latest") else "IfNotPresent"


def _default_container(container: dict[str, Any], sa_volume: str) -> None:
    container.setdefault("imagePullPolicy", _image_pull_policy(container.get("image", "")))
    container.setdefault("resources", {})
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    mounts = container.setdefault("volumeMounts", [])
    if isinstance(mounts, list):
        mounts.append(
            {
                "name": sa_volume,
                "readOnly": True,
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
            }
        )


def _service_account_volume(name: str) -> dict[str, Any]:
    """The projected token volume the ServiceAccount admission plugin adds."""
    return {
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt"}]}},
                {
                    "downwardAPI": {
                        "items": [
                            {
                                "path": "namespace",
                                "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                            }
                        ]
                    }
                },
            ],
        },
    }


def apply_api_defaults(pod: dict[str, Any]) -> None:
    """Roughly what the API server adds before the webhooks run: field defaults, the service
    account token volume, and DefaultTolerationSeconds' not-ready/unreachable tolerations."""
    spec = pod["spec"]
    sa_volume = f"kube-api-access-{random.Random(json.dumps(spec, default=str)).randrange(36**5):x}"
    for key, value in (
        ("restartPolicy", "Always"),
        ("dnsPolicy", "ClusterFirst"),
        ("schedulerName", "default-scheduler"),
        ("terminationGracePeriodSeconds", 30),
        ("securityContext", {}),
        ("serviceAccountName", "default"),
        ("enableServiceLinks", True),
        ("preemptionPolicy", "PreemptLowerPriority"),
        ("priority", 0),
    ):
        spec.setdefault(key, value)
    for field in ("initContainers", "containers"):
        for container in spec.get(field) or []:
            if isinstance(container, dict):
                _default_container(container, sa_volume)
    volumes = spec.setdefault("volumes", [])
    if isinstance(volumes, list):
        volumes.append(_service_account_volume(sa_volume))
    tolerations = spec.setdefault("tolerations", [])
    if isinstance(tolerations, list):
        keys = {t.get("key") for t in tolerations if isinstance(t, dict)}
        for taint in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
            if taint not in keys:
                tolerations.append(
                    {
                        "key": taint,
                        "operator": "Exists",
                        "effect": "NoExecute",
                        "tolerationSeconds": 300,
                    }
                )


def _dig(doc: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = doc
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def pod_from(doc: Any) -> dict[str, Any] | None:
    """The Pod a manifest document makes (itself, or one its controller would create)."""
    if not isinstance(doc, dict):
        return None
    kind, meta = doc.get("kind"), doc.get("metadata") or {}
    if not isinstance(meta, dict):
        return None
    namespace = meta.get("namespace") or "default"
    if kind == "Pod" and doc.get("apiVersion") == "v1":
        template: Any = doc
        name: dict[str, Any] = {"name": meta.get("name") or "pod"}
    elif kind in TEMPLATE_PATHS:
        template = _dig(doc, TEMPLATE_PATHS[kind])
        name = {"generateName": f"{meta.get('name') or kind.lower()}-"}
    else:
        return None
    spec = _dig(template, ("spec",))
    if not isinstance(spec, dict) or not isinstance(spec.get("containers"), list):
        return None
    labels = _dig(template, ("metadata", "labels"))
    annotations = _dig(template, ("metadata", "annotations"))
    metadata: dict[str, Any] = {**name, "namespace": str(namespace)}
    if isinstance(labels, dict):
        metadata["labels"] = labels
    if isinstance(annotations, dict):
        metadata["annotations"] = annotations
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": copy.deepcopy(spec)}
    apply_api_defaults(pod)
    return pod


def _manifest_files(corpus: Path) -> Iterator[Path]:
    for pattern in ("*.yaml", "*.yml"):
        yield from sorted(corpus.rglob(pattern))


def _documents(path: Path) -> Iterator[Any]:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return
    if "containers" not in text:  # cheap pre-filter: most files hold no Pod spec
        return
    try:
        yield from yaml.load_all(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return


def _example_documents(examples: Path) -> Iterator[tuple[str, Any]]:
    for path in sorted(examples.rglob("*")):
        if path.suffix in (".yaml", ".yml"):
            for index, doc in enumerate(_documents(path)):
                yield f"{path.relative_to(examples)}#{index}", doc
        elif path.suffix == ".json":
            review = json.loads(path.read_text("utf-8"))
            yield path.name, _dig(review, ("request", "object"))


def source_documents(
    corpus: Path = CORPUS, limit_files: int | None = None
) -> tuple[str, Iterator[tuple[str, Any]]]:
    """(description, documents) from the corpus, or from examples/ when it is absent."""
    if not (corpus / "SOURCES.md").is_file():
        print(
            f"bench: no manifest corpus at {corpus} (no SOURCES.md): using {EXAMPLES} instead",
            file=sys.stderr,
        )
        return f"examples ({EXAMPLES})", _example_documents(EXAMPLES)

    def documents() -> Iterator[tuple[str, Any]]:
        files = list(_manifest_files(corpus))
        for path in files[:limit_files] if limit_files else files:
            for index, doc in enumerate(_documents(path)):
                yield f"{path.relative_to(corpus)}#{index}", doc

    return f"corpus ({corpus})", documents()


@dataclass
class Corpus:
    origin: str
    bodies: list[ReviewBody]
    too_small: int  # Pods whose review is outside [MIN_BODY, MAX_BODY], left out
    too_large: int

    def size_summary(self) -> dict[str, float]:
        sizes = sorted(b.size for b in self.bodies)
        if not sizes:
            return {"count": 0}

        def pct(q: float) -> int:
            return sizes[min(len(sizes) - 1, int(q * len(sizes)))]

        return {
            "count": len(sizes),
            "min": sizes[0],
            "p50": pct(0.5),
            "p90": pct(0.9),
            "max": sizes[-1],
            "mean": round(sum(sizes) / len(sizes)),
            "left_out_small": self.too_small,
            "left_out_large": self.too_large,
        }


def load(corpus: Path = CORPUS, limit_files: int | None = None, seed: int = 1) -> Corpus:
    """Every Pod of the corpus whose review is 1-15 KB, shuffled (sources interleaved)."""
    origin, documents = source_documents(corpus, limit_files)
    bodies: list[ReviewBody] = []
    small = large = 0
    for source, doc in documents:
        pod = pod_from(doc)
        if pod is None:
            continue
        body = serialise(admission_review(pod, pod["metadata"]["namespace"]), source)
        if body.size < MIN_BODY:
            small += 1
        elif body.size > MAX_BODY:
            large += 1
        else:
            bodies.append(body)
    random.Random(seed).shuffle(bodies)
    return Corpus(origin, bodies, small, large)


def container(index: int) -> dict[str, Any]:
    """A typical application container; every other one has no memory limit (a finding)."""
    limits = {"cpu": "1", "memory": "512Mi"} if index % 2 else {"cpu": "1"}
    return {
        "name": f"app-{index}",
        "image": f"registry.example.com/team/app-{index}:1.{index}.0",
        "ports": [{"name": "http", "containerPort": 8080 + index % 100}],
        "env": [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        ],
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": limits},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5},
        "volumeMounts": [{"name": "config", "mountPath": f"/etc/app-{index}"}],
    }


def pod_with_containers(count: int) -> ReviewBody:
    """A Pod with `count` containers (1..500), for the object-size scaling test. It also
    tolerates unreachable nodes forever, so /mutate has a patch to make."""
    if not 1 <= count <= 500:
        raise ValueError("between 1 and 500 containers")
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"generateName": "wide-", "namespace": "bench", "labels": {"app": "wide"}},
        "spec": {
            "containers": [container(i) for i in range(count)],
            "volumes": [{"name": "config", "configMap": {"name": "app-config"}}],
            "tolerations": [
                {
                    "key": "node.kubernetes.io/unreachable",
                    "operator": "Exists",
                    "effect": "NoExecute",
                }
            ],
        },
    }
    apply_api_defaults(pod)
    return serialise(admission_review(pod, "bench"), f"{count} containers")


if __name__ == "__main__":
    loaded = load()
    print(loaded.origin, json.dumps(loaded.size_summary()))


def add_corpus_argument(parser: argparse.ArgumentParser) -> None:
    """`--corpus`, as every bench script that sends reviews takes it."""
    parser.add_argument(
        "--corpus",
        type=Path,
        default=CORPUS,
        help="manifest corpus (default ../shared/corpus; examples/ when absent)",
    )
