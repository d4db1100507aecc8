"""One module per output format; each takes a Report and returns the text to print."""

from __future__ import annotations

from collections.abc import Callable

from . import github, json_format, junit, sarif, text

Formatter = Callable[..., str]

FORMATS: dict[str, Formatter] = {
    "text": text.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "github": github.render,
}
