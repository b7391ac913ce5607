"""The pytest plugin, run as users run it: a separate pytest in a project folder, the plugin
found through a real `pytest11` entry point (a dist-info on the path), real servers."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from redis_servers import RedisServers, free_port
from server_helpers import SRC, cli

TESTS = '''
import os
import redis


def test_url_serves(redis_url):
    assert redis.from_url(redis_url).ping()
    assert os.environ["REDIS_URL"] == redis_url or os.environ.get("REDIS_CI_KEEP") == "1"


def test_first_writes(redis_clean):
    client = redis.from_url(redis_clean)
    assert client.dbsize() == 0
    client.set("left-over", "1")


def test_then_starts_clean(redis_clean):
    assert redis.from_url(redis_clean).dbsize() == 0
'''

CLUSTER_TESTS = '''
from redis.cluster import ClusterNode, RedisCluster


def test_cluster(redis_cluster_nodes, redis_clean):
    assert len(redis_cluster_nodes) == 6
    cluster = RedisCluster(startup_nodes=[ClusterNode(*node.split(":")) for node in redis_cluster_nodes])
    for index in range(30):
        cluster.set(f"k{index}", index)
    assert cluster.get("k29") == b"29"
'''


@pytest.fixture
def project(tmp_path, env):
    """A project folder, and a dist-info that declares the plugin's entry point as the
    installed package does (pyproject.toml's [project.entry-points.pytest11])."""
    site = tmp_path / "site"
    info = site / "redis_ci_under_test-0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: redis-ci-under-test\nVersion: 0\n")
    (info / "entry_points.txt").write_text("[pytest11]\nredis_ci = redis_ci.pytest_plugin\n")
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "test_app.py").write_text(TESTS)
    env.vars["PYTHONPATH"] = f"{site}:{SRC}"
    return folder


def pytest_in(folder, env, *args, **extra):
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", *args],
                          capture_output=True, text=True, cwd=folder, env=env.with_(**extra), timeout=300)


def test_inert_unless_enabled(project, env):
    done = pytest_in(project, env)
    assert done.returncode == 1
    assert "fixture 'redis_url' not found" in done.stdout
    assert env.instances() == []


def test_enabled_with_dash_p_starts_one_server_and_stops_it(project, env):
    done = pytest_in(project, env, "-p", "redis_ci")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout
    assert env.leftovers() == {}


def test_enabled_by_pyproject_table_with_a_cluster(project, env):
    (project / "pyproject.toml").write_text('[tool.redis-ci.pytest]\ntopology = "cluster"\n')
    (project / "test_app.py").write_text(CLUSTER_TESTS)
    done = pytest_in(project, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert env.leftovers() == {}
    # lint reads the same table and must not refuse the plugin's key.
    linted = cli("lint", str(project), env=env.vars)
    assert linted.returncode == 0, linted.stderr


def test_a_bad_pyproject_setting_is_a_usage_error(project, env):
    (project / "pyproject.toml").write_text('[tool.redis-ci.pytest]\ntopolgy = "cluster"\n')
    done = pytest_in(project, env)
    assert done.returncode == 4 and "takes topology, start, args, not topolgy" in done.stderr


def test_an_existing_redis_url_is_used(project, env, tmp_path):
    servers = RedisServers(tmp_path / "service")
    try:
        service = servers.start()
        done = pytest_in(project, env, "-p", "redis_ci", REDIS_URL=service.url, REDIS_CI_KEEP="1")
        assert done.returncode == 0, done.stdout + done.stderr
        assert env.instances() == []
        # The tests used the service: redis_clean flushed it once per test that asked.
        assert service.client().info("commandstats")["cmdstat_flushall"]["calls"] == 2
    finally:
        servers.close()


def test_no_redis_is_an_error_with_the_reason_never_a_skip(project, env):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    done = pytest_in(project, env, "-p", "redis_ci", "--redis-ci-args=--timeout 1", REDIS_URL=dead)
    assert done.returncode == 1
    assert "3 errors" in done.stdout and "skipped" not in done.stdout
    assert "does not serve after 1 s: refused" in done.stdout
    nothing = pytest_in(project, env, "-p", "redis_ci", "--redis-ci-args=--native", PATH="/nonexistent")
    assert nothing.returncode == 1 and "no Redis for this session" in nothing.stdout
    assert "skipped" not in nothing.stdout


def test_docker_through_the_args_setting(project, env):
    (project / "test_app.py").write_text(textwrap.dedent('''
        import redis

        def test_docker(redis_url):
            assert redis.from_url(redis_url).ping()
    '''))
    done = pytest_in(project, env, "-p", "redis_ci", "--redis-ci-args=--docker redis:7-alpine")
    assert done.returncode == 0, done.stdout + done.stderr
    assert env.leftovers() == {}
