"""The lint result cache: each file's packed result (lint/packed.py), kept with the hash of its
bytes, so an unchanged file is not parsed again.

Where: `--cache-dir`, else $REDIS_CI_CACHE_DIR, else the user cache directory
(`platformdirs.user_cache_dir("redis-ci")`: on Linux $XDG_CACHE_HOME/redis-ci or
~/.cache/redis-ci, computed here without importing platformdirs, which costs start-up).

One index file per settings key (`cache_key.settings_key`: redis-ci's version and the size and mtime of
its own source files, Python's version, the rules that run, their severities, the config
file's bytes, the output format and colour): path -> (a hash of the file's bytes (BLAKE2b),
the other files its result read (compose files) with their hashes, the result's detail (rows
and lines, marshalled: decoded only when findings are needed), the file's stat when it was
read, the result's head (rendered text, counts): packed.stored_parts). A lookup is a hit only
when the bytes and those files hash the same: keys are on bytes, not mtimes (a CI checkout
gives every file a fresh mtime, and actions/cache restores the index beside it). The stat only
spares reading: a file whose device, inode, size, mtime and ctime are those its entry saw is
not read again, and a stat is recorded only for a file that had not changed for SETTLED_NS
before it was read (`_seen`), by a run that saves anyway (a warm run writes nothing). A warm
run reads one index file, not one per workflow, and imports nothing of the engine (no rule,
no model, no PyYAML): this module is standard library only.

Two processes at once: a run that linted something re-reads the index, adds its entries and
renames a temporary file into place, so a reader sees a whole index or the previous one; no
locks. Two writers at the same moment lose one's additions (a later miss, never a wrong
result). An index that does not decode (corrupted, truncated, another version's) is empty.
Bounded: an index over MAX_BYTES drops its oldest entries, and a run that wrote removes the
least recently used indexes while the folder holds more than MAX_BYTES (and temporary files
a killed writer left, once they are STALE_TEMP_S old).
"""

from __future__ import annotations

import marshal
import os
import sys
import time

from redis_ci.lint.cache_key import MAGIC, blake2b, content_hash, dependency_stamps, read_bytes, read_rest
from redis_ci.lint.packed import PackedResult, from_parts, stored_parts

MAX_BYTES = 64 * 1024 * 1024
INDEX_SUFFIX = ".index"
OLD_ENTRY_SUFFIX = ".entry"  # redis-ci-cache/1 kept one file per workflow: trimmed like an index
PARSED_CONFIG_SUFFIX = ".config"  # a YAML config's parsed document (config.py), trimmed like an index
STALE_TEMP_S = 600  # a temporary file this old lost its writer
STAT_SHORTCUT = os.name == "posix"
SETTLED_NS = 2 * 10**9


def default_cache_dir() -> str:
    explicit = os.environ.get("REDIS_CI_CACHE_DIR")
    if explicit:
        return explicit
    if sys.platform.startswith("linux"):  # what platformdirs answers on Linux
        base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.expanduser("~/.cache")
        return os.path.join(base, "redis-ci")
    import platformdirs

    return platformdirs.user_cache_dir("redis-ci", appauthor=False)


def _where(path: str) -> str:
    # the path is in the rendered text, and an absolute path's URI (render.artifact_uri) depends on the current folder
    return f"{os.getcwd()}\0{path}" if os.path.isabs(path) else path


def _parsed_config_path(folder: str, text: str) -> str:
    return os.path.join(folder, blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()
                        + PARSED_CONFIG_SUFFIX)


def parsed_config(folder: str, text: str):
    """A YAML config's document parsed before from this very text, or None."""
    try:
        stored = marshal.loads(read_bytes(_parsed_config_path(folder, text)))
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if isinstance(stored, tuple) and len(stored) == 3 and stored[0] == MAGIC and stored[1] == text:
        return stored[2]
    return None


def store_parsed_config(folder: str, text: str, document) -> None:
    """Keep a parsed YAML config (a document marshal cannot hold, such as a date, is not kept)."""
    target = _parsed_config_path(folder, text)
    temp = f"{target}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    try:
        data = marshal.dumps((MAGIC, text, document))
        os.makedirs(folder, exist_ok=True)
        with open(temp, "wb") as handle:
            handle.write(data)
        os.replace(temp, target)
    except (OSError, ValueError):
        try:
            os.unlink(temp)
        except OSError:
            pass


def _loads(data: bytes):
    """marshal.loads without the cyclic GC: an index is tens of thousands of new tuples and
    strings, none in a cycle, and the collections they set off found nothing (~1 ms)."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        return marshal.loads(data)
    finally:
        if enabled:
            gc.enable()


def _stat_key(stat) -> tuple:
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _stat_key_of_file(stat) -> tuple:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def _seen(stat, now_ns: int) -> tuple | None:
    """What the stat shortcut compares next time, or None: not on POSIX (where ctime is the
    last change of the file and cannot be set), or changed less than SETTLED_NS ago (a write in
    the same timestamp tick could leave the stat as it was: git's "racy" files). A file
    settled that long gets a new ctime from any later write."""
    if not STAT_SHORTCUT or max(stat.st_mtime_ns, stat.st_ctime_ns) > now_ns - SETTLED_NS:
        return None
    return _stat_key_of_file(stat)


class ResultCache:
    """The index of one settings key in one folder (the folder is created on first write).
    `through` is the whole protocol: look files up, lint the misses, store them, save."""

    def __init__(self, folder: str, settings: bytes, max_bytes: int = MAX_BYTES):
        self.folder = folder
        self.settings = settings
        self.max_bytes = max_bytes
        self.path = os.path.join(folder, settings.hex() + INDEX_SUFFIX)
        self._entries: dict | None = None
        self._loaded_stat = None
        self._fresh: dict = {}  # where -> entry, linted by this run
        self._read_hits: dict = {}  # where -> (path, digest) of hits read and hashed by this run
        self._read_started_ns = 0  # before the first of those reads

    def _read_index(self) -> dict:
        """The index on disk (empty when missing or undecodable); remembers its stat."""
        self._loaded_stat = None
        try:
            handle = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError:
            return {}
        try:
            stat = os.fstat(handle)
            self._loaded_stat = _stat_key(stat)
            data = os.read(handle, stat.st_size + 1)  # one read, one buffer: no chunks to join
            if len(data) > stat.st_size:  # grown since (written in place by someone else)
                data += read_rest(handle)
            index = _loads(data)
        except (OSError, ValueError, EOFError, TypeError):
            return {}
        finally:
            os.close(handle)
        if not (isinstance(index, tuple) and len(index) == 3 and index[0] == MAGIC and index[1] == self.settings
                and isinstance(index[2], dict)):
            return {}
        return index[2]

    def entries(self) -> dict:
        if self._entries is None:
            self._entries = self._read_index()
        return self._entries

    def _lookup(self, files: list[str], make) -> list:
        """For each file, make(path, head, detail) of its entry (packed.stored_parts) if its
        bytes and the files it read are unchanged, else None (also when make raises ValueError,
        TypeError or EOFError: a damaged entry is a miss). The bytes are read and hashed unless the
        file's stat is the one the entry saw (`_seen`); a file read is stat'ed only if this
        run saves (`save`): a warm run makes one or three system calls per file, not four."""
        found = [None] * len(files)
        entries = self.entries()
        if not entries:
            return found
        self._read_started_ns = time.time_ns()
        read_hits = self._read_hits
        stat, isabs, posix, cwd = os.stat, os.path.isabs, os.sep == "/" and os.altsep is None, None
        for number, path in enumerate(files):
            where = path
            if path.startswith("/") if posix else isabs(path):  # see _where
                cwd = cwd or os.getcwd()
                where = f"{cwd}\0{path}"
            try:
                digest, dependencies, detail, seen, head = entries[where]
                if seen is None or _stat_key_of_file(stat(path)) != seen:
                    if content_hash(read_bytes(path)) != digest:
                        continue
                    read_hits[where] = (path, digest)
                if dependencies and dependency_stamps(other for other, _ in dependencies) != dependencies:
                    continue
                found[number] = make(path, head, detail)
            except (KeyError, OSError, ValueError, TypeError, EOFError):  # none, unreadable (linting says why), damaged
                pass
        return found

    def get(self, path: str) -> tuple | None:
        """The packed result stored for path if its bytes and the files it read are unchanged,
        else None."""
        return self._lookup([path], from_parts)[0]

    def put(self, path: str, digest: bytes | None, dependencies: tuple, packed: tuple, stat=None) -> None:
        """Keep a result for the next save (digest None: the file could not be read; not kept).
        stat: the file's, taken before the bytes that were hashed were read."""
        if digest is not None:
            seen = None if stat is None else _seen(stat, time.time_ns())
            head, detail = stored_parts(packed)
            self._fresh[_where(path)] = (digest, dependencies, detail, seen, head)

    def through(self, files: list[str], lint_misses, make=from_parts, wrap=None) -> list:
        """Results of files in order: make(path, head, detail) of the hits, lint_misses(missed
        files) -> [(packed, content_hash of the bytes linted, dependency stamps)] for the rest,
        which are stored (and given as wrap(packed); default: the packed tuples themselves)."""
        found = self._lookup(files, make)
        missed = [number for number, hit in enumerate(found) if hit is None]
        if not missed:
            self._touch()
            return found
        stats = {}
        for number in missed:  # before the lint reads them (see put)
            try:
                stats[number] = os.stat(files[number])
            except OSError:
                pass
        for number, (packed, digest, dependencies) in zip(missed, lint_misses([files[n] for n in missed])):
            found[number] = packed if wrap is None else wrap(packed)
            self.put(files[number], digest, dependencies, packed, stats.get(number))
        self.save()
        return found

    def results(self, files: list[str], lint_misses, rows_needed: bool) -> list:
        """through() as packed.PackedResults: a hit decodes its rows now only if rows_needed
        (a damaged one is then a miss), else on first use (which a pre-rendered format without
        a step summary never makes)."""
        def decoded(path, head, detail):
            rows, line_map, other_lines = marshal.loads(detail)  # damaged: ValueError or TypeError, a miss
            return PackedResult.stored(path, head, (rows, line_map, other_lines))

        return self.through(files, lint_misses, decoded if rows_needed else PackedResult.stored, PackedResult)

    def _touch(self) -> None:
        """A run served from this index marks it used (the trim removes the least recently used)."""
        if self._loaded_stat is not None:
            try:
                os.utime(self.path)
            except OSError:
                pass

    def save(self) -> None:
        """Write this run's entries into the index (merged with what is on disk now), then trim
        the folder. A cache that cannot be written is no error (the next run lints again)."""
        if not self._fresh:
            return
        temp = None
        try:
            os.makedirs(self.folder, exist_ok=True)
            entries = self.entries()
            try:
                if _stat_key(os.stat(self.path)) != self._loaded_stat:  # another run saved since
                    entries = self._read_index()
            except OSError:
                entries = {}
            self._settle_read_hits(entries)
            for where in self._fresh:  # this run's entries go last: the newest, dropped last
                entries.pop(where, None)
            entries.update(self._fresh)
            data = self._bounded(entries)
            temp = os.path.join(self.folder, f".{os.path.basename(self.path)}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
            handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(handle, view):]
            finally:
                os.close(handle)
            os.replace(temp, self.path)
            temp = None
            self._entries, self._fresh, self._read_hits = entries, {}, {}
            self._loaded_stat = _stat_key(os.stat(self.path))
        except (OSError, ValueError):
            pass
        finally:
            if temp is not None:
                try:
                    os.unlink(temp)
                except OSError:
                    pass
        self.trim()

    def _settle_read_hits(self, entries: dict) -> None:
        """Record the stat of each hit this run read and hashed, if it had settled before the
        reads began: stat'ed after its read, a file changed since has a ctime past that point."""
        for where, (path, digest) in self._read_hits.items():
            entry = entries.get(where)
            if not (isinstance(entry, tuple) and len(entry) == 5 and entry[0] == digest):
                continue
            try:
                seen = _seen(os.stat(path), self._read_started_ns)
            except OSError:
                continue
            if seen is not None:
                entries[where] = (*entry[:3], seen, entry[4])

    def _bounded(self, entries: dict) -> bytes:
        """The index's bytes; over max_bytes, the oldest entries are dropped down to 3/4 of it."""
        data = marshal.dumps((MAGIC, self.settings, entries))
        if len(data) <= self.max_bytes:
            return data
        sizes = {where: len(marshal.dumps(entry)) + len(where) for where, entry in entries.items()}
        total = sum(sizes.values())
        for where in list(entries):
            if total <= self.max_bytes * 3 // 4:
                break
            total -= sizes[where]
            del entries[where]
        return marshal.dumps((MAGIC, self.settings, entries))

    def trim(self) -> None:
        """While the folder holds more than max_bytes, remove the least recently used indexes
        (never this one), and temporary files a killed writer left."""
        indexes = []
        try:
            with os.scandir(self.folder) as listing:
                for entry in listing:
                    if entry.name.endswith((INDEX_SUFFIX, OLD_ENTRY_SUFFIX, PARSED_CONFIG_SUFFIX)):
                        stat = entry.stat()
                        indexes.append((stat.st_mtime_ns, stat.st_size, entry.path))
                    elif entry.name.endswith(".tmp") and entry.stat().st_mtime < time.time() - STALE_TEMP_S:
                        os.unlink(entry.path)  # a writer killed between write and rename
        except OSError:
            return
        total = sum(size for _, size, _ in indexes)
        for _, size, path in sorted(indexes):
            if total <= self.max_bytes:
                break
            if path == self.path:
                continue
            try:
                os.unlink(path)
            except OSError:  # another process removed it first
                pass
            total -= size
