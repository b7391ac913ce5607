"""`generate --topology cluster|sentinel` and `--tls`: every combination judged like the rest
(actionlint, zizmor, check-jsonschema, redis-ci lint), the addresses held to what the action's
script starts, the certificate step run for real against redis-server, one-line usage errors."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from redis_ci import cli, recipe
from redis_ci.generate import topology
from redis_ci.generate.render import render
from redis_ci.generate.setup import Setup

from redis_servers import RedisServers, TlsFiles
from test_judges import JUDGES, _judge

ROOT = Path(__file__).resolve().parents[2]
START_SCRIPT = ROOT / "scripts" / "action" / "start-topology.sh"
JOBS = {"runner": {}, "port7100": {"port": 7100}, "container": {"container_image": "python:3.13-slim"}}
VERSIONS = {"redis": "7.4,8.2", "valkey": "8.0,8.1"}


def _combinations():
    """(id, Setup.checked keyword arguments): topology x job x TLS x password x version mode x image;
    the image also picks the language and the password the action reference, so both vary."""
    for kind, job, tls, password, matrix, image in itertools.product(
        recipe.TOPOLOGIES, JOBS, (False, True), (None, "REDIS_PASSWORD"), (False, True), ("redis", "valkey"),
    ):
        options = dict(topology=kind, tls=tls, password_secret=password, image=image, **JOBS[job])
        if matrix:
            options["versions"] = VERSIONS[image]
        options["language"] = "python" if image == "valkey" else "none"
        if password:
            options["action_ref"] = "./"
        ident = "-".join(["topology", kind, job, "tls" if tls else "plain", "password" if password else "open",
                          "matrix" if matrix else "stable", image])
        yield ident, options


COMBINATIONS = dict(_combinations())


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    repo = tmp_path_factory.mktemp("topologies")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for ident, options in COMBINATIONS.items():
        (workflows / f"{ident}.yml").write_text(render(Setup.checked(**options), "workflow"))
    (workflows / "canary.yml").write_text(canary())
    return _judge(repo, sorted(f".github/workflows/{name}.yml" for name in [*COMBINATIONS, "canary"]))


def canary() -> str:
    """A generated cluster job spoilt twice: the start step becomes a bare `docker run` (no gate)
    and the test step pastes an untrusted expression into its script. The clean-up step
    (`start: stop`) stays: it is neither a gate nor the overcommit step."""
    lines = render(Setup.checked(topology="cluster"), "workflow").splitlines()
    start = next(i for i, line in enumerate(lines) if "- name: Start a Redis Cluster" in line)
    end = next(i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("- name:"))
    lines[start:end] = ["      - run: docker run -d --network host redis:8.2 --port 7000"]
    text = "\n".join(lines).replace("on:\n  push:", "on:\n  pull_request_target:")
    return text.replace('run: echo "Replace', 'run: echo "${{ github.event.pull_request.title }} Replace') + "\n"


@pytest.mark.parametrize("ident", list(COMBINATIONS))
def test_topology_workflow_passes_every_judge(judged, ident):
    assert {judge: judged[judge][f"{ident}.yml"] for judge in JUDGES if judged[judge].get(f"{ident}.yml")} == {}


@pytest.mark.parametrize("judge", ("actionlint", "zizmor", "redis-ci lint"))
def test_spoilt_topology_workflow_is_flagged(judged, judge):
    assert judged[judge].get("canary.yml")


def workflow(**options) -> dict:
    return yaml.safe_load(render(Setup.checked(**options), "workflow"))


def job_of(**options) -> dict:
    return workflow(**options)["jobs"]["test"]


def step_named(job: dict, prefix: str) -> dict:
    return next(step for step in job["steps"] if step.get("name", "").startswith(prefix))


def test_cluster_runner_job_addresses_are_loopback_from_7000():
    job = job_of(topology="cluster")
    assert "services" not in job
    assert job["env"]["REDIS_URL"] == "redis://127.0.0.1:7000/0"
    assert job["env"]["REDIS_CLUSTER_NODES"] == ",".join(f"127.0.0.1:{7000 + i}" for i in range(6))
    start = step_named(job, "Start a Redis Cluster")
    assert start["with"] == {"start": "docker", "topology": "cluster", "image": "redis:8.2",
                             "url": "redis://127.0.0.1:7000/0", "checks": "ping,pubsub,rw"}
    # The clean-up is the last step and runs whatever happened.
    assert job["steps"][-1] == {"name": "Remove the Redis containers", "if": "always()",
                                "uses": recipe.ACTION_REF, "with": {"start": "stop"}}


def test_sentinel_container_job_reaches_nodes_by_name():
    job = job_of(topology="sentinel", container_image="python:3.13-slim", password_secret="PW")
    assert job["env"]["REDIS_SENTINELS"] == "redis-sentinel-0:26379,redis-sentinel-1:26380,redis-sentinel-2:26381"
    assert job["env"]["REDIS_MASTER_NAME"] == "mymaster"
    assert job["env"]["REDIS_URL"] == "redis://redis-node-0:6379/0"
    start = step_named(job, "Start Redis with Sentinel")
    assert start["with"]["overcommit"] == "false"
    assert start["with"]["password"] == "${{ secrets.PW }}"


def test_container_job_gets_the_docker_cli_before_the_start_and_a_runner_job_does_not():
    names = [step.get("name") for step in job_of(topology="cluster", container_image="python:3.13-slim")["steps"]]
    assert names.index("Install the Docker CLI for the Redis nodes") == names.index(
        "Start a Redis Cluster and wait until it serves every slot") - 1
    assert "Install the Docker CLI for the Redis nodes" not in [
        step.get("name") for step in job_of(topology="cluster")["steps"]]


def test_tls_uses_rediss_and_the_certificate_directory():
    job = job_of(topology="cluster", tls=True, container_image="python:3.13-slim")
    assert job["env"]["REDIS_URL"] == "rediss://redis-node-0:7000/0"
    start = step_named(job, "Start a Redis Cluster")
    assert start["with"]["tls-dir"] == "${{ runner.temp }}/redis-tls"
    names = [step.get("name") for step in job["steps"]]
    # Certificates exist before the step that needs them.
    assert names.index("Make throwaway TLS certificates for Redis") < names.index(start["name"])


@pytest.mark.parametrize("ident", list(COMBINATIONS))
def test_no_expression_in_any_run_script(ident):
    for step in workflow(**COMBINATIONS[ident])["jobs"]["test"]["steps"]:
        assert "${{" not in step.get("run", "")


def test_header_command_writes_the_same_file(capsys):
    for options in (dict(topology="cluster", tls=True, port=7100), dict(topology="sentinel", image="valkey",
                                                                         container_image="python:3.13-slim")):
        text = render(Setup.checked(**options), "workflow")
        command = re.match(r"# Written by `redis-ci (.*)`\.", text)[1].split()
        assert cli.main(command) == 0
        assert capsys.readouterr().out == text


def test_addresses_are_the_ones_the_action_starts():
    """Names, counts, port offsets and defaults of what the action starts (`redis-ci start`:
    server/nodes.py, which start-topology.sh calls), as generate/topology.py writes them."""
    from redis_ci.server import nodes

    assert nodes.network_alias("r0", "cluster", "node-3") == f"{topology.NODE_ALIAS}-3"
    assert nodes.network_alias("r0", "sentinel", "sentinel-2") == f"{topology.SENTINEL_ALIAS}-2"
    assert nodes.CLUSTER_SIZE == topology.NODE_COUNT["cluster"]
    assert 1 + nodes.SENTINEL_REPLICAS == topology.NODE_COUNT["sentinel"]
    assert nodes.SENTINEL_COUNT == topology.SENTINEL_COUNT
    assert nodes.SENTINEL_PORT_OFFSET == topology.SENTINEL_PORT_OFFSET
    assert nodes.MASTER_NAME == topology.MASTER_NAME and nodes.HOST == recipe.RUNNER_JOB_HOST
    script = START_SCRIPT.read_text()
    for kind, port in recipe.TOPOLOGY_FIRST_PORT.items():
        assert f"{kind}) port={port} ;;" in script


def run_certificate_step(options: dict, runner_temp: Path) -> Path:
    """Run the generated certificate step's script with bash -e, as the runner would."""
    step = step_named(job_of(**options), "Make throwaway TLS certificates")
    subprocess.run(["bash", "-e", "-c", step["run"]], env={"RUNNER_TEMP": str(runner_temp), "PATH": "/usr/bin:/bin"},
                   check=True, capture_output=True, timeout=30)
    return runner_temp / topology.TLS_DIRECTORY


def test_certificate_step_serves_a_real_tls_server_with_client_certificates(tmp_path):
    directory = run_certificate_step(dict(topology="cluster", tls=True), tmp_path)
    assert sorted(path.name for path in directory.iterdir()) == ["ca.crt", "redis.crt", "redis.key"]
    files = TlsFiles(str(directory / "ca.crt"), "", str(directory / "redis.crt"), str(directory / "redis.key"),
                     str(directory / "redis.crt"), str(directory / "redis.key"))
    servers = RedisServers(tmp_path / "servers")
    try:
        server = servers.start(tls=files, tls_auth_clients=True)
        tls = ["--tls-ca-cert", files.ca_cert, "--tls-cert", files.client_cert, "--tls-key", files.client_key]
        # The address the generated env names (127.0.0.1), verified against the certificate.
        ready = subprocess.run([sys.executable, "-m", "redis_ci", "wait", "--url", f"rediss://127.0.0.1:{server.port}",
                                "--timeout", "5", *tls], capture_output=True, text=True)
        assert ready.returncode == 0, ready.stdout + ready.stderr
        # Without the client certificate the server refuses: it really requires one.
        refused = subprocess.run([sys.executable, "-m", "redis_ci", "wait", "--url", f"rediss://127.0.0.1:{server.port}",
                                  "--timeout", "1", *tls[:2]], capture_output=True, text=True)
        assert refused.returncode != 0
    finally:
        servers.close()


@pytest.mark.parametrize("kind", recipe.TOPOLOGIES)
def test_certificate_names_every_address_a_container_job_client_is_sent_to(tmp_path, kind):
    options = dict(topology=kind, tls=True, container_image="python:3.13-slim")
    directory = run_certificate_step(options, tmp_path)
    text = subprocess.run(["openssl", "x509", "-in", str(directory / "redis.crt"), "-noout", "-ext", "subjectAltName"],
                          capture_output=True, text=True, check=True).stdout
    named = set(re.findall(r"DNS:([\w.-]+)", text))
    setup = Setup.checked(**options)
    hosts = {address.rsplit(":", 1)[0] for address in topology.node_addresses(setup)}
    if kind == "sentinel":
        hosts |= {address.rsplit(":", 1)[0] for address in topology.sentinel_addresses(setup)}
    assert named == hosts


@pytest.mark.parametrize(("argv", "message"), [
    (["workflow", "--tls"], "--tls needs --topology cluster or sentinel"),
    (["service", "--topology", "cluster"], "a topology is started by a step, not a service"),
    (["job", "--topology", "cluster", "--gate", "health"], "--gate applies to a service"),
    (["job", "--topology", "sentinel", "--image", "redis-stack"], "--topology starts the nodes with redis-server"),
    (["job", "--topology", "cluster", "--container-job", "python:3.13-slim", "--version", "6.2"],
     "--topology cluster in a container job needs Redis >= 7.0"),
    (["job", "--topology", "cluster", "--port", "60000"], "--port with --topology cluster must be 1-55530"),
    (["--into", "ci.yml", "--job", "test", "--topology", "cluster"], "--topology does not apply with --into"),
])
def test_usage_errors_are_one_line(capsys, argv, message):
    assert cli.main(["generate", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err and captured.err.count("\n") == 1


def test_steps_kind_is_certificates_start_and_the_clean_up():
    steps = yaml.safe_load(render(Setup.checked(topology="cluster", tls=True), "steps"))
    assert [step["name"] for step in steps] == [
        "Make throwaway TLS certificates for Redis", "Start a Redis Cluster and wait until it serves every slot",
        "Remove the Redis containers",
    ]
    container = yaml.safe_load(render(Setup.checked(topology="sentinel", container_image="python:3.13-slim"), "steps"))
    assert [step["name"] for step in container] == [
        "Install the Docker CLI for the Redis nodes", "Start Redis with Sentinel and wait until it serves",
        "Remove the Redis containers",
    ]
