"""Bounds on hostile YAML: alias bombs, self-referencing anchors, nesting deep enough to
exhaust a parser. Each is refused as an input error before anything walks the document."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from ..model import ErrorCode

# The only loader anything here uses: safe construction, libyaml when PyYAML has it, and
# plain scalars resolved as kubectl (go-yaml) resolves them.
from .goyaml import KubernetesLoader

# Alias expansion is bounded the way Kubernetes' YAML decoder (go-yaml) bounds it: a small
# document whose aliases expand to millions of nodes ("billion laughs") is refused before
# anything walks it.
MAX_EXPANDED_NODES = 1_000_000
MAX_ALIAS_RATIO = 10
MIN_NODES_FOR_RATIO = 10_000
# Nesting is bounded here, below every parser's own limit, so that a document gets the same
# answer whatever PyYAML is installed, on the skimming path and the full one alike:
# libyaml's composer recurses in C once per level and crashed the process (a segfault, no
# exception) some 30,000 levels down; libyaml 0.2.6 (PyYAML 6.0.4's) refuses 1,000 levels
# of block nesting or 1,001 of flow nesting by itself, 0.2.5 (PyYAML 6.0.3's) has no limit.
# A Kubernetes object nests a few dozen levels (a CRD's schema, under a hundred).
MAX_DEPTH = 900
_LIBYAML_DEPTH_PROBLEM = "exceeded maximum nesting depth"
# What may stand before the token that opens a block collection on its line: indentation
# and the `-`, `?` and `:` indicators (a BOM before the first line). A line starts after
# any break libyaml reads as one (CR, NEL, LS, PS too, not only LF).
_LEADING = re.compile(r"(?:^|(?<=[\r\x85\u2028\u2029]))[ \t?:\-\ufeff]*", re.MULTILINE)
TOO_DEEP = "document nests collections too deeply (refused before it can exhaust the parser)"


class _AliasCycle(Exception):
    pass


def expanded_size(node: yaml.Node, limit: int) -> tuple[int, int]:
    """(distinct nodes, nodes after alias expansion), stopping early once `limit` is passed.

    Raises _AliasCycle for an anchor that contains itself, which Kubernetes also refuses.
    """
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def size(n: yaml.Node) -> int:
        key = id(n)
        cached = sizes.get(key)
        if cached is not None:
            return cached
        if key in in_progress:
            raise _AliasCycle
        in_progress.add(key)
        total = 1
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                total += size(k) + size(v)
                if total > limit:
                    break
        elif isinstance(n, yaml.SequenceNode):
            for item in n.value:
                total += size(item)
                if total > limit:
                    break
        in_progress.discard(key)
        sizes[key] = total
        return total

    expanded = size(node)
    return len(sizes), expanded


def alias_problem(node: yaml.Node) -> tuple[ErrorCode, str] | None:
    """Why the document's aliases are refused (its error code and words), else None."""
    try:
        distinct, expanded = expanded_size(node, MAX_EXPANDED_NODES)
    except _AliasCycle:
        return ErrorCode.EXCESSIVE_ALIASING, (
            "an anchor contains an alias to itself (refused, as Kubernetes refuses it)"
        )
    except RecursionError:
        return ErrorCode.TOO_DEEP, "document is nested too deeply"
    if expanded > MAX_EXPANDED_NODES:
        return ErrorCode.EXCESSIVE_ALIASING, (
            f"document contains excessive aliasing: its aliases expand to more than "
            f"{MAX_EXPANDED_NODES:,} nodes (refused, as Kubernetes refuses it)"
        )
    if expanded > MIN_NODES_FOR_RATIO and expanded > MAX_ALIAS_RATIO * distinct:
        return ErrorCode.EXCESSIVE_ALIASING, (
            f"document contains excessive aliasing: {distinct:,} nodes expand to {expanded:,} "
            f"(refused, as Kubernetes refuses it)"
        )
    return None


def depth_bound(text: str, enough: int = MAX_DEPTH) -> int:
    """A bound on how deep the text's collections nest, computed on the text alone.

    Each level needs an opening bracket or a block collection; a block collection opens one
    column right of its parent's, or at the same column for a sequence under a mapping key
    (at most two levels per column), and it opens no further right than the indentation
    and indicators that start its line. Stops counting once past `enough`.
    """
    flow = text.count("[") + text.count("{")
    if flow + 2 > enough:
        return flow + 2
    return flow + 2 * max(map(len, _LEADING.findall(text))) + 2


def too_deep(text: str) -> int | None:
    """The 0-based line of the first collection nested deeper than MAX_DEPTH, else None.

    `depth_bound` clears ordinary input without a second parse (and any text shorter than
    the bound: each level takes a character); the exact check walks libyaml's parser
    events, which keep their own heap stack.
    """
    if len(text) <= MAX_DEPTH or depth_bound(text) <= MAX_DEPTH:
        return None
    depth = 0
    try:
        for event in yaml.parse(text, Loader=KubernetesLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark.line
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None and _LIBYAML_DEPTH_PROBLEM in str(getattr(exc, "problem", "")):
            return int(mark.line)  # a libyaml whose own limit is below MAX_DEPTH
        return None  # the composer reports the syntax error, with its place
    return None


def bounded_documents(text: str) -> Iterator[tuple[yaml.Node, Any]]:
    """(node, data) for each non-empty document of `text`, read with the safe loader and
    the same bounds as linted files: nesting past MAX_DEPTH or an alias bomb is a
    yaml.YAMLError, so side files (kustomizations, patches, annotations holding YAML) cannot
    hang or crash the run that reads them."""
    line = too_deep(text)
    if line is not None:
        raise yaml.YAMLError(f"line {line + 1}: {TOO_DEEP}")
    for node in yaml.compose_all(text, Loader=KubernetesLoader):
        if node is None:
            continue
        problem = alias_problem(node)
        if problem is not None:
            raise yaml.YAMLError(problem[1])
        yield node, KubernetesLoader("").construct_document(node)


def bounded_load(text: str) -> Any:
    """The first document of `text` as data (None when empty), bounded as above."""
    return next((data for _, data in bounded_documents(text)), None)
