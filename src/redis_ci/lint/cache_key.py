"""What a cached lint result depends on, as bytes: the settings key every file of one config
shares, the hash of a file's bytes, the hashes of the other files a result read. Standard
library only (a cached lint imports no more); cache.py keeps the results under these."""

from __future__ import annotations

import os
import sys

try:  # hashlib's own blake2b, without the OpenSSL library `import hashlib` loads (~4 ms of start-up)
    from _blake2 import blake2b
except ImportError:  # an interpreter built without it
    from hashlib import blake2b

MAGIC = "redis-ci-cache/3"  # /3: entries keep head and detail apart (packed.stored_parts)
READ_CHUNK = 1 << 16
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)  # Windows would translate line ends


def _source_stamp() -> str:
    """Size and mtime of redis-ci's own modules: a changed rule (a development checkout, an
    upgrade that kept the version) never serves an old result."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parts = [root]
    folders = [root]
    while folders:  # os.scandir: the names and kinds come with the listing, one stat per module
        folder = folders.pop()
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
        for entry in entries:
            if entry.name.endswith(".py"):
                stat = entry.stat()
                parts.append(f"{entry.name}:{stat.st_size}:{stat.st_mtime_ns}")
            elif entry.name != "__pycache__" and entry.is_dir():
                folders.append(entry.path)
    return "\n".join(parts)


def settings_key(rules, severities: dict | None, config_path: str | None, output) -> bytes:
    """The key of the index every file of one config shares. rules: what runs (anything with
    a `code`: catalogue.RuleInfo or rule classes)."""
    from redis_ci import __version__

    config_bytes = b""
    if config_path:
        try:
            config_bytes = read_bytes(config_path)
        except OSError:
            config_bytes = b"\0unreadable"
    digest = blake2b(digest_size=32)
    for part in (MAGIC, __version__, sys.version, _source_stamp(),
                 ",".join(sorted(rule.code for rule in rules)),
                 repr(sorted((severities or {}).items())), repr(tuple(output))):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(config_bytes)
    return digest.digest()


def read_bytes(path: str) -> bytes:
    """A file's bytes with the fewest system calls (no buffered file object, no fstat): a
    read shorter than asked for is taken as the end. Were it not (a signal), the hash would
    differ from the stored one: a miss, never a wrong hit."""
    handle = os.open(path, _READ_FLAGS)
    try:
        data = os.read(handle, READ_CHUNK)
        return data if len(data) < READ_CHUNK else data + read_rest(handle)
    finally:
        os.close(handle)


def read_rest(handle: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(handle, READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def content_hash(data: bytes) -> bytes:
    """What an entry records of the file's bytes (BLAKE2b, 32 bytes)."""
    return blake2b(data, digest_size=32).digest()


def _file_hash(path: str) -> bytes | None:
    try:
        return content_hash(read_bytes(path))
    except OSError:
        return None


def dependency_stamps(paths) -> tuple:
    """((path, content_hash or None when missing), ...) of the other files a result read."""
    return tuple((path, _file_hash(path)) for path in paths)


