"""redis_ci.write, the one atomic writer, on real files: both ways of making the temporary
file (Linux's unnamed O_TMPFILE, and the named one used elsewhere), modes and owners kept,
read-only files refused, failures and killed writers leaving nothing behind."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from redis_ci import write
from redis_ci.write import STALE_SECONDS, write_atomically


@pytest.fixture(params=["unnamed", "named"])
def strategy(request, monkeypatch):
    """Each test runs with O_TMPFILE (this machine) and as on a platform without it."""
    if request.param == "named":
        monkeypatch.setattr(write, "_O_TMPFILE", 0)
    return request.param


def names(folder) -> list[str]:
    return sorted(os.listdir(folder))


def test_new_file_gets_0666_minus_the_umask(tmp_path, strategy):
    old_umask = os.umask(0o027)
    try:
        write_atomically(str(tmp_path / "new.yml"), b"text\n")
    finally:
        os.umask(old_umask)
    assert (tmp_path / "new.yml").read_bytes() == b"text\n"
    assert stat.S_IMODE((tmp_path / "new.yml").stat().st_mode) == 0o640
    assert names(tmp_path) == ["new.yml"]


def test_existing_file_keeps_mode_and_owner_and_is_a_new_inode(tmp_path, strategy):
    target = tmp_path / "ci.yml"
    target.write_bytes(b"old\n")
    target.chmod(0o604)
    if os.geteuid() == 0:
        os.chown(target, 4321, 4322)
    before = target.stat()
    write_atomically(str(target), b"new\n" * 10_000)
    after = target.stat()
    assert target.read_bytes() == b"new\n" * 10_000
    assert (stat.S_IMODE(after.st_mode), after.st_uid, after.st_gid) == (0o604, before.st_uid, before.st_gid)
    assert after.st_ino != before.st_ino  # renamed over, never rewritten in place
    assert names(tmp_path) == ["ci.yml"]


def test_symlink_is_followed_and_stays_a_link(tmp_path, strategy):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "ci.yml").write_bytes(b"old\n")
    (tmp_path / "link.yml").symlink_to(tmp_path / "real" / "ci.yml")
    write_atomically(str(tmp_path / "link.yml"), b"new\n")
    assert (tmp_path / "link.yml").is_symlink()
    assert (tmp_path / "real" / "ci.yml").read_bytes() == b"new\n"
    assert names(tmp_path) == ["link.yml", "real"] and names(tmp_path / "real") == ["ci.yml"]


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o000])
def test_read_only_file_is_refused_even_for_root(tmp_path, strategy, mode):
    target = tmp_path / "ci.yml"
    target.write_bytes(b"old\n")
    target.chmod(mode)
    with pytest.raises(PermissionError, match="file is read-only"):
        write_atomically(str(target), b"new\n")
    target.chmod(0o600)
    assert target.read_bytes() == b"old\n" and names(tmp_path) == ["ci.yml"]


def test_a_folder_is_not_replaced(tmp_path, strategy):
    (tmp_path / "dir.yml").mkdir()
    with pytest.raises(OSError, match="not a regular file"):
        write_atomically(str(tmp_path / "dir.yml"), b"new\n")
    assert names(tmp_path) == ["dir.yml"] and names(tmp_path / "dir.yml") == []


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failure_leaves_the_old_file_and_nothing_else(tmp_path, monkeypatch, strategy, failing):
    target = tmp_path / "ci.yml"
    target.write_bytes(b"old\n")

    def disk_full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write.os, failing, disk_full)
    with pytest.raises(OSError, match="No space left on device"):
        write_atomically(str(target), b"new\n")
    assert target.read_bytes() == b"old\n" and names(tmp_path) == ["ci.yml"]


def test_while_the_bytes_are_written_only_the_named_way_shows_a_file(tmp_path, monkeypatch, strategy):
    """What a kill -9 in the middle would leave: the folder as it is at the data's fsync."""
    target = tmp_path / "ci.yml"
    target.write_bytes(b"old\n")
    seen = []
    real_fsync = os.fsync

    def listing_fsync(handle):
        seen.append(names(tmp_path))
        real_fsync(handle)

    monkeypatch.setattr(write.os, "fsync", listing_fsync)
    write_atomically(str(target), b"new\n")
    assert len(seen) == 2  # the data's, then the folder's after the rename (no second try)
    during = seen[0]
    if strategy == "unnamed":
        assert during == ["ci.yml"]
    else:
        assert len(during) == 2 and write.TEMP_NAME.fullmatch(during[0])
    assert names(tmp_path) == ["ci.yml"]


def test_stale_temporaries_of_our_pattern_are_removed_by_the_next_write(tmp_path, strategy):
    stale = tmp_path / ".ci.yml.redis-ci-0123456789abcdef.tmp"
    fresh = tmp_path / ".other.yml.redis-ci-fedcba9876543210.tmp"  # a writer may be at work
    foreign = tmp_path / ".ci.yml.k3j2h1.tmp"  # not ours
    for path in (stale, fresh, foreign):
        path.write_bytes(b"half")
    long_ago = time.time() - STALE_SECONDS - 60
    os.utime(stale, (long_ago, long_ago))
    os.utime(foreign, (long_ago, long_ago))
    write_atomically(str(tmp_path / "ci.yml"), b"new\n")
    assert names(tmp_path) == sorted([foreign.name, fresh.name, "ci.yml"])


def test_readme_states_when_a_temporary_file_is_stale():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert f"removes once it is {STALE_SECONDS // 60} minutes old" in readme
