"""Running one workflow through `act` and reading what its steps printed."""

from __future__ import annotations

import dataclasses
import re
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = "tests/e2e/workflows"

# `[workflow/job]   ✅  Success - Main <step name> [1.234s]` (or ms, or ❌  Failure).
STEP_RESULT = re.compile(
    r"^\[(?P<job>[^\]]+)\]\s+(?P<icon>✅|❌)\s+(?P<result>Success|Failure) - (?P<stage>Main|Post|Pre) "
    r"(?P<step>.*?) \[(?P<amount>[\d.]+)(?P<unit>µs|ms|s|m)\]\s*$",
    re.MULTILINE,
)
UNIT_SECONDS = {"µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


@dataclasses.dataclass
class ActRun:
    """One `act push` of one workflow: its exit code, combined log and wall-clock start."""

    returncode: int
    log: str
    started_at: float
    finished_at: float

    def step_seconds(self, step_prefix: str) -> float:
        """Duration act reports for the first Main step whose name starts with `step_prefix`."""
        for match in STEP_RESULT.finditer(self.log):
            if match["stage"] == "Main" and match["step"].startswith(step_prefix):
                return float(match["amount"]) * UNIT_SECONDS[match["unit"]]
        raise AssertionError(f"no step {step_prefix!r} in the act log:\n{self.log[-4000:]}")

    def marks(self, name: str) -> list[str]:
        """Values of `E2E-MARK <name> <value>` lines the workflow steps printed."""
        return re.findall(rf"E2E-MARK {re.escape(name)} (.*?)\s*$", self.log, re.MULTILINE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_act(repo: Path, workflow: str, runner_image: str, variables: dict[str, str] | None = None,
            timeout: float = 600) -> ActRun:
    """Run one workflow file of `repo` with act, as a push, on the local runner image."""
    command = [
        "act", "push", "--workflows", workflow, "--pull=false",
        "-P", f"ubuntu-latest={runner_image}", "--var", f"RUNNER_IMAGE={runner_image}",
    ]
    for name, value in (variables or {}).items():
        command += ["--var", f"{name}={value}"]
    started = time.time()
    proc = subprocess.run(
        command, cwd=repo, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    return ActRun(proc.returncode, proc.stdout + proc.stderr, started, time.time())
