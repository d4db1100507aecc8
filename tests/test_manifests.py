"""manifests/: what `kubectl apply -k` installs.

Every object is checked offline against the Kubernetes OpenAPI schemas (kubernetes-validate,
strict: unknown fields are errors) for the oldest supported Kubernetes version and newer ones;
cert-manager's kinds are CRDs those schemas lack, so they are checked against a small
hand-written JSON Schema (and, when ../shared/corpus is present, against cert-manager's own
CRD schemas). The webhook configurations and the Deployment are asserted to have the
properties they were designed with, the kustomizations list exactly the files present, the
policy in the ConfigMap loads, and evictguard lints its own manifests clean, with the strict
preset too. The Dockerfile, which no test here can build, is checked for consistency with
the Deployment and the package layout.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from evictguard.k8s.quantity import parse_manifest_quantity
from evictguard.policy.load import load_policy_file, load_preset
from kubernetes_validate.utils import latest_version

from .conftest import ROOT, run_cli, run_json

MANIFESTS = ROOT / "manifests"
BASE = MANIFESTS / "base"
CERT_MANAGER = MANIFESTS / "cert-manager"
NAMESPACE = "evictguard"
SERVICE = "evictguard"
TLS_SECRET = "evictguard-tls"
# matchConditions are GA (admissionregistration.k8s.io/v1) from 1.30: the oldest we support.
K8S_VERSIONS = ("1.30", "1.34", ".".join(latest_version().split(".")[:2]))
CORPUS_CERT_MANAGER = (
    ROOT.parent
    / "shared/corpus/kubeflow-manifests/common/cert-manager/base/upstream/cert-manager.yaml"
)

VALIDATING, MUTATING = "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"
WORKLOAD_RULES = {
    "": {"pods", "replicationcontrollers", "podtemplates"},
    "apps": {"deployments", "statefulsets", "daemonsets", "replicasets"},
    "batch": {"jobs", "cronjobs"},
    "policy": {"poddisruptionbudgets"},
}


# --- loading ------------------------------------------------------------------------------


def yaml_files(folder: Path = MANIFESTS) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def is_kustomization(path: Path) -> bool:
    return path.name in ("kustomization.yaml", "kustomization.yml", "Kustomization")


def documents(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def all_objects() -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every Kubernetes object under manifests/ (kustomization files are not objects)."""
    for path in yaml_files():
        if not is_kustomization(path):
            for doc in documents(path):
                yield path, doc


def object_id(item: tuple[Path, dict[str, Any]]) -> str:
    path, obj = item
    return f"{path.relative_to(MANIFESTS)}:{obj['kind']}/{obj['metadata']['name']}"


def is_cert_manager(obj: dict[str, Any]) -> bool:
    return obj["apiVersion"].split("/")[0] == "cert-manager.io"


OBJECTS = list(all_objects())
K8S_OBJECTS = [item for item in OBJECTS if not is_cert_manager(item[1])]
CM_OBJECTS = [item for item in OBJECTS if is_cert_manager(item[1])]


def find(kind: str, folder: Path = BASE) -> dict[str, Any]:
    found = [obj for path, obj in OBJECTS if obj["kind"] == kind and folder in path.parents]
    assert len(found) == 1, f"expected one {kind} under {folder}, found {len(found)}"
    return found[0]


def webhook(kind: str) -> dict[str, Any]:
    config = find(kind)
    assert len(config["webhooks"]) == 1
    return config["webhooks"][0]


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def flag(args: list[str], name: str) -> str:
    assert name in args, f"{name} missing from {args}"
    return args[args.index(name) + 1]


def test_there_is_something_to_check():
    kinds = {obj["kind"] for _, obj in OBJECTS}
    assert {
        "Namespace",
        "ServiceAccount",
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "Issuer",
        "Certificate",
    } <= kinds
    assert all(obj.get("apiVersion") and obj.get("kind") for _, obj in OBJECTS)


# --- the Kubernetes API's own schemas -------------------------------------------------------


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("item", K8S_OBJECTS, ids=object_id)
def test_object_is_valid_for_the_kubernetes_api(item, version):
    _, obj = item
    used = kubernetes_validate.validate(obj, version, strict=True)
    assert used == version  # the schemas of that very version, not an older fallback


def test_strict_validation_rejects_an_unknown_field():
    """The check above is not vacuous: a misspelt field fails it."""
    broken = copy.deepcopy(find("Deployment"))
    container(broken)["resource"] = container(broken).pop("resources")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSIONS[0], strict=True)


# --- cert-manager's kinds: CRDs, so a schema of our own -------------------------------------

_ISSUER_REF = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "kind": {"enum": ["Issuer", "ClusterIssuer"]},
        "group": {"const": "cert-manager.io"},
    },
}
_METADATA = {
    "type": "object",
    "required": ["name", "namespace"],
    "properties": {"name": {"type": "string"}, "namespace": {"const": NAMESPACE}},
}
# The cert-manager.io/v1 fields these manifests use, with the required ones and the enums
# cert-manager documents; unknown fields are errors (cert-manager would silently drop them).
CERT_MANAGER_SCHEMAS: dict[str, dict[str, Any]] = {
    "Issuer": {
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "cert-manager.io/v1"},
            "kind": {"const": "Issuer"},
            "metadata": _METADATA,
            "spec": {
                "type": "object",
                "additionalProperties": False,
                "minProperties": 1,
                "maxProperties": 1,  # exactly one issuer type
                "properties": {
                    "selfSigned": {"type": "object"},
                    "ca": {
                        "type": "object",
                        "required": ["secretName"],
                        "properties": {"secretName": {"type": "string", "minLength": 1}},
                    },
                    "acme": {"type": "object"},
                    "vault": {"type": "object"},
                    "venafi": {"type": "object"},
                },
            },
        },
    },
    "Certificate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "cert-manager.io/v1"},
            "kind": {"const": "Certificate"},
            "metadata": _METADATA,
            "spec": {
                "type": "object",
                "additionalProperties": False,
                "required": ["secretName", "issuerRef"],
                "anyOf": [{"required": ["commonName"]}, {"required": ["dnsNames"]}],
                "properties": {
                    "secretName": {"type": "string", "minLength": 1},
                    "issuerRef": _ISSUER_REF,
                    "isCA": {"type": "boolean"},
                    "commonName": {"type": "string", "maxLength": 64},
                    "dnsNames": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                    "duration": {"type": "string", "pattern": r"^(\d+h)?(\d+m)?(\d+s)?$"},
                    "renewBefore": {"type": "string", "pattern": r"^(\d+h)?(\d+m)?(\d+s)?$"},
                    "usages": {
                        "type": "array",
                        "items": {
                            "enum": [
                                "signing",
                                "digital signature",
                                "key encipherment",
                                "server auth",
                                "client auth",
                                "cert sign",
                            ]
                        },
                    },
                    "privateKey": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "algorithm": {"enum": ["RSA", "ECDSA", "Ed25519"]},
                            "size": {"type": "integer"},
                            "encoding": {"enum": ["PKCS1", "PKCS8"]},
                            "rotationPolicy": {"enum": ["Never", "Always"]},
                        },
                    },
                },
            },
        },
    },
}


@pytest.mark.parametrize("item", CM_OBJECTS, ids=object_id)
def test_cert_manager_object_matches_our_schema(item):
    _, obj = item
    jsonschema.validate(obj, CERT_MANAGER_SCHEMAS[obj["kind"]])


def _unknown_fields(value: Any, schema: dict[str, Any], where: str) -> Iterator[str]:
    """Fields a structural CRD schema does not declare (the API server would prune them)."""
    if isinstance(value, dict) and "properties" in schema:
        if schema.get("x-kubernetes-preserve-unknown-fields"):
            return
        for key, child in value.items():
            if key not in schema["properties"]:
                yield f"{where}.{key}"
            else:
                yield from _unknown_fields(child, schema["properties"][key], f"{where}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for index, child in enumerate(value):
            yield from _unknown_fields(child, schema["items"], f"{where}[{index}]")


@pytest.mark.skipif(not CORPUS_CERT_MANAGER.is_file(), reason="../shared/corpus is absent")
@pytest.mark.parametrize("item", CM_OBJECTS, ids=object_id)
def test_cert_manager_object_matches_cert_managers_own_crd(item):
    """cert-manager v1.19's CRD schemas, as vendored in the corpus (kubeflow/manifests)."""
    _, obj = item
    crds = {
        doc["spec"]["names"]["kind"]: doc
        for doc in documents(CORPUS_CERT_MANAGER)
        if doc.get("kind") == "CustomResourceDefinition"
        and doc["spec"]["group"] == "cert-manager.io"
    }
    version = obj["apiVersion"].split("/")[1]
    (schema,) = [
        v["schema"]["openAPIV3Schema"]
        for v in crds[obj["kind"]]["spec"]["versions"]
        if v["name"] == version and v["served"]
    ]
    jsonschema.Draft7Validator(schema).validate(obj)
    assert list(_unknown_fields(obj, schema, obj["kind"])) == []


def test_cert_manager_chain_is_consistent():
    """Self-signed Issuer -> CA Certificate -> CA Issuer -> serving Certificate (the
    Secret the Deployment mounts, for the names the API server dials)."""
    by_name = {(obj["kind"], obj["metadata"]["name"]): obj for _, obj in CM_OBJECTS}
    issuers = {name: obj for (kind, name), obj in by_name.items() if kind == "Issuer"}
    certificates = [obj for (kind, _), obj in by_name.items() if kind == "Certificate"]
    (ca_cert,) = [c for c in certificates if c["spec"].get("isCA")]
    (serving,) = [c for c in certificates if not c["spec"].get("isCA")]
    assert "selfSigned" in issuers[ca_cert["spec"]["issuerRef"]["name"]]["spec"]
    ca_issuer = issuers[serving["spec"]["issuerRef"]["name"]]
    assert ca_issuer["spec"]["ca"]["secretName"] == ca_cert["spec"]["secretName"]
    assert serving["spec"]["secretName"] == TLS_SECRET
    tls_volume = {v["name"]: v for v in find("Deployment")["spec"]["template"]["spec"]["volumes"]}[
        "tls"
    ]
    assert tls_volume["secret"]["secretName"] == TLS_SECRET
    assert f"{SERVICE}.{NAMESPACE}.svc" in serving["spec"]["dnsNames"]
    assert "server auth" in serving["spec"]["usages"]


def _overlay_patches() -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """The cert-manager overlay's patches by kind: strategic merges (no target) and JSON
    patches (RFC 6902, with a target)."""
    (kustomization,) = documents(CERT_MANAGER / "kustomization.yaml")
    merges: dict[str, dict[str, Any]] = {}
    json_patches: dict[str, list[dict[str, Any]]] = {}
    for entry in kustomization["patches"]:
        patch = yaml.safe_load(entry["patch"])
        if "target" in entry:
            target = entry["target"]
            base = find(target["kind"])
            assert target["name"] == base["metadata"]["name"]
            assert f"{target['group']}/{target['version']}" == base["apiVersion"]
            assert target["kind"] not in json_patches
            json_patches[target["kind"]] = patch
        else:
            assert patch["kind"] not in merges
            merges[patch["kind"]] = patch
    return merges, json_patches


def test_cert_manager_overlay_patches_both_webhook_configurations():
    merges, json_patches = _overlay_patches()
    assert set(merges) == set(json_patches) == {VALIDATING, MUTATING}
    serving = next(
        obj for _, obj in CM_OBJECTS if obj["kind"] == "Certificate" and not obj["spec"].get("isCA")
    )
    for kind, patch in merges.items():
        base = find(kind)
        assert patch["metadata"]["name"] == base["metadata"]["name"]
        assert patch["metadata"]["annotations"] == {
            "cert-manager.io/inject-ca-from": f"{NAMESPACE}/{serving['metadata']['name']}"
        }
        # The placeholder is dropped (the injector owns caBundle), webhook by webhook.
        assert [w["name"] for w in patch["webhooks"]] == [w["name"] for w in base["webhooks"]]
        assert all(w["clientConfig"] == {"caBundle": None} for w in patch["webhooks"])


def _excluded_namespaces(config: dict[str, Any]) -> list[list[str]]:
    """Per webhook, the namespaces left out by name (kubernetes.io/metadata.name NotIn)."""
    excluded = []
    for hook in config["webhooks"]:
        (by_name,) = [
            e
            for e in hook["namespaceSelector"]["matchExpressions"]
            if e["key"] == "kubernetes.io/metadata.name"
        ]
        assert by_name["operator"] == "NotIn"
        excluded.append(by_name["values"])
    return excluded


@pytest.mark.parametrize("kind", [VALIDATING, MUTATING])
def test_cert_manager_overlay_leaves_cert_managers_namespace_out(kind):
    """With cert-manager renewing evictguard's certificate, evictguard must never judge
    cert-manager's Pods (upstream sets no memory limits): a denied re-creation would stop
    renewal, the certificate would expire, and the fail-closed webhook would then refuse
    every Pod. The overlay's JSON patch, applied as kustomize would (jsonpatch, RFC 6902,
    `test` operations included), adds `cert-manager` and keeps the rest of the selector."""
    jsonpatch = pytest.importorskip("jsonpatch")
    _, json_patches = _overlay_patches()
    base = find(kind)
    patched = jsonpatch.apply_patch(base, json_patches[kind])
    assert _excluded_namespaces(patched) == [
        [*v, "cert-manager"] for v in _excluded_namespaces(base)
    ]
    assert "cert-manager" not in _excluded_namespaces(base)[0]  # the base stays as it was
    for hook, base_hook in zip(patched["webhooks"], base["webhooks"], strict=True):
        others = [
            e
            for e in hook["namespaceSelector"]["matchExpressions"]
            if e["key"] != "kubernetes.io/metadata.name"
        ]
        assert others == [
            e
            for e in base_hook["namespaceSelector"]["matchExpressions"]
            if e["key"] != "kubernetes.io/metadata.name"
        ]
        assert {k: v for k, v in hook.items() if k != "namespaceSelector"} == {
            k: v for k, v in base_hook.items() if k != "namespaceSelector"
        }
    # The guards hold: a base whose selector moved makes the patch fail, not misfire.
    moved = copy.deepcopy(base)
    moved["webhooks"][0]["namespaceSelector"]["matchExpressions"].reverse()
    with pytest.raises(jsonpatch.JsonPatchTestFailed):
        jsonpatch.apply_patch(moved, json_patches[kind])


def test_cert_manager_exclusion_is_documented():
    kustomization = (CERT_MANAGER / "kustomization.yaml").read_text(encoding="utf-8")
    readme = re.sub(r"\s+", " ", (MANIFESTS / "README.md").read_text(encoding="utf-8"))
    assert "`cert-manager`" in kustomization.split("apiVersion:")[0]  # the header comment
    assert "evictguard.io/webhook=ignore" in kustomization
    assert "`cert-manager`" in readme
    assert "evictguard.io/webhook=ignore" in readme
    assert "another namespace" in readme


# --- kustomize ------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", [BASE, CERT_MANAGER], ids=lambda p: p.name)
def test_kustomization_lists_exactly_the_files_present(folder):
    (kustomization,) = documents(folder / "kustomization.yaml")
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["namespace"] == NAMESPACE
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed)), "a resource listed twice"
    files = [r for r in listed if not (folder / r).is_dir()]
    folders = [r for r in listed if (folder / r).is_dir()]
    present = {p.name for p in folder.iterdir() if p.suffix in (".yaml", ".yml")}
    assert set(files) == present - {"kustomization.yaml"}
    for other in folders:
        assert (folder / other / "kustomization.yaml").is_file()


def test_every_folder_of_manifests_is_a_kustomization():
    folders = {p.parent for p in yaml_files()}
    assert folders == {BASE, CERT_MANAGER}
    assert documents(CERT_MANAGER / "kustomization.yaml")[0]["resources"][0] == "../base"


def _kustomize(folder: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    proc = subprocess.run(
        [kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]


@pytest.mark.parametrize("folder", [BASE, CERT_MANAGER], ids=lambda p: p.name)
def test_kustomize_build(folder):
    """What `kubectl apply -k` would send (run only where kubectl is installed)."""
    built = _kustomize(folder)
    folders = {BASE, folder}  # the overlay builds on the base
    sources = [obj for path, obj in OBJECTS if path.parent in folders]
    assert len(built) == len(sources)
    for obj in built:
        if obj["kind"] != "Namespace" and not obj["kind"].endswith("Configuration"):
            assert obj["metadata"]["namespace"] == NAMESPACE
        if not is_cert_manager(obj):
            kubernetes_validate.validate(obj, K8S_VERSIONS[0], strict=True)
        if obj["kind"].endswith("WebhookConfiguration"):
            annotations = obj["metadata"].get("annotations") or {}
            client = obj["webhooks"][0]["clientConfig"]
            assert client["service"]["namespace"] == NAMESPACE
            assert obj["webhooks"][0]["matchConditions"]  # the patch merged, not replaced
            excluded = _excluded_namespaces(obj)
            assert all({"kube-system", NAMESPACE} <= set(v) for v in excluded)
            if folder == CERT_MANAGER:
                assert annotations["cert-manager.io/inject-ca-from"] == f"{NAMESPACE}/{TLS_SECRET}"
                assert "caBundle" not in client
                assert excluded == [[*_excluded_namespaces(find(obj["kind"]))[0], "cert-manager"]]
            else:
                assert "cert-manager.io/inject-ca-from" not in annotations
                assert client["caBundle"] == ""
                assert excluded == _excluded_namespaces(find(obj["kind"]))


# --- evictguard on its own manifests ----------------------------------------------------------


def _assert_lints_clean(*config: str, checked: bool = False) -> None:
    """`checked`: the policy lints evictguard's own namespace (the strict preset); else, as
    admission leaves it out (admission.ignoredNamespaces), its Deployment is named as not
    checked, and the strict run is what holds the manifests to the rules."""
    status, report = run_json("--fail-on", "warning", *config, str(MANIFESTS))
    assert report["findings"] == []
    assert report["errors"] == []
    assert status == 0
    # What gets deployed is linted: the root (cert-manager, built on the base) as kustomize
    # builds it, every object once; the kustomization files and patches are not objects.
    assert report["summary"]["objects"] == len(_kustomize(CERT_MANAGER))
    not_checked = [
        (n["kind"], n["namespace"], n["reason"]) for n in report["summary"]["notChecked"]
    ]
    if checked:
        assert not_checked == []
    else:
        assert not_checked == [("Deployment", NAMESPACE, "namespace left out of admission")]


def test_manifests_pass_evictguard_lint():
    _assert_lints_clean()


def test_manifests_pass_evictguard_lint_strict(tmp_path):
    strict = tmp_path / "strict.yaml"
    strict.write_text("apiVersion: evictguard.io/v1alpha1\nkind: Policy\nextends: strict\n")
    _assert_lints_clean("--config", str(strict), checked=True)


@pytest.fixture
def shipped_policy(tmp_path) -> Path:
    configmap = find("ConfigMap")
    assert set(configmap["data"]) == {"policy.yaml"}
    path = tmp_path / "policy.yaml"
    path.write_text(configmap["data"]["policy.yaml"], encoding="utf-8")
    return path


def test_shipped_policy_loads(shipped_policy):
    data = yaml.safe_load(shipped_policy.read_text())
    assert data["apiVersion"] == "evictguard.io/v1alpha1"
    assert data["kind"] == "Policy"
    assert data["extends"] == "default"
    policy = load_policy_file(str(shipped_policy))
    assert "memory-limit-missing" in policy.active_rules()


def test_shipped_policy_lints_the_examples(shipped_policy):
    good = run_cli("lint", "--config", str(shipped_policy), "examples/good")
    assert good.returncode == 0, good.stdout + good.stderr
    bad = run_cli("lint", "--config", str(shipped_policy), "examples/bad")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    _assert_lints_clean("--config", str(shipped_policy))


def test_shipped_policy_is_where_the_server_reads_it():
    deployment = find("Deployment")
    mounts = {m["name"]: m for m in container(deployment)["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    policy_path = Path(flag(container(deployment)["args"], "--policy"))
    policy_mount = mounts["policy"]
    # A directory mount (no subPath), or ConfigMap updates would never reach the server.
    assert "subPath" not in policy_mount
    assert policy_path.parent == Path(policy_mount["mountPath"])
    assert volumes["policy"]["configMap"]["name"] == find("ConfigMap")["metadata"]["name"]
    assert policy_path.name in find("ConfigMap")["data"]


# --- the webhook configurations -----------------------------------------------------------


@pytest.mark.parametrize("kind", [VALIDATING, MUTATING])
def test_webhook_common_properties(kind):
    hook = webhook(kind)
    assert hook["sideEffects"] == "None"
    assert hook["admissionReviewVersions"] == ["v1", "v1beta1"]
    assert 1 <= hook["timeoutSeconds"] <= 30
    assert hook["timeoutSeconds"] <= 10  # below the API server's default, room for others
    assert hook["matchPolicy"] == "Equivalent"
    assert re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+){2,}", hook["name"])  # 3+ segments
    service = hook["clientConfig"]["service"]
    assert service == {
        "name": SERVICE,
        "namespace": NAMESPACE,
        "path": "/validate" if kind.startswith("Validating") else "/mutate",
        "port": 443,
    }
    assert hook["clientConfig"]["caBundle"] == ""  # filled by inject-ca or cert-manager
    assert "url" not in hook["clientConfig"]
    names = [c["name"] for c in hook["matchConditions"]]
    assert len(names) == len(set(names))
    assert all(c["expression"].strip() for c in hook["matchConditions"])


@pytest.mark.parametrize("kind", [VALIDATING, MUTATING])
def test_webhook_configurations_leave_out_the_default_policys_namespaces(kind, tmp_path):
    """One source of truth: the namespaces the shipped configurations never send are the
    default policy's admission.ignoredNamespaces, which lint leaves out too (named as not
    checked); the evictguard namespace among them is the one manifests/ deploy into."""
    ignored = list(load_preset("default").ignored_namespaces)
    assert _excluded_namespaces(find(kind)) == [ignored]
    (kustomization,) = documents(BASE / "kustomization.yaml")
    assert kustomization["namespace"] in ignored
    assert find("Namespace")["metadata"]["name"] in ignored
    # The policy the webhook is shipped with (the ConfigMap's) keeps that list.
    shipped = tmp_path / "policy.yaml"
    shipped.write_text(find("ConfigMap")["data"]["policy.yaml"], encoding="utf-8")
    assert list(load_policy_file(str(shipped)).ignored_namespaces) == ignored


@pytest.mark.parametrize("kind", [VALIDATING, MUTATING])
def test_webhook_never_applies_to_kube_system_or_itself(kind):
    """So evictguard can never block its own restart, nor the cluster's components."""
    expressions = webhook(kind)["namespaceSelector"]["matchExpressions"]
    assert "matchLabels" not in webhook(kind)["namespaceSelector"]
    by_name = [e for e in expressions if e["key"] == "kubernetes.io/metadata.name"]
    assert len(by_name) == 1
    assert by_name[0]["operator"] == "NotIn"
    assert {"kube-system", NAMESPACE} <= set(by_name[0]["values"])
    (opt_out,) = [e for e in expressions if e["key"] == "evictguard.io/webhook"]
    assert opt_out == {"key": "evictguard.io/webhook", "operator": "NotIn", "values": ["ignore"]}
    # ...and the namespace really carries the label (and the name label is the API's own).
    namespace = find("Namespace")
    assert namespace["metadata"]["name"] == NAMESPACE
    assert namespace["metadata"]["labels"]["evictguard.io/webhook"] == "ignore"
    assert "objectSelector" not in webhook(kind)


def test_validating_webhook_rules_and_failure_policy():
    hook = webhook(VALIDATING)
    assert hook["failurePolicy"] == "Fail"  # enforcement never silently turns off
    assert "reinvocationPolicy" not in hook  # a mutating-only field
    covered: dict[str, set[str]] = {}
    subresources: dict[str, list[str]] = {}
    for rule in hook["rules"]:
        assert rule["apiVersions"] == ["v1"]
        assert rule["scope"] == "Namespaced"
        assert not any("*" in r for r in rule["resources"])
        for resource in rule["resources"]:
            if "/" in resource:
                assert rule["apiGroups"] == [""]
                subresources[resource] = sorted(rule["operations"])
            else:
                assert sorted(rule["operations"]) == ["CREATE", "UPDATE"]
                for group in rule["apiGroups"]:
                    covered.setdefault(group, set()).add(resource)
    assert covered == WORKLOAD_RULES
    # In-place resize (PUT/PATCH .../pods/NAME/resize) reaches admission as operation UPDATE
    # on resource `pods` with subResource `resize`, which a rule for `pods` does not match.
    # The other Pod subresources that write need nothing: /ephemeralcontainers can change
    # only ephemeral containers (which cannot set resources), /binding takes a Binding.
    assert subresources == {"pods/resize": ["UPDATE"]}


def test_mutating_webhook_rules_and_failure_policy():
    hook = webhook(MUTATING)
    assert hook["failurePolicy"] == "Ignore"  # defaults are a convenience
    assert hook["reinvocationPolicy"] == "IfNeeded"
    assert hook["rules"] == [
        {
            "apiGroups": [""],
            "apiVersions": ["v1"],
            "operations": ["CREATE"],
            "resources": ["pods"],
            "scope": "Namespaced",
        }
    ]


def test_webhooks_are_backed_by_two_replicas_and_a_pdb():
    """failurePolicy: Fail is only safe with more than one replica that cannot all be
    drained at once."""
    deployment = find("Deployment")
    pdb = find("PodDisruptionBudget")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    service = find("Service")
    assert service["metadata"]["name"] == SERVICE
    assert service["metadata"]["namespace"] == NAMESPACE
    assert service["spec"]["selector"].items() <= labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    (port,) = service["spec"]["ports"]
    assert port["port"] == 443
    (container_port,) = container(deployment)["ports"]
    assert container_port["containerPort"] == 8443
    assert port["targetPort"] in (8443, container_port["name"])


# --- matchConditions, evaluated (CEL) -----------------------------------------------------


def _request(
    resource: str,
    operation: str,
    groups: tuple[str, ...] = (),
    *,
    subresource: str = "",
    username: str = "someone",
) -> dict[str, Any]:
    """`request` as the API server builds it for matchConditions: up to 1.34 it is the
    AdmissionRequest converted to unstructured (k8s.io/apiserver admission/plugin/cel),
    so the `omitempty` fields (subResource, requestSubResource) are absent when empty."""
    group = next(g for g, kinds in WORKLOAD_RULES.items() if resource in kinds)
    gvr = {"group": group, "version": "v1", "resource": resource}
    request: dict[str, Any] = {
        "operation": operation,
        "resource": gvr,
        "requestResource": gvr,
        "userInfo": {"username": username, "groups": ["system:authenticated", *groups]},
    }
    if subresource:
        request["subResource"] = request["requestSubResource"] = subresource
    return request


POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}}
MIRROR = {**POD, "metadata": {"name": "p", "annotations": {"kubernetes.io/config.mirror": "x"}}}
DEPLOY = {"metadata": {"name": "d"}, "spec": {"replicas": 1, "template": {"spec": {}}}}
SCALED = {**DEPLOY, "spec": {**DEPLOY["spec"], "replicas": 3}}
RETEMPLATED = {**DEPLOY, "spec": {**DEPLOY["spec"], "template": {"spec": {"x": 1}}}}
LABELLED = {**DEPLOY, "metadata": {"name": "d", "labels": {"a": "b"}, "finalizers": []}}
PODTEMPLATE = {"metadata": {"name": "t"}, "template": {"spec": {}}}
CRONJOB = {"metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {}}}}}
CRONJOB_CHANGED = {"metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"x": 1}}}}
PDB = {"metadata": {"name": "b"}, "spec": {"maxUnavailable": 1, "selector": {}}}
PDB_CHANGED = {**PDB, "spec": {**PDB["spec"], "maxUnavailable": 0}}
PDB_LABELLED = {**PDB, "metadata": {"name": "b", "labels": {"a": "b"}}}
EXEMPT = "evictguard.io/exempt"


def _annotated(obj: dict[str, Any], **annotations: str) -> dict[str, Any]:
    return {**obj, "metadata": {**obj["metadata"], "annotations": annotations}}


def _exempt(obj: dict[str, Any], value: str) -> dict[str, Any]:
    return _annotated(obj, **{EXEMPT: value})


def _sized(limit: str) -> dict[str, Any]:
    container = {"name": "app", "resources": {"limits": {"memory": limit}}}
    return {**POD, "spec": {"containers": [container]}}


RESIZE = ("pods", "UPDATE")
RESIZE_KW = {"subresource": "resize"}
NODE = {"groups": ("system:nodes",), "username": "system:node:n1"}
# Not a node for NodeRestriction (pkg/auth/nodeidentifier NodeIdentity needs the username
# prefix `system:node:` as well as the group), though it carries the group.
IMPOSTOR = {"groups": ("system:nodes",), "username": "mallory"}


@pytest.mark.parametrize(
    ("kind", "request_", "obj", "old", "called"),
    [
        (VALIDATING, ("pods", "CREATE"), POD, None, True),
        (VALIDATING, ("pods", "CREATE"), MIRROR, None, False),
        (VALIDATING, ("pods", "UPDATE"), POD, POD, False),
        (VALIDATING, ("pods", "UPDATE"), POD, {**POD, "spec": {}}, True),
        (VALIDATING, ("deployments", "CREATE"), DEPLOY, None, True),
        (VALIDATING, ("deployments", "UPDATE"), SCALED, DEPLOY, False),
        (VALIDATING, ("deployments", "UPDATE"), LABELLED, DEPLOY, False),
        (VALIDATING, ("deployments", "UPDATE"), RETEMPLATED, DEPLOY, True),
        (VALIDATING, ("podtemplates", "UPDATE"), PODTEMPLATE, PODTEMPLATE, False),
        (VALIDATING, ("cronjobs", "UPDATE"), CRONJOB_CHANGED, CRONJOB, True),
        (VALIDATING, ("cronjobs", "UPDATE"), CRONJOB, CRONJOB, False),
        # A budget's spec is what its rule judges: a change to it is judged, relabelling not.
        (VALIDATING, ("poddisruptionbudgets", "CREATE"), PDB, None, True),
        (VALIDATING, ("poddisruptionbudgets", "UPDATE"), PDB_CHANGED, PDB, True),
        (VALIDATING, ("poddisruptionbudgets", "UPDATE"), PDB_LABELLED, PDB, False),
        (VALIDATING, ("poddisruptionbudgets", "UPDATE"), _exempt(PDB, "*"), PDB, True),
        # The group alone proves nothing: no condition trusts an identity any more.
        (VALIDATING, ("pods", "CREATE", IMPOSTOR), POD, None, True),
        (VALIDATING, ("deployments", "CREATE", IMPOSTOR), DEPLOY, None, True),
        # A real kubelet creates only mirror Pods (NodeRestriction): those are skipped...
        (VALIDATING, ("pods", "CREATE", NODE), MIRROR, None, False),
        # ...and anything else it sent would be judged like anyone's.
        (VALIDATING, ("pods", "CREATE", NODE), POD, None, True),
        # pods/resize: the whole Pod as object and oldObject; judged when resources change.
        (VALIDATING, (*RESIZE, RESIZE_KW), _sized("2Gi"), _sized("1Gi"), True),
        (VALIDATING, (*RESIZE, RESIZE_KW), _sized("1Gi"), _sized("1Gi"), False),
        (VALIDATING, (*RESIZE, RESIZE_KW), _exempt(_sized("2Gi"), "*"), _sized("1Gi"), True),
        (
            VALIDATING,
            (*RESIZE, RESIZE_KW),
            _annotated(_sized("2Gi"), **{"kubernetes.io/config.mirror": "x"}),
            _annotated(_sized("1Gi"), **{"kubernetes.io/config.mirror": "x"}),
            False,
        ),
        # The object's own evictguard.io/exempt: removed, added or changed -> judged.
        (VALIDATING, ("pods", "UPDATE"), POD, _exempt(POD, "*"), True),
        (VALIDATING, ("pods", "UPDATE"), _exempt(POD, "*"), POD, True),
        (VALIDATING, ("pods", "UPDATE"), _exempt(POD, "a"), _exempt(POD, "a,b"), True),
        (VALIDATING, ("pods", "UPDATE"), _exempt(POD, ""), POD, True),  # "" is not absent
        (VALIDATING, ("pods", "UPDATE"), _exempt(POD, "*"), _exempt(POD, "*"), False),
        (VALIDATING, ("pods", "UPDATE"), _annotated(POD, a="b"), POD, False),
        (VALIDATING, ("pods", "UPDATE"), _annotated(POD, a="b"), _annotated(POD), False),
        (VALIDATING, ("deployments", "UPDATE"), DEPLOY, _exempt(DEPLOY, "*"), True),
        (VALIDATING, ("deployments", "UPDATE"), _exempt(SCALED, "*"), DEPLOY, True),
        (
            VALIDATING,
            ("deployments", "UPDATE"),
            _exempt(LABELLED, "*"),
            _exempt(DEPLOY, "*"),
            False,
        ),
        (VALIDATING, ("podtemplates", "UPDATE"), PODTEMPLATE, _exempt(PODTEMPLATE, "*"), True),
        (VALIDATING, ("cronjobs", "UPDATE"), _exempt(CRONJOB, "x"), CRONJOB, True),
        # A template's own annotation is inside spec.template: a template change.
        (
            VALIDATING,
            ("deployments", "UPDATE"),
            DEPLOY,
            {**DEPLOY, "spec": {**DEPLOY["spec"], "template": _exempt({"metadata": {}}, "*")}},
            True,
        ),
        (MUTATING, ("pods", "CREATE"), POD, None, True),
        (MUTATING, ("pods", "CREATE"), MIRROR, None, False),
        (MUTATING, ("pods", "CREATE", IMPOSTOR), POD, None, True),
        (MUTATING, ("pods", "CREATE", NODE), MIRROR, None, False),
    ],
)
def test_match_conditions(kind, request_, obj, old, called):
    """Which requests reach the webhook. Evaluated with cel-python (celpy) where it is
    installed; the API server uses cel-go, which agrees on these plain expressions. Every
    condition must evaluate to a bool: an evaluation error refuses the request under
    failurePolicy Fail (k8s.io/apiserver admission/plugin/webhook/matchconditions)."""
    celpy = pytest.importorskip("celpy")
    env = celpy.Environment()
    args = [a for a in request_ if not isinstance(a, dict)]
    kwargs = {k: v for a in request_ if isinstance(a, dict) for k, v in a.items()}
    activation = {
        "request": celpy.json_to_cel(_request(*args, **kwargs)),
        "object": celpy.json_to_cel(obj),
        "oldObject": celpy.json_to_cel(old),
    }
    results = [
        env.program(env.compile(condition["expression"])).evaluate(activation)
        for condition in webhook(kind)["matchConditions"]
    ]
    assert all(isinstance(r, celpy.celtypes.BoolType) for r in results), results
    assert all(results) is called


@pytest.mark.parametrize("kind", [VALIDATING, MUTATING])
def test_match_conditions_trust_no_identity(kind):
    """A condition that skips the webhook for some user or group is a bypass for anyone
    who can present it (the group system:nodes alone does not make a node; NodeRestriction,
    which would check the username too, may be off). Mirror Pods, the only Pods a kubelet
    may create, are skipped by what they are, not by who sends them."""
    for condition in webhook(kind)["matchConditions"]:
        assert "userInfo" not in condition["expression"], condition["name"]
        assert "system:node" not in condition["expression"], condition["name"]


# --- the Deployment -------------------------------------------------------------------------


def test_deployment_security_context():
    deployment = find("Deployment")
    pod = deployment["spec"]["template"]["spec"]
    c = container(deployment)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 65532
    assert pod["securityContext"]["runAsGroup"] == 65532
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    ctx = c["securityContext"]
    assert ctx["runAsNonRoot"] is True
    assert ctx["runAsUser"] == 65532
    assert ctx["runAsGroup"] == 65532
    assert ctx["readOnlyRootFilesystem"] is True
    assert ctx["allowPrivilegeEscalation"] is False
    assert ctx["capabilities"] == {"drop": ["ALL"]}
    assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}
    assert not ctx.get("privileged")
    # No API access at all: no token in the Pod, none from the ServiceAccount either.
    assert pod["automountServiceAccountToken"] is False
    account = find("ServiceAccount")
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    assert account["automountServiceAccountToken"] is False
    assert not any(obj["kind"] in ("Role", "ClusterRole") for _, obj in OBJECTS)
    assert not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC")


def test_network_policy_opens_only_the_webhook_port_and_no_egress():
    policy = find("NetworkPolicy")
    deployment = find("Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = policy["spec"]["podSelector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()  # it selects the webhook's pods
    assert policy["metadata"]["namespace"] == deployment["metadata"]["namespace"]
    assert sorted(policy["spec"]["policyTypes"]) == ["Egress", "Ingress"]
    [rule] = policy["spec"]["ingress"]
    [port] = container(deployment)["ports"]
    assert rule["ports"] == [{"protocol": "TCP", "port": port["containerPort"]}]
    # No `from`: the API server runs on the host network, where no selector can name it;
    # the file says how to narrow it to the control plane's addresses.
    assert "from" not in rule
    assert policy["spec"]["egress"] == []  # no API calls, no DNS


def test_deployment_volumes():
    deployment = find("Deployment")
    c = container(deployment)
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    # The only writable place: /tmp (gunicorn heartbeats, Prometheus multiprocess files).
    assert "emptyDir" in volumes[mounts["/tmp"]["name"]]
    assert not mounts["/tmp"].get("readOnly")
    writable = [m for m in c["volumeMounts"] if not m.get("readOnly")]
    assert [m["mountPath"] for m in writable] == ["/tmp"]
    cert_dir = flag(c["args"], "--cert-dir")
    tls = mounts[cert_dir]
    assert tls["readOnly"] is True
    assert "subPath" not in tls  # or a renewed certificate would never reach the server
    assert volumes[tls["name"]]["secret"]["secretName"] == TLS_SECRET
    assert volumes[tls["name"]]["secret"]["defaultMode"] & 0o007 == 0  # not world-readable


def test_deployment_command_line():
    c = container(find("Deployment"))
    assert c["image"] == "ghcr.io/evictguard/evictguard:0.1.0"
    assert "command" not in c  # the image's ENTRYPOINT, evictguard
    args = c["args"]
    assert args[0] == "serve"
    assert flag(args, "--bind") == "0.0.0.0:8443"
    assert flag(args, "--cert-dir") == "/etc/evictguard/tls"
    assert flag(args, "--policy") == "/etc/evictguard/policy/policy.yaml"
    assert int(flag(args, "--workers")) >= 1


def test_deployment_probes():
    c = container(find("Deployment"))
    for probe, path in (
        ("startupProbe", "/healthz"),
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
    ):
        get = c[probe]["httpGet"]
        assert get["path"] == path
        assert get["scheme"] == "HTTPS"
        assert get["port"] in ("https", 8443)
    assert c["ports"] == [{"name": "https", "containerPort": 8443, "protocol": "TCP"}]


# Measured (gunicorn master + 2 gthread workers of 4 threads): about 48 MiB RSS per idle
# process; 567 MiB at the peak of 8 concurrent 3.3 MiB /mutate reviews.
IDLE_PROCESS_MIB, BURST_PEAK_MIB = 48, 567
MIB = 1024 * 1024


def _mib(value: str) -> float:
    return parse_manifest_quantity(value).value / MIB


def test_deployment_resources():
    deployment = find("Deployment")
    c = container(deployment)
    requests, limits = c["resources"]["requests"], c["resources"]["limits"]
    assert requests["memory"] and limits["memory"] and requests["cpu"]
    assert "cpu" not in limits  # throttling would add latency to every admission
    request, limit = _mib(requests["memory"]), _mib(limits["memory"])
    # The limit holds the measured burst plus the in-memory /tmp at its cap, with room
    # to spare (a burst of the full 4 MiB bodies weighs more than the 3.3 MiB measured).
    tmp = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}["tmp"]
    assert tmp["emptyDir"]["medium"] == "Memory"
    assert limit >= 1.5 * (BURST_PEAK_MIB + _mib(tmp["emptyDir"]["sizeLimit"]))
    # The request covers the steady state (master + workers) several times over...
    processes = 1 + int(flag(c["args"], "--workers"))
    assert request >= 3 * processes * IDLE_PROCESS_MIB
    # ...within the strict preset's memory-limit-ratio (max 2): the manifests lint clean
    # under strict (test_manifests_pass_evictguard_lint_strict).
    assert limit / request <= load_preset("strict").rules["memory-limit-ratio"].params["max"]


def test_deployment_memory_comment_states_the_measurement():
    text = (BASE / "deployment.yaml").read_text(encoding="utf-8")
    comment = " ".join(
        line.strip().lstrip("#").strip()
        for line in text.splitlines()
        if line.strip().startswith("#")
    )
    assert f"{BURST_PEAK_MIB} MiB" in comment
    assert f"about {IDLE_PROCESS_MIB} MiB per idle process" in comment
    assert "4 MiB each" not in comment  # the old, unmeasured claim


def test_deployment_scheduling():
    deployment = find("Deployment")
    pod = deployment["spec"]["template"]["spec"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    spread = {c["topologyKey"]: c for c in pod["topologySpreadConstraints"]}
    assert set(spread) == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
    for constraint in spread.values():
        assert constraint["maxSkew"] == 1
        assert constraint["labelSelector"]["matchLabels"].items() <= labels.items()
        # Only nodes these Pods can land on count as domains: unset, nodeTaintsPolicy is
        # Ignore, so a tainted control-plane node would be an empty domain and, with
        # DoNotSchedule, could keep the second replica Pending on a small cluster.
        assert constraint["nodeTaintsPolicy"] == "Honor"
        assert constraint["nodeAffinityPolicy"] == "Honor"
    assert spread["kubernetes.io/hostname"]["whenUnsatisfiable"] == "DoNotSchedule"
    preferred = pod["affinity"]["podAntiAffinity"][
        "preferredDuringSchedulingIgnoredDuringExecution"
    ]
    assert preferred[0]["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert (
        "requiredDuringSchedulingIgnoredDuringExecution" not in pod["affinity"]["podAntiAffinity"]
    )
    # Bounded NoExecute tolerations only, nothing for control-plane or pressure taints.
    for toleration in pod.get("tolerations", []):
        assert toleration["effect"] == "NoExecute"
        assert 60 <= toleration["tolerationSeconds"] <= 300
    # Time to finish in-flight reviews: more than the webhooks' timeout and the preStop.
    timeout = max(webhook(k)["timeoutSeconds"] for k in (VALIDATING, MUTATING))
    pre_stop = int(container(deployment)["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert pod["terminationGracePeriodSeconds"] > pre_stop + timeout


# --- the image ------------------------------------------------------------------------------


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", text)
    lines = [
        ln.strip() for ln in joined.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1]) for ln in lines]


def test_dockerfile_matches_the_deployment():
    instructions = _dockerfile()
    final = instructions[max(i for i, (op, _) in enumerate(instructions) if op == "FROM") :]
    assert all(args.split()[0] == "python:3.12-slim" for op, args in instructions if op == "FROM")
    values = {op: args for op, args in final}
    assert values["USER"] == "65532:65532"  # numeric: runAsNonRoot can check it
    assert json.loads(values["ENTRYPOINT"]) == ["evictguard"]
    (port,) = container(find("Deployment"))["ports"]
    assert values["EXPOSE"] == str(port["containerPort"])
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert container(find("Deployment"))["image"].endswith(f":{version}")


def test_dockerfile_copies_every_package():
    """A folder the package is built from must reach the image: COPY it, and let
    .dockerignore pass it."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    # The folders the installed package is built from (package-dir: evictguard = policies/)
    packages = set(project["tool"]["setuptools"]["package-dir"].values())
    copied = set()
    for op, args in _dockerfile():
        if op == "COPY" and not args.startswith("--from"):
            copied.update(args.split()[:-1])
    assert packages | {"pyproject.toml", project["project"]["readme"]} <= copied
    for source in copied:
        assert (ROOT / source).exists(), source
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignore[ignore.index("*") + 1 :]  # an allow-list, everything else left out
    for source in copied:
        assert f"!{source}" in ignore, f"{source} is excluded from the build context"
