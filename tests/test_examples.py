"""The bundled examples, as the README and CI use them.

The expected findings for examples/bad were derived by reading each file line by line:

no-limits.yaml, Pod data/batch-import (no pod-level resources):
  9:7   init container "fetch": no resources at all -> no limit (error) and no request (warning),
        both placed on its `name:` line
  14:7  sidecar "proxy": a 64Mi request, no limit -> no limit, placed on `resources:`
  19:7  container "import": a 2Gi request, no limit -> no limit, placed on `resources:`
no-limits.yaml, StatefulSet data/cache:
  37:11 container "redis": no resources -> no limit (error) and no request (warning)
suppressed.yaml, DaemonSet monitoring/node-exporter (annotation exempts the request rule):
  21    exporter's 3Mi limit is below the 4Mi floor, but the trailing comment silences it
  22:11 container "sidecar": no resources -> no limit (its missing request is exempt)
tolerations.yaml, Deployment shop/payments (each toleration is reported at its first key,
or at the field at fault):
  21:11 unreachable NoExecute without tolerationSeconds -> unbounded (error, fixable)
  27:30 not-ready with tolerationSeconds 5 (< 60) -> too low, placed on the 5
  28:16 `control-plan` is a misspelling of control-plane -> never matches, placed on the key
  32:21 operator `exists` is not supported (case-sensitive) -> invalid, placed on the operator
typos.yaml, Deployment shop/checkout:
  19:23 request 512m is 0.512 bytes -> suspicious
  21:23 limit 1GB is not a quantity -> invalid (so request-exceeds-limit cannot compare)
  26:23 envoy requests 2Gi with a 1Gi limit -> request exceeds limit, placed on the request
"""

from __future__ import annotations

from evictguard.engine.check import check_object
from evictguard.patch import apply_patch
from evictguard.yaml.loader import load_text

from tests.conftest import ROOT, lint_paths, run_cli, run_json

EXPECTED_BAD = {
    ("no-limits.yaml", 9, 7, "error", "memory-limit-missing", "fetch"),
    ("no-limits.yaml", 14, 7, "error", "memory-limit-missing", "proxy"),
    ("no-limits.yaml", 19, 7, "error", "memory-limit-missing", "import"),
    ("no-limits.yaml", 37, 11, "error", "memory-limit-missing", "redis"),
    ("suppressed.yaml", 22, 11, "error", "memory-limit-missing", "sidecar"),
    ("tolerations.yaml", 21, 11, "error", "noexecute-unbounded", None),
    ("tolerations.yaml", 27, 30, "warning", "noexecute-seconds-too-low", None),
    ("tolerations.yaml", 28, 16, "warning", "toleration-never-matches", None),
    ("tolerations.yaml", 32, 21, "error", "toleration-invalid", None),
    ("typos.yaml", 19, 23, "error", "memory-quantity-suspicious", "checkout"),
    ("typos.yaml", 21, 23, "error", "memory-quantity-invalid", "checkout"),
    ("typos.yaml", 26, 23, "error", "memory-request-exceeds-limit", "envoy"),
}


def test_good_examples_pass() -> None:
    proc = run_cli("lint", "examples/good")
    assert proc.returncode == 0
    assert (
        proc.stdout
        == "4 file(s), 5 object(s): 0 error(s), 0 warning(s), 0 info, 0 input error(s)\n"
    )
    code, report = run_json("--fail-on", "warning", "examples/good")
    assert code == 0
    assert (report["findings"], report["errors"]) == ([], [])
    assert report["summary"]["objects"] == 5


def test_bad_examples_fail_with_exactly_the_expected_findings() -> None:
    code, report = run_json("examples/bad")
    assert code == 1  # findings, not input errors
    assert report["errors"] == []
    got = {
        (
            f["file"].rsplit("/", 1)[1],
            f["line"],
            f["column"],
            f["severity"],
            f["rule"],
            f["container"],
        )
        for f in report["findings"]
    }
    assert got == EXPECTED_BAD
    assert len(report["findings"]) == len(EXPECTED_BAD)  # no duplicates either


def test_every_offered_fix_silences_its_finding(default_policy) -> None:
    """Apply each fix to the object it was computed for, after the fixes the report lists
    before it for that object (they compose in report order): the rule must not fire again
    for that container, and no new finding may appear."""
    report = lint_paths(ROOT / "examples" / "bad", policy=default_policy)
    fixed = [f for f in report.findings if f.fix is not None]
    assert {(f.rule, f.container) for f in fixed} == {
        ("memory-limit-missing", "fetch"),
        ("memory-limit-missing", "proxy"),
        ("memory-limit-missing", "import"),
        ("memory-limit-missing", "redis"),
        ("memory-limit-missing", "sidecar"),
        ("noexecute-unbounded", None),
    }
    for finding in fixed:
        assert finding.file is not None
        loaded = load_text((ROOT / finding.file).read_text(), finding.file)
        obj = next(o.obj for o in loaded.objects if o.obj["metadata"]["name"] == finding.ref.name)
        before = {(f.rule, f.container) for f in check_object(obj, default_policy).findings}
        same = [f for f in fixed if (f.file, f.ref) == (finding.file, finding.ref)]
        ops = [op for f in same[: same.index(finding) + 1] for op in f.fix or []]
        after = {
            (f.rule, f.container)
            for f in check_object(apply_patch(obj, ops), default_policy).findings
        }
        assert (finding.rule, finding.container) not in after
        assert after <= before
