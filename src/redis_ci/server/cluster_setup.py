"""Form a Redis Cluster from six fresh nodes over RESP (what `redis-cli --cluster create
--cluster-replicas 1` does, without needing redis-cli and without its 1 s sleeps).

The first three nodes get a third of the slots each and distinct config epochs, the first
node meets the others, and once every node knows all six (no handshake left), each of the
last three replicates one master. `cluster_state:ok` and the replicas' sync are the
gate's business (the probe's cluster check), not this module's.
"""

from __future__ import annotations

import time

from redis_ci.probe.resp import ReplyError

SLOTS = 16384
POLL_SECONDS = 0.01


def slot_ranges(masters: int) -> list:
    """[(first, last), ...]: the slots split as evenly as redis-cli splits them."""
    size = SLOTS / masters
    return [(round(index * size), round((index + 1) * size) - 1) for index in range(masters)]


def add_slots(connection, deadline, first: int, last: int) -> None:
    try:
        connection.call(deadline, "CLUSTER", "ADDSLOTSRANGE", first, last)  # Redis >= 7.0
    except ReplyError as exc:
        if "unknown" not in exc.text.lower() and "syntax" not in exc.text.lower():
            raise
        connection.call(deadline, "CLUSTER", "ADDSLOTS", *range(first, last + 1))


def known_nodes(connection, deadline) -> list:
    """CLUSTER NODES as [(id, flags)], the lines of nodes still in handshake left out."""
    text = connection.call(deadline, "CLUSTER", "NODES")
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    nodes = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3 and "handshake" not in fields[2] and "noaddr" not in fields[2]:
            nodes.append((fields[0], fields[2]))
    return nodes


def form(connections: list, addresses: list, masters: int, deadline) -> None:
    """Make a cluster of the nodes behind `connections` (authenticated, one per node, at the
    IP addresses `addresses[i]`, (ip, port)); the first `masters` nodes hold the slots, the
    others replicate them in turn."""
    ids = []
    for connection in connections:
        node_id = connection.call(deadline, "CLUSTER", "MYID")
        ids.append(node_id.decode() if isinstance(node_id, bytes) else str(node_id))
    for index, (first, last) in enumerate(slot_ranges(masters)):
        add_slots(connections[index], deadline, first, last)
    for index, connection in enumerate(connections):
        connection.call(deadline, "CLUSTER", "SET-CONFIG-EPOCH", index + 1)
    for host, port in addresses[1:]:
        connections[0].call(deadline, "CLUSTER", "MEET", host, port)
    wait_for(lambda: all(len(known_nodes(connection, deadline)) == len(connections) for connection in connections),
             deadline, "every cluster node to know the others")
    for index in range(masters, len(connections)):
        master_id = ids[(index - masters) % masters]

        def replicate(connection=connections[index], master_id=master_id):
            try:
                connection.call(deadline, "CLUSTER", "REPLICATE", master_id)
            except ReplyError as exc:  # "Unknown node" until gossip reached it
                if "unknown node" not in exc.text.lower():
                    raise
                return False
            return True
        wait_for(replicate, deadline, f"node {index} to replicate its master")


def wait_for(predicate, deadline, what: str) -> None:
    while not predicate():
        if deadline.remaining() <= POLL_SECONDS:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(POLL_SECONDS)
