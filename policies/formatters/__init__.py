"""One module per output format; each takes a Report and returns the text to print."""

from __future__ import annotations

from collections.abc import Callable

from . import json_format, text

Formatter = Callable[..., str]

FORMATS: dict[str, Formatter] = {
    "text": text.render,
    "json": json_format.render,
}
