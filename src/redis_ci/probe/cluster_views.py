"""One Redis Cluster node's view of the cluster: CLUSTER INFO, MYID, then SHARDS (or SLOTS on
servers before 7.0), parsed into a `NodeView` of its state, slot map and the nodes it knows.
Standard library only."""

from __future__ import annotations

from collections import namedtuple

from redis_ci.probe.addresses import address_text
from redis_ci.probe.failures import ProbeFailure
from redis_ci.probe.resp import LARGE_REPLY_BYTES, ReplyError
from redis_ci.probe.session import parse_info

KnownNode = namedtuple("KnownNode", "node_id address role failed master_id")
KnownNode.__doc__ = """A node as another node describes it: `address` is (host, port), `role` master or
replica, `failed` whether the cluster marks it failed, `master_id` the master of a replica's shard."""

NodeView = namedtuple("NodeView", "node_id state slot_map known link", defaults=("",))
NodeView.__doc__ = """What one node answered: its id, its cluster_state, its slot map (a sorted tuple of
(first slot, last slot, master id)), the KnownNodes it lists, and for a replica asked with --replicas
its master_link_status."""


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _pairs(reply) -> dict:
    """A RESP2 flat map `[k1, v1, k2, v2]` as a dict with str keys."""
    return {_text(reply[i]): reply[i + 1] for i in range(0, len(reply) - 1, 2)}


def _announced_host(fields: dict, fallback: str) -> str:
    """Where clients should connect: the announced endpoint, else the IP, else where we asked
    (a node that has not met any other does not know its own IP yet)."""
    for name in ("endpoint", "ip"):
        value = _text(fields.get(name) or "")
        if value and value != "?":
            return value
    return fallback


def parse_shards(reply, asked: tuple, tls: bool):
    """CLUSTER SHARDS (Redis >= 7.0) -> (slot map, known nodes)."""
    ranges = []
    known = []
    for shard in map(_pairs, reply):
        nodes = [_pairs(node) for node in shard.get("nodes") or []]
        live_masters = [n for n in nodes if _text(n.get("role")) == "master" and _text(n.get("health")) != "fail"]
        master_id = _text(live_masters[0]["id"]) if live_masters else ""
        slots = shard.get("slots") or []
        if master_id:
            ranges += [(int(slots[i]), int(slots[i + 1]), master_id) for i in range(0, len(slots) - 1, 2)]
        for node in nodes:
            port = node.get("tls-port") if tls and node.get("tls-port") else node.get("port")
            role = _text(node.get("role"))
            known.append(KnownNode(
                _text(node.get("id")),
                (_announced_host(node, asked[0]), int(port or asked[1])),
                role,
                _text(node.get("health")) == "fail",
                master_id if role == "replica" else "",
            ))
    return tuple(sorted(ranges)), known


def parse_slots(reply, asked: tuple):
    """CLUSTER SLOTS (servers before 7.0) -> (slot map, the nodes it lists: the masters and the
    replicas it deems available; other nodes are found only when given as seeds)."""
    ranges = []
    known = {}
    for first, last, master, *replicas in reply:
        master_id = _text(master[2])
        ranges.append((int(first), int(last), master_id))
        for node, role in [(master, "master")] + [(replica, "replica") for replica in replicas]:
            known[_text(node[2])] = KnownNode(
                _text(node[2]),
                (_text(node[0]) or asked[0], int(node[1])),
                role,
                False,
                master_id if role == "replica" else "",
            )
    return tuple(sorted(ranges)), list(known.values())


def ask_node(session, address: tuple) -> NodeView:
    """CLUSTER INFO, then CLUSTER MYID + SHARDS (or SLOTS on older servers), on one node."""
    deadline = session.deadline
    connection = session.connect(*address)
    try:
        info = parse_info(_text(connection.call(deadline, "CLUSTER", "INFO", limit=LARGE_REPLY_BYTES)))
    except ReplyError as exc:
        if "cluster support disabled" not in exc.text:
            raise
        raise ProbeFailure("not-cluster", f"{address_text(address)} runs without cluster support") from None
    node_id = _text(connection.call(deadline, "CLUSTER", "MYID"))
    try:
        shards = connection.call(deadline, "CLUSTER", "SHARDS", limit=LARGE_REPLY_BYTES)
        slot_map, known = parse_shards(shards, address, tls=session.tls_context is not None)
    except ReplyError as exc:
        if "unknown subcommand" not in exc.text.lower():
            raise
        slots = connection.call(deadline, "CLUSTER", "SLOTS", limit=LARGE_REPLY_BYTES)
        slot_map, known = parse_slots(slots, address)
    link = ""
    if session.requirements.topology.replicas and any(n.node_id == node_id and n.role == "replica" for n in known):
        replication = connection.call(deadline, "INFO", "replication", limit=LARGE_REPLY_BYTES)
        link = parse_info(_text(replication)).get("master_link_status", "?")
    return NodeView(node_id, info.get("cluster_state", "?"), slot_map, known, link)
