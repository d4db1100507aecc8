"""Paths and stdin -> decoded text: which files a run reads, and why one could not be read."""

from __future__ import annotations

import codecs
import errno
import os
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..model import ErrorCode, InputError
from .helm import CHART_FILE, CRDS, chart_notice

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN_NAME = "<stdin>"


def decode(raw: bytes, source: str) -> tuple[str | None, InputError | None]:
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        # Read as UTF-16 (the first two bytes match its BOM), it would fail on a NUL with
        # no hint. kubectl's YAML reader knows UTF-8 and UTF-16 only.
        return None, InputError(
            source, None, "UTF-32 text is not supported: save it as UTF-8", code=ErrorCode.ENCODING
        )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), None
        except UnicodeDecodeError as exc:
            return None, InputError(
                source, None, f"cannot decode UTF-16 text: {exc.reason}", code=ErrorCode.ENCODING
            )
    nul = raw.find(b"\x00")
    if nul >= 0:
        # YAML allows no NUL anywhere; the usual cause is UTF-16 saved without its BOM.
        line = raw.count(b"\n", 0, nul) + 1
        return None, InputError(
            source,
            line,
            f"not UTF-8 text (a NUL byte at byte {nul}): binary data, or UTF-16 text without "
            "a byte order mark",
            code=ErrorCode.ENCODING,
        )
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return None, InputError(
            source,
            line,
            f"not UTF-8 text (byte {exc.start}: {exc.reason})",
            code=ErrorCode.ENCODING,
        )


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def byte_order_mark(raw: bytes) -> tuple[bytes, str]:
    """The BOM `raw` starts with and the codec for the rest, so `fix` writes a file back in
    the encoding it was read in (`decode` drops the BOM)."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return bom, encoding
    return b"", "utf-8"


def read_file(path: str) -> tuple[bytes, InputError | None]:
    """A file's bytes, or why it could not be read (lint and fix report it alike)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(), None
    except OSError as exc:
        error = InputError(path, None, f"cannot read: {exc.strerror}", code=ErrorCode.UNREADABLE)
        return b"", error


@dataclass(frozen=True)
class SourceText:
    name: str
    text: str | None
    error: InputError | None = None
    is_file: bool = True  # False for a path that does not exist or an empty folder


def _is_hidden(name: str) -> bool:
    return name.startswith(".") and name not in (".", "..")


def _broken_link(path: str) -> InputError | None:
    """Why a symbolic link leads to no file (a missing target, a loop), else None."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return InputError(
                path,
                None,
                "symbolic link loop (it never reaches a file)",
                code=ErrorCode.UNREADABLE,
            )
        if os.path.islink(path):
            target = os.readlink(path)
            return InputError(
                path,
                None,
                f"broken symbolic link: its target {target!r} is missing",
                code=ErrorCode.NOT_FOUND,
            )
        return None  # open() reports it in its own words
    return None


def _not_a_file(path: str) -> InputError | None:
    """A folder entry that is no regular file: a FIFO would block the run forever, a device
    could be read forever. (Named on the command line, one is read: `<(...)` is a pipe.)"""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return _broken_link(path)
    if stat.S_ISREG(mode):
        return None
    what = "a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else None
    return InputError(
        path,
        None,
        f"not a regular file ({what or 'a device'}): not read",
        code=ErrorCode.UNREADABLE,
    )


def expand_paths(paths: Iterable[str]) -> Iterator[tuple[str, InputError | None]]:
    """Files named on the command line, and the manifest files under named folders (sorted,
    hidden files and folders skipped); a missing path is an error, not a silent skip."""
    for path in paths:
        if path == "-":
            yield path, None
        elif os.path.isdir(path):
            found = False
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not _is_hidden(d))
                if CHART_FILE in files:
                    # A Helm chart: templates/ (and subcharts) are not YAML until rendered,
                    # values files are no manifests; crds/ is plain YAML, installed as is.
                    found = True
                    yield root, chart_notice(root)
                    dirs[:] = [d for d in dirs if d == CRDS]
                    continue
                for name in sorted(files):
                    if _is_hidden(name) or not name.lower().endswith(MANIFEST_SUFFIXES):
                        continue
                    found = True
                    full = os.path.join(root, name)
                    yield full, _not_a_file(full)
            if not found:
                yield (
                    path,
                    InputError(
                        path,
                        None,
                        "folder holds no .yaml, .yml or .json file",
                        code=ErrorCode.NO_MANIFESTS,
                    ),
                )
        elif os.path.exists(path):
            yield path, None
        elif os.path.islink(path):
            yield (
                path,
                _broken_link(path)
                or InputError(path, None, "no such file or folder", code=ErrorCode.NOT_FOUND),
            )
        else:
            yield path, InputError(path, None, "no such file or folder", code=ErrorCode.NOT_FOUND)


def read_sources(paths: Iterable[str], stdin: Any = None) -> Iterator[SourceText]:
    return read_expanded(expand_paths(paths), stdin)


def read_expanded(
    expanded: Iterable[tuple[str, InputError | None]], stdin: Any = None
) -> Iterator[SourceText]:
    """The files `expand_paths` found, read one by one as they are asked for."""
    for path, error in expanded:
        if error is not None:
            yield SourceText(path, None, error, is_file=False)
            continue
        if path == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            raw = stream.read()
            name = STDIN_NAME
        else:
            name = path
            raw, unreadable = read_file(path)
            if unreadable is not None:
                yield SourceText(name, None, unreadable)
                continue
        if isinstance(raw, str):
            yield SourceText(name, raw)
            continue
        text, decode_error = decode(raw, name)
        yield SourceText(name, text, decode_error)
