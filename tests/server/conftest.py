"""Fixtures for `redis-ci start/stop/run` and the pytest plugin: each test gets its own state
directory (`env`), and whatever a failing test left is stopped afterwards."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from server_helpers import Env, cli, make_tls_dir, processes_naming


@pytest.fixture
def env(tmp_path):
    environment = Env(tmp_path)
    yield environment
    cli("stop", "--all", env=environment.vars)  # whatever a failed test left, before the check
    for pid in processes_naming(str(environment.state)):  # a stop that failed: the test has already failed on leftovers
        os.kill(pid, 9)


@pytest.fixture
def tls_dir(tmp_path) -> Path:
    """ca.crt, redis.crt (server and client use, 127.0.0.1), redis.key: the --tls-dir contract."""
    return make_tls_dir(tmp_path / "tls", ["DNS:localhost", "IP:127.0.0.1"])
