"""`generate -o` and `generate --into` write the user's file as `lint --fix` does (redis_ci.write):
through a symlink, never over a read-only file, and never leaving a temporary file, even when
the writer is killed with SIGKILL mid-write. Run through the real CLI."""

from __future__ import annotations

import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

import redis_ci
from redis_ci.write import TEMP_NAME

FIXTURES = Path(__file__).with_name("fixtures")
# The child runs the code this test imported.
CHILD_ENV = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(redis_ci.__file__))}
# fsync's number in /proc/PID/syscall, where the writer is caught in the middle of its write.
FSYNC_SYSCALL = {"x86_64": "74", "aarch64": "82"}[platform.machine()]


def generate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "redis_ci", "generate", *args], capture_output=True,
                          text=True, env=CHILD_ENV, timeout=60)


def test_into_a_symlink_updates_the_target_and_keeps_the_link(tmp_path):
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "ci.yml"
    shutil.copy(FIXTURES / "hand_written.yml", real)
    link = tmp_path / "ci.yml"
    link.symlink_to(real)
    result = generate("--into", str(link), "--job", "build")
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "redis:" in real.read_text() and real.read_text() != (FIXTURES / "hand_written.yml").read_text()
    assert sorted(os.listdir(tmp_path)) == ["ci.yml", "real"] and os.listdir(tmp_path / "real") == ["ci.yml"]


def test_output_to_a_symlink_updates_the_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "real.yml"
    real.write_text("old\n")
    link = tmp_path / "ci.yml"
    link.symlink_to(real)
    result = generate("job", "-o", str(link))
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and real.read_text().startswith("# Written by `redis-ci generate job`.")


@pytest.mark.parametrize("destination", ["-o", "--into"])
def test_a_read_only_file_is_refused_with_exit_3(tmp_path, destination):
    target = tmp_path / "ci.yml"
    shutil.copy(FIXTURES / "hand_written.yml", target)
    target.chmod(0o444)
    before = target.read_bytes(), target.stat().st_ino
    args = ["job", "-o", str(target)] if destination == "-o" else ["--into", str(target), "--job", "build"]
    result = generate(*args)
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr == f"redis-ci generate: error: cannot write {target}: file is read-only\n"
    assert (target.read_bytes(), target.stat().st_ino) == before
    assert os.listdir(tmp_path) == ["ci.yml"]


def _in_fsync(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/syscall") as handle:
            return handle.read().split(" ", 1)[0] == FSYNC_SYSCALL
    except OSError:
        return False


def test_kill_9_at_random_moments_leaves_no_temporary_file(tmp_path):
    """100 SIGKILLs of a real `generate -o` (seeded: half at a random moment of its run, half
    in the middle of writing, when it is seen in fsync; a random one comes at the latest
    then too): the folder never holds anything but the file, which is the old text or the
    whole new one."""
    rng = random.Random(20261201)
    target = tmp_path / "ci.yml"
    command = [sys.executable, "-m", "redis_ci", "generate", "workflow", "-o", str(target)]
    runs = []
    for _ in range(3):
        started = time.monotonic()
        subprocess.run(command, env=CHILD_ENV, check=True, timeout=60)
        runs.append(time.monotonic() - started)
    whole_run, new_text = statistics.median(runs), target.read_bytes()
    killed_in_fsync, killed_between_link_and_rename, deadline = 0, 0, time.monotonic() + 180
    for attempt in range(100):
        assert time.monotonic() < deadline, f"only {attempt} kills in the time allowed"
        target.write_bytes(b"old\n")
        # half at a random moment of a whole run, half as soon as the writer is seen in fsync
        delay = rng.uniform(0, whole_run) if rng.random() < 0.5 else 30.0
        child = subprocess.Popen(command, env=CHILD_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic()
        while child.poll() is None and time.monotonic() - started < delay:
            if _in_fsync(child.pid):
                killed_in_fsync += 1
                break
            time.sleep(0.00005)
        child.kill()
        child.wait(timeout=30)
        left = sorted(set(os.listdir(tmp_path)) - {"ci.yml"})
        if left:  # killed in the microseconds between linkat and rename: the whole file, named
            assert len(left) == 1 and TEMP_NAME.fullmatch(left[0]), (attempt, left)
            assert (tmp_path / left[0]).read_bytes() == new_text, f"kill {attempt}: a partial file is left"
            (tmp_path / left[0]).unlink()
            killed_between_link_and_rename += 1
        assert target.read_bytes() in (b"old\n", new_text)
    assert killed_in_fsync >= 25, f"only {killed_in_fsync} of 100 kills came while the file was written"
    assert killed_between_link_and_rename <= 3, f"{killed_between_link_and_rename} of 100 kills left a named file"
