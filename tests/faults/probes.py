"""The probe implementations the fault matrix runs, defined in one place.

Each probe is a command line that takes `redis-ci wait`'s arguments (`--url`, `--timeout`,
`--format json`, ...), reads the same environment (`REDISCLI_AUTH`, `GITHUB_ACTIONS`,
`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`) and prints the same JSON report. Two today: the Python
probe (`redis-ci wait`) and the action's Node probe (scripts/action/probe.js, for jobs without
python3). To add one, add a `Probe` to `PROBES`: every row of the table then runs against it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import namedtuple
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

Probe = namedtuple("Probe", "name argv env")
Probe.__doc__ = """A probe: its name (the test id), the command before the arguments, and the
environment it needs on top of the test's (PYTHONPATH for the Python probe)."""

PROBES = [
    Probe("python", [sys.executable, "-m", "redis_ci", "wait"], {"PYTHONPATH": str(ROOT / "src")}),
    # the action's probe for jobs without python3 (the machine's Node, as tests/probe/node_probe.py runs it)
    Probe("node", [shutil.which("node") or "node", str(ROOT / "scripts" / "action" / "probe.js"), "wait"], {}),
]

ProbeRun = namedtuple("ProbeRun", "returncode report stdout stderr seconds")
ProbeRun.__doc__ = """One run: exit code, the parsed JSON report (None when stdout holds none),
stdout, stderr, and the wall time in seconds."""

# Variables the probes read: removed so a run does not depend on the machine running it.
PROBE_ENVIRONMENT = ("REDIS_URL", "REDISCLI_AUTH", "GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")


def start_up_seconds(probe: Probe) -> float:
    """The wall time of `probe --help`: starting the interpreter and loading the probe, which
    the probe's deadline cannot cover; on a loaded machine it alone can exceed the slack."""
    return run_probe(probe, ("--help",)).seconds


def run_probe(probe: Probe, args, env=None, resolv_conf=None, timeout: float = 60) -> ProbeRun:
    """Run `probe` with `args` and `env` as a subprocess. With `resolv_conf`, it runs in a private
    mount namespace where that file is /etc/resolv.conf (a resolver on loopback: no DNS query
    leaves the machine)."""
    environment = {key: value for key, value in os.environ.items() if key not in PROBE_ENVIRONMENT}
    environment.update(probe.env)
    environment.update(env or {})
    command = [*probe.argv, *args]
    if resolv_conf is not None:
        command = ["unshare", "--mount", "sh", "-c", 'mount --bind "$0" /etc/resolv.conf && exec "$@"',
                   str(resolv_conf), *command]
    started = time.monotonic()
    completed = subprocess.run(command, capture_output=True, env=environment, timeout=timeout)
    seconds = time.monotonic() - started
    stdout = completed.stdout.decode("utf-8", "replace")
    stderr = completed.stderr.decode("utf-8", "replace")
    try:
        report = json.loads(stdout) if stdout.lstrip().startswith("{") else None
    except ValueError:
        report = None
    return ProbeRun(completed.returncode, report, stdout, stderr, seconds)
