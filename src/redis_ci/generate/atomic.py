"""Write a user's file so that it is either the old file or the whole new one, never half of it."""

from __future__ import annotations

import os
import tempfile

from redis_ci.errors import FatalError


def write_atomically(path: str, text: str) -> None:
    """Write `text` to a temp file next to `path`, fsync it, then rename it over `path`.

    An existing file keeps its permission bits; a new one gets the usual 0666 minus umask.
    """
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    except OSError as exc:
        raise FatalError(f"cannot write {path}: {exc.strerror}") from None
    try:
        descriptor, temp_path = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    except OSError as exc:
        raise FatalError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_path, mode)
        os.replace(temp_path, path)
    except OSError as exc:
        os.unlink(temp_path)
        raise FatalError(f"cannot write {path}: {exc.strerror}") from None
