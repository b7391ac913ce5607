"""`redis-ci start` and `redis-ci stop` on real servers: native redis-server and Docker
containers, single, cluster, sentinel, TLS, password; stop leaves nothing behind."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import time

import pytest
import redis
from redis.cluster import ClusterNode, RedisCluster
from redis.sentinel import Sentinel
from redis_servers import RedisServers
from server_helpers import cli, containers, parse_env_lines, processes_naming

PASSWORD = 'S3cret "pass" \\ word %41'


def start(env, *args, extra_env=None):
    done = cli("start", "--format", "json", *args, env=env.with_(**(extra_env or {})))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done


def stop(env, instance_id):
    done = cli("stop", instance_id, env=env.vars)
    assert done.returncode == 0, done.stderr
    return done


def test_native_single_serves_then_stop_removes_process_and_folder(env):
    view, _ = start(env, "--native")
    client = redis.from_url(view["url"])
    assert client.ping() and client.set("k", "v")
    info = client.info("server")
    assert info["process_id"] == view["processes"][0]
    assert client.config_get("save")["save"] == "" and client.config_get("appendonly")["appendonly"] == "no"
    assert env.instances() == [view["id"]] and processes_naming(str(env.state))
    stop(env, view["id"])
    assert env.leftovers() == {}
    with pytest.raises(redis.ConnectionError):
        client.ping()


def test_env_format_is_what_eval_reads(env):
    done = cli("start", "--native", env=env.vars)
    assert done.returncode == 0, done.stderr
    values = parse_env_lines(done.stdout)
    assert set(values) == {"REDIS_URL", "REDIS_CI_ID"}
    assert redis.from_url(values["REDIS_URL"]).ping()
    # Without an ID, stop takes $REDIS_CI_ID.
    assert cli("stop", env=env.with_(REDIS_CI_ID=values["REDIS_CI_ID"])).returncode == 0
    assert env.leftovers() == {}


def test_password_only_in_a_private_config_file(env):
    view, done = start(env, "--native", "--password-env", "MY_PW", extra_env={"MY_PW": PASSWORD})
    assert PASSWORD not in done.stdout + done.stderr
    with pytest.raises(redis.AuthenticationError):
        redis.from_url(view["url"]).ping()
    client = redis.from_url(view["url"], password=PASSWORD)
    assert client.ping() and client.config_get("requirepass")["requirepass"] == PASSWORD
    pid = view["processes"][0]
    with open(f"/proc/{pid}/cmdline", "rb") as handle:
        assert PASSWORD.encode() not in handle.read()
    config = env.state / view["id"] / "node-0.conf"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600 and stat.S_IMODE(env.state.stat().st_mode) == 0o700
    stop(env, view["id"])
    assert env.leftovers() == {}


def test_tls_only_with_client_certificates(env, tls_dir):
    view, _ = start(env, "--native", "--tls-dir", str(tls_dir))
    assert view["url"].startswith("rediss://127.0.0.1:")
    assert view["env"]["REDIS_TLS_CA_CERT"] == str(tls_dir / "ca.crt")
    files = dict(ssl_ca_certs=str(tls_dir / "ca.crt"), ssl_certfile=str(tls_dir / "redis.crt"),
                 ssl_keyfile=str(tls_dir / "redis.key"))
    assert redis.from_url(view["url"], **files).ping()
    with pytest.raises(redis.ConnectionError):  # no client certificate: refused
        redis.from_url(view["url"], ssl_ca_certs=files["ssl_ca_certs"], socket_timeout=2).ping()
    port = int(view["url"].rsplit(":", 1)[1].split("/")[0])
    with pytest.raises(redis.ConnectionError):  # TLS only: plain text is not served
        redis.Redis(port=port, socket_timeout=2).ping()
    stop(env, view["id"])
    assert env.leftovers() == {}


def test_native_cluster_of_six_with_every_slot_served(env):
    view, _ = start(env, "--native", "--topology", "cluster", "--password-env", "MY_PW",
                    extra_env={"MY_PW": PASSWORD})
    nodes = view["cluster_nodes"]
    assert len(nodes) == 6 and view["env"]["REDIS_CLUSTER_NODES"] == ",".join(nodes)
    cluster = RedisCluster(startup_nodes=[ClusterNode(*node.split(":")) for node in nodes], password=PASSWORD)
    for index in range(50):
        cluster.set(f"key-{index}", index)
    assert cluster.get("key-42") == b"42"
    roles = [redis.Redis(port=int(node.split(":")[1]), password=PASSWORD).info("replication")["role"] for node in nodes]
    assert sorted(roles) == ["master"] * 3 + ["slave"] * 3
    assert redis.Redis(port=int(nodes[0].split(":")[1]), password=PASSWORD).cluster("info")["cluster_state"] == "ok"
    cluster.close()
    stop(env, view["id"])
    assert env.leftovers() == {}


def test_native_sentinel_set_names_its_master(env, tls_dir):
    view, _ = start(env, "--native", "--topology", "sentinel", "--tls-dir", str(tls_dir),
                    "--password-env", "MY_PW", extra_env={"MY_PW": PASSWORD})
    assert view["env"]["REDIS_MASTER_NAME"] == "mymaster"
    tls = dict(ssl=True, ssl_ca_certs=str(tls_dir / "ca.crt"), ssl_certfile=str(tls_dir / "redis.crt"),
               ssl_keyfile=str(tls_dir / "redis.key"))
    sentinels = [(host, int(port)) for host, port in (item.split(":") for item in view["sentinels"])]
    sentinel = Sentinel(sentinels, sentinel_kwargs=tls, password=PASSWORD, **tls)
    master = sentinel.master_for("mymaster", socket_timeout=5)
    assert master.set("k", "v") and master.get("k") == b"v"
    assert len(sentinel.discover_slaves("mymaster")) == 2
    stop(env, view["id"])
    assert env.leftovers() == {}


@pytest.mark.parametrize("through", [{}, {"DOCKER_CONTEXT": "default"}], ids=["engine-api", "docker-cli"])
def test_docker_single_keeps_the_password_out_of_docker_inspect(env, through):
    # DOCKER_CONTEXT set: the CLI for every Docker call (docker_api.py steps aside).
    view, done = start(env, "--docker", "redis:7-alpine", "--password-env", "MY_PW",
                       extra_env={"MY_PW": PASSWORD, **through})
    assert view["backend"] == "docker" and len(view["containers"]) == 1
    assert containers(view["id"]) == [view["containers"][0][:12]]
    inspected = subprocess.run(["docker", "inspect", view["containers"][0]], capture_output=True, text=True,
                               check=True).stdout
    assert PASSWORD not in inspected and json.dumps(PASSWORD)[1:-1] not in inspected
    assert '"127.0.0.1"' in inspected  # published on loopback only
    assert redis.from_url(view["url"], password=PASSWORD).ping()
    assert cli("stop", view["id"], env=env.with_(**through)).returncode == 0
    assert env.leftovers(view["id"]) == {}
    volumes = subprocess.run(["docker", "volume", "ls", "-q", "--filter", "dangling=true"], capture_output=True,
                             text=True, check=True).stdout
    assert inspected_volumes(inspected) & set(volumes.split()) == set()  # anonymous /data volume removed too


def inspected_volumes(inspected: str) -> set:
    return {mount.get("Name", "") for item in json.loads(inspected) for mount in item.get("Mounts", [])} - {""}


def test_docker_cluster_on_the_host_network(env):
    view, _ = start(env, "--docker", "redis:7-alpine", "--topology", "cluster")
    assert len(view["containers"]) == 6
    nodes = view["cluster_nodes"]
    cluster = RedisCluster(startup_nodes=[ClusterNode(*node.split(":")) for node in nodes])
    cluster.set("a", 1)
    assert cluster.get("a") == b"1"
    cluster.close()
    stop(env, view["id"])
    assert env.leftovers(view["id"]) == {}


def test_a_port_held_by_another_redis_fails_clearly_and_starts_nothing(env, tmp_path):
    servers = RedisServers(tmp_path / "other")
    try:
        other = servers.start()
        for backend in (["--native"], ["--docker", "redis:7-alpine"]):
            done = cli("start", *backend, "--port", str(other.port), env=env.vars)
            assert done.returncode == 1, done.stderr
            assert f"port {other.port} on 127.0.0.1 is already in use by another Redis" in done.stderr
            assert done.stdout == ""
        assert other.client().ping()
        assert env.leftovers() == {}
    finally:
        servers.close()


def test_the_github_format_appends_delimited_values(env, tmp_path):
    github_env, github_output = tmp_path / "env", tmp_path / "output"
    github_env.write_text("EARLIER=1\n")
    done = cli("start", "--native", "--format", "github",
               env=env.with_(GITHUB_ENV=str(github_env), GITHUB_OUTPUT=str(github_output)))
    assert done.returncode == 0, done.stderr
    lines = github_env.read_text().splitlines()
    assert lines[0] == "EARLIER=1"
    values = {}
    index = 1
    while index < len(lines):  # name<<DELIMITER, value, DELIMITER
        name, delimiter = lines[index].split("<<")
        assert delimiter.startswith("ghadelimiter_") and len(delimiter) > 40 and lines[index + 2] == delimiter
        values[name] = lines[index + 1]
        index += 3
    assert set(values) == {"REDIS_URL", "REDIS_CI_ID"}
    assert "url<<ghadelimiter_" in github_output.read_text()
    assert redis.from_url(values["REDIS_URL"]).ping()
    stop(env, values["REDIS_CI_ID"])
    assert env.leftovers() == {}


@pytest.mark.parametrize("args, message", [
    (["--port", "0"], "bad port 0"),
    (["--topology", "cluster", "--port", "60000"], "use at most 55530"),
    (["--password-env", "REDIS_CI_TEST_UNSET"], "not set or empty"),
    (["--tls-dir", "/nonexistent"], "ca.crt, redis.crt, redis.key missing"),
    (["--args", "'unbalanced"], "bad --args"),
    (["--timeout", "-1"], "bad --timeout"),
    (["--native", "--version", "1.0"], "--version 1.0: "),
])
def test_bad_flags_are_refused_before_anything_starts(env, args, message):
    done = cli("start", *args, env=env.vars)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert env.instances() == []


def test_no_server_and_no_docker_says_what_to_install(env, tmp_path):
    bare = tmp_path / "bin"
    bare.mkdir()
    done = subprocess.run([os.path.realpath(__import__("sys").executable), "-m", "redis_ci", "start"],
                          capture_output=True, text=True, env=env.with_(PATH=str(bare)))
    assert done.returncode == 2
    assert "install redis-server" in done.stderr and "WSL, or use Docker Desktop or Memurai" in done.stderr


def test_stop_of_an_unknown_id_fails_and_touches_nothing(env):
    view, _ = start(env, "--native")
    done = cli("stop", "r00000000", env=env.vars)
    assert done.returncode == 1 and "no instance r00000000" in done.stderr
    assert redis.from_url(view["url"]).ping()
    bad = cli("stop", "../etc", env=env.vars)
    assert bad.returncode == 2
    stop(env, view["id"])
    assert env.leftovers() == {}


def test_a_failed_start_leaves_nothing(env):
    begun = time.monotonic()
    done = cli("start", "--native", "--args", "--no-such-option yes", env=env.vars)
    assert done.returncode == 1 and "exited with status" in done.stderr, done.stderr
    assert time.monotonic() - begun < 10
    assert env.leftovers() == {}


def test_a_failed_start_never_shows_the_password(env):
    # The server refuses the option and says so, quoting it: the password is in the quote.
    secret = "leak me 'now'"
    done = cli("start", "--native", "--password-env", "MY_PW", "--args", f"--no-such-option {shlex.quote(secret)}",
               env=env.with_(MY_PW=secret))
    assert done.returncode == 1 and "exited with status" in done.stderr, done.stderr
    assert secret not in done.stderr and "***" in done.stderr
    assert env.leftovers() == {}
