"""Fixtures for the fault matrix: real redis-server processes, scripted fault servers and a
loopback DNS server, all closed after each test."""

from __future__ import annotations

import pytest
from fault_servers import FaultServer
from redis_servers import RedisServers

from dns_server import LoopbackDns


@pytest.fixture(scope="session")
def matrix_servers(tmp_path_factory):
    servers = RedisServers(tmp_path_factory.mktemp("redis"))
    yield servers
    servers.close()


class Peers:
    """What one row starts: fault servers, loopback DNS servers, real servers (shared, session-wide)."""

    def __init__(self, tmp_path, servers: RedisServers):
        self.tmp_path = tmp_path
        self.servers = servers
        self.started: list = []

    def fault(self, behaviour) -> FaultServer:
        server = FaultServer(behaviour)
        self.started.append(server)
        return server

    def dns(self, mode: str, **options) -> str:
        """A loopback DNS server answering `mode`; returns the resolv.conf naming it."""
        server = LoopbackDns(mode, **options)
        self.started.append(server)
        return server.resolv_conf(self.tmp_path / "resolv.conf")

    def redis(self, **options):
        return self.servers.start(**options)

    def close(self) -> None:
        for server in self.started:
            server.close()


@pytest.fixture
def peers(tmp_path, matrix_servers):
    started = Peers(tmp_path, matrix_servers)
    yield started
    started.close()
