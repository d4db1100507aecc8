"""Why the API server would refuse a context object (a LimitRange, a Namespace's
annotation): plain data, for the lint layer to report with file and line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """Where in the object (a JSON Pointer) and what, in the API server's words."""

    pointer: str
    message: str


class InvalidObject(Exception):
    """An object the API server would refuse, with each problem in it."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems
