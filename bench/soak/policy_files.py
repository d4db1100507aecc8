"""The policies the soak serves and swaps: the default preset (A), a relaxed one (B), and an
invalid edit of B that the server must refuse."""

from __future__ import annotations

import shutil
from pathlib import Path

from evictguard.policy.load import load_policy_file

from ..servers import ROOT, ServerFailed

POLICY_B = """\
# The default preset with two rules relaxed: a Pod without a memory limit is warned about
# instead of denied, and /mutate no longer adds a missing memory request.
apiVersion: evictguard.io/v1alpha1
kind: Policy
rules:
  memory-limit-missing:
    mode: warn
  memory-request-missing:
    mutate: false
"""
POLICY_INVALID = POLICY_B.replace("mode: warn", "mode: sometimes")  # a typo in a ConfigMap edit


def write_policies(workdir: Path) -> tuple[Path, dict[str, str], dict[str, Path]]:
    """The served file (a copy of the packaged default preset, so it can be replaced), the
    texts the faults write into it, and a file per valid policy for the oracle."""
    folder = workdir / "policy"
    folder.mkdir()
    default = ROOT / "policies" / "policy" / "presets" / "default.yaml"
    served = folder / "policy.yaml"
    shutil.copyfile(default, served)
    texts = {"A": default.read_text(), "B": POLICY_B, "invalid": POLICY_INVALID}
    files = {"A": workdir / "A.yaml", "B": workdir / "B.yaml"}
    for name, path in files.items():
        path.write_text(texts[name])
    invalid = workdir / "invalid.yaml"
    invalid.write_text(POLICY_INVALID)
    try:
        load_policy_file(str(invalid))
    except Exception:  # ConfigError: as intended
        pass
    else:
        raise ServerFailed("the 'invalid' policy loads: the soak would not test a refusal")
    return served, texts, files
