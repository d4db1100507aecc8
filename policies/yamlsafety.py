"""Bounds on hostile YAML: alias bombs, self-referencing anchors, nesting deep enough to
exhaust a parser. Each is refused as an input error before anything walks the document."""

from __future__ import annotations

import yaml

from .goyaml import KubernetesLoader

# The only loader anything here uses: safe construction, libyaml when PyYAML has it, and
# plain scalars resolved as kubectl resolves them.
SafeLoader: type = KubernetesLoader

# Alias expansion is bounded the way Kubernetes' YAML decoder (go-yaml) bounds it: a small
# document whose aliases expand to millions of nodes ("billion laughs") is refused before
# anything walks it.
MAX_EXPANDED_NODES = 1_000_000
MAX_ALIAS_RATIO = 10
MIN_NODES_FOR_RATIO = 10_000
# go-yaml refuses collections nested deeper than this; libyaml's composer recurses in C once
# per level and crashes the process (a segfault, no exception) some 30,000 levels down.
MAX_DEPTH = 10_000
_LIBYAML_DEPTH_PROBLEM = "exceeded maximum nesting depth"
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


def alias_problem(node: yaml.Node) -> str | None:
    try:
        distinct, expanded = expanded_size(node, MAX_EXPANDED_NODES)
    except _AliasCycle:
        return "an anchor contains an alias to itself (refused, as Kubernetes refuses it)"
    except RecursionError:
        return "document is nested too deeply"
    if expanded > MAX_EXPANDED_NODES:
        return (
            f"document contains excessive aliasing: its aliases expand to more than "
            f"{MAX_EXPANDED_NODES:,} nodes (refused, as Kubernetes refuses it)"
        )
    if expanded > MIN_NODES_FOR_RATIO and expanded > MAX_ALIAS_RATIO * distinct:
        return (
            f"document contains excessive aliasing: {distinct:,} nodes expand to {expanded:,} "
            f"(refused, as Kubernetes refuses it)"
        )
    return None


def too_deep(text: str) -> int | None:
    """The 0-based line of the first collection nested deeper than MAX_DEPTH, else None.

    Each level needs an opening bracket or one more column of indentation (at most two
    levels per column), so ordinary input is cleared by that bound without a second parse;
    the exact check walks libyaml's parser events, which keep their own heap stack.
    """
    if len(text) <= MAX_DEPTH:
        return None
    longest = max(map(len, text.split("\n")))
    if text.count("[") + text.count("{") + 2 * longest + 2 <= MAX_DEPTH:
        return None
    depth = 0
    try:
        for event in yaml.parse(text, Loader=SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark.line
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None and _LIBYAML_DEPTH_PROBLEM in str(getattr(exc, "problem", "")):
            return int(mark.line)  # newer libyaml (PyYAML >= 6.0.4) stops at 1,000 levels
        return None  # the composer reports the syntax error, with its place
    return None
