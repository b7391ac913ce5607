"""Fixtures for the probe tests: real redis-server processes and scripted fault servers."""

from __future__ import annotations

import pytest
from fault_servers import FaultServer
from redis_servers import RedisServers, make_tls_files
from wait_runner import PASSWORD


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
