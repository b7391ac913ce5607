"""Fixtures for `redis-ci start/stop/run` and the pytest plugin: each test gets its own state
directory (`env`), and whatever a failing test left is stopped afterwards."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from server_helpers import Env, cli, processes_naming


@pytest.fixture
def env(tmp_path):
    environment = Env(tmp_path)
    yield environment
    cli("stop", "--all", env=environment.vars)  # whatever a failed test left, before the check
    for pid in processes_naming(str(environment.state)):  # a stop that failed: kill, then fail
        os.kill(pid, 9)


@pytest.fixture
def tls_dir(tmp_path) -> Path:
    """ca.crt, redis.crt (server and client use, 127.0.0.1), redis.key: the --tls-dir contract."""
    return make_tls_dir(tmp_path / "tls", ["DNS:localhost", "IP:127.0.0.1"])


def make_tls_dir(directory: Path, names: list) -> Path:
    directory.mkdir()
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)

    openssl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=redis-ci test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", *key, "-keyout", "redis.key", "-out", "redis.csr", "-subj", "/CN=redis")
    (directory / "redis.ext").write_text(
        f"basicConstraints=CA:FALSE\nsubjectAltName={','.join(names)}\n"
        "extendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n")
    openssl("x509", "-req", "-in", "redis.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "redis.crt", "-days", "2", "-extfile", "redis.ext")
    for name in ("ca.key", "redis.csr", "redis.ext", "ca.srl"):
        (directory / name).unlink(missing_ok=True)
    return directory


