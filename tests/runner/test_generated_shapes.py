"""Every shape `generate` can produce, run as the runner would run it on real Docker.

Each distinct shape (runner/shapes.py: all option combinations, matrix legs expanded, deduped by
the `docker create` argument lists) is replayed once: the runner's container start and health
wait (runner.replay), its gate (the wait step's probe, or the health check), a redis-py client
where the job's steps run (the host for runner jobs, the job container for container jobs) that
must need the password exactly when the shape sets one, and its snapshots as the generated
comments say; then every container and the network must be gone. Legacy shapes with a password
run the action's own script (`start: docker`, then `start: stop`). The replays run six at a time
in one batch; one test per shape reports its result.
"""

from __future__ import annotations

import functools
import os
import random
import subprocess
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from runner.docker_support import docker, free_port, image_id, install_clients
from runner.shapes import PASSWORD, distinct_shapes

from redis_ci.runner.replay import JobReplay

ROOT = Path(__file__).resolve().parents[2]
SHAPES, COMBINATIONS, LEGS = distinct_shapes(functools.lru_cache(maxsize=None)(image_id))
PARALLEL = 6

CLIENT = r"""
import os, sys, redis
host, port = sys.argv[1], int(sys.argv[2])
password = os.environ.get("REDIS_PASSWORD") or None
client = redis.Redis(host=host, port=port, password=password, socket_timeout=5)
client.set("rcrunner:key", "value")
assert client.get("rcrunner:key") == b"value"
print("save=" + client.config_get("save")["save"])
try:
    redis.Redis(host=host, port=port, socket_timeout=5).ping()
    print("auth=open")
except redis.AuthenticationError:
    print("auth=required")
"""


def _client_env(shape, pythonpath: str) -> dict[str, str]:
    env = {"PYTHONPATH": pythonpath}
    if shape.setup.password_secret:
        env["REDIS_PASSWORD"] = PASSWORD  # the job's env: REDIS_PASSWORD: ${{ secrets.NAME }}
        env["REDISCLI_AUTH"] = PASSWORD  # what the action hands the probe
    return env


def _replay_service_shape(shape, images, sources) -> dict:
    setup = shape.setup
    replay = JobReplay(shape.job, rng=random.Random(len(shape.combinations)), host_ports=free_port, images=images)
    result: dict = {}
    with replay:
        if replay.is_container_job:
            install_clients(replay.workspace, sources)
            host, port, pythonpath, python = "redis", "6379", "/__w/repo/repo/lib", "python3"
        else:
            host, port = "127.0.0.1", replay.services["redis"].ports["6379"]
            pythonpath, python = f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", sys.executable
        env = _client_env(shape, pythonpath)
        result["health"] = replay.services["redis"].health
        if setup.uses_wait_step:
            gate = replay.run_in_job([python, "-m", "redis_ci", "wait", "--url", f"redis://{host}:{port}/0",
                                      "--timeout", "30"], env)
            result["gate"] = (gate.returncode, gate.stdout + gate.stderr)
        client = replay.run_in_job([python, "-c", CLIENT, host, port], env)
        result["client"] = (client.returncode, client.stdout + client.stderr)
        result["create"] = list(replay.create_arguments)
        label = replay.instance_label
    result["left"] = docker("ps", "--all", "--quiet", "--filter", f"label={label}").stdout.split()
    result["network_left"] = docker("network", "ls", "--quiet", "--filter", f"name={replay.network}").stdout.split()
    return result


def _action(env: dict, **inputs: str) -> subprocess.CompletedProcess:
    env = {**env, **{f"REDIS_CI_{name.upper()}": value for name, value in inputs.items()}}
    return subprocess.run(["bash", str(ROOT / "scripts" / "action" / "redis-ci-action.sh")], env=env,
                          capture_output=True, text=True, timeout=120)


def _start_docker_shape(shape, images) -> dict:
    """The legacy form: no service; the action's `start: docker` runs the image with the password."""
    run_id = f"rcrunner{uuid.uuid4().hex[:12]}"
    with tempfile.TemporaryDirectory(prefix="rcrunner-") as directory:
        env = {
            "PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "GITHUB_ACTIONS": "true",
            "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_OUTPUT": f"{directory}/output", "RUNNER_TEMP": directory,
            "GITHUB_STEP_SUMMARY": f"{directory}/summary", "GITHUB_RUN_ID": run_id, "GITHUB_JOB": "test",
        }
        port = free_port()
        result: dict = {"health": ""}
        try:
            gate = _action(env, start="docker", image=images.get(shape.start_image), url=f"redis://127.0.0.1:{port}/0",
                           password=PASSWORD, overcommit="false", timeout="30")
            result["gate"] = (gate.returncode, gate.stdout + gate.stderr)
            pythonpath = f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
            client = subprocess.run([sys.executable, "-c", CLIENT, "127.0.0.1", str(port)], capture_output=True,
                                    text=True, timeout=60, env={**os.environ, **_client_env(shape, pythonpath)})
            result["client"] = (client.returncode, client.stdout + client.stderr)
        finally:
            stop = _action(env, start="stop")
            result["stop"] = (stop.returncode, stop.stdout + stop.stderr)
        job_key = f"{run_id}-1-test"
        result["left"] = docker("ps", "--all", "--quiet", "--filter", f"label=io.github.redis-ci.job={job_key}").stdout.split()
        result["network_left"] = []
        result["create"] = []
    return result


def _run(shape, images, sources) -> dict:
    try:
        if shape.setup.starts_in_step:
            return _start_docker_shape(shape, images)
        return _replay_service_shape(shape, images, sources)
    except Exception as exc:  # reported by the shape's own test
        return {"error": f"{type(exc).__name__}: {exc}"}


@pytest.fixture(scope="module")
def results(docker_images, client_files):
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        futures = {shape.ident: pool.submit(_run, shape, docker_images, client_files) for shape in SHAPES}
        return {ident: future.result() for ident, future in futures.items()}


def test_the_shapes_cover_every_combination():
    assert len({shape.ident for shape in SHAPES}) == len(SHAPES)
    assert sum(len(shape.combinations) for shape in SHAPES) == LEGS
    by_name, _, _ = distinct_shapes()
    print(f"{COMBINATIONS} combinations, {LEGS} runner jobs with matrix legs, {len(by_name)} distinct "
          f"docker argument lists, {len(SHAPES)} once each tag is the image Docker runs here")
    assert len(by_name) > len(SHAPES)


@pytest.mark.parametrize("shape", SHAPES, ids=[shape.ident for shape in SHAPES])
def test_generated_shape_runs_on_docker(shape, results):
    result = results[shape.ident]
    assert "error" not in result, result.get("error")
    setup = shape.setup
    if setup.uses_health_check and not setup.starts_in_step:
        assert result["health"] == "healthy"
    if setup.uses_wait_step or setup.starts_in_step:
        code, output = result["gate"]
        assert code == 0, output
        printed = [line for line in output.splitlines() if not line.startswith("::add-mask::")]
        assert not any(PASSWORD in line for line in printed), output  # masked or never printed
    code, output = result["client"]
    assert code == 0, output
    assert ("auth=required" if setup.password_secret else "auth=open") in output.splitlines()
    snapshots_off = setup.is_container_job and not setup.is_legacy_runner and setup.image != "redis-stack"
    stack_off = setup.is_container_job and setup.image == "redis-stack"
    assert ("save=" in output.splitlines()) == (snapshots_off or stack_off), output
    for arguments in result["create"]:
        assert PASSWORD not in arguments.replace(f"REDISCLI_AUTH={PASSWORD}", "").replace(
            f"--requirepass {PASSWORD}", ""), "the password reached a docker argument other than env"
    if "stop" in result:
        assert result["stop"][0] == 0, result["stop"][1]
    assert result["left"] == [] and result["network_left"] == []
