"""`redis-ci run --docker --network NAME`, as a container job runs it: from a container on a Docker
network (the local runner image, with Docker's socket), the nodes join that network and announce
their names; the e2e workflows' stdlib clients check them from the same container."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest
from server_helpers import SRC, make_tls_dir

RUNNER_IMAGE = "redis-ci/act-runner:bookworm-2"
CLIENTS = SRC.parent / "tests" / "e2e" / "workflows"
PASSWORD = "net 'pw' \"7\""
NAMES = [f"DNS:redis-node-{index}" for index in range(6)] + [f"DNS:redis-sentinel-{index}" for index in range(3)]


@pytest.fixture
def network():
    name = f"redis-ci-test-server-{uuid.uuid4().hex[:8]}"
    subprocess.run(["docker", "network", "create", name], check=True, capture_output=True)
    yield name
    left = subprocess.run(["docker", "ps", "-aq", "--filter", f"network={name}"], capture_output=True, text=True).stdout.split()
    subprocess.run(["docker", "rm", "-f", *left], capture_output=True) if left else None
    subprocess.run(["docker", "network", "rm", name], capture_output=True)
    assert left == [], "containers left on the network"


def run_in_network(network: str, tls: str, *args: str) -> subprocess.CompletedProcess:
    mounts = ["-v", "/var/run/docker.sock:/var/run/docker.sock", "-v", f"{SRC}:/src:ro", "-v", f"{CLIENTS}:/clients:ro"]
    if tls:
        mounts += ["-v", f"{tls}:/tls:ro"]
    return subprocess.run(
        ["docker", "run", "--rm", "--name", f"{network}-job", "--network", network, *mounts,
         "-e", "PYTHONPATH=/src", "-e", "PW", RUNNER_IMAGE, "python3", "-m", "redis_ci", "run", "--docker",
         "redis:7-alpine", "--network", network, "--label", "io.github.redis-ci.test=server", "--password-env", "PW",
         *args],
        capture_output=True, text=True, timeout=180, env={**os.environ, "PW": PASSWORD})


def test_cluster_with_tls_on_a_network_is_reached_by_name(network, tmp_path):
    tls = make_tls_dir(tmp_path / "tls", NAMES)
    done = run_in_network(network, str(tls), "--topology", "cluster", "--tls-dir", "/tls", "--", "sh", "-c",
                          'echo "$REDIS_URL $REDIS_CLUSTER_NODES" && '
                          'python3 /clients/check_topology.py --nodes "$REDIS_CLUSTER_NODES" --password-env PW '
                          '--tls-dir /tls')
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("rediss://:net%20%27pw%27%20%227%22@redis-node-0:7000/0 redis-node-0:7000,redis-node-1:7001,")
    assert "E2E-MARK shards 3" in done.stdout


def test_sentinel_with_tls_on_a_network_names_its_master_by_name(network, tmp_path):
    tls = make_tls_dir(tmp_path / "tls", NAMES)
    done = run_in_network(network, str(tls), "--topology", "sentinel", "--tls-dir", "/tls", "--", "sh", "-c",
                          'echo "$REDIS_SENTINELS" && python3 /clients/check_topology.py --sentinels '
                          '"$REDIS_SENTINELS" --master-name "$REDIS_MASTER_NAME" --password-env PW --tls-dir /tls')
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("redis-sentinel-0:26379,redis-sentinel-1:26380,redis-sentinel-2:26381")


def test_single_on_a_network_is_reached_by_its_container_name(network):
    done = run_in_network(network, "", "--args", "--maxmemory 7mb", "--", "sh", "-c",
                          'echo "$REDIS_URL" && docker ps --filter label=io.github.redis-ci.test=server '
                          '--format "{{.Names}}" && python3 /clients/check_redis.py --url "$REDIS_URL" '
                          '--password-env PW --expect-config maxmemory=7340032')
    assert done.returncode == 0, done.stdout + done.stderr
    url, container = done.stdout.splitlines()[:2]
    assert url.endswith(f"@{container}:6379/0") and container.startswith("redis-ci-r")
