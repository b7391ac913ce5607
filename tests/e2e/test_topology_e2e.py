"""`generate --topology` run for real: the generated job through act, the action (`uses: ./`)
starting the nodes with Docker and gating the job, then a step writing keys as a cluster client.

The workflow is `generate`'s output with only what this offline machine needs changed: the action
is `./` (asked of generate with --action-ref), the first port is a free one, a first step marks
the job's start, and the placeholder test step becomes a client that writes keys on the shards.
"""

from __future__ import annotations

import os
import random
import re
import socket
import subprocess

import pytest
import yaml

from redis_ci.generate.render import render
from redis_ci.generate.setup import Setup

from .actrun import ROOT, WORKFLOWS, run_act

pytestmark = pytest.mark.e2e

PASSWORD = "e2e-Topology-Secret-77"
CONTAINER_IMAGE = "python:3.13-slim"  # tagged to the local runner image by setup.sh


def free_port_run(offsets: tuple) -> int:
    """A base port such that base + each offset is free on loopback (the nodes take them all)."""
    for _ in range(200):
        base = random.randrange(20000, 30000)
        sockets = []
        try:
            for offset in offsets:
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise AssertionError("no free run of ports")


CLUSTER_PORTS = tuple(range(6)) + tuple(range(10000, 10006))
SENTINEL_PORTS = (0, 1, 2, 20000, 20001, 20002)


def runnable_workflow(setup: Setup, client: str) -> str:
    """The generated workflow with a job-start mark first and `client` as its test step."""
    workflow = yaml.safe_load(render(setup, "workflow"))
    workflow["on"] = workflow.pop(True)  # PyYAML reads the `on` key as YAML 1.1 true
    job = workflow["jobs"]["test"]
    if setup.is_container_job:
        # GitHub gives every container job a network; act only a job with a service.
        job["services"] = {"other": {"image": "redis:7"}}
    steps = job["steps"]
    steps.insert(0, {"name": "job-start", "run": 'echo "E2E-MARK job-start $(date +%s.%N)"'})
    test = next(i for i, step in enumerate(steps) if step.get("name") == "Run the tests")
    steps[test] = {"name": "The next step writes keys", "run": client}
    return yaml.safe_dump(workflow, sort_keys=False)


def run_generated(project_repo, runner_image, name: str, setup: Setup, client: str):
    path = project_repo / WORKFLOWS / f"topology-{name}.yml"
    path.write_text(runnable_workflow(setup, client))
    run = run_act(project_repo, str(path.relative_to(project_repo)), runner_image,
                  extra_args=("--secret", f"REDIS_PASSWORD={PASSWORD}"))
    assert run.returncode == 0, f"act failed ({run.returncode}):\n{run.log[-8000:]}"
    assert "🏁  Job succeeded" in run.log
    assert PASSWORD not in run.log
    return run


def seconds_to_ready(run) -> float:
    """From the job's first step to the first step after the gate (the cluster serving)."""
    return float(run.marks("first-test-step")[0]) - float(run.marks("job-start")[0])


def assert_cleaned_up(job_key: str) -> None:
    left = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=io.github.redis-ci.job={job_key}"],
                          capture_output=True, text=True, check=True).stdout.split()
    assert left == []


def test_generated_cluster_runner_job_is_ready_and_takes_writes_on_every_shard(project_repo, runner_image):
    base = free_port_run(CLUSTER_PORTS)
    setup = Setup.checked(topology="cluster", action_ref="./", port=base)
    run = run_generated(project_repo, runner_image, "cluster-runner", setup,
                        'python3 tests/e2e/workflows/check_topology.py --nodes "$REDIS_CLUSTER_NODES"')
    # The action started six nodes on loopback (`redis-ci start`) and reported the whole cluster ready.
    assert re.search(rf"redis-ci: starting cluster redis:8\.2 at 127\.0\.0\.1:{base} as r[0-9a-f]+", run.log)
    assert re.search(rf"redis ready at 127\.0\.0\.1:{base} \(Redis [\d.]+, cluster, master\) "
                     r"\(cluster of 6 nodes, 3 masters\) after [\d.]+ s: cluster, ping, pubsub, rw", run.log)
    # The next step, a plain cluster client, wrote on all three masters (following MOVED).
    assert run.marks("shards") == ["3"]
    assert {mark.split()[0] for mark in run.marks("shard")} <= {f"127.0.0.1:{base + i}" for i in range(6)}
    assert run.marks("problem") == []
    assert "stopped 6 Redis server(s) started by this job" in run.log
    assert_cleaned_up("1-1-test")
    print(f"cluster, runner job: job start -> ready {seconds_to_ready(run):.2f} s; "
          f"action step {run.step_seconds('Start a Redis Cluster'):.2f} s; act run {run.finished_at - run.started_at:.1f} s")


def test_generated_cluster_container_job_with_tls_and_password(project_repo, runner_image):
    setup = Setup.checked(topology="cluster", action_ref="./", tls=True, password_secret="REDIS_PASSWORD",
                          container_image=CONTAINER_IMAGE)
    run = run_generated(project_repo, runner_image, "cluster-container-tls", setup,
                        'python3 tests/e2e/workflows/check_topology.py --nodes "$REDIS_CLUSTER_NODES" '
                        '--password-env REDIS_PASSWORD --tls-dir "$RUNNER_TEMP/redis-tls"')
    # Reached by name on the job network, over TLS verified against the throwaway CA.
    assert re.search(r"redis ready at redis-node-0:7000 \(Redis [\d.]+, cluster, master\) "
                     r"\(cluster of 6 nodes, 3 masters\)", run.log)
    assert run.marks("shards") == ["3"]
    assert {mark.split()[0] for mark in run.marks("shard")} <= {f"redis-node-{i}:{7000 + i}" for i in range(6)}
    assert run.marks("problem") == []
    assert_cleaned_up("1-1-test")
    print(f"cluster, container job, TLS: job start -> ready {seconds_to_ready(run):.2f} s")


def test_generated_sentinel_runner_job_with_password(project_repo, runner_image):
    base = free_port_run(SENTINEL_PORTS)
    setup = Setup.checked(topology="sentinel", action_ref="./", port=base, password_secret="REDIS_PASSWORD")
    run = run_generated(project_repo, runner_image, "sentinel-runner", setup,
                        'python3 tests/e2e/workflows/check_topology.py --sentinels "$REDIS_SENTINELS" '
                        '--master-name "$REDIS_MASTER_NAME" --password-env REDIS_PASSWORD')
    assert re.search(rf"redis ready at 127\.0\.0\.1:{base + 20000} \(Redis [\d.]+, standalone, master\) "
                     rf"\(master mymaster at 127\.0\.0\.1:{base} per 3 sentinels\)", run.log)
    assert run.marks("master") == [f"127.0.0.1:{base}"]
    assert run.marks("shards") == ["1"]
    assert run.marks("problem") == []
    assert_cleaned_up("1-1-test")
    print(f"sentinel, runner job: job start -> ready {seconds_to_ready(run):.2f} s")


def test_generated_sentinel_container_job_with_tls(project_repo, runner_image):
    setup = Setup.checked(topology="sentinel", action_ref="./", tls=True, container_image=CONTAINER_IMAGE)
    run = run_generated(project_repo, runner_image, "sentinel-container-tls", setup,
                        'python3 tests/e2e/workflows/check_topology.py --sentinels "$REDIS_SENTINELS" '
                        '--master-name "$REDIS_MASTER_NAME" --tls-dir "$RUNNER_TEMP/redis-tls"')
    # The sentinels announce the master by name, over TLS verified against the throwaway CA.
    assert re.search(r"redis ready at redis-sentinel-0:26379 \(Redis [\d.]+, standalone, master\) "
                     r"\(master mymaster at redis-node-0:6379 per 3 sentinels\)", run.log)
    assert run.marks("master") == ["redis-node-0:6379"]
    assert run.marks("shards") == ["1"]
    assert run.marks("problem") == []
    assert_cleaned_up("1-1-test")
    print(f"sentinel, container job, TLS: job start -> ready {seconds_to_ready(run):.2f} s")


ACTION_SCRIPT = ROOT / "scripts" / "action" / "redis-ci-action.sh"


def run_action_script(job: str, **inputs: str) -> subprocess.CompletedProcess:
    """The action's script on this machine (a runner job's view), inputs as the action passes them."""
    env = {"PATH": os.environ["PATH"], "GITHUB_RUN_ID": "topology-script", "GITHUB_JOB": job,
           "REDIS_CI_OVERCOMMIT": "false", "REDIS_CI_TIMEOUT": "10"}
    env.update({f"REDIS_CI_{name.upper()}": value for name, value in inputs.items()})
    return subprocess.run(["bash", str(ACTION_SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("inputs", "message"), [
    ({"start": "docker", "topology": "mesh"}, "topology must be empty, cluster or sentinel, not mesh"),
    ({"start": "native", "topology": "cluster"}, "topology: cluster needs start: docker"),
    ({"start": "docker", "tls_dir": "/tmp"}, "tls-dir applies to a started topology"),
    ({"start": "docker", "topology": "cluster", "tls_dir": "/nonexistent"}, "tls-dir: /nonexistent/ca.crt is missing"),
])
def test_bad_topology_inputs_are_one_error_line_and_exit_2(runner_image, inputs, message):
    proc = run_action_script("bad-inputs", **inputs)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("::error title=redis-ci action::")
    assert message in proc.stdout


def test_a_busy_port_fails_the_step_before_any_node_starts(runner_image):
    """`redis-ci start` checks every port of the topology (cluster bus ports too) before it
    starts anything, and names the port (issue 13 item 5: a server that cannot bind must not let
    the gate pass on another one)."""
    base = free_port_run(CLUSTER_PORTS)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", base + 3))
        busy.listen()
        proc = run_action_script("busy-port", start="docker", topology="cluster", image="redis:8.2",
                                 url=f"redis://127.0.0.1:{base}")
    try:
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert f"::error title=Redis not started::redis-ci start: error: port {base + 3} on 127.0.0.1 is already in use" in proc.stdout
    finally:
        stopped = run_action_script("busy-port", start="stop")
    assert "stopped 0 Redis server(s)" in stopped.stdout
    assert_cleaned_up("topology-script-1-busy-port")
