"""`redis-ci wait --cluster` against a real 6-node cluster: before it is created, after, with a
master killed, and after the failover; redis-py's RedisCluster is the independent witness."""

from __future__ import annotations

import pytest
from redis.cluster import RedisCluster
from redis.crc import key_slot as redis_py_key_slot

from redis_ci.probe.addresses import address_text
from redis_ci.probe.cluster_views import parse_shards, parse_slots
from redis_ci.probe.hash_slots import SLOT_COUNT, key_in, key_slot, slot_ranges_text
from redis_ci.probe.session import KEY_PREFIX
from redis_ci.probe.resp import Connection, Deadline
from .topology_servers import (
    ADMIN_PASSWORD, CI_PASSWORD, CI_USER, LOOPBACK, NOPERM_PASSWORD, NOPERM_USER, Security, free_port, run_wait,
    wait_until,
)


# `python3 -m redis_ci` itself, on a loaded 2-core CI machine, before its deadline starts.
PYTHON_START_SECONDS = 0.5


def cluster_wait(cluster, *args, seed=None, env=None):
    seed = seed or next(node for node in cluster.nodes if node.running)
    url = f"{cluster.security.scheme}://{seed.address}"
    return run_wait("--cluster", "--url", url, *cluster.security.wait_args(), *args, env=env)


def nodes_by_address(report) -> dict:
    return {node["address"]: node for node in report["topology"]["cluster"]["nodes"]}


def set_calls(node) -> int:
    with node.client() as client:
        return client.info("commandstats").get("cmdstat_set", {}).get("calls", 0)


def test_cluster_lifecycle_before_created_after_killed_master_after_failover(make_cluster):
    cluster = make_cluster()
    seeds = ",".join(cluster.seeds[1:])

    # Nodes up, cluster not formed: not ready, and it says which slots have no master.
    before = cluster_wait(cluster, "--node", seeds, "--timeout", "0.5")
    assert before.returncode == 1, before
    error = before.json["last_error"]
    assert error["kind"] == "slots-uncovered"
    assert "16384 of 16384 slots" in error["message"] and "0-16383" in error["message"]
    nodes = nodes_by_address(before.json)
    assert set(nodes) == set(cluster.seeds)
    assert all("cluster_state:fail" in node["lacks"] and not node["ok"] for node in nodes.values())

    # Formed: ready, every node listed (found from one seed), slots and roles as redis-py sees them.
    cluster.create()
    after = cluster_wait(cluster, "--checks", "ping,pubsub,rw", "--timeout", "10")
    assert after.returncode == 0, after
    assert after.json["ready"] and after.json["last_error"] is None
    nodes = nodes_by_address(after.json)
    assert set(nodes) == set(cluster.seeds)
    assert all(node["ok"] and node["cluster_state"] == "ok" for node in nodes.values())
    with RedisCluster(host=LOOPBACK, port=cluster.nodes[0].port) as witness:
        masters = {f"{n.host}:{n.port}" for n in witness.get_nodes() if n.server_type == "primary"}
        assert {address for address, node in nodes.items() if node["role"] == "master"} == masters
        for address, node in nodes.items():
            owned = sum(1 for slot in range(SLOT_COUNT) if witness.nodes_manager.slots_cache[slot][0].name == address)
            assert node["slots"] == owned
    assert sum(node["slots"] for node in nodes.values()) == SLOT_COUNT
    assert after.json["topology"]["cluster"]["masters"] == 3

    # rw writes on every shard, not just on the seed.
    master_nodes = [n for n in cluster.nodes if n.address in masters]
    before_calls = [set_calls(node) for node in master_nodes]
    assert cluster_wait(cluster, "--checks", "rw", "--timeout", "10").returncode == 0
    assert all(set_calls(node) > calls for node, calls in zip(master_nodes, before_calls))

    # A master killed: not ready; the dead node is named as not answering.
    victim = cluster.kill_master()
    killed = cluster_wait(cluster, "--timeout", "0.3")
    assert killed.returncode == 1, killed
    assert killed.json["last_error"]["kind"] in ("refused", "cluster-down")
    assert victim.address in killed.json["last_error"]["message"]
    dead = nodes_by_address(killed.json)[victim.address]
    assert not dead["ok"] and dead["lacks"][0].startswith("does not answer")

    # Waiting through the failover: ready again once a replica took over; the dead node is
    # listed, marked failed by the cluster, and no longer blocks.
    healed = cluster_wait(cluster, "--checks", "ping,rw", "--timeout", "20")
    assert healed.returncode == 0, healed
    cluster.wait_state_ok()
    nodes = nodes_by_address(healed.json)
    assert nodes[victim.address]["ignored"] and nodes[victim.address]["ok"]
    assert sum(node["slots"] for node in nodes.values()) == SLOT_COUNT
    with RedisCluster(host=LOOPBACK, port=next(n for n in cluster.nodes if n.running).port) as witness:
        masters = {f"{n.host}:{n.port}" for n in witness.get_nodes() if n.server_type == "primary"}
    assert {address for address, node in nodes.items() if node["role"] == "master" and node["slots"]} == masters
    assert victim.address not in masters


def test_one_seed_before_creation_sees_only_itself(make_cluster, tmp_path):
    cluster = make_cluster()
    summary = tmp_path / "step_summary"
    result = cluster_wait(cluster, "--timeout", "0.3", seed=cluster.nodes[0],
                          env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 1
    assert list(nodes_by_address(result.json)) == [cluster.nodes[0].address]
    assert result.json["last_error"]["kind"] == "slots-uncovered"
    assert "::error title=Redis not ready::" in result.stderr
    row = f"| `{cluster.nodes[0].address}` | master | cluster_state:fail; sees 0 of 16384 slots served |"
    assert row in summary.read_text()


def test_replicas_per_master_required_and_a_frozen_node_holds_the_deadline(make_cluster):
    cluster = make_cluster().create()
    assert cluster_wait(cluster, "--replicas", "1", "--timeout", "10").returncode == 0
    # Seeds by another name (localhost, a URL) are the same nodes, listed once.
    aliased = run_wait("--cluster", "--url", f"redis://localhost:{cluster.nodes[0].port}",
                       "--node", f"redis://{cluster.nodes[1].address}/0", "--timeout", "10")
    assert aliased.returncode == 0, aliased
    assert len(aliased.json["topology"]["cluster"]["nodes"]) == 6
    short = cluster_wait(cluster, "--replicas", "2", "--timeout", "1")
    assert short.returncode == 1
    assert short.json["last_error"]["kind"] == "replicas-missing"
    assert "has 1 of 2 replicas in sync" in short.json["last_error"]["message"]
    assert any(node.address in short.json["last_error"]["message"] for node in cluster.masters())
    masters = [node for node in nodes_by_address(short.json).values() if node["role"] == "master"]
    assert len(masters) == 3 and all("has 1 of 2 replicas in sync" in node["lacks"] for node in masters)

    # A node that accepts connections and never answers (SIGSTOP): not ready, and the deadline holds.
    frozen = cluster.nodes[5]
    frozen.pause()
    try:
        stuck = cluster_wait(cluster, "--timeout", "1", seed=cluster.nodes[0])
    finally:
        frozen.resume()
    assert stuck.returncode == 1 and stuck.seconds < 1.5 + PYTHON_START_SECONDS, stuck
    assert stuck.json["last_error"]["kind"] == "timeout"
    assert frozen.address in stuck.json["last_error"]["message"]
    assert nodes_by_address(stuck.json)[frozen.address]["lacks"][0].startswith("does not answer")


def test_tls_client_certificates_and_acl_users_on_a_cluster(make_cluster, topology_tls):
    security = Security(tls=topology_tls, acl=True)
    cluster = make_cluster(security).create()
    url = f"rediss://{cluster.nodes[0].address}"
    tls_args = security.wait_args()

    ready = run_wait("--cluster", "--url", url, *security.wait_args(CI_USER, CI_PASSWORD),
                     "--checks", "ping,pubsub,rw", "--timeout", "10")
    assert ready.returncode == 0, ready
    assert len(ready.json["topology"]["cluster"]["nodes"]) == 6
    assert CI_PASSWORD not in ready.stdout + ready.stderr

    # A user without the cluster commands: a final, clear verdict at once.
    denied = run_wait("--cluster", "--url", url, *security.wait_args(NOPERM_USER, NOPERM_PASSWORD), "--timeout", "10")
    assert denied.returncode == 1
    assert denied.json["last_error"]["kind"] == "noperm"
    assert "cluster" in denied.json["last_error"]["message"]
    assert denied.json["attempts"] == 1

    wrong = run_wait("--cluster", "--url", url, *security.wait_args(CI_USER, "not-the-password"), "--timeout", "10")
    assert wrong.returncode == 1 and wrong.json["last_error"]["kind"] == "auth"

    # The server demands a client certificate: without one the handshake cannot succeed.
    no_cert = run_wait("--cluster", "--url", url, "--tls-ca-cert", tls_args[1], "--username", CI_USER,
                       "--password", CI_PASSWORD, "--timeout", "0.5")
    assert no_cert.returncode == 1
    # TLS 1.3: the server's certificate_required alert, or its close when the alert is lost
    assert no_cert.json["last_error"]["kind"] in ("tls", "closed")
    assert "client certificate" in no_cert.json["last_error"]["message"] + no_cert.json["last_error"]["hint"]

    with RedisCluster(host=LOOPBACK, port=cluster.nodes[0].port, password=ADMIN_PASSWORD,
                      **security.redis_py_tls()) as witness:
        assert witness.ping() and len(witness.get_nodes()) == 6


def test_slots_fallback_parse_and_an_announced_address_the_job_cannot_reach(make_cluster):
    cluster = make_cluster().create()
    seed = cluster.nodes[0]
    # CLUSTER SLOTS (the pre-7.0 path) and CLUSTER SHARDS give the same slot map on a real cluster.
    deadline = Deadline(5)
    connection = Connection.open(deadline, host=LOOPBACK, port=seed.port)
    try:
        address = (LOOPBACK, seed.port)
        from_shards, _ = parse_shards(connection.call(deadline, "CLUSTER", "SHARDS"), address, tls=False)
        from_slots, known = parse_slots(connection.call(deadline, "CLUSTER", "SLOTS"), address)
    finally:
        connection.close()
    assert from_slots == from_shards and len(from_slots) == 3
    # (CLUSTER SLOTS lists the masters and only the replicas it deems available.)
    masters = {address_text(node.address) for node in known if node.role == "master"}
    assert masters == {node.address for node in cluster.masters()}

    # A node that announces a client port nothing listens on (as containers announce addresses
    # of their own network); its cluster bus stays healthy, so the cluster never marks it failed.
    moved = cluster.nodes[5]
    announced = f"{LOOPBACK}:{free_port()}"
    with moved.client() as client:
        client.config_set("cluster-announce-port", announced.rsplit(":", 1)[1])

    def seed_knows_new_address() -> bool:
        with seed.client() as client:
            return announced in client.execute_command("CLUSTER", "NODES").decode()
    wait_until(seed_knows_new_address, 10, "the announced port to spread", interval=0.01)
    result = cluster_wait(cluster, "--timeout", "1", seed=seed)
    assert result.returncode == 1
    error = result.json["last_error"]
    assert error["kind"] == "refused" and announced in error["message"] and announced in error["hint"]
    assert "cluster-announce-ip" in error["message"]
    assert nodes_by_address(result.json)[announced]["lacks"][0].startswith("does not answer")


def test_key_slots_match_redis_py_and_keys_land_where_asked():
    for key in (b"", b"foo", b"{user1000}.following", b"{}x", b"a{b}c{d}", "ключ".encode(), b"redis-ci:wait:1"):
        assert key_slot(key) == redis_py_key_slot(key)
    key = key_in([(100, 200)], KEY_PREFIX, "token")
    assert 100 <= key_slot(key.encode()) <= 200 and key.startswith("redis-ci:")
    assert slot_ranges_text([0, 1, 2, 7, 9, 10]) == "0-2,7,9-10"


@pytest.mark.parametrize("args, message", [
    (["--cluster", "--sentinel", "127.0.0.1:26379", "--master-name", "m"], "exclude each other"),
    (["--node", "127.0.0.1:7000"], "add --cluster"),
    (["--cluster", "--node", "nonsense"], "HOST:PORT"),
    (["--cluster", "--node", "127.0.0.1:99999"], "bad port"),
    (["--cluster", "--url", "redis://127.0.0.1:7000/3"], "database 0"),
    (["--replicas", "1"], "--replicas"),
    (["--cluster", "--url", "unix:///tmp/redis.sock"], "unix://"),
    (["--sentinel", "127.0.0.1:26379", "--master-name", "m", "--replicas", "-1"], "--replicas"),
])
def test_bad_topology_flags_are_one_line_usage_errors(args, message):
    result = run_wait(*args, "--timeout", "1")
    assert result.returncode == 2
    assert message in result.stderr and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_certificate_refused_at_an_announced_address_is_waited_out():
    """While a cluster forms, nodes announce IPs before their hostnames: a certificate that names
    the hostname fails at the IP, then passes. Only a seed's refusal is final."""
    from redis_ci.probe.cluster import NodeReport, _silent_failure
    from redis_ci.probe.failures import make_failure

    refused = make_failure("tls", "certificate of 10.0.0.7:7003 not accepted: IP address mismatch", final=True)
    announced = NodeReport(("10.0.0.7", 7003), failure=refused)
    announced.announced = True
    seed = NodeReport(("redis-node-0", 7000), failure=refused)
    assert _silent_failure(announced).failure.final is False
    assert _silent_failure(seed).failure.final is True
