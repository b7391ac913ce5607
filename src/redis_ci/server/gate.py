"""Is what was started serving, and is it ours?

`nodes_up` waits until each node answers anything over RESP (or its process or container
is gone: then the error carries its log). `run_gate` runs the `wait` probe in-process, with
the same checks and topology checks as `redis-ci wait --cluster|--sentinel`.
`verify_identity` asks every node, through INFO, for its config file (and, natively, its
pid): a server that answers on our port but was not started by us fails the start.
"""

from __future__ import annotations

import socket
import time

from redis_ci.errors import FatalError
from redis_ci.probe.session import Requirements, parse_info
from redis_ci.probe.poll import wait_until_ready
from redis_ci.probe.resp import Connection, ProtocolError, ReplyError
from redis_ci.probe.target import Target, TlsOptions
from redis_ci.recipe import WAIT_CHECKS
from redis_ci.server.nodes import MASTER_NAME, SENTINEL_REPLICAS

# A refused connect costs ~0.1 ms: poll often at first (a native server binds in ~10 ms).
UP_POLL_SECONDS = 0.001
UP_POLL_MAX_SECONDS = 0.02


class NotStarted(FatalError):
    """The server did not come up, or what answers is not it: exit 1, as `wait` when not ready."""

    exit_code = 1


def base_target(password: str, tls_dir: str, host: str, port: int) -> Target:
    tls = TlsOptions(f"{tls_dir}/ca.crt", f"{tls_dir}/redis.crt", f"{tls_dir}/redis.key") if tls_dir else None
    return Target(host=host, port=port, password=password, tls=tls)


def connect(target: Target, context, deadline, host: str, port: int, authenticate: bool = True) -> Connection:
    connection = Connection.open(deadline, host=host, port=port, tls=context, server_hostname=host)
    if authenticate and target.password:
        connection.call(deadline, "AUTH", target.password)
    return connection


def nodes_up(backend, nodes, target: Target, context, deadline) -> None:
    """Until every node answers PING with any reply; a node that exits ends the start."""
    pause = UP_POLL_SECONDS
    waiting = list(nodes)
    while waiting:
        node = waiting[0]
        try:
            connection = connect(target, context, deadline.sooner(1.0), node.host, node.port, authenticate=False)
            try:
                connection.call(deadline.sooner(1.0), "PING")
            except ReplyError:
                pass  # NOAUTH, LOADING: it is up, the gate judges the rest
            finally:
                connection.close()
            waiting.pop(0)
            continue
        except (OSError, ProtocolError):  # ssl.SSLError is an OSError
            pass
        gone = backend.exited(node)
        if gone:
            raise NotStarted(gone)
        if deadline.expired():
            raise NotStarted(f"{node.name} did not accept connections on {node.host}:{node.port} in time")
        time.sleep(pause)
        pause = min(UP_POLL_MAX_SECONDS, pause * 1.2)


def run_gate(target: Target, context, layout, topology: str, deadline, on_failure):
    """The probe's wait on the started topology; returns its Outcome."""
    checks = list(WAIT_CHECKS)
    requirements = Requirements()
    if topology == "cluster":
        from redis_ci.probe.addresses import parse_addresses
        from redis_ci.probe.cluster import ClusterOptions

        seeds = parse_addresses(layout.cluster_nodes[1:], "--node")
        requirements = Requirements(topology=ClusterOptions(seeds, 1))
        checks = ["cluster", *checks]
    elif topology == "sentinel":
        from redis_ci.probe.addresses import parse_addresses
        from redis_ci.probe.sentinel import SentinelOptions

        sentinels = parse_addresses(layout.sentinels, "--sentinel")
        requirements = Requirements(topology=SentinelOptions(sentinels, MASTER_NAME, SENTINEL_REPLICAS, "", ""))
        target = target._replace(host=sentinels[0][0], port=sentinels[0][1])
        checks = ["sentinel", *checks]
    return wait_until_ready(target, checks, requirements, deadline, on_failure, context)


def verify_identity(backend, nodes, target: Target, context, deadline) -> None:
    """Every node that answers must be the one started: its INFO names our config file
    (and, for a process, our pid)."""
    for node in nodes:
        try:
            connection = connect(target, context, deadline.sooner(2.0), node.host, node.port,
                                 authenticate=node.kind == "data")
            try:
                text = connection.call(deadline.sooner(2.0), "INFO", "server")
            finally:
                connection.close()
        except (OSError, ProtocolError, ReplyError, socket.timeout) as exc:
            raise NotStarted(f"{node.name} on {node.host}:{node.port} did not say who it is: {exc}") from None
        info = parse_info(text.decode("utf-8", "replace") if isinstance(text, bytes) else "")
        expected_pid = backend.pid(node)
        if info.get("config_file") != node.config_path or (
                expected_pid is not None and info.get("process_id") != str(expected_pid)):
            raise NotStarted(f"{node.host}:{node.port} is answered by another server (pid {info.get('process_id', '?')}, "
                             f"config {info.get('config_file') or 'none'}), not the {node.name} started here: "
                             "stop it or pick another --port")

