"""Running one workflow through `act` and reading what its steps printed."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = "tests/e2e/workflows"
SETUP_SCRIPT = ROOT / "tests" / "e2e" / "setup.sh"

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

    def main_steps(self) -> list[tuple[str, float]]:
        """(step name, seconds) of every finished Main step, in the order act reported them."""
        return [
            (match["step"], float(match["amount"]) * UNIT_SECONDS[match["unit"]])
            for match in STEP_RESULT.finditer(self.log)
            if match["stage"] == "Main"
        ]

    def step_seconds(self, step_prefix: str) -> float:
        """Duration act reports for the first Main step whose name starts with `step_prefix`."""
        for name, seconds in self.main_steps():
            if name.startswith(step_prefix):
                return seconds
        raise AssertionError(f"no step {step_prefix!r} in the act log:\n{self.log[-4000:]}")

    def marks(self, name: str) -> list[str]:
        """Values of `E2E-MARK <name> <value>` lines the workflow steps printed."""
        return re.findall(rf"E2E-MARK {re.escape(name)} (.*?)\s*$", self.log, re.MULTILINE)

    def outputs(self) -> dict[str, str]:
        """The action's outputs as check_redis.py printed them (READY, REDIS_VERSION, ...)."""
        return dict(mark.split("=", 1) for mark in self.marks("output"))


class E2EEnvironmentError(Exception):
    """Docker/act/images could not be prepared; the message carries setup.sh's reason."""


def prepare_environment() -> str:
    """Run setup.sh (idempotent; instant when warm) and return the runner image's name."""
    proc = subprocess.run(
        ["bash", str(SETUP_SCRIPT)], capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL
    )
    if proc.returncode != 0:
        raise E2EEnvironmentError(
            "the e2e environment (Docker + act) could not be prepared by tests/e2e/setup.sh:\n"
            + proc.stderr[-3000:]
        )
    return proc.stdout.strip().splitlines()[-1]


def _project_files() -> list[str]:
    """Tracked and new files of the working tree (what a push of this work would contain)."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode()
    return [name for name in out.split("\0") if name and (ROOT / name).is_file()]


def copy_project_repo(repo: Path) -> Path:
    """Copy this project into `repo` (an empty directory) as a one-commit git repository."""
    for name in _project_files():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    git = ["git", "-c", "user.name=e2e", "-c", "user.email=e2e@localhost"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "e2e"], cwd=repo, check=True)
    return repo


def run_act(repo: Path, workflow: str, runner_image: str, variables: dict[str, str] | None = None,
            extra_args: tuple[str, ...] = (), timeout: float = 600) -> ActRun:
    """Run one workflow file of `repo` with act, as a push, on the local runner image."""
    # --rm: act keeps a failed job's containers (running) unless told otherwise
    command = [
        "act", "push", "--workflows", workflow, "--pull=false", "--rm",
        "-P", f"ubuntu-latest={runner_image}", "--var", f"RUNNER_IMAGE={runner_image}",
    ]
    for name, value in (variables or {}).items():
        command += ["--var", f"{name}={value}"]
    command += extra_args
    before = _act_containers()
    started = time.time()
    try:
        # ACT_DISABLE_VERSION_CHECK: act otherwise asks api.nektosact.com for notices on every run,
        # a DNS lookup through the machine's resolver (the tests' traffic stays on this machine)
        proc = subprocess.run(
            command, cwd=repo, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
            env={**os.environ, "ACT_DISABLE_VERSION_CHECK": "1"},
        )
    finally:
        # act 0.2.89 also creates (and never starts or removes) the service containers of matrix
        # legs `--matrix` deselected. Only act's own `act-*` containers: what the action starts
        # carries redis-ci labels, and the tests check that it removed them itself.
        # Only this workflow's: other act runs on the same Docker daemon create theirs meanwhile.
        leftover = sorted(name for name in _act_containers() - before if name.startswith(_act_prefix(repo / workflow)))
        if leftover:
            subprocess.run(["docker", "rm", "-f", "-v", *leftover], capture_output=True)
    return ActRun(proc.returncode, proc.stdout + proc.stderr, started, time.time())


def _act_containers() -> set[str]:
    out = subprocess.run(["docker", "ps", "-a", "--format", "{{.Names}}", "--filter", "name=^act-"],
                         capture_output=True, text=True)
    return set(out.stdout.split())


def _act_prefix(workflow: Path) -> str:
    """How act begins the names of a workflow's containers: `act-<name>-` with every character
    outside [A-Za-z0-9] as `-` (the workflow's `name:`, else its file path)."""
    match = re.search(r"^name:\s*(.+?)\s*$", workflow.read_text(), re.MULTILINE) if workflow.is_file() else None
    name = match[1].strip("'\"") if match else str(workflow)
    return "act-" + re.sub(r"[^A-Za-z0-9]", "-", name) + "-"
