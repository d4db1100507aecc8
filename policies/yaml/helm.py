"""Helm: charts are not YAML until rendered, and `helm template` output says where each
document came from.

A chart (a folder holding `Chart.yaml`) and a template file (Go template actions where YAML
cannot have them) get one notice per chart, naming the command that renders it, instead of
one parser error per template. In rendered output, the `# Source: CHART/templates/X.yaml`
comment `helm template` writes after each `---` names the template a finding came from.
"""

from __future__ import annotations

import bisect
import os
import re
import shlex

from ..model import Notice

CHART_FILE = "Chart.yaml"
CRDS = "crds"  # installed as they are (plain YAML, not templates): linted

# Actions only Helm's template language has (its objects and its own functions): other
# tools' Go templates carried in YAML strings (Prometheus alert text, Argo CD notification
# templates, Alertmanager configs) do not use them, so a line holding one is a template
# line wherever it stands.
_HELM_ACTION = re.compile(
    r"\{\{-?\s*(?:\.Values\b|\.Release\b|\.Chart\b|\.Capabilities\b|\.Files\b|\.Template\b"
    r"|\$\.Values\b|include\s|toYaml\b|tpl\s|required\s)"
)
# Any action where YAML has no string around it: starting a line's content, or as the
# unquoted value of a key or of a list item (`{{ x }}` parses as a mapping with a mapping
# key, which no YAML loader builds). Used only for a file that did not parse.
_BARE_ACTION = re.compile(r"^[ \t]*(?:-[ \t]+)?(?:[^\s#'\"{][^#'\"\n]*?:[ \t]+)?\{\{", re.MULTILINE)
_COMMENT = re.compile(r"(?:^|[ \t])#")
_SOURCE = re.compile(r"^# Source: ([^\r\n]*?)[ \t]*\r?$", re.MULTILINE)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def helm_line(text: str) -> int | None:
    """The 1-based line of the first Helm-only template action, else None."""
    if "{{" not in text:
        return None
    for match in _HELM_ACTION.finditer(text):
        before = text[text.rfind("\n", 0, match.start()) + 1 : match.start()]
        if _COMMENT.search(before) is None:  # not in a comment (`# set {{ .Values.x }}`)
            return _line_of(text, match.start())
    return None


def bare_action_line(text: str) -> int | None:
    """The 1-based line of the first template action outside any YAML string, else None
    (for a file that failed to parse: a Go template, not broken YAML)."""
    if "{{" not in text:
        return None
    match = _BARE_ACTION.search(text)
    return _line_of(text, match.end() - 2) if match else None


def render_command(chart: str) -> str:
    return f"helm template {shlex.quote(chart)} | evictguard lint -"


def chart_notice(chart: str) -> Notice:
    return Notice(
        chart,
        None,
        f"a Helm chart ({CHART_FILE}): its templates are not YAML until rendered and were "
        f"not linted; lint what it renders: {render_command(chart)}",
    )


def chart_of(path: str) -> str | None:
    """The chart folder a file belongs to: the nearest folder above it holding
    Chart.yaml (a template may sit in a subfolder of templates/), else None."""
    folder = os.path.dirname(os.path.abspath(path))
    for _ in range(8):
        if os.path.isfile(os.path.join(folder, CHART_FILE)):
            relative = os.path.relpath(folder)
            return relative if not relative.startswith(os.pardir) else folder
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return None


def template_notice(name: str, line: int, is_file: bool) -> Notice:
    """What a template file gets instead of parser errors: its chart's notice when it has
    one, else a notice at the template action's line."""
    chart = chart_of(name) if is_file else None
    if chart is not None:
        return chart_notice(chart)
    return Notice(
        name,
        line,
        "a Helm template (a `{{ ... }}` action where YAML cannot have one): not YAML until "
        f"rendered, not linted; lint what its chart renders: {render_command('CHART')}",
    )


class SourceComments:
    """The `# Source:` lines of a stream, to find the one a document starts with."""

    def __init__(self, text: str) -> None:
        self.lines: list[int] = []
        self.paths: list[str] = []
        if "# Source: " not in text:
            return
        line, counted = 1, 0  # lines counted as we go: one pass over the stream
        for match in _SOURCE.finditer(text):
            line += text.count("\n", counted, match.start())
            counted = match.start()
            if match[1]:
                self.lines.append(line)
                self.paths.append(match[1])

    def template(self, first_line: int, content_line: int) -> str | None:
        """The path in the last `# Source:` comment between a document's first line and
        the line its content starts on (both 1-based, inclusive), else None."""
        at = bisect.bisect_right(self.lines, content_line) - 1
        if at >= 0 and self.lines[at] >= first_line:
            return self.paths[at]
        return None
