"""Run `python3 -m redis_ci wait` as the action does, and time it (imported by the probe tests;
a module of its own, since `from conftest import ...` can meet another directory's conftest)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

PASSWORD = "pw-Zq7_redis-ci-secret"
# Variables the probe reads: removed so the tests do not depend on the machine running them.
PROBE_ENVIRONMENT = ("REDIS_URL", "REDISCLI_AUTH", "GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")


class WaitResult:
    def __init__(self, completed: subprocess.CompletedProcess, seconds: float):
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.seconds = seconds

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)

    def __repr__(self) -> str:
        return f"WaitResult(rc={self.returncode}, {self.seconds:.3f} s, stdout={self.stdout!r}, stderr={self.stderr!r})"


def start_up_seconds() -> float:
    """The wall time of `python3 -m redis_ci wait --help`: the interpreter's start and the probe's
    imports, which no deadline of the probe can cover (on a loaded machine alone > 0.5 s)."""
    return run_wait("--help").seconds


def run_wait(*args: str, env: dict | None = None) -> WaitResult:
    """Run `python3 -m redis_ci wait ARGS` and return its exit code, output and wall time."""
    environment = {key: value for key, value in os.environ.items() if key not in PROBE_ENVIRONMENT}
    environment.update(env or {})
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "redis_ci", "wait", *args], capture_output=True, text=True, env=environment, timeout=60
    )
    return WaitResult(completed, time.monotonic() - started)
