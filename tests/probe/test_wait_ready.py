"""`redis-ci wait` against real redis-server processes that are (or become) ready."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from wait_runner import PASSWORD, run_wait


def test_ready_text_line_names_server_and_checks(plain_server):
    result = run_wait("--url", plain_server.url)
    assert result.returncode == 0, result
    info = plain_server.client().info()
    expected = (
        f"redis ready at 127.0.0.1:{plain_server.port} "
        f"(Redis {info['redis_version']}, {info['redis_mode']}, {info['role']}) after "
    )
    assert result.stdout.startswith(expected), result
    assert result.stdout.rstrip().endswith(" s: ping, pubsub")
    assert result.stderr == ""


def test_json_fields_one_by_one(plain_server):
    result = run_wait("--url", plain_server.url, "--format", "json")
    assert result.returncode == 0, result
    report = result.json
    assert set(report) == {"ready", "url", "elapsed_ms", "attempts", "server", "checks", "last_error"}
    assert report["ready"] is True
    assert report["url"] == f"redis://127.0.0.1:{plain_server.port}/0"
    assert isinstance(report["elapsed_ms"], float) and 0 < report["elapsed_ms"] < 5000
    assert report["attempts"] == 1
    info = plain_server.client().info()
    assert report["server"] == {"version": info["redis_version"], "mode": info["redis_mode"], "role": info["role"]}
    assert list(report["checks"]) == ["ping", "pubsub"]
    for check in report["checks"].values():
        assert check["ok"] is True
        assert isinstance(check["ms"], float) and 0 <= check["ms"] <= report["elapsed_ms"]
        assert check["error"] is None
    assert report["last_error"] is None


def test_all_checks_and_requirements_pass(plain_server):
    result = run_wait("--url", plain_server.url, "--checks", "ping,pubsub,rw,info", "--min-version", "6.2",
                      "--format", "json")
    assert result.returncode == 0, result
    assert list(result.json["checks"]) == ["ping", "pubsub", "rw", "info", "min-version"]
    assert all(check["ok"] for check in result.json["checks"].values())
    # the rw check cleans up after itself
    assert plain_server.client().keys("redis-ci:wait:*") == []


def test_password_from_url_flag_and_environment(password_server):
    port = str(password_server.port)
    by_url = run_wait("--url", password_server.url)
    by_flag = run_wait("--port", port, "--host", "127.0.0.1", "--password", PASSWORD)
    by_env = run_wait("--url", f"redis://127.0.0.1:{port}", env={"REDISCLI_AUTH": PASSWORD})
    for result in (by_url, by_flag, by_env):
        assert result.returncode == 0, result
        assert PASSWORD not in result.stdout + result.stderr


def test_url_from_redis_url_environment(plain_server):
    result = run_wait("--format", "json", env={"REDIS_URL": plain_server.url})
    assert result.returncode == 0, result
    assert result.json["url"] == f"redis://127.0.0.1:{plain_server.port}/0"


def test_acl_user(redis_servers):
    server = redis_servers.start(args=["--user", "ci", "on", ">ci-pass", "~*", "&*", "+@all", "--user", "default", "off"])
    result = run_wait("--url", f"redis://ci:ci-pass@127.0.0.1:{server.port}/0", "--checks", "ping,pubsub,rw,info")
    assert result.returncode == 0, result
    wrong = run_wait("--url", f"redis://ci:wrong-pass@127.0.0.1:{server.port}/0", "--format", "json")
    assert wrong.returncode == 1 and wrong.json["last_error"]["kind"] == "auth"


def test_database_number(plain_server):
    result = run_wait("--url", plain_server.url, "--db", "3", "--checks", "ping,rw", "--format", "json")
    assert result.returncode == 0, result
    assert result.json["url"].endswith("/3")


def test_unix_socket(redis_servers):
    server = redis_servers.start(unix_socket=True)
    result = run_wait("--url", f"unix://{server.unix_socket}", "--format", "json")
    assert result.returncode == 0, result
    assert result.json["url"] == f"unix://{server.unix_socket}"


def test_tls_with_ca(tls_server, tls_files):
    result = run_wait("--url", f"rediss://127.0.0.1:{tls_server.port}", "--tls-ca-cert", tls_files.ca_cert,
                      "--checks", "ping,pubsub,rw,info", "--format", "json")
    assert result.returncode == 0, result
    assert result.json["url"] == f"rediss://127.0.0.1:{tls_server.port}/0"
    assert result.json["server"]["version"] == tls_server.client().info()["redis_version"]


def test_tls_client_certificate_required(redis_servers, tls_files):
    server = redis_servers.start(tls=tls_files, tls_auth_clients=True)
    base = ["--host", "localhost", "--port", str(server.port), "--tls", "--tls-ca-cert", tls_files.ca_cert]
    with_cert = run_wait(*base, "--tls-cert", tls_files.client_cert, "--tls-key", tls_files.client_key)
    assert with_cert.returncode == 0, with_cert
    without = run_wait(*base, "--timeout", "1", "--format", "json")
    assert without.returncode == 1
    assert without.json["last_error"]["kind"] in ("closed", "tls")


def test_tls_insecure_skips_verification(tls_server):
    result = run_wait("--url", f"rediss://127.0.0.1:{tls_server.port}", "--tls-insecure")
    assert result.returncode == 0, result


def test_server_started_late(redis_servers):
    server = redis_servers.new()
    probe = subprocess.Popen(
        [sys.executable, "-m", "redis_ci", "wait", "--port", str(server.port), "--host", "127.0.0.1",
         "--timeout", "10", "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first_line = probe.stderr.readline()  # the probe is running and was refused: start the server
        server.start_later(0.2)
        stdout, stderr = probe.communicate(timeout=15)
    finally:
        probe.kill()
    assert probe.returncode == 0, (first_line, stdout, stderr)
    report = json.loads(stdout)
    assert report["attempts"] > 1
    assert report["elapsed_ms"] >= 200  # it waited for the server
    assert "refused" in first_line  # progress told why it was waiting


def test_server_killed_mid_check_then_restarted(redis_servers):
    server = redis_servers.start()
    server.pause()  # the kernel accepts, nothing answers: the probe's first attempt hangs
    probe = subprocess.Popen(
        [sys.executable, "-m", "redis_ci", "wait", "--url", server.url, "--timeout", "15"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert wait_for_connection(probe.pid, server.port), "the probe did not connect"  # its attempt now hangs
        server.kill()  # the hanging connection is reset
        time.sleep(0.3)
        server.start()
        stdout, stderr = probe.communicate(timeout=15)
    finally:
        probe.kill()
    assert probe.returncode == 0, (stdout, stderr)
    assert "closed" in stderr and "refused" in stderr, stderr
    assert stdout.startswith("redis ready at")


def wait_for_connection(pid: int, port: int, seconds: float = 10.0) -> bool:
    """Poll (bounded) until process `pid` holds an established connection to 127.0.0.1:`port`:
    its socket inodes (/proc/PID/fd) matched against /proc/net/tcp."""
    remote = f"0100007F:{port:04X}"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        inodes = set()
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                link = os.readlink(fd)
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[2] == remote and fields[3] == "01" and fields[9] in inodes:  # ESTABLISHED
                return True
        time.sleep(0.01)
    return False


def test_replica_role_matches_redis_py(redis_servers, plain_server):
    replica = redis_servers.start(args=["--replicaof", "127.0.0.1", str(plain_server.port)])
    result = run_wait("--url", replica.url, "--checks", "ping,info", "--format", "json")
    assert result.returncode == 0, result
    info = replica.client().info()
    assert result.json["server"] == {"version": info["redis_version"], "mode": info["redis_mode"], "role": info["role"]}
    assert info["role"] == "slave"


def test_sentinel_port_ping_ready_pubsub_final(redis_servers, plain_server):
    sentinel = redis_servers.start(config=f"sentinel monitor m 127.0.0.1 {plain_server.port} 1\n", args=["--sentinel"])
    ping = run_wait("--url", sentinel.url, "--checks", "ping,info", "--format", "json")
    assert ping.returncode == 0, ping
    info = sentinel.client().info("server")
    assert ping.json["server"] == {"version": info["redis_version"], "mode": "sentinel", "role": "sentinel"}
    assert info["redis_mode"] == "sentinel"
    default = run_wait("--url", sentinel.url, "--format", "json", "--timeout", "5")
    assert default.returncode == 1 and default.json["attempts"] == 1, default  # final: waiting cannot help
    assert default.json["last_error"]["kind"] == "pubsub-undelivered"
    assert "Sentinel" in default.json["last_error"]["message"]
