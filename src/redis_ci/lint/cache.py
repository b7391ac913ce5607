"""The lint result cache: a file's packed result (lint/packed.py), keyed by its bytes and
everything else that changes the result, so an unchanged file is not parsed again.

Where: `--cache-dir`, else $REDIS_CI_CACHE_DIR, else the user cache directory
(`platformdirs.user_cache_dir("redis-ci")`: on Linux $XDG_CACHE_HOME/redis-ci or
~/.cache/redis-ci, computed here without importing platformdirs, which costs start-up).

The key hashes: the settings (`settings_key`: redis-ci's version and the size and mtime of
its own source files, Python's version, the rules that run, their severities, the config
file's bytes, the output format and colour) and the file's path and bytes. An entry also
records the other files its result read (compose files) with their hashes; a lookup whose
files changed is a miss.

Two processes at once: an entry is written to a temporary file and renamed into place, so a
reader sees a whole entry or none; no locks. An entry that does not decode (corrupted,
truncated, another version's) is a miss. Bounded: when a run has written entries and the
folder holds more than MAX_BYTES, the oldest entries are removed down to 3/4 of it (and
temporary files a killed writer left, once they are STALE_TEMP_S old).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys

MAGIC = "redis-ci-cache/1"
PACKED_FIELDS = 7  # lint/packed.py's tuple
MAX_BYTES = 64 * 1024 * 1024
ENTRY_SUFFIX = ".entry"
STALE_TEMP_S = 600  # a temporary file this old lost its writer


def default_cache_dir() -> str:
    explicit = os.environ.get("REDIS_CI_CACHE_DIR")
    if explicit:
        return explicit
    if sys.platform.startswith("linux"):  # what platformdirs answers on Linux
        base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.expanduser("~/.cache")
        return os.path.join(base, "redis-ci")
    import platformdirs

    return platformdirs.user_cache_dir("redis-ci", appauthor=False)


def _source_stamp() -> str:
    """Size and mtime of redis-ci's own modules: a changed rule (a development checkout, an
    upgrade that kept the version) never serves an old result."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parts = [root]
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(name for name in dirs if name != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py"):
                stat = os.stat(os.path.join(folder, name))
                parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "\n".join(parts)


def settings_key(rules: list, severities: dict | None, config_path: str | None, output) -> bytes:
    """The part of every key that the files of one config share."""
    from redis_ci import __version__

    config_bytes = b""
    if config_path:
        try:
            with open(config_path, "rb") as handle:
                config_bytes = handle.read()
        except OSError:
            config_bytes = b"\0unreadable"
    digest = hashlib.sha256()
    for part in (MAGIC, __version__, sys.version, _source_stamp(),
                 ",".join(sorted(rule.code for rule in rules)),
                 repr(sorted((severities or {}).items())), repr(tuple(output))):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(config_bytes)
    return digest.digest()


def file_key(settings: bytes, path: str, data: bytes) -> str:
    digest = hashlib.sha256(settings)
    # the path is in the rendered text; a relative path's URI depends on the current folder
    where = path if not os.path.isabs(path) else f"{os.getcwd()}\0{path}"
    digest.update(where.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(data)
    return digest.hexdigest()


def _file_hash(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def dependency_stamps(paths) -> tuple:
    """((path, sha256 or None when missing), ...) of the other files a result read."""
    return tuple((path, _file_hash(path)) for path in paths)


class ResultCache:
    """Get and put packed results in one folder (created on first write)."""

    def __init__(self, folder: str):
        self.folder = folder
        self.wrote = False

    def _entry(self, key: str) -> str:
        return os.path.join(self.folder, key + ENTRY_SUFFIX)

    def get(self, key: str) -> tuple | None:
        try:
            with open(self._entry(key), "rb") as handle:
                entry = marshal.loads(handle.read())
        except (OSError, ValueError, EOFError, TypeError):
            return None
        if not (isinstance(entry, tuple) and len(entry) == 4 and entry[0] == MAGIC and entry[1] == key):
            return None
        _, _, dependencies, packed = entry
        if not isinstance(packed, tuple) or len(packed) != PACKED_FIELDS:
            return None
        if dependencies and dependency_stamps(path for path, _ in dependencies) != dependencies:
            return None
        return packed

    def put(self, key: str, packed: tuple, dependencies: tuple = ()) -> None:
        """Store an entry; a cache that cannot be written is no error (the next run lints again)."""
        try:
            data = marshal.dumps((MAGIC, key, dependencies, packed))
            os.makedirs(self.folder, exist_ok=True)
            temp = os.path.join(self.folder, f".{key}.{os.getpid()}.tmp")
            with open(temp, "wb") as handle:
                handle.write(data)
            os.replace(temp, self._entry(key))
            self.wrote = True
        except (OSError, ValueError):
            try:
                os.unlink(temp)
            except (OSError, UnboundLocalError):
                pass

    def trim(self, max_bytes: int = MAX_BYTES) -> None:
        """Remove the oldest entries when the folder holds more than max_bytes."""
        if not self.wrote:
            return
        import time

        entries = []
        try:
            for entry in os.scandir(self.folder):
                stat = entry.stat()
                if entry.name.endswith(ENTRY_SUFFIX):
                    entries.append((stat.st_mtime_ns, stat.st_size, entry.path))
                elif entry.name.endswith(".tmp") and stat.st_mtime < time.time() - STALE_TEMP_S:
                    os.unlink(entry.path)  # a writer killed between write and rename
        except OSError:
            return
        total = sum(size for _, size, _ in entries)
        if total <= max_bytes:
            return
        for _, size, path in sorted(entries):
            try:
                os.unlink(path)
            except OSError:  # another process removed it first
                pass
            total -= size
            if total <= max_bytes * 3 // 4:
                break
