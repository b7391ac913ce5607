"""Every failure kind, from a real redis-server in that state where one can be made, else a
scripted fault server on loopback: the right kind, exit 1, and the deadline held (measured).

Retryable kinds wait until the deadline and exit by timeout + 0.5 s; final kinds exit at once.
The DNS cases (a name that does not exist, a resolver that hangs, a slow answer) are rows of
tests/faults/, against a resolver on loopback in a private mount namespace.
"""

from __future__ import annotations

import socket
import time

import pytest

import fault_servers
from wait_runner import PASSWORD, run_wait, start_up_seconds
from redis_servers import free_port, make_tls_files

TIMEOUT = 1.0
SLACK = 0.5  # the promise: the process exits by timeout + 0.5 s (plus its start-up, measured)


def assert_not_ready(result, kind: str, final: bool = False, timeout: float = TIMEOUT) -> dict:
    """The JSON says not ready with `kind`, exit 1, and the time matches the kind's finality."""
    assert result.returncode == 1, result
    report = result.json
    assert report["ready"] is False
    assert report["last_error"]["kind"] == kind, report
    assert report["last_error"]["message"] and report["last_error"]["hint"]
    start_up = start_up_seconds()
    assert result.seconds < timeout + SLACK + start_up, f"deadline not held: {result.seconds:.3f} s ({start_up:.3f} s start-up)"
    if final:
        assert report["attempts"] == 1 and report["elapsed_ms"] < timeout * 1000, result
    else:
        assert report["elapsed_ms"] >= timeout * 1000 - 50, report  # it kept trying until the deadline
    return report


def wait_json(url: str, *extra: str, timeout: float = TIMEOUT, env: dict | None = None):
    return run_wait("--url", url, "--timeout", str(timeout), "--format", "json", *extra, env=env)


def test_refused():
    report = assert_not_ready(wait_json(f"redis://127.0.0.1:{free_port()}"), "refused")
    assert report["attempts"] > 10  # it kept polling quickly
    assert report["checks"]["ping"]["ok"] is False
    assert report["checks"]["pubsub"] == {"ok": False, "ms": 0.0, "error": "not run: an earlier check failed"}


def test_refused_hint_in_github_actions_names_ports_mapping(tmp_path):
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(tmp_path / "out"), "GITHUB_STEP_SUMMARY": str(tmp_path / "sum")}
    report = assert_not_ready(wait_json(f"redis://localhost:{free_port()}", env=env), "refused")
    assert "ports:" in report["last_error"]["hint"] and "container job" in report["last_error"]["hint"]


def test_unix_socket_missing_is_refused(tmp_path):
    assert_not_ready(wait_json(f"unix://{tmp_path}/no.sock"), "refused")


def test_timeout_peer_never_answers(fault_server):
    server = fault_server(fault_servers.never_answer)
    assert_not_ready(wait_json(server.url), "timeout")


def test_timeout_peer_trickles_one_byte_per_second(fault_server):
    server = fault_server(fault_servers.trickle_pong)
    report = assert_not_ready(wait_json(server.url, "--checks", "ping", timeout=2.0), "timeout", timeout=2.0)
    assert report["attempts"] == 1


def test_timeout_paused_real_server(redis_servers):
    server = redis_servers.start()
    server.pause()
    assert_not_ready(wait_json(server.url), "timeout")


def test_tls_unknown_certificate_authority_is_final(tls_server):
    # the system CA store does not know the test CA: waiting cannot help
    assert_not_ready(wait_json(f"rediss://127.0.0.1:{tls_server.port}", timeout=5.0), "tls", final=True, timeout=5.0)


def test_tls_certificate_of_another_ca_is_final(tls_server, tmp_path):
    other = make_tls_files(tmp_path / "other", common_name="another CA")
    url = f"rediss://127.0.0.1:{tls_server.port}"
    report = assert_not_ready(wait_json(url, "--tls-ca-cert", other.ca_cert, timeout=5.0), "tls", final=True, timeout=5.0)
    assert "certificate" in report["last_error"]["message"]


def test_tls_to_plain_text_port(plain_server):
    report = assert_not_ready(wait_json(f"rediss://127.0.0.1:{plain_server.port}", "--tls-insecure"), "tls")
    assert "plain-text" in report["last_error"]["message"]


def test_tls_handshake_trickle_holds_deadline(fault_server):
    server = fault_server(fault_servers.trickle_garbage)
    result = wait_json(f"rediss://127.0.0.1:{server.port}", "--tls-insecure", timeout=2.0)
    assert result.returncode == 1 and result.seconds < 2.0 + SLACK + start_up_seconds(), result
    assert result.json["last_error"]["kind"] in ("tls", "protocol"), result


def test_plain_text_to_tls_port_is_closed(tls_server):
    report = assert_not_ready(wait_json(f"redis://127.0.0.1:{tls_server.port}"), "closed")
    assert "TLS" in report["last_error"]["hint"]


def test_auth_no_password_given_is_final(password_server):
    report = assert_not_ready(wait_json(f"redis://127.0.0.1:{password_server.port}", timeout=5.0), "auth",
                              final=True, timeout=5.0)
    assert "NOAUTH" in report["last_error"]["message"]


def test_auth_wrong_password_is_final(password_server):
    report = assert_not_ready(wait_json(f"redis://:wrong@127.0.0.1:{password_server.port}", timeout=5.0), "auth",
                              final=True, timeout=5.0)
    assert "WRONGPASS" in report["last_error"]["message"]


def test_auth_password_for_server_without_one_is_final(plain_server):
    assert_not_ready(wait_json(f"redis://:{PASSWORD}@127.0.0.1:{plain_server.port}", timeout=5.0), "auth",
                     final=True, timeout=5.0)


def test_auth_scripted_noauth_is_final(fault_server):
    server = fault_server(fault_servers.answer_every_command("-NOAUTH Authentication required."))
    assert_not_ready(wait_json(server.url, timeout=5.0), "auth", final=True, timeout=5.0)


def make_rdb(redis_servers, keys: int) -> str:
    """A directory holding a dump.rdb with `keys` keys, written by a real server."""
    server = redis_servers.start()
    client = server.client()
    pipeline = client.pipeline(transaction=False)
    for number in range(keys):
        pipeline.set(f"key:{number}", "v" * 50)
    pipeline.execute()
    client.save()
    server.stop()
    return str(server.workdir)


@pytest.fixture
def loading_server(redis_servers):
    """A real server loading 2,000 keys at 0.5 ms each (~1 s), answering -LOADING meanwhile."""
    directory = make_rdb(redis_servers, 2000)
    return redis_servers.start(
        wait="listening",
        args=["--dir", directory, "--key-load-delay", "500", "--loading-process-events-interval-bytes", "1024"],
    )


def test_loading_real_server_until_deadline(loading_server):
    report = assert_not_ready(wait_json(loading_server.url, "--checks", "ping", timeout=0.4), "loading", timeout=0.4)
    assert "LOADING" in report["last_error"]["message"]
    assert report["server"]["version"]  # INFO answers while loading


def test_loading_real_server_then_ready(loading_server):
    result = run_wait("--url", loading_server.url, "--timeout", "10", "--checks", "ping,info,rw", "--format", "json")
    assert result.returncode == 0, result
    assert "loading" in result.stderr  # progress said why it waited
    assert result.json["attempts"] > 1
    assert loading_server.client().info("persistence")["loading"] == 0


def test_loading_scripted_then_pong(fault_server):
    server = fault_server(fault_servers.loading_then_pong(0.5))
    result = run_wait("--url", server.url, "--checks", "ping", "--timeout", "5", "--format", "json")
    assert result.returncode == 0, result
    assert result.json["attempts"] > 1
    assert result.stderr.count("\n") == 1 and ": loading: " in result.stderr  # one line per state change


def test_protected_mode_is_final(fault_server):
    server = fault_server(fault_servers.greet_and_close(fault_servers.PROTECTED_MODE_TEXT))
    report = assert_not_ready(wait_json(server.url, timeout=5.0), "protected-mode", final=True, timeout=5.0)
    assert "protected mode" in report["last_error"]["message"]


def test_misconf_real_failed_background_save(redis_servers):
    server = redis_servers.start(args=["--save", "3600 1"])
    server.client().set("some", "data")
    # the data directory disappears: the next background save fails, writes are refused
    for path in server.workdir.iterdir():
        path.unlink()
    server.workdir.rmdir()
    server.client().bgsave()
    deadline = time.monotonic() + 10
    while server.client().info("persistence")["rdb_last_bgsave_status"] != "err":
        assert time.monotonic() < deadline, "BGSAVE did not fail"
        time.sleep(0.02)
    report = assert_not_ready(wait_json(server.url, "--checks", "ping,rw"), "misconf")
    assert "MISCONF" in report["last_error"]["message"]  # Redis 7 refuses even PING on a master


def test_readonly_real_replica(redis_servers, plain_server):
    replica = redis_servers.start(args=["--replicaof", "127.0.0.1", str(plain_server.port)])
    report = assert_not_ready(wait_json(replica.url, "--checks", "ping,rw"), "readonly")
    assert report["server"]["role"] == replica.client().info("replication")["role"] == "slave"


def test_oom_real_maxmemory(redis_servers):
    server = redis_servers.start(args=["--maxmemory", "1", "--maxmemory-policy", "noeviction"])
    assert_not_ready(wait_json(server.url, "--checks", "ping,rw"), "oom")


def test_busy_real_long_script(redis_servers):
    server = redis_servers.start(args=["--busy-reply-threshold", "10"])
    blocker = socket.create_connection(("127.0.0.1", server.port))
    blocker.sendall(b'*3\r\n$4\r\nEVAL\r\n$16\r\nwhile 1 do end\r\n\r\n$1\r\n0\r\n')
    try:
        deadline = time.monotonic() + 5
        while True:
            try:
                server.client().ping()
            except Exception as exc:  # redis-py raises BusyLoadingError/ResponseError for -BUSY
                if "BUSY" in str(exc):
                    break
            assert time.monotonic() < deadline, "the script did not make the server busy"
            time.sleep(0.02)
        assert_not_ready(wait_json(server.url, "--checks", "ping"), "busy")
    finally:
        server.client().script_kill()
        blocker.close()


def test_masterdown_real_replica_without_master(redis_servers):
    replica = redis_servers.start(
        args=["--replicaof", "127.0.0.1", str(free_port()), "--replica-serve-stale-data", "no"]
    )
    assert_not_ready(wait_json(replica.url, "--checks", "ping,rw"), "masterdown")


def test_protocol_garbage(fault_server):
    server = fault_server(fault_servers.answer_garbage)
    report = assert_not_ready(wait_json(server.url), "protocol")
    assert "HTTP" in report["last_error"]["message"]


def test_closed_at_once(fault_server):
    server = fault_server(fault_servers.close_at_once)
    assert_not_ready(wait_json(server.url), "closed")


def test_pubsub_undelivered_behind_a_round_robin_balancer(fault_server, redis_servers):
    first, second = redis_servers.start(), redis_servers.start()
    balancer = fault_server(fault_servers.round_robin_proxy([first.port, second.port]))
    report = assert_not_ready(wait_json(balancer.url), "pubsub-undelivered")
    assert report["checks"]["ping"]["ok"] is True


def test_version_is_final(plain_server):
    report = assert_not_ready(wait_json(plain_server.url, "--min-version", "99.1", timeout=5.0), "version",
                              final=True, timeout=5.0)
    assert report["checks"]["min-version"]["ok"] is False
    assert plain_server.client().info()["redis_version"] in report["last_error"]["message"]


def test_module_missing_is_final(plain_server):
    report = assert_not_ready(wait_json(plain_server.url, "--module", "search", timeout=5.0), "module-missing",
                              final=True, timeout=5.0)
    assert "search" in report["last_error"]["message"]


def test_unknown_error_reply(fault_server):
    server = fault_server(fault_servers.answer_every_command("-WEIRDNESS something odd"))
    report = assert_not_ready(wait_json(server.url), "error")
    assert "WEIRDNESS" in report["last_error"]["message"]
