"""What each node of a topology is: its name, port and redis.conf text.

The same layout as the action's `start-topology.sh` and `generate --topology`: a cluster is
six nodes on port..port+5 (the first three get the slots, each of the others replicates
one); a sentinel set is a master on port, replicas on port+1 and port+2, and sentinels on
port+20000..port+20002 watching the master as `mymaster`. Every node listens on
127.0.0.1 and announces it, snapshots are off, replicas sync at once. Config files, not
arguments, carry the password: a command line shows in `ps` and `docker inspect`.
"""

from __future__ import annotations

import os
from collections import namedtuple

HOST = "127.0.0.1"
CLUSTER_SIZE = 6
CLUSTER_MASTERS = 3
CLUSTER_BUS_OFFSET = 10000
SENTINEL_REPLICAS = 2
SENTINEL_COUNT = 3
SENTINEL_PORT_OFFSET = 20000
MASTER_NAME = "mymaster"
CLUSTER_NODE_TIMEOUT_MS = 2000  # as the action: a short failover, a quick cluster_state:ok

Node = namedtuple("Node", "name kind host port config_path config")
Node.__doc__ = """One server to start: `kind` is "data" or "sentinel"; `host`:`port` where clients
reach it; `config_path` where the server reads its config (a host path, or a path inside the
container); `config` its text."""

Layout = namedtuple("Layout", "nodes cluster_nodes sentinels")
Layout.__doc__ = """A topology's nodes (the first is what REDIS_URL names), and the cluster node or
sentinel addresses (HOST:PORT strings; empty lists for a single server)."""


def quote(value: str) -> str:
    """A redis.conf word: double-quoted, with backslash and quote escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ports_used(topology: str, base: int) -> list:
    """Every port a topology listens on (cluster bus ports included), to check they are free."""
    if topology == "cluster":
        nodes = [base + i for i in range(CLUSTER_SIZE)]
        return nodes + [port + CLUSTER_BUS_OFFSET for port in nodes]
    if topology == "sentinel":
        return [base + i for i in range(1 + SENTINEL_REPLICAS)] + \
            [base + SENTINEL_PORT_OFFSET + i for i in range(SENTINEL_COUNT)]
    return [base]


def listen_lines(port: int, tls_paths, bind: bool) -> list:
    """Where the node listens: plain `port`, or TLS only on it (client certificates required,
    replication and the cluster bus over TLS too)."""
    lines = [f"bind {HOST}"] if bind else ["protected-mode no"]
    if tls_paths is None:
        return lines + [f"port {port}"]
    ca, cert, key = tls_paths
    return lines + ["port 0", f"tls-port {port}", f"tls-cert-file {quote(cert)}", f"tls-key-file {quote(key)}",
                    f"tls-ca-cert-file {quote(ca)}", "tls-auth-clients yes", "tls-replication yes"]


# The config file's path in the process title (Redis >= 6.2 sets the title from this template):
# what `stop` checks before it signals a recorded pid, so a reused pid is never signalled.
PROC_TITLE = 'proc-title-template "{title} {listen-addr} {server-mode} {config-file}"'


def data_lines(port: int, data_dir: str, password: str, tls_paths, bind: bool) -> list:
    lines = listen_lines(port, tls_paths, bind) + [
        PROC_TITLE,
        f"dir {quote(data_dir)}",
        'save ""',
        "appendonly no",
        # Replicas sync at once: diskless, no 5 s wait for more replicas to join.
        "repl-diskless-sync yes",
        "repl-diskless-sync-delay 0",
    ]
    if password:
        lines += [f"requirepass {quote(password)}", f"masterauth {quote(password)}"]
    return lines


def layout(topology: str, base: int, password: str, paths) -> Layout:
    """The nodes of `topology` from port `base`. `paths` says where files are as the server
    sees them: `paths.config(name)`, `paths.data_dir`, `paths.tls` ((ca, cert, key) or None),
    `paths.bind` (False where the server must listen beyond loopback: a published container or
    a Docker network), and `paths.host(name)`: the name a node is reached by and announces
    (HOST on loopback; on a Docker network its alias, see `network_alias`)."""
    tls = paths.tls
    on_network = paths.host("node-0") != HOST

    def data_node(name, port, extra):
        config = data_lines(port, paths.data_dir, password, tls, paths.bind) + extra
        return Node(name, "data", paths.host(name), port, paths.config(name), "\n".join(config) + "\n")

    if topology == "single":
        return Layout([data_node("node-0", base, [])], [], [])
    if topology == "cluster":
        nodes = []
        for index in range(CLUSTER_SIZE):
            port, name = base + index, f"node-{index}"
            extra = ["cluster-enabled yes", f"cluster-config-file nodes-{port}.conf",
                     f"cluster-node-timeout {CLUSTER_NODE_TIMEOUT_MS}"]
            # On a network: names, not container IPs (fixed before the containers exist, so TLS
            # certificates can name them; Redis >= 7.0).
            extra += [f"cluster-announce-hostname {paths.host(name)}", "cluster-preferred-endpoint-type hostname"] \
                if on_network else [f"cluster-announce-ip {HOST}"]
            if tls is not None:
                extra.append("tls-cluster yes")
            nodes.append(data_node(name, port, extra))
        return Layout(nodes, [f"{node.host}:{node.port}" for node in nodes], [])
    master = paths.host("node-0")
    nodes = [data_node("node-0", base, [])]
    for index in range(1, 1 + SENTINEL_REPLICAS):
        name = f"node-{index}"
        nodes.append(data_node(name, base + index, [f"replicaof {master} {base}",
                                                    f"replica-announce-ip {paths.host(name)}"]))
    sentinels = []
    # Each sentinel is told the others and the replicas up front (as its own config rewrite
    # would record them): no waiting ~2 s for hello messages before there is a quorum.
    ids = [os.urandom(20).hex() for _ in range(SENTINEL_COUNT)]
    sentinel_ports = [base + SENTINEL_PORT_OFFSET + index for index in range(SENTINEL_COUNT)]
    for index in range(SENTINEL_COUNT):
        port, name = sentinel_ports[index], f"sentinel-{index}"
        config = listen_lines(port, tls, paths.bind) + [f"dir {quote(paths.data_dir)}", PROC_TITLE]
        if on_network:
            config += ["sentinel resolve-hostnames yes", "sentinel announce-hostnames yes"]
        config += [
            f"sentinel announce-ip {paths.host(name)}",
            f"sentinel monitor {MASTER_NAME} {master} {base} 2",
            f"sentinel down-after-milliseconds {MASTER_NAME} 5000",
            f"sentinel failover-timeout {MASTER_NAME} 10000",
        ]
        if password:  # the data nodes' password; the sentinels themselves have none
            config.append(f"sentinel auth-pass {MASTER_NAME} {quote(password)}")
        if not on_network:  # hello messages name hosts as announced: seed only on loopback
            config.append(f"sentinel myid {ids[index]}")
            config += [f"sentinel known-replica {MASTER_NAME} {HOST} {node.port}" for node in nodes[1:]]
            config += [f"sentinel known-sentinel {MASTER_NAME} {HOST} {other_port} {other_id}"
                       for other_port, other_id in zip(sentinel_ports, ids) if other_port != port]
        nodes.append(Node(name, "sentinel", paths.host(name), port, paths.config(name), "\n".join(config) + "\n"))
        sentinels.append(f"{paths.host(name)}:{port}")
    return Layout(nodes, [], sentinels)


def node_names(topology: str) -> list:
    if topology == "single":
        return ["node-0"]
    if topology == "cluster":
        return [f"node-{index}" for index in range(CLUSTER_SIZE)]
    return [f"node-{index}" for index in range(1 + SENTINEL_REPLICAS)] + \
        [f"sentinel-{index}" for index in range(SENTINEL_COUNT)]


def network_alias(instance_id: str, topology: str, name: str) -> str:
    """A node's name on a Docker network: the action's fixed `redis-node-<i>` and
    `redis-sentinel-<i>` for a topology (what `generate --tls` certificates name), the
    container's own name for a single server."""
    if topology == "single":
        return f"redis-ci-{instance_id}-{name}"
    kind, index = name.rsplit("-", 1)
    return f"redis-{kind}-{index}"
