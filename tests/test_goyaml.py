"""Plain scalars resolve as kubectl (sigs.k8s.io/yaml, go-yaml v2 `resolve.go`) resolves
them, where that differs from PyYAML's YAML 1.1; quoted scalars are always strings."""

from __future__ import annotations

import math
from typing import Any

import pytest
import yaml
from evictguard.yaml.goyaml import KubernetesLoader, go_parse_integer, plain_tag

from tests.conftest import lint_paths


def load_value(text: str) -> Any:
    return yaml.load(f"v: {text}\n", Loader=KubernetesLoader)["v"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # go-yaml v2's resolve map: y/n are booleans (YAML 1.1 PyYAML: strings)
        ("y", True),
        ("Y", True),
        ("n", False),
        ("N", False),
        ("yes", True),
        ("off", False),
        ("TRUE", True),
        ("~", None),
        ("Null", None),
        # ParseInt(s, 0, 64) after removing "_": base prefixes and leading-zero octal
        ("0o17", 15),
        ("0O17", 15),
        ("017", 15),
        ("0x1F", 31),
        ("0b101", 5),
        ("-0b11", -3),
        ("+5", 5),
        ("1_000", 1000),
        ("9223372036854775807", 2**63 - 1),
        ("9223372036854775808", 2**63),  # ParseUint takes it
        # not an integer, but yamlStyleFloat: a float
        ("08", 8.0),
        ("1e3", 1000.0),
        ("1E+3", 1000.0),
        (".5", 0.5),
        ("18446744073709551616", float(2**64)),
        ("-9223372036854775809", -float(2**63)),
        # strings to go-yaml (PyYAML: 90, a date, 1.5e3 string stays string)
        ("1:30", "1:30"),
        ("2001-12-14", "2001-12-14"),
        ("2001-12-14T21:59:43.10-05:00", "2001-12-14T21:59:43.10-05:00"),
        ("0x", "0x"),
        ("1e", "1e"),
        ("12Mi", "12Mi"),
        ("node.kubernetes.io/not-ready", "node.kubernetes.io/not-ready"),
        ("Exists", "Exists"),
    ],
)
def test_plain_scalars_resolve_as_go_yaml_does(text: str, expected: Any) -> None:
    got = load_value(text)
    assert type(got) is type(expected) and got == expected, (text, got)


@pytest.mark.parametrize("text", ["'y'", '"1e3"', "'0o17'", '"true"', "''"])
def test_quoted_scalars_stay_strings(text: str) -> None:
    assert isinstance(load_value(text), str)


def test_special_floats() -> None:
    assert load_value(".inf") == math.inf
    assert load_value("-.Inf") == -math.inf
    assert math.isnan(load_value(".NaN"))


def test_merge_keys_still_work() -> None:
    data = yaml.load("a: &x {b: 1}\nc:\n  <<: *x\n  d: 2\n", Loader=KubernetesLoader)
    assert data["c"] == {"b": 1, "d": 2}


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("00", 0), ("-0", 0), ("0x", None), ("08", None), ("+0b1", 1), ("--1", None)],
)
def test_go_parse_integer(text: str, value: int | None) -> None:
    assert go_parse_integer(text) == value


def test_plain_tag_of_empty_is_null() -> None:
    assert plain_tag("") == "tag:yaml.org,2002:null"


def test_a_toleration_value_kubectl_reads_as_a_number_is_reported(tmp_path: Any) -> None:
    path = tmp_path / "pod.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
        "  containers: [{name: a, image: x, resources: {limits: {memory: 1Gi}}}]\n"
        "  tolerations:\n"
        "    - {key: pool, operator: Equal, value: 1e3, effect: NoSchedule}\n"
        "    - {key: zone, operator: Equal, value: y, effect: NoSchedule}\n"
        "    - {key: ok, operator: Equal, value: '1e3', effect: NoSchedule}\n"
    )
    report = lint_paths(path)
    invalid = [(f.line, f.pointer) for f in report.findings if f.rule == "toleration-invalid"]
    assert invalid == [(7, "/spec/tolerations/0/value"), (8, "/spec/tolerations/1/value")]
