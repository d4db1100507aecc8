"""RFC 6901 JSON Pointers: the one way findings, fixes and positions name a place."""

from __future__ import annotations


def escape(token: str | int) -> str:
    text = str(token)
    if "~" not in text and "/" not in text:
        return text  # nearly always: field names and indices
    return text.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def join(*tokens: str | int) -> str:
    return "".join(["/" + escape(t) for t in tokens])


def child(pointer: str, *tokens: str | int) -> str:
    return pointer + join(*tokens)


def split(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer must start with '/': {pointer!r}")
    return [unescape(t) for t in pointer[1:].split("/")]


def to_dotted(pointer: str) -> str:
    """Kubernetes-style field path (`spec.containers[0].resources`) for messages."""
    out: list[str] = []
    for token in split(pointer):
        if token.isdigit() and out:
            out[-1] += f"[{token}]"
        else:
            out.append(token)
    return ".".join(out)
