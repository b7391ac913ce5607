"""The one atomic writer (`lint --fix`, `generate -o`, `generate --into`): a user's file is
the old file or the whole new one, never half of it, and no temporary file stays behind (a kill -9: below).

- A symlink is followed: its target gets the new bytes and the link stays a link.
- An existing file keeps its mode and (where allowed) its owner; a new one gets 0666 minus
  the umask. A file without any write bit is refused, even for root: the user marked it
  read-only.
- The bytes are fsynced before the rename, the folder after it.
- On Linux the bytes go to an unnamed `O_TMPFILE` in the target's folder, which gets a
  name (`linkat` through /proc/self/fd) only once it is complete, just before the rename:
  a `kill -9` while writing leaves nothing (Linux has no link that replaces, so one in the
  microseconds between the link and the rename leaves the whole new file under its temporary
  name, which a later write removes once stale). Elsewhere (or where the file system has no
  O_TMPFILE) the temporary file is named `.NAME.redis-ci-RANDOM.tmp` from the start; every
  write removes such files in its folder that are older than STALE_SECONDS, left by a
  writer that was killed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import time

# What our temporary files are called, and when one is surely left by a dead writer.
TEMP_NAME = re.compile(r"\..+\.redis-ci-[0-9a-f]{16}\.tmp")
STALE_SECONDS = 10 * 60
# 0 where the platform has none; the named temporary file is used then.
_O_TMPFILE = getattr(os, "O_TMPFILE", 0)
# O_TMPFILE or linkat not available here (old kernel, file system, no /proc): use a name.
_NO_UNNAMED = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT, errno.EXDEV, errno.ENOSYS}


def write_atomically(path: str, data: bytes) -> None:
    """Replace (or create) the file at `path` with `data`, as the module docstring says.
    Raises OSError (PermissionError "file is read-only" for a read-only file); the file is
    then as it was."""
    target = os.path.realpath(path)
    folder, name = os.path.split(target)
    status = _existing(target, path)
    _remove_stale_temporaries(folder)
    temp = os.path.join(folder, f".{name}.redis-ci-{secrets.token_hex(8)}.tmp")
    if not (_O_TMPFILE and _write_unnamed(folder, temp, data, status)):
        _write_named(temp, data, status)
    try:
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_folder(folder)


def _existing(target: str, path: str) -> os.stat_result | None:
    """The status of the file being replaced (None when there is none); refuses what must
    not be replaced."""
    try:
        status = os.stat(target)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(status.st_mode):
        raise OSError(errno.EINVAL, "not a regular file", path)
    mode = stat.S_IMODE(status.st_mode)
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, "file is read-only", path)
    return status


def _write_all(handle: int, data: bytes, status: os.stat_result | None) -> None:
    """Write, give the old file's mode and owner, fsync: everything before the name counts."""
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view):]
    if status is not None:
        with contextlib.suppress(OSError, AttributeError):  # only root may give a file away
            os.chown(handle, status.st_uid, status.st_gid)
        os.chmod(handle, stat.S_IMODE(status.st_mode))  # after chown, which clears set-id bits
    os.fsync(handle)


def _write_unnamed(folder: str, temp: str, data: bytes, status: os.stat_result | None) -> bool:
    """The Linux way: True once `temp` names the complete file; False when this platform or
    file system cannot (nothing was left behind)."""
    try:
        handle = os.open(folder, _O_TMPFILE | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as exc:
        if exc.errno in _NO_UNNAMED:
            return False
        raise
    try:
        _write_all(handle, data, status)
        folder_handle = os.open(folder, os.O_RDONLY)
        try:  # linkat(..., AT_SYMLINK_FOLLOW): a dir fd makes os.link use linkat
            os.link(f"/proc/self/fd/{handle}", os.path.basename(temp), dst_dir_fd=folder_handle,
                    follow_symlinks=True)
        except OSError as exc:
            if exc.errno in _NO_UNNAMED:
                return False
            raise
        finally:
            os.close(folder_handle)
    finally:
        os.close(handle)
    return True


def _write_named(temp: str, data: bytes, status: os.stat_result | None) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    handle = os.open(temp, flags, 0o666)
    try:
        _write_all(handle, data, status)
    except BaseException:
        os.close(handle)
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    os.close(handle)


def _remove_stale_temporaries(folder: str) -> None:
    """Our temporary files in `folder` that a killed writer left (older than STALE_SECONDS)."""
    now = time.time()
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if not TEMP_NAME.fullmatch(entry.name):
                continue
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE_SECONDS:
                    os.unlink(entry.path)


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable where the OS allows it."""
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
