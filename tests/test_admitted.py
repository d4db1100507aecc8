"""`--as-admitted`: what the cluster does to a Pod on CREATE, applied before the rules.

The expectations come from the Kubernetes source (kubernetes/kubernetes), cited per test:
- plugin/pkg/admission/limitranger/admission.go (`defaultContainerResourceRequirements`,
  `mergeContainerResources`, `mergePodResourceRequirements`, `runLimitFunc`) and its
  admission_test.go (`TestDefaultContainerResourceRequirements`,
  `TestMergePodResourceRequirements`);
- pkg/apis/core/v1/defaults.go (`SetDefaults_Pod`, `SetDefaults_LimitRangeItem`,
  `defaultPodRequests`) and defaults_test.go (`TestSetDefaultLimitRangeItem`);
- pkg/apis/core/validation/validation.go (`ValidateLimitRange`);
- plugin/pkg/admission/podtolerationrestriction/admission.go (`Admit`, `extractNSTolerations`);
- pkg/util/tolerations/tolerations.go (`MergeTolerations`, `isSuperset`) and
  tolerations_test.go (`TestMergeTolerations`, `TestFuzzed`);
- pkg/kubeapiserver/options/plugins.go (`AllOrderedPlugins`: LimitRanger, ...,
  DefaultTolerationSeconds, PodTolerationRestriction).
"""

from __future__ import annotations

import dataclasses
import pickle
import random
import re
from pathlib import Path
from typing import Any

import pytest
from evictguard.engine.check import check_object
from evictguard.k8s.admission.errors import InvalidObject
from evictguard.k8s.admission.limitrange import read_limit_range
from evictguard.k8s.admission.podtolerationrestriction import (
    decode_tolerations_annotation,
    merge_tolerations,
)
from evictguard.k8s.tolerations import Toleration, is_superset
from evictguard.lint.as_admitted import Admitter, build_admitter
from evictguard.lint.files import LintOptions, lint_sources
from evictguard.model import Finding, ObjectRef, Severity
from evictguard.policy.load import load_policy_file, load_preset
from evictguard.policy.model import ConfigError
from evictguard.yaml.loader import load_text, read_sources

from tests.conftest import DATA, ROOT, run_cli, run_json

HERE = DATA / "admitted"
SAME_INPUT = "tests/data/admitted/same-input.yaml"
ABOVE_DEFAULT = "tests/data/admitted/request-above-default.yaml"
WORKLOADS = "tests/data/admitted/workloads.yaml"
CLUSTER = "tests/data/admitted/cluster"
POLICY = load_preset("default")
NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"


def _memory(findings: list[dict[str, Any]]) -> set[tuple[str, str, int]]:
    return {
        (f["rule"], f"{f['namespace']}/{f['name']}", f["line"])
        for f in findings
        if f["rule"].startswith("memory-")
    }


# --- through the real command line --------------------------------------------------------


def test_limitrange_in_the_input_supplies_the_missing_limit() -> None:
    code, plain = run_json(SAME_INPUT)
    assert code == 1
    assert _memory(plain["findings"]) == {
        ("memory-limit-missing", "shop/web", 26),  # neither value: one finding each
        ("memory-limit-missing", "other/web", 40),
    }
    code, admitted = run_json("--as-admitted", SAME_INPUT)
    assert code == 1
    # shop's LimitRange gives web a 512Mi limit and a 256Mi request; other has none.
    assert _memory(admitted["findings"]) == {("memory-limit-missing", "other/web", 40)}
    other = [f for f in admitted["findings"] if f["namespace"] == "other"]
    assert all("as admitted" not in f["message"] and f["fix"] for f in other)
    assert admitted["errors"] == []


def test_limitrange_default_below_the_request_is_named_in_the_finding() -> None:
    code, plain = run_json(ABOVE_DEFAULT)
    assert [f["rule"] for f in plain["findings"]] == ["memory-limit-missing"]
    code, report = run_json("--as-admitted", ABOVE_DEFAULT)
    assert code == 1
    [finding] = report["findings"]
    assert finding["rule"] == "memory-request-exceeds-limit"
    assert finding["line"] == 29  # the request as written: `memory: 1Gi`
    assert finding["pointer"] == "/spec/template/spec/containers/0/resources/requests/memory"
    assert finding["message"] == (
        'Deployment batch/cruncher: container "cruncher" requests 1Gi of memory, more than its '
        'limit 512Mi; the API server rejects it ("must be less than or equal to memory limit '
        'of 512Mi") [as admitted: memory limit 512Mi from LimitRange batch/small (default)]'
    )
    assert finding["fix"] is None


def test_cluster_context_directory_with_limitrange_and_namespace() -> None:
    code, report = run_json("--cluster-context", CLUSTER, WORKLOADS)
    assert code == 1
    found = {(f["rule"], f["namespace"], f["line"]) for f in report["findings"]}
    assert found == {
        # shop: LimitRange max 2Gi (so default and defaultRequest 2Gi); the namespace's
        # default toleration of unreachable has no tolerationSeconds.
        ("noexecute-unbounded", "shop", 12),
        # other: no LimitRange, no default tolerations: as written.
        ("memory-limit-missing", "other", 28),
    }
    [unbounded] = [f for f in report["findings"] if f["rule"] == "noexecute-unbounded"]
    # DefaultTolerationSeconds put not-ready first; the merge dropped its 300 s unreachable
    # toleration, which the namespace's unbounded one is a superset of.
    assert unbounded["pointer"] == "/spec/template/spec/tolerations/1/tolerationSeconds"
    assert unbounded["message"].endswith(
        "[as admitted: toleration {key: node.kubernetes.io/unreachable, operator: Exists, "
        "effect: NoExecute} from namespace shop defaultTolerations]"
    )
    assert unbounded["fix"] is None
    # The same files without the directory: nothing is admitted.
    code, plain = run_json(WORKLOADS)
    assert {(f["rule"], f["namespace"]) for f in plain["findings"]} == {
        ("memory-limit-missing", "shop"),
        ("memory-limit-missing", "other"),
    }


def test_bad_context_is_a_usage_error_with_file_and_line() -> None:
    proc = run_cli("lint", "--cluster-context", "tests/data/admitted/bad-context", WORKLOADS)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "tests/data/admitted/bad-context/limitrange.yaml:10: LimitRange shop/typo: "
        "spec.limits[0].default.memory: not a quantity: quantities must match the regular "
        "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        "tests/data/admitted/bad-context/namespace.yaml:6: Namespace shop: "
        "metadata.annotations.scheduler.alpha.kubernetes.io/defaultTolerations: "
        "PodTolerationRestriction cannot decode it (json: cannot unmarshal object into Go "
        "value of type []v1.Toleration): it refuses every Pod created in the namespace",
    ]


def test_limitrange_supplied_limit_explains_the_ratio_finding() -> None:
    policy = load_policy_file(str(ROOT / "tests/data/config/only-ratio.yaml"))
    sources = list(read_sources([str(HERE / "ratio.yaml")]))
    context = [item.obj for s in sources for item in load_text(s.text or "", s.name).objects]
    options = LintOptions(admit=build_admitter(context, None))
    report = lint_sources(sources, policy, options)
    ratio = [f for f in report.findings if f.rule == "memory-limit-ratio"]
    assert [(f.line, f.pointer) for f in ratio] == [
        (20, "/spec/containers/0/resources/limits/memory")  # the container: no resources
    ]
    assert ratio[0].message == (
        'Pod worker: container "worker": memory limit 4Gi is 16x its request 256Mi (policy '
        "maximum 4x) [as admitted: memory limit 4Gi from LimitRange default/roomy (default); "
        "memory request 256Mi from LimitRange default/roomy (defaultRequest)]"
    )
    # Without admission nothing is set, so there is no ratio to judge.
    plain = lint_sources(sources, policy)
    assert not [f for f in plain.findings if f.rule == "memory-limit-ratio"]


# --- helpers for the unit tests -------------------------------------------------------------


def limit_range(
    name: str = "lr", namespace: str | None = "ns", **lists: dict[str, Any]
) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "Container", **lists}
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": metadata,
        "spec": {"limits": [item]},
    }


def namespace(name: str, tolerations: str | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if tolerations is not None:
        metadata["annotations"] = {"scheduler.alpha.kubernetes.io/defaultTolerations": tolerations}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


def pod(*containers: dict[str, Any], ns: str | None = "ns", **spec: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "p"}
    if ns is not None:
        metadata["namespace"] = ns
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"containers": list(containers), **spec},
    }


def container(name: str = "app", **resources: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"name": name, "image": "example/app:1"}
    if resources:
        data["resources"] = resources
    return data


def admit(obj: dict[str, Any], *context: dict[str, Any], **options: Any) -> dict[str, Any]:
    admitted, _ = build_admitter(list(context), None, **options)(obj, POLICY)
    return admitted


def resources_of(obj: dict[str, Any], index: int = 0, field: str = "containers") -> Any:
    return obj["spec"][field][index].get("resources")


# --- LimitRanger ----------------------------------------------------------------------------


def upstream_valid_limit_range() -> dict[str, Any]:
    """admission_test.go `validLimitRange`: a Pod item and a Container item."""
    lr = limit_range(
        name="abc",
        namespace="test",
        max={"cpu": "100m", "memory": "2Gi"},
        min={"cpu": "25m", "memory": "1Mi"},
        default={"cpu": "75m", "memory": "10Mi"},
        defaultRequest={"cpu": "50m", "memory": "5Mi"},
    )
    pod_item = {
        "type": "Pod",
        "max": {"cpu": "200m", "memory": "4Gi"},
        "min": {"cpu": "50m", "memory": "2Mi"},
    }
    lr["spec"]["limits"].insert(0, pod_item)
    return lr


def test_default_container_resource_requirements_and_annotation() -> None:
    """TestDefaultContainerResourceRequirements and the first case of
    TestMergePodResourceRequirements: a container with no resources gets every default,
    and the Pod says so in `kubernetes.io/limit-ranger`."""
    obj = pod(container("foo-0"), ns="test")
    admitted = admit(obj, upstream_valid_limit_range())
    assert resources_of(admitted) == {
        "limits": {"cpu": "75m", "memory": "10Mi"},
        "requests": {"cpu": "50m", "memory": "5Mi"},
    }
    assert admitted["metadata"]["annotations"] == {
        "kubernetes.io/limit-ranger": "LimitRanger plugin set: cpu, memory request for "
        "container foo-0; cpu, memory limit for container foo-0"
    }
    assert "resources" not in obj["spec"]["containers"][0]  # the input is not changed


def test_only_missing_resources_are_merged_also_into_init_containers() -> None:
    """TestMergePodResourceRequirements, second case: a container that requests memory
    keeps it and gets the rest; init containers are merged too (`init container` in the
    annotation); ephemeral containers are not."""
    obj = pod(
        container("foo-0", requests={"memory": "512Mi"}),
        ns="test",
        initContainers=[container("init-0", requests={"memory": "512Mi"})],
        ephemeralContainers=[{"name": "debug", "image": "busybox"}],
    )
    admitted = admit(obj, upstream_valid_limit_range())
    expected = {
        "requests": {"memory": "512Mi", "cpu": "50m"},
        "limits": {"cpu": "75m", "memory": "10Mi"},
    }
    assert resources_of(admitted) == expected
    assert resources_of(admitted, 0, "initContainers") == expected
    assert "resources" not in admitted["spec"]["ephemeralContainers"][0]
    assert admitted["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu request for container foo-0; cpu, memory limit for "
        "container foo-0; cpu request for init container init-0; cpu, memory limit for init "
        "container init-0"
    )


def test_a_present_key_is_never_replaced_even_null() -> None:
    """mergeContainerResources tests `_, found := container.Resources.Limits[k]`: a key
    that is there (null decodes to a zero quantity) stays."""
    obj = pod(container(limits={"memory": None}, requests={"memory": "0"}))
    admitted = admit(obj, limit_range(default={"memory": "1Gi"}))
    assert resources_of(admitted) == {"limits": {"memory": None}, "requests": {"memory": "0"}}


def test_set_defaults_pod_runs_before_limitranger() -> None:
    """Defaulting runs when the body is decoded, before admission: a limit without a request
    becomes the request (SetDefaults_Pod), so LimitRange's defaultRequest never applies
    (kubernetes.io docs, memory-default-namespace: "the container's memory request is set
    to match its memory limit ... not assigned the default memory request value"). The copy
    itself is left to the rules (`effective_request`), which already make it."""
    obj = pod(container(limits={"memory": "1Gi"}))
    lr = limit_range(default={"memory": "512Mi", "cpu": "1"}, defaultRequest={"memory": "256Mi"})
    admitted = admit(obj, lr)
    assert resources_of(admitted) == {
        "limits": {"memory": "1Gi", "cpu": "1"},
        "requests": {"cpu": "1"},  # from the cpu default: SetDefaults_LimitRangeItem
    }
    # The rules see a request of 1Gi: no finding on this container at all.
    assert not check_object(admitted, POLICY).findings


def test_set_defaults_limit_range_item() -> None:
    """defaults_test.go TestSetDefaultLimitRangeItem: max cpu 100m and min memory 100Mi give
    default cpu 100m, default request cpu 100m (from the default) and memory 100Mi (min)."""
    lr = limit_range(max={"cpu": "100m"}, min={"memory": "100Mi"}, default={}, defaultRequest={})
    admitted, explain = build_admitter([lr], None)(pod(container()), POLICY)
    assert resources_of(admitted) == {
        "limits": {"cpu": "100m"},
        "requests": {"cpu": "100m", "memory": "100Mi"},
    }
    sources = explain.args[0].supplied  # type: ignore[attr-defined]
    assert sorted(s.source for s in sources) == [
        "LimitRange ns/lr (default, from max)",
        "LimitRange ns/lr (defaultRequest, from max, via default)",
        "LimitRange ns/lr (defaultRequest, from min)",
    ]


def test_several_limitranges_the_first_fills_what_is_missing() -> None:
    """runLimitFunc calls PodMutateLimitFunc for each LimitRange of the namespace and each
    fills only missing keys: the first applied wins. The lister's order is a Go map's, so
    the explanation names the other value."""
    a = limit_range("a", default={"memory": "1Gi"})
    b = limit_range("b", default={"memory": "2Gi", "cpu": "1"})
    admitted, explain = build_admitter([b, a], None)(pod(container()), POLICY)
    assert resources_of(admitted)["limits"] == {"memory": "1Gi", "cpu": "1"}
    message = explain(_finding("/spec/containers/0/resources/limits/memory")).message
    assert message.endswith(
        "[as admitted: memory limit 1Gi from LimitRange ns/a (default); LimitRange ns/b has "
        "2Gi, and LimitRanger applies a namespace's LimitRanges in no defined order; memory "
        "request 1Gi from LimitRange ns/a (defaultRequest, from default); LimitRange ns/b has "
        "2Gi, and LimitRanger applies a namespace's LimitRanges in no defined order]"
    )
    # Each LimitRange that sets something rewrites the annotation: b set the cpu.
    assert admitted["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu request for container app; cpu limit for container app"
    )


def test_objects_in_other_namespaces_and_other_kinds_are_untouched() -> None:
    admitter = build_admitter([limit_range(default={"memory": "1Gi"})], None)
    other = pod(container(), ns="other")
    assert admitter(other, POLICY)[0] is other
    assert admitter(limit_range(), POLICY)[0]["kind"] == "LimitRange"
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}
    obj, explain = admitter(service, POLICY)
    assert obj is service and explain(_finding("/spec")) == _finding("/spec")


def test_no_namespace_means_default() -> None:
    """kubectl apply puts an object without metadata.namespace in the context's namespace,
    `default` unless configured: for LimitRanges and for the objects linted."""
    lr = limit_range(namespace=None, default={"memory": "1Gi"})
    assert resources_of(admit(pod(container(), ns=None), lr))["limits"] == {"memory": "1Gi"}
    assert resources_of(admit(pod(container(), ns="default"), lr))["limits"] == {"memory": "1Gi"}
    assert resources_of(admit(pod(container(), ns="ns"), lr)) is None


def test_templates_get_what_their_pods_get() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "ns"},
        "spec": {"template": {"spec": {"containers": [container(limits={"cpu": "1"})]}}},
    }
    admitted = admit(deployment, limit_range(default={"memory": "1Gi"}))
    template = admitted["spec"]["template"]
    assert template["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "1", "memory": "1Gi"},
        "requests": {"memory": "1Gi"},  # cpu: the Pod's copy of its limit (SetDefaults_Pod)
    }
    assert template["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: memory request for container app; memory limit for container app"
    )


def test_an_object_the_api_server_cannot_decode_is_left_as_written() -> None:
    obj = pod(container("a"), container("b", limits={"memory": "1 Gi"}))
    admitted, explain = build_admitter([limit_range(default={"memory": "1Gi"})], None)(obj, POLICY)
    assert admitted is obj
    assert explain(_finding("/spec")) == _finding("/spec")


def test_pod_level_request_is_defaulted_before_limitranger() -> None:
    """defaultPodRequests (SetDefaults_Pod, PodLevelResources on) runs at decoding: with no
    container request then, a pod-level limit becomes the pod-level request, whatever the
    LimitRange then gives the containers."""
    obj = pod(container(), resources={"limits": {"memory": "1Gi"}})
    lr = limit_range(default={"memory": "512Mi"}, defaultRequest={"memory": "256Mi"})
    admitted, explain = build_admitter([lr], None)(obj, POLICY)
    assert admitted["spec"]["resources"] == {
        "limits": {"memory": "1Gi"},
        "requests": {"memory": "1Gi"},
    }
    finding = _finding("/spec/resources/requests/memory")
    assert explain(finding).message.endswith(
        "[as admitted: pod-level memory request 1Gi from SetDefaults_Pod (pod-level request "
        "from its limit)]"
    )
    # memory-pod-level-conflict compares it with the containers' values: those too.
    conflict = dataclasses.replace(finding, rule="memory-pod-level-conflict")
    assert explain(conflict).message.endswith(
        "[as admitted: pod-level memory request 1Gi from SetDefaults_Pod (pod-level request "
        'from its limit); memory limit 512Mi of container "app" from LimitRange ns/lr '
        '(default); memory request 256Mi of container "app" from LimitRange ns/lr '
        "(defaultRequest)]"
    )
    # No LimitRange, or none that gives memory: the rules model defaultPodRequests
    # themselves from the containers they see, which hold the same memory values.
    assert admit(obj) is obj
    assert "requests" not in admit(obj, limit_range(default={"cpu": "1"}))["spec"]["resources"]


# --- context errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lists", "message"),
    [
        (
            {"default": {"memory": "lots"}},
            "input: LimitRange ns/lr: spec.limits[0].default.memory: not a quantity: "
            "quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        ),
        (
            {"default": {"memory": "1Gi"}, "defaultRequest": {"memory": "2Gi"}},
            "input: LimitRange ns/lr: spec.limits[0].defaultRequest.memory: Invalid value: "
            "default request value 2Gi is greater than default limit value 1Gi",
        ),
        (
            {"max": {"memory": "1Gi"}, "default": {"memory": "2Gi"}},
            # Validation runs after SetDefaults_LimitRangeItem: defaultRequest is 2Gi too.
            "input: LimitRange ns/lr: spec.limits[0].defaultRequest.memory: Invalid value: "
            "default request value 2Gi is greater than max value 1Gi\n"
            "input: LimitRange ns/lr: spec.limits[0].default.memory: Invalid value: default "
            "value 2Gi is greater than max value 1Gi",
        ),
    ],
)
def test_limitrange_the_api_server_refuses(lists: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build_admitter([limit_range(**lists)], None)
    assert caught.value.problems == message.split("\n")


def test_duplicate_limit_type_is_refused() -> None:
    lr = limit_range(default={"memory": "1Gi"})
    lr["spec"]["limits"].append({"type": "Container"})
    with pytest.raises(ConfigError) as caught:
        build_admitter([lr], None)
    assert caught.value.problems == [
        'input: LimitRange ns/lr: spec.limits[1].type: Duplicate value: "Container"'
    ]


def test_the_limitrange_port_says_where_and_leaves_reporting_to_lint() -> None:
    """k8s/admission knows no ConfigError (the layers forbid it): its problems are JSON
    Pointers into the object, which lint/as_admitted.py turns into file and line."""
    lr = limit_range(default={"memory": "lots"})
    with pytest.raises(InvalidObject) as caught:
        read_limit_range(lr)
    assert not isinstance(caught.value, ConfigError)
    [problem] = caught.value.problems
    assert problem.pointer == "/spec/limits/0/default/memory"
    assert problem.message.startswith(
        "LimitRange ns/lr: spec.limits[0].default.memory: not a quantity"
    )


def test_context_from_loaded_objects_names_file_and_line() -> None:
    text = (HERE / "bad-context" / "limitrange.yaml").read_text()
    loaded = load_text(text, "limits.yaml")
    with pytest.raises(ConfigError) as caught:
        build_admitter(loaded.objects, None)
    assert caught.value.problems[0].startswith(
        "limits.yaml:10: LimitRange shop/typo: spec.limits[0].default.memory: not a quantity"
    )


def test_missing_context_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        build_admitter([], str(tmp_path / "nowhere"))
    assert caught.value.problems == [f"{tmp_path / 'nowhere'}: no such file or folder"]


def test_input_replaces_the_directory_copy(tmp_path: Path) -> None:
    (tmp_path / "lr.yaml").write_text(
        "apiVersion: v1\nkind: LimitRange\nmetadata: {name: lr, namespace: ns}\n"
        "spec: {limits: [{type: Container, default: {memory: 1Gi}}]}\n"
        "---\nnot: a kubernetes object\n"
    )
    from_dir = build_admitter([], str(tmp_path))
    assert resources_of(from_dir(pod(container()), POLICY)[0])["limits"] == {"memory": "1Gi"}
    both = build_admitter([limit_range(default={"memory": "3Gi"})], str(tmp_path))
    assert resources_of(both(pod(container()), POLICY)[0])["limits"] == {"memory": "3Gi"}


# --- PodTolerationRestriction and DefaultTolerationSeconds ------------------------------------


def test_annotation_decodes_as_go_encoding_json() -> None:
    """extractNSTolerations: json.Unmarshal into []v1.Toleration (field names match
    case-insensitively, unknown ones are ignored, null leaves a field as it was) and an
    empty value is an empty list."""
    assert decode_tolerations_annotation("") == ()
    assert decode_tolerations_annotation("null") == ()
    assert decode_tolerations_annotation(
        '[{"Key": "a", "OPERATOR": "Exists", "colour": 1, "effect": "NoExecute", '
        '"tolerationSeconds": 5, "effect": null}, null]'
    ) == ({"key": "a", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5}, {})
    assert decode_tolerations_annotation('[{"KEY": "b", "tolerationſeconds": 7}]') == (
        {"key": "b", "tolerationSeconds": 7},  # Go folds "ſ" like "s": ToUpper(ToLower(r))
    )
    for text, error in [
        ('{"key": "a"}', "json: cannot unmarshal object into Go value of type []v1.Toleration"),
        (
            '[{"tolerationSeconds": 1.0}]',
            "json: cannot unmarshal number 1.0 into Go struct field Toleration.tolerationSeconds "
            "of type int64",
        ),
        (
            '[{"key": true}]',
            "json: cannot unmarshal bool into Go struct field Toleration.key of type string",
        ),
    ]:
        with pytest.raises(ValueError, match="^" + re.escape(error)):
            decode_tolerations_annotation(text)


def _tolerations(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return obj["spec"].get("tolerations", [])


def test_namespace_defaults_merge_after_dts_as_the_plugins_are_ordered() -> None:
    """AllOrderedPlugins runs DefaultTolerationSeconds before PodTolerationRestriction, whose
    MergeTolerations(pod, namespace) then drops the namespace's 60 s unreachable toleration:
    the 300 s one DefaultTolerationSeconds added is a superset of it (isSuperset: seconds
    60 <= 300). The pod is evicted after 300 s, not 60."""
    ns = namespace(
        "ns",
        '[{"key": "node.kubernetes.io/unreachable", "operator": "Exists", '
        '"effect": "NoExecute", "tolerationSeconds": 60}, {"key": "gpu", "operator": "Exists"}]',
    )
    sized = container(limits={"memory": "1Gi"})
    admitted = admit(pod(sized, tolerations=[{"key": "gpu", "value": "a100"}]), ns)
    assert _tolerations(admitted) == [
        # {key: gpu, value: a100} went: the namespace's `gpu Exists` is a superset.
        {"key": NOT_READY, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        {"key": "gpu", "operator": "Exists"},
    ]
    # No finding either way: the rules count the 300 s tolerations as the plugin's.
    assert not check_object(admitted, POLICY).findings


def test_annotation_absent_or_empty_changes_nothing() -> None:
    obj = pod(container())
    assert "tolerations" not in admit(obj, namespace("ns", None))["spec"]
    assert "tolerations" not in admit(obj, namespace("ns", ""))["spec"]
    assert "tolerations" not in admit(obj, namespace("ns", "[]"))["spec"]


def test_memory_pressure_toleration_only_with_the_plugin_and_not_for_best_effort() -> None:
    """Admit: every Pod whose qos.GetPodQOS is not BestEffort gets memory-pressure:NoSchedule;
    the plugin is off by default, so only with the option."""
    burstable = pod(container(requests={"cpu": "100m"}))
    pressure = {
        "key": "node.kubernetes.io/memory-pressure",
        "operator": "Exists",
        "effect": "NoSchedule",
    }
    assert "tolerations" not in admit(burstable)["spec"]
    assert pressure in _tolerations(admit(burstable, pod_toleration_restriction=True))
    best_effort = pod(container(requests={"cpu": "0"}))  # zero does not count
    assert _tolerations(admit(best_effort, pod_toleration_restriction=True)) == []
    # A LimitRange default runs first and makes the pod Burstable.
    lr = limit_range(defaultRequest={"memory": "64Mi"})
    assert pressure in _tolerations(admit(best_effort, lr, pod_toleration_restriction=True))
    # GetPodQOS takes status.qosClass when it is set.
    read_back = {**burstable, "status": {"qosClass": "BestEffort"}}
    assert _tolerations(admit(read_back, pod_toleration_restriction=True)) == []


def test_findings_on_moved_tolerations_point_into_the_file() -> None:
    """The merge dropped the file's first toleration, so the second moved up: its finding's
    pointer is mapped back, and its fix (a patch on the admitted list) is dropped."""
    written = [
        {"key": "gpu", "operator": "Equal", "value": "a100"},
        {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute"},
    ]
    ns = namespace("ns", '[{"key": "gpu", "operator": "Exists"}]')
    sized = container(limits={"memory": "1Gi"})
    admitted, explain = build_admitter([ns], None)(pod(sized, tolerations=written), POLICY)
    [finding] = [f for f in check_object(admitted, POLICY).findings]
    assert finding.rule == "noexecute-unbounded"
    assert finding.pointer == "/spec/tolerations/0/tolerationSeconds" and finding.fix
    explained = explain(finding)
    assert explained.pointer == "/spec/tolerations/1/tolerationSeconds"
    assert explained.fix is None and explained.message == finding.message


def test_daemonset_template_gets_the_controllers_tolerations_before_the_merge() -> None:
    ds = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "ns"},
        "spec": {"template": {"spec": {"containers": [container()]}}},
    }
    ns = namespace(
        "ns",
        f'[{{"key": "{UNREACHABLE}", "operator": "Exists", '
        '"effect": "NoExecute", "tolerationSeconds": 30}]',
    )
    admitted = admit(ds, ns)
    keys = [t["key"] for t in admitted["spec"]["template"]["spec"]["tolerations"]]
    # The controller's unbounded not-ready/unreachable tolerations are supersets of the
    # namespace's 30 s one, which is dropped; DefaultTolerationSeconds adds nothing.
    assert keys == [
        NOT_READY,
        UNREACHABLE,
        "node.kubernetes.io/disk-pressure",
        "node.kubernetes.io/memory-pressure",
        "node.kubernetes.io/pid-pressure",
        "node.kubernetes.io/unschedulable",
    ]


# --- MergeTolerations, as tolerations_test.go checks it -------------------------------------

UPSTREAM = {
    "all": Toleration(operator="Exists"),
    "all-nosched": Toleration(operator="Exists", effect="NoSchedule"),
    "all-noexec": Toleration(operator="Exists", effect="NoExecute"),
    "foo": Toleration(key="foo", operator="Exists"),
    "foo-bar": Toleration(key="foo", operator="Equal", value="bar"),
    "foo-nosched": Toleration(key="foo", operator="Exists", effect="NoSchedule"),
    "foo-bar-nosched": Toleration(key="foo", operator="Equal", value="bar", effect="NoSchedule"),
    "foo-baz-nosched": Toleration(key="foo", operator="Equal", value="baz", effect="NoSchedule"),
    "faz-nosched": Toleration(key="faz", operator="Exists", effect="NoSchedule"),
    "faz-baz-nosched": Toleration(key="faz", operator="Equal", value="baz", effect="NoSchedule"),
    "foo-prefnosched": Toleration(key="foo", operator="Exists", effect="PreferNoSchedule"),
    "foo-noexec": Toleration(key="foo", operator="Exists", effect="NoExecute"),
    "foo-bar-noexec": Toleration(key="foo", operator="Equal", value="bar", effect="NoExecute"),
    "foo-noexec-10": Toleration(key="foo", operator="Exists", effect="NoExecute", seconds=10),
    "foo-noexec-0": Toleration(key="foo", operator="Exists", effect="NoExecute", seconds=0),
    "foo-bar-noexec-10": Toleration(
        key="foo", operator="Equal", value="bar", effect="NoExecute", seconds=10
    ),
}


def _named(*names: str) -> list[Toleration]:
    return [UPSTREAM[n] for n in names]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (  # disjoint
            ("foo-bar-nosched", "faz-baz-nosched", "foo-noexec-10"),
            ("foo-prefnosched", "foo-baz-nosched"),
            (
                "foo-bar-nosched",
                "faz-baz-nosched",
                "foo-noexec-10",
                "foo-prefnosched",
                "foo-baz-nosched",
            ),
        ),
        (  # duplicate
            ("foo-bar-nosched", "faz-baz-nosched", "foo-noexec-10"),
            ("foo-bar-nosched", "faz-baz-nosched", "foo-noexec-10"),
            ("foo-bar-nosched", "faz-baz-nosched", "foo-noexec-10"),
        ),
        (  # merge redundant
            ("foo-bar-nosched", "foo-baz-nosched"),
            ("foo-nosched", "faz-baz-nosched"),
            ("foo-nosched", "faz-baz-nosched"),
        ),
        (  # merge all
            ("foo-bar-nosched", "foo-baz-nosched", "foo-noexec-10"),
            ("all",),
            ("all",),
        ),
        (  # merge into all
            ("all",),
            ("foo-bar-nosched", "foo-baz-nosched", "foo-noexec-10"),
            ("all",),
        ),
    ],
)
def test_merge_tolerations_upstream_cases(
    a: tuple[str, ...], b: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    assert merge_tolerations(_named(*a), _named(*b)) == _named(*expected)


def test_merge_tolerations_fuzzed_as_upstream() -> None:
    """TestFuzzed/MergeTolerations: every input toleration is contained (isSuperset) in
    some toleration of the result; and the result holds no entry another one covers."""
    rng = random.Random(1234)
    effects = ["", "NoExecute", "NoSchedule", "PreferNoSchedule"]

    def generate() -> Toleration:
        effect = rng.choice(effects)
        if rng.random() < 0.01:
            return UPSTREAM["all"]
        key = "a" * rng.randint(1, 6)
        exists = rng.random() < 0.3
        value = "" if exists else "b" * rng.randint(1, 6)
        seconds = rng.randrange(10) if effect == "NoExecute" and rng.random() < 0.5 else None
        operator = "Exists" if exists else "Equal"
        return Toleration(key=key, operator=operator, value=value, effect=effect, seconds=seconds)

    for _ in range(300):
        a = [generate() for _ in range(rng.randrange(10))]
        b = [generate() for _ in range(rng.randrange(10))]
        result = merge_tolerations(a, b)
        for t in a + b:
            assert any(is_superset(kept, t) for kept in result), (a, b, result)
        for i, kept in enumerate(result):
            assert not any(is_superset(o, kept) and o != kept for o in result[i + 1 :])


# --- explain and the worker processes ------------------------------------------------------


def _finding(pointer: str, fix: Any = None) -> Finding:
    ref = ObjectRef("v1", "Pod", "ns", "p")
    return Finding("memory-limit-missing", Severity.ERROR, ref, pointer, "msg", fix=fix)


def test_explain_only_findings_about_supplied_values_and_keep_fixes_that_apply() -> None:
    obj = pod(container(requests={"memory": "1Gi"}))
    admitter = build_admitter([limit_range(default={"memory": "512Mi", "cpu": "1"})], None)
    _, explain = admitter(obj, POLICY)
    limit = "/spec/containers/0/resources/limits/memory"
    # On the supplied value (or above it): explained, fix dropped.
    explained = explain(_finding(limit, fix=[{"op": "add", "path": limit, "value": "1Gi"}]))
    assert explained == dataclasses.replace(
        _finding(limit),
        message="msg [as admitted: memory limit 512Mi from LimitRange ns/lr (default)]",
    )
    # Beside it (the request it is compared with): explained, a fix that applies is kept.
    request = "/spec/containers/0/resources/requests/memory"
    fix = [{"op": "replace", "path": request, "value": "512Mi"}]
    explained = explain(_finding(request, fix=fix))
    assert explained.fix == fix and "memory limit 512Mi" in explained.message
    # ... but only for rules that compare the two.
    suspicious = dataclasses.replace(_finding(request), rule="memory-quantity-suspicious")
    assert explain(suspicious) == suspicious
    # A fix that needs what admission created (`limits`) is dropped.
    ephemeral = "/spec/containers/0/resources/limits/ephemeral-storage"
    assert explain(_finding(ephemeral, fix=[{"op": "add", "path": ephemeral, "value": "1"}])) == (
        _finding(ephemeral)
    )
    # Unrelated: unchanged.
    assert explain(_finding("/spec/tolerations/0")) == _finding("/spec/tolerations/0")


def test_admitter_and_explain_pickle_for_worker_processes() -> None:
    ns = namespace("ns", f'[{{"key": "{UNREACHABLE}", "operator": "Exists"}}]')
    admitter = build_admitter([limit_range(default={"memory": "1Gi"}), ns], None)
    copied = pickle.loads(pickle.dumps(admitter))
    assert isinstance(copied, Admitter) and copied == admitter
    admitted, explain = copied(pod(container()), POLICY)
    again = pickle.loads(pickle.dumps(explain))
    finding = _finding("/spec/containers/0/resources/limits/memory")
    assert again(finding) == explain(finding) != finding
    assert admitted == admitter(pod(container()), POLICY)[0]
