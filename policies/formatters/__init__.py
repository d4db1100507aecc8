"""One module per output format; each takes a Report and returns the text to print.

Imported on first use: a run prints one format, and loading the others (SARIF's rule
help, JUnit's XML) is startup time every lint would pay.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

Formatter = Callable[..., str]

_MODULES = {
    "text": "text",
    "json": "json_format",
    "sarif": "sarif",
    "junit": "junit",
    "github": "github",
}


class _Formats(Mapping[str, Formatter]):
    def __getitem__(self, name: str) -> Formatter:
        module: Any = importlib.import_module(f"{__name__}.{_MODULES[name]}")
        render: Formatter = module.render
        return render

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


FORMATS: Mapping[str, Formatter] = _Formats()
