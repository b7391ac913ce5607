"""Fixtures for the probe tests: real redis-server processes, scripted fault servers, and
`run_wait` which runs `python3 -m redis_ci wait` as the action does and times it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared redis_servers helper

from redis_servers import RedisServers, make_tls_files  # noqa: E402

from fault_servers import FaultServer  # noqa: E402

PASSWORD = "pw-Zq7_redis-ci-secret"
# Variables the probe reads: removed so the tests do not depend on the machine running them.
PROBE_ENVIRONMENT = ("REDIS_URL", "REDISCLI_AUTH", "GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")


class WaitResult:
    def __init__(self, completed: subprocess.CompletedProcess, seconds: float):
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.seconds = seconds

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)

    def __repr__(self) -> str:
        return f"WaitResult(rc={self.returncode}, {self.seconds:.3f} s, stdout={self.stdout!r}, stderr={self.stderr!r})"


def run_wait(*args: str, env: dict | None = None) -> WaitResult:
    """Run `python3 -m redis_ci wait ARGS` and return its exit code, output and wall time."""
    environment = {key: value for key, value in os.environ.items() if key not in PROBE_ENVIRONMENT}
    environment.update(env or {})
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "redis_ci", "wait", *args], capture_output=True, text=True, env=environment, timeout=60
    )
    return WaitResult(completed, time.monotonic() - started)


@pytest.fixture(scope="session")
def session_servers(tmp_path_factory):
    servers = RedisServers(tmp_path_factory.mktemp("redis"))
    yield servers
    servers.close()


@pytest.fixture
def redis_servers(tmp_path):
    servers = RedisServers(tmp_path / "redis")
    yield servers
    servers.close()


@pytest.fixture(scope="session")
def plain_server(session_servers):
    return session_servers.start()


@pytest.fixture(scope="session")
def password_server(session_servers):
    return session_servers.start(password=PASSWORD)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def tls_server(session_servers, tls_files):
    return session_servers.start(tls=tls_files)


@pytest.fixture
def fault_server():
    """fault_server(behaviour) -> a started FaultServer, closed after the test."""
    started = []

    def start(behaviour) -> FaultServer:
        server = FaultServer(behaviour)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()
