"""Atomic file writes: a server watching the directory must never read half a key."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

KEY_MODE = 0o600
CERT_MODE = 0o644


def write_atomic(path: str | Path, data: bytes, mode: int) -> None:
    """Write `data` to a temp file beside `path`, fsync it, then os.replace it into place.

    The temp file is created 0600 (mkstemp) and only then given `mode`, so a private key is
    never readable by others, not even for a moment; a crash leaves the old file whole.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable; best effort (not every platform opens directories)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
