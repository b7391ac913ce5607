"""`assess`, the cluster verdict, on views as nodes answer them while a cluster forms: the
replicas' own word is not enough while another node's map still leaves them out (the map a
client reads from that node has no replicas; seen with Redis 6.2's CLUSTER SLOTS)."""

from __future__ import annotations

from redis_ci.probe.cluster import NodeReport, assess
from redis_ci.probe.cluster_views import KnownNode, NodeView

SLOT_MAP = ((0, 16383, "m1"),)
MASTER = KnownNode("m1", ("127.0.0.1", 7000), "master", False, "")
REPLICA = KnownNode("r1", ("127.0.0.1", 7001), "replica", False, "m1")


def reports(master_knows_replica: bool) -> list:
    master_view = NodeView("m1", "ok", SLOT_MAP, [MASTER, REPLICA] if master_knows_replica else [MASTER])
    replica_view = NodeView("r1", "ok", SLOT_MAP, [MASTER, REPLICA], link="up")
    return [NodeReport(("127.0.0.1", 7000), master_view), NodeReport(("127.0.0.1", 7001), replica_view)]


def test_ready_once_every_node_lists_the_replica():
    verdict = assess(reports(master_knows_replica=True), replicas=1)
    assert verdict.failure is None
    assert all(not report.lacks for report in verdict.nodes)


def test_not_ready_while_a_node_still_leaves_the_replica_out():
    verdict = assess(reports(master_knows_replica=False), replicas=1)
    failure = verdict.failure.failure
    assert failure.kind == "replicas-missing"
    assert failure.message == ("master 127.0.0.1:7000 has 1 of 1 replicas in sync, "
                               "but 127.0.0.1:7000 lists 0 of them")


def test_without_replicas_wanted_a_lagging_view_does_not_block():
    assert assess(reports(master_knows_replica=False), replicas=0).failure is None
