"""`redis-ci wait --sentinel` against a real set (1 master, 2 replicas, 3 sentinels): ready, too few
replicas, a wrong name, a failover, a sentinel down, over TLS with ACL users; redis-py's Sentinel
is the independent witness."""

from __future__ import annotations

from redis.sentinel import Sentinel

from .topology_servers import (
    ADMIN_PASSWORD, CI_PASSWORD, CI_USER, LOOPBACK, MASTER_NAME, NOPERM_PASSWORD, NOPERM_USER, SENTINEL_PASSWORD,
    Security, role, run_wait,
)


def sentinel_wait(sentinel_set, *args, user=None, password=None, master_name=MASTER_NAME, env=None):
    sentinel_password = ["--sentinel-password", SENTINEL_PASSWORD] if sentinel_set.security.acl else []
    return run_wait("--sentinel", sentinel_set.sentinel_addresses, "--master-name", master_name, *sentinel_password,
                    *sentinel_set.security.wait_args(user, password), *args, env=env)


def witness(sentinel_set) -> Sentinel:
    security = sentinel_set.security
    sentinel_kwargs = {**security.redis_py_tls(), **({"password": SENTINEL_PASSWORD} if security.acl else {})}
    return Sentinel([(LOOPBACK, s.port) for s in sentinel_set.sentinels], sentinel_kwargs=sentinel_kwargs,
                    **security.redis_py_kwargs())


def test_sentinel_ready_replicas_wrong_name_failover_and_a_sentinel_down(make_sentinel_set):
    sentinels = make_sentinel_set()

    ready = sentinel_wait(sentinels, "--replicas", "2", "--checks", "ping,pubsub,rw", "--timeout", "10")
    assert ready.returncode == 0, ready
    report = ready.json["topology"]["sentinel"]
    expected_master = "%s:%d" % witness(sentinels).discover_master(MASTER_NAME)
    assert report["master"] == expected_master == sentinels.master.address
    assert [s["address"] for s in report["sentinels"]] == [s.address for s in sentinels.sentinels]
    assert all(s["ok"] and s["master"] == expected_master for s in report["sentinels"])
    witnessed_replicas = {"%s:%d" % address for address in witness(sentinels).discover_slaves(MASTER_NAME)}
    assert {r["address"] for r in report["replicas"]} == witnessed_replicas
    assert all(r["ok"] and r["master_link_status"] == "up" for r in report["replicas"])
    assert ready.json["server"]["role"] == "master"

    # long enough for every replica to answer on a loaded machine (CI once saw 0.3 s run out first)
    more = sentinel_wait(sentinels, "--replicas", "3", "--timeout", "2")
    assert more.returncode == 1
    assert more.json["last_error"]["kind"] == "replicas-missing"
    assert "2 of 3 replicas" in more.json["last_error"]["message"]

    unknown = sentinel_wait(sentinels, "--timeout", "0.3", master_name="not-monitored")
    assert unknown.returncode == 1
    assert unknown.json["last_error"]["kind"] == "no-master"
    assert "not-monitored" in unknown.json["last_error"]["message"]

    # After a failover the sentinels name the promoted replica, and the checks run on it.
    new_master = sentinels.failover()
    after = sentinel_wait(sentinels, "--checks", "ping,rw", "--timeout", "15")
    assert after.returncode == 0, after
    assert after.json["topology"]["sentinel"]["master"] == new_master.address != sentinels.master.address
    assert "%s:%d" % witness(sentinels).discover_master(MASTER_NAME) == new_master.address
    assert role(new_master) == "master"

    # A sentinel that does not answer: the others' answers are not taken as agreement.
    sentinels.sentinels[2].kill()
    down = sentinel_wait(sentinels, "--timeout", "1")
    assert down.returncode == 1
    assert down.json["last_error"]["kind"] == "refused"
    assert sentinels.sentinels[2].address in down.json["last_error"]["message"]
    silent = down.json["topology"]["sentinel"]["sentinels"][2]
    assert not silent["ok"] and silent["lacks"][0].startswith("does not answer")


def test_sentinels_of_two_groups_disagree(make_sentinel_set):
    group = make_sentinel_set()
    stray = make_sentinel_set(replica_count=0, sentinel_count=1)  # another master under the same name
    result = run_wait("--sentinel", group.sentinel_addresses, "--sentinel", stray.sentinel_addresses,
                      "--master-name", MASTER_NAME, "--timeout", "0.3")
    assert result.returncode == 1
    error = result.json["last_error"]
    assert error["kind"] == "sentinel-disagree"
    assert f"{group.master.address} (3)" in error["message"] and f"{stray.master.address} (1)" in error["message"]


def test_sentinel_over_tls_with_acl_users(make_sentinel_set, topology_tls, tmp_path):
    sentinels = make_sentinel_set(Security(tls=topology_tls, acl=True))

    outputs, summary = tmp_path / "github_output", tmp_path / "step_summary"
    actions = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)}
    ready = sentinel_wait(sentinels, "--replicas", "2", "--checks", "ping,pubsub,rw", "--timeout", "10",
                          user=CI_USER, password=CI_PASSWORD, env=actions)
    assert ready.returncode == 0, ready
    assert ready.json["url"].startswith("rediss://ci:***@")
    # Inside Actions both passwords are masked before anything else is printed, and never shown.
    assert f"::add-mask::{CI_PASSWORD}" in ready.stderr and f"::add-mask::{SENTINEL_PASSWORD}" in ready.stderr
    shown = ready.stdout + ready.stderr.replace(f"::add-mask::{CI_PASSWORD}", "").replace(
        f"::add-mask::{SENTINEL_PASSWORD}", "") + outputs.read_text()
    assert CI_PASSWORD not in shown and SENTINEL_PASSWORD not in shown
    table = summary.read_text()
    assert f"| `{sentinels.master.address}` | master {MASTER_NAME} |" in table
    assert all(f"| `{node.address}` | sentinel | ok |" in table for node in sentinels.sentinels)
    assert all(f"| `{node.address}` | replica | in sync |" in table for node in sentinels.replicas)

    no_sentinel_password = run_wait("--sentinel", sentinels.sentinel_addresses, "--master-name", MASTER_NAME,
                                    *sentinels.security.wait_args(CI_USER, CI_PASSWORD), "--timeout", "10")
    assert no_sentinel_password.returncode == 1
    assert no_sentinel_password.json["last_error"]["kind"] == "auth"
    assert "sentinel" in no_sentinel_password.json["last_error"]["message"]
    master = witness(sentinels).master_for(MASTER_NAME, ssl=True, ssl_ca_certs=topology_tls.ca_cert,
                                           ssl_certfile=topology_tls.client_cert, ssl_keyfile=topology_tls.client_key,
                                           password=ADMIN_PASSWORD)
    assert master.ping()
    assert ready.json["topology"]["sentinel"]["master"] == sentinels.master.address

    denied = sentinel_wait(sentinels, "--timeout", "10", user=NOPERM_USER, password=NOPERM_PASSWORD)
    assert denied.returncode == 1
    assert denied.json["last_error"]["kind"] == "noperm"
    assert denied.json["attempts"] == 1

    wrong = sentinel_wait(sentinels, "--timeout", "10", user=CI_USER, password="wrong-password")
    assert wrong.returncode == 1 and wrong.json["last_error"]["kind"] == "auth"


def test_wrong_topology_flags_are_final_and_a_lone_sentinel_has_no_quorum(make_sentinel_set):
    sentinels = make_sentinel_set(replica_count=0, sentinel_count=1)
    data_node = sentinels.master.address
    not_sentinel = run_wait("--sentinel", data_node, "--master-name", MASTER_NAME, "--timeout", "10")
    assert not_sentinel.returncode == 1 and not_sentinel.json["attempts"] == 1
    assert not_sentinel.json["last_error"]["kind"] == "not-sentinel"
    assert data_node in not_sentinel.json["last_error"]["message"]
    # One sentinel where the configured quorum is 2: it can never authorize a failover.
    alone = run_wait("--sentinel", sentinels.sentinel_addresses, "--master-name", MASTER_NAME, "--timeout", "0.5")
    assert alone.returncode == 1 and alone.json["last_error"]["kind"] == "no-quorum"
    assert "quorum" in alone.json["topology"]["sentinel"]["sentinels"][0]["lacks"][0]
    not_cluster = run_wait("--cluster", "--url", f"redis://{data_node}", "--timeout", "10")
    assert not_cluster.returncode == 1 and not_cluster.json["attempts"] == 1
    assert not_cluster.json["last_error"]["kind"] == "not-cluster"
    assert "cluster-enabled" in not_cluster.json["last_error"]["hint"]


def test_sentinel_flags_are_checked():
    result = run_wait("--sentinel", "127.0.0.1:26379", "--timeout", "1")
    assert result.returncode == 2 and "--master-name" in result.stderr
    result = run_wait("--master-name", "mymaster", "--timeout", "1")
    assert result.returncode == 2 and "--sentinel" in result.stderr
