"""JSON Pointer -> (line, column) on a composed YAML node tree.

Only findings and errors ask, so a clean document never pays for a position.
"""

from __future__ import annotations

import yaml

_NULL_TAG = "tag:yaml.org,2002:null"


def locate(node: yaml.Node, tokens: list[str]) -> tuple[int, int]:
    """Walk a node tree along pointer tokens, stopping at the deepest node that exists.

    A mapping value that is a collection or null is reported at its key (`resources:`);
    a mapping in a sequence
    (a container) is reported at its `name:` key when it has one.
    """
    mark = node.start_mark
    current = node
    for token in tokens:
        if isinstance(current, yaml.MappingNode):
            # The last of duplicate keys: the constructor keeps the last value, so must we.
            match = next(
                (
                    (k, v)
                    for k, v in reversed(current.value)
                    if isinstance(k, yaml.ScalarNode) and k.value == token
                ),
                None,
            )
            if match is None:
                break
            key_node, value_node = match
            current = value_node
            # A block collection starts on the next line and an empty value (`resources:`)
            # just past the colon: both are reported at their key.
            at_key = not isinstance(value_node, yaml.ScalarNode) or value_node.tag == _NULL_TAG
            mark = key_node.start_mark if at_key else value_node.start_mark
        elif isinstance(current, yaml.SequenceNode):
            if not token.isdigit() or int(token) >= len(current.value):
                break
            current = current.value[int(token)]
            mark = current.start_mark
            if isinstance(current, yaml.MappingNode):
                for key_node, _ in current.value:
                    if isinstance(key_node, yaml.ScalarNode) and key_node.value == "name":
                        mark = key_node.start_mark
                        break
        else:
            break
    return mark.line + 1, mark.column + 1


def in_scalar(node: yaml.Node, line: int, column: int) -> bool:
    """Whether 0-based (line, column) falls inside a scalar's text (a block scalar, a quoted
    string): a `#` there is content, not a comment. Only subtrees spanning it are walked."""
    position = (line, column)
    stack = [node]
    while stack:
        current = stack.pop()
        start = (current.start_mark.line, current.start_mark.column)
        end = (current.end_mark.line, current.end_mark.column)
        if not start <= position < end:
            continue
        if isinstance(current, yaml.ScalarNode):
            return True
        if isinstance(current, yaml.MappingNode):
            stack.extend(n for pair in current.value for n in pair)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return False
