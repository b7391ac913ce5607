"""The installed `redis-ci` console script of the interpreter running the tests (the venv's in
CI), so CLI tests go through the real entry point, not `python -m`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def redis_ci_path() -> str:
    beside = Path(sys.executable).parent / "redis-ci"
    found = str(beside) if beside.is_file() else shutil.which("redis-ci")
    assert found, "the redis-ci console script is not installed (pip install -e '.[test]')"
    return found


REDIS_CI = redis_ci_path()


def redis_ci(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run `redis-ci ARGS` (text mode, output captured; kwargs go to subprocess.run)."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 120)
    return subprocess.run([REDIS_CI, *args], **kwargs)
