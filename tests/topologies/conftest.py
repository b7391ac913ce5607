"""Fixtures that start real topologies and always stop them (see topology_servers.py)."""

from __future__ import annotations

import pytest

from .topology_servers import Cluster, Security, SentinelSet, TlsFiles, make_tls_files


@pytest.fixture(scope="session")
def topology_tls(tmp_path_factory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("topology-tls"))


@pytest.fixture
def make_cluster(tmp_path_factory):
    """Start six unformed cluster nodes: `make_cluster(security)`; `.create()` forms the cluster."""
    started = []

    def make(security: Security = Security()) -> Cluster:
        cluster = Cluster(tmp_path_factory.mktemp("cluster"), security)
        started.append(cluster)
        return cluster.start()

    yield make
    for cluster in started:
        cluster.stop()


@pytest.fixture
def make_sentinel_set(tmp_path_factory):
    """Start a master, two replicas and three sentinels: `make_sentinel_set(security)`
    (`replica_count=`, `sentinel_count=` change the numbers)."""
    started = []

    def make(security: Security = Security(), **counts) -> SentinelSet:
        sentinel_set = SentinelSet(tmp_path_factory.mktemp("sentinel"), security, **counts)
        started.append(sentinel_set)
        return sentinel_set.start()

    yield make
    for sentinel_set in started:
        sentinel_set.stop()
