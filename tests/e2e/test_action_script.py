"""The action's script run directly on this machine, as the composite step runs it (no Docker):
input checks, the Windows refusal, and `start: native` + `start: stop` with the real redis-server.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
import redis

from redis_servers import free_port

from .actrun import ROOT

SCRIPT = ROOT / "scripts" / "action" / "redis-ci-action.sh"


def run_script(tmp_path: Path, runner_name: str = "", **inputs: str) -> subprocess.CompletedProcess:
    """Run the script with inputs as the action passes them (REDIS_CI_*), in a fake Actions env."""
    for name in ("output", "summary"):
        (tmp_path / name).touch()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "GITHUB_RUN_ID": "7",
        "GITHUB_JOB": "script-test",
        "RUNNER_TEMP": str(tmp_path),
        "RUNNER_OS": "Linux",
        # Never touch this machine's vm.overcommit_memory from a test.
        "REDIS_CI_OVERCOMMIT": "false",
        "RUNNER_NAME": runner_name,
    }
    env.update({f"REDIS_CI_{name.upper()}": value for name, value in inputs.items()})
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def outputs(tmp_path: Path) -> dict[str, str]:
    lines = (tmp_path / "output").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def test_windows_fails_at_once_with_a_clear_message(tmp_path):
    proc = subprocess.run(
        ["bash", str(SCRIPT)], env={"PATH": os.environ["PATH"], "RUNNER_OS": "Windows"},
        capture_output=True, text=True, timeout=10,
    )
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error title=Redis needs a Linux job::")
    assert "ubuntu-latest" in proc.stdout


def test_missing_python3_is_named(tmp_path):
    """A container job image without python3 (node:22, ...) gets a clear error, not `not found`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in Path("/usr/bin").iterdir():  # this machine's tools, less every python
        if not tool.name.startswith("python") and not (bin_dir / tool.name).exists():
            (bin_dir / tool.name).symlink_to(tool)
    proc = subprocess.run(["bash", str(SCRIPT)], env={"PATH": str(bin_dir), "RUNNER_OS": "Linux"},
                          capture_output=True, text=True, timeout=10, executable=shutil.which("bash"))
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error title=python3 not found::")


@pytest.mark.parametrize(("inputs", "message"), [
    ({"start": "podman"}, "start must be empty, docker, native or stop, not podman"),
    ({"overcommit": "yes"}, "overcommit must be true or false, not yes"),
    ({"start": "native", "args": '--save "'}, "args: cannot split"),
])
def test_bad_input_is_one_error_line_and_exit_2(tmp_path, inputs, message):
    proc = run_script(tmp_path, **inputs)
    assert proc.returncode == 2
    assert f"::error title=redis-ci action::{message}" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_refused_url_fails_with_the_probe_kind(tmp_path):
    proc = run_script(tmp_path, url=f"redis://127.0.0.1:{free_port()}/0", timeout="1")
    assert proc.returncode == 1
    assert "refused" in proc.stderr and "::error title=Redis not ready::" in proc.stderr
    assert outputs(tmp_path)["ready"] == "false"


def test_start_native_with_password_and_args_then_stop(tmp_path):
    password = "native pass \"q\" \\ 9"
    port = free_port()
    proc = run_script(tmp_path, start="native", url=f"redis://localhost:{port}", password=password,
                      args='--maxmemory 5mb --save ""')
    pidfile = tmp_path / "redis-ci-action-7-1-script-test" / f"redis-{port}.pid"
    try:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        got = outputs(tmp_path)
        assert got["ready"] == "true" and got["url"].endswith(f"127.0.0.1:{port}/0")
        # Masked first, and nowhere else: not in the log, not on the server's command line.
        assert proc.stdout.splitlines()[0] == f"::add-mask::{password}"
        log = (proc.stdout + proc.stderr).splitlines()
        assert not [line for line in log if password in line and not line.startswith("::add-mask::")]
        pid = int(pidfile.read_text())
        assert password not in Path(f"/proc/{pid}/cmdline").read_text()
        client = redis.Redis(port=port, password=password, decode_responses=True)
        assert client.config_get("maxmemory") == {"maxmemory": str(5 * 1024 * 1024)}
        assert client.config_get("save") == {"save": ""}
        client.close()

        stop = run_script(tmp_path, start="stop")
        assert stop.returncode == 0, stop.stdout + stop.stderr
        assert "stopped 1 Redis server(s) started by this job" in stop.stdout
        assert not pidfile.exists()
        with pytest.raises(redis.ConnectionError):
            redis.Redis(port=port, socket_connect_timeout=1).ping()
    finally:
        if pidfile.exists():
            os.kill(int(pidfile.read_text()), signal.SIGTERM)


@pytest.mark.e2e
def test_start_docker_removes_a_leftover_from_an_earlier_job_on_the_same_runner(tmp_path, runner_image):
    """Self-hosted runners keep containers; `start: docker` clears this runner's old ones first."""
    labels = ["--label", "io.github.redis-ci.action=1", "--label", "io.github.redis-ci.runner=e2e-runner"]
    leftover = subprocess.run(
        ["docker", "run", "-d", *labels, "--label", "io.github.redis-ci.job=old-job", "redis:7"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    other_runner = subprocess.run(
        ["docker", "run", "-d", "--label", "io.github.redis-ci.action=1",
         "--label", "io.github.redis-ci.runner=another-runner", "--label", "io.github.redis-ci.job=old-job", "redis:7"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    try:
        proc = run_script(tmp_path, runner_name="e2e-runner", start="docker", image="redis:7")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"removing a leftover redis-ci container from an earlier job: {leftover[:12]}" in proc.stdout
        alive = subprocess.run(["docker", "ps", "-aq", "--no-trunc"], capture_output=True, text=True).stdout.split()
        assert leftover not in alive and other_runner in alive
        assert redis.Redis.from_url(outputs(tmp_path)["url"]).ping()
        stop = run_script(tmp_path, start="stop")
        assert "stopped 1 Redis server(s) started by this job" in stop.stdout
    finally:
        subprocess.run(["docker", "rm", "-f", leftover, other_runner], capture_output=True)
