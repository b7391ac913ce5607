"""Run the action's Node probe (scripts/action/probe.js) the way the action runs it, timed like
`wait_runner.run_wait` runs the Python one, so one test table can hold both to the same verdicts."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from wait_runner import PROBE_ENVIRONMENT, WaitResult

NODE_PROBE = Path(__file__).resolve().parents[2] / "scripts" / "action" / "probe.js"


def node_binary() -> str:
    """The machine's Node (Debian's nodejs); the action finds its own (PATH, /__e)."""
    path = shutil.which("node") or shutil.which("nodejs")
    if path is None:
        raise RuntimeError("node is not installed: apt-get install nodejs (the Node probe's tests need it)")
    return path


def run_node_wait(*args: str, env: dict | None = None) -> WaitResult:
    """Run `node probe.js wait ARGS` and return its exit code, output and wall time."""
    environment = {key: value for key, value in os.environ.items() if key not in PROBE_ENVIRONMENT}
    environment.update(env or {})
    started = time.monotonic()
    completed = subprocess.run(
        [node_binary(), str(NODE_PROBE), "wait", *args], capture_output=True, text=True, env=environment, timeout=60
    )
    return WaitResult(completed, time.monotonic() - started)
