"""One module per output format; each takes a Report and returns the text to print.

Imported on first use: a run prints one format, and loading the others (SARIF's rule
help, JUnit's XML) is startup time every lint would pay.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

Formatter = Callable[..., str]

# format -> "module" (its `render`) or "module:function"
_MODULES = {
    "text": "text",
    "json": "json_format",
    "sarif": "sarif",
    "junit": "junit",
    "github": "github",
    "openreports": "openreports",
    "policyreport": "openreports:render_policyreport",  # wgpolicyk8s.io/v1alpha2
}


class _Formats(Mapping[str, Formatter]):
    def __getitem__(self, name: str) -> Formatter:
        module_name, _, function = _MODULES[name].partition(":")
        module: Any = importlib.import_module(f"{__name__}.{module_name}")
        render: Formatter = getattr(module, function or "render")
        return render

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


FORMATS: Mapping[str, Formatter] = _Formats()
