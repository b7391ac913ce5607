"""The action's script run directly on this machine, as the composite step runs it (no Docker):
input checks, the Windows refusal, and `start: native` + `start: stop` with the real redis-server.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
import redis

from github_files import parse_file_commands
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
    for name, value in inputs.items():  # lower case: an input; upper case: the environment
        env[name if name.isupper() else f"REDIS_CI_{name.upper()}"] = value
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def redis_server(tmp_path):
    from redis_servers import RedisServers

    servers = RedisServers(tmp_path / "servers")
    yield servers.start()
    servers.close()


def outputs(tmp_path: Path) -> dict[str, str]:
    """$GITHUB_OUTPUT read as the runner reads it: `name=value` and `name<<DELIMITER` entries."""
    return dict(parse_file_commands((tmp_path / "output").read_text()))


def tools_without(tmp_path: Path, *prefixes: str) -> Path:
    """A PATH directory holding this machine's tools less those whose names start with `prefixes`."""
    bin_dir = tmp_path / ("bin-without-" + "-".join(prefixes))
    bin_dir.mkdir()
    for directory in ("/usr/local/bin", "/usr/bin", "/bin"):
        for tool in Path(directory).iterdir():
            if not tool.name.startswith(prefixes) and not (bin_dir / tool.name).exists():
                (bin_dir / tool.name).symlink_to(tool)
    return bin_dir


def test_windows_refuses_start_native_at_once(tmp_path):
    proc = run_script(tmp_path, start="native", RUNNER_OS="Windows")
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error title=Redis needs a Linux job::redis-ci: start: native cannot run on Windows")
    assert "ubuntu-latest" in proc.stdout and not list(tmp_path.glob("redis-ci-action-*"))


def test_windows_waits_for_a_reachable_redis(tmp_path, redis_server):
    """No start: the probe runs as on a hosted Windows runner (bash steps, python)."""
    proc = run_script(tmp_path, url=redis_server.url, RUNNER_OS="Windows", OSTYPE="msys")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert outputs(tmp_path)["ready"] == "true"
    assert outputs(tmp_path)["port"] == str(redis_server.port)


def test_no_python3_runs_the_node_probe(tmp_path, redis_server):
    """A job image with Node and no python3 (node:*-slim): the same checks, outputs and summary."""
    bin_dir = tools_without(tmp_path, "python")
    proc = run_script(tmp_path, url=redis_server.url, checks="ping,pubsub,rw,info", PATH=str(bin_dir))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = outputs(tmp_path)
    assert got["ready"] == "true" and got["port"] == str(redis_server.port)
    assert got["redis-version"] == redis_server.client().info()["redis_version"]
    assert (tmp_path / "summary").read_text().startswith(f"### ✅ Redis ready at `127.0.0.1:{redis_server.port}`")


def test_no_python3_and_no_node_is_one_clear_error(tmp_path):
    bin_dir = tools_without(tmp_path, "python", "node")
    proc = run_script(tmp_path, PATH=str(bin_dir))
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "::error title=No python3 or Node in this job::redis-ci runs its probe with python3 (>= 3.9) or Node "
        "(>= 16), and this job has neither (on PATH, or the runner's Node under /__e): in a container job use an "
        "image that has one (node:22-slim, python:3.13-slim, most language images), or install python3 or nodejs "
        "before this step"]


def test_a_python_older_than_3_9_falls_back_to_node(tmp_path, redis_server):
    """`python3` that is too old (a stand-in that exits as probe.py does on Python < 3.9)."""
    bin_dir = tools_without(tmp_path, "python")
    (bin_dir / "python3").write_text("#!/bin/sh\nexit 86\n")
    (bin_dir / "python3").chmod(0o755)
    proc = run_script(tmp_path, url=redis_server.url, PATH=str(bin_dir))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert outputs(tmp_path)["ready"] == "true"


def test_topology_without_python3_is_refused_before_starting(tmp_path):
    bin_dir = tools_without(tmp_path, "python", "docker")
    proc = run_script(tmp_path, start="docker", topology="cluster", image="redis:7", PATH=str(bin_dir))
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error title=python3 needed for a topology::topology: cluster")


def test_multi_line_password_masked_whole_and_line_by_line(tmp_path):
    password = "first line\r\nsecond%line\nthird"
    proc = run_script(tmp_path, url=f"redis://127.0.0.1:{free_port()}/0", timeout="0.3", password=password)
    masks = [line for line in proc.stdout.splitlines() if line.startswith("::add-mask::")]
    assert masks[:4] == ["::add-mask::first line%0D%0Asecond%25line%0Athird", "::add-mask::first line",
                         "::add-mask::second%25line", "::add-mask::third"]
    printed = [line for line in (proc.stdout + proc.stderr).splitlines() if not line.startswith("::add-mask::")]
    for part in ("first line", "second%line", "third"):
        assert not [line for line in printed if part in line], part


@pytest.mark.parametrize("text", [
    "", "--save ''", '--save "" --maxmemory 64mb', "a\\ b 'c d' \"e \\\" f\" g\\h", "  x   y  ", "'it'\\''s'",
    '--dir "/tmp/with space" --loglevel\twarning', "\"\" ''", "--a=\"b'c\"",
])
def test_args_split_as_shlex_does(text):
    import shlex

    script = f'source "{SCRIPT}"; split_args; for word in ${{SERVER_ARGS[@]+"${{SERVER_ARGS[@]}}"}}; do printf "%s\\0" "$word"; done'
    proc = subprocess.run(["bash", "-c", script], env={"PATH": os.environ["PATH"], "REDIS_CI_ARGS": text},
                          capture_output=True, text=True, timeout=10)
    assert proc.returncode == 0, proc.stderr
    words = proc.stdout.split("\0")[:-1]
    assert words == shlex.split(text)


@pytest.mark.parametrize(("inputs", "message"), [
    ({"start": "podman"}, "start must be empty, docker, native or stop, not podman"),
    ({"overcommit": "yes"}, "overcommit must be true or false, not yes"),
    ({"start": "native", "args": '--save "'}, "args: cannot split"),
    ({"timeout": "soon"}, "timeout must be a positive number of seconds (such as 60 or 2.5), not soon"),
    ({"timeout": "0"}, "timeout must be a positive number of seconds"),
    ({"checks": "ping,pong"}, "checks: unknown check pong (choose from ping, pubsub, rw, info)"),
    ({"checks": " , "}, "checks must name at least one of ping, pubsub, rw, info"),
    ({"version": "7.2"}, "version applies to start: docker or native"),
    ({"start": "docker", "version": "latest; rm"}, "version must be a server version such as 8.2 or 7.4.2"),
    ({"start": "docker", "version": "7", "image": "redis@sha256:abc"}, "version and an image pinned by digest"),
    ({"start": "native", "url": "redis://localhost:99999"}, "url: the port must be a number from 1 to 65535"),
    ({"topology": "ring"}, "topology must be empty, cluster or sentinel, not ring"),
])
def test_bad_input_is_one_error_line_and_exit_2(tmp_path, inputs, message):
    proc = run_script(tmp_path, **inputs)
    assert proc.returncode == 2
    assert f"::error title=redis-ci action::{message}" in proc.stdout
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("inputs", [{"timeout": "-1"}, {"checks": "nope"}, {"args": "'unbalanced"}])
def test_start_native_with_a_bad_input_starts_nothing(tmp_path, inputs):
    port = free_port()
    proc = run_script(tmp_path, start="native", url=f"redis://127.0.0.1:{port}", **inputs)
    assert proc.returncode == 2 and "::error title=redis-ci action::" in proc.stdout
    assert not list(tmp_path.glob("redis-ci-action-*/redis-*.pid"))
    with pytest.raises(redis.ConnectionError):
        redis.Redis(port=port, socket_connect_timeout=1).ping()


def test_start_native_of_a_version_this_machine_lacks_starts_nothing(tmp_path):
    proc = run_script(tmp_path, start="native", version="6.2")
    assert proc.returncode == 1
    assert "::error title=Redis version not available natively::start: native found " in proc.stdout
    assert not list(tmp_path.glob("redis-ci-action-*/redis-*.pid"))


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


def strings_in(value):
    """Every string in a JSON structure (docker inspect's)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


@pytest.mark.e2e
def test_start_docker_keeps_the_password_off_every_command_line(tmp_path, runner_image):
    """docker inspect (.Args, .Config.Cmd, .Config.Env) and the container's processes never show it."""
    import json

    password = 'dock "pw" \\ one\nsecond-line-Zq9'
    proc = run_script(tmp_path, start="docker", image="redis:8.2", version="7", password=password, args='--save ""')
    try:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "starting redis:7 as container redis-ci-7-1-script-test-" in proc.stdout  # version -> tag
        [container] = subprocess.run(["docker", "ps", "-q", "--filter", "label=io.github.redis-ci.job=7-1-script-test"],
                                     capture_output=True, text=True, check=True).stdout.split()
        inspect = json.loads(subprocess.run(["docker", "inspect", container], capture_output=True, text=True,
                                            check=True).stdout)
        assert inspect[0]["Args"][0] == "/data/redis-ci.conf" and inspect[0]["Config"]["Image"] == "redis:7"
        processes = subprocess.run(["docker", "top", container], capture_output=True, text=True,
                                   check=True).stdout
        log = "\n".join(line for line in (proc.stdout + proc.stderr).splitlines() if not line.startswith("::add-mask::"))
        for secret in (password, *password.splitlines()):
            assert not [text for text in strings_in(inspect) if secret in text], secret
            assert secret not in processes and secret not in log
        got = outputs(tmp_path)
        assert got["url"] == f"redis://:***@127.0.0.1:{got['port']}/0"
        client = redis.Redis(port=int(got["port"]), password=password)
        assert client.ping() and client.config_get("save") == {"save": ""}
        assert not list(tmp_path.glob("redis-ci-config.*"))  # the 0600 file is gone once copied
    finally:
        stop = run_script(tmp_path, start="stop")
        assert "stopped 1 Redis server(s) started by this job" in stop.stdout


@pytest.mark.parametrize("inputs", [
    {"start": "x\n::warning::forged"},
    {"topology": "ring\r::warning::forged%0A"},
    {"overcommit": "no\r\n::notice title=a::forged"},
    {"start": "docker", "image": "redis-ci-no-such-image\n::warning::forged", "url": "redis://127.0.0.1:1/0"},
], ids=["start", "topology", "overcommit", "image"])
def test_a_line_break_in_an_input_starts_no_workflow_command(tmp_path, inputs):
    """Every line starts as the script writes it: an input's line break is escaped in a command's
    data (%0A, %0D, and % as %25) and shown as \\n in a progress line."""
    proc = run_script(tmp_path, timeout="1", **inputs)
    assert proc.returncode in (1, 2), proc
    lines = re.split(r"\r\n|\r|\n", proc.stdout + proc.stderr)
    assert not [line for line in lines if line.lstrip().startswith(("::warning::forged", "::notice title=a::"))], lines
    [error] = [line for line in lines if line.startswith("::error ")]
    assert "%0A" in error or "%0D" in error, error
    assert not re.search("%(?!25|0D|0A)", error.split("::", 2)[2]), error
