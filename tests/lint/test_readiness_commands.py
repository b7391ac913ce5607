"""The health commands RC103 judges, run for real with `sh -c` (as Docker's CMD-SHELL does)
against real redis-server processes: the weak ones pass when Redis refuses to serve, and
the commands RC103's fix writes pass only when Redis answers PONG."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from redis_ci import recipe
from redis_ci.lint.engine import check_workflow_bytes
from redis_ci.lint.fixer import fix_bytes
from redis_ci.lint.model import build_workflow
from redis_ci.lint.rules.weak_health_check import WeakHealthCheck
from redis_ci.lint.yaml_nodes import parse_document


from redis_servers import RedisServers, free_port  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "RC103"
PASSWORD = "pw-readiness-Zq7"


@pytest.fixture
def servers(tmp_path):
    servers = RedisServers(tmp_path)
    yield servers
    servers.close()


def health_check_passes(command: str, port: int, env: dict | None = None) -> bool:
    """Run a service's health command as Docker does (`/bin/sh -c`), aimed at `port` instead
    of the container's 6379 (the one change the test makes to the command)."""
    aimed = command.replace("redis-cli", f"redis-cli -p {port}")
    completed = subprocess.run(["sh", "-c", aimed], env={"PATH": "/usr/bin:/bin", **(env or {})},
                               capture_output=True, timeout=10)
    return completed.returncode == 0


def health_commands_of(data: bytes) -> list[str]:
    workflow = build_workflow(parse_document(data), "w.yml")
    return [service.options.health_cmd for job in workflow.jobs for service in job.services]


def fixed(case: str) -> bytes:
    source = FIXTURES / f"{case}.yml"
    check = lambda data, path: check_workflow_bytes(data, path, [WeakHealthCheck])  # noqa: E731
    return fix_bytes(source.read_bytes(), source.name, [WeakHealthCheck], check).fixed


def test_the_reported_command_passes_on_noauth(servers):
    # github_docs_recipe.yml's `redis-cli ping`: healthy although every command gets NOAUTH
    server = servers.start(password=PASSWORD)
    [command] = health_commands_of((FIXTURES / "github_docs_recipe.yml").read_bytes())
    assert health_check_passes(command, server.port)
    [replacement] = health_commands_of(fixed("github_docs_recipe"))
    assert replacement == recipe.HEALTH_CMD
    assert not health_check_passes(replacement, server.port)


def test_recipe_command_passes_only_on_pong(servers):
    server = servers.start()
    assert health_check_passes(recipe.HEALTH_CMD, server.port)
    assert not health_check_passes(recipe.HEALTH_CMD, free_port())  # nothing listens there


def test_password_fix_reads_the_containers_variable(servers):
    # password_in_variable.yml starts Redis with --requirepass "$REDIS_PASSWORD"
    server = servers.start(password=PASSWORD)
    [before] = health_commands_of((FIXTURES / "password_in_variable.yml").read_bytes())
    [after] = health_commands_of(fixed("password_in_variable"))
    container_env = {"REDIS_PASSWORD": PASSWORD}
    assert not health_check_passes(before, server.port, container_env)  # never healthy: NOAUTH
    assert health_check_passes(after, server.port, container_env)
    assert not health_check_passes(after, server.port, {"REDIS_PASSWORD": "wrong"})


def test_tcp_check_passes_before_redis_serves():
    # tcp_only.yml's `/dev/tcp` check: a listening socket that never speaks Redis satisfies it
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        probe = f"exec 3<>/dev/tcp/127.0.0.1/{port}"
        assert subprocess.run(["bash", "-c", probe], capture_output=True, timeout=10).returncode == 0
