"""Start a `Plan` and hand back what clients need; stop an instance, whatever state it is in.

start: record the instance first, check its ports, start the nodes (recording each pid or
container as it appears), wait until they answer, form a cluster, run the `wait` gate,
verify every node is ours, save the client's view. Anything failing on the way stops what
was started, so a failed start leaves nothing behind. With no --port, a port another
process took between the check and the start is retried on fresh ports.
"""

from __future__ import annotations

import os
import sys

from redis_ci.errors import FatalError
from redis_ci.probe.lines import unbroken
from redis_ci.probe.resp import Deadline
from redis_ci.recipe import REDIS_PORT, TOPOLOGY_FIRST_PORT
from redis_ci.server import gate, nodes, ports, state
from redis_ci.server.gate import NotStarted

PORT_RETRIES = 3


def start(plan, owner_pid: int | None = None, progress=None, environ=None) -> state.Instance:
    """Start `plan`; returns the Instance once it serves. Raises NotStarted (exit 1),
    UsageError or FatalError, with everything already stopped."""
    root = state.state_root(os.environ if environ is None else environ)
    deadline = Deadline(plan.timeout)
    for attempt in range(PORT_RETRIES):
        instance = state.create(root, plan.backend, owner_pid)
        try:
            start_instance(instance, plan, deadline, progress or (lambda line: None))
            return instance
        except PortTaken as exc:
            stop_quietly(instance)
            if plan.port is not None or attempt == PORT_RETRIES - 1:
                raise NotStarted(scrub(str(exc), plan.password)) from None
        except (NotStarted, FatalError) as exc:
            stop_quietly(instance)
            raise type(exc)(scrub(str(exc), plan.password)) from None
        except BaseException:
            stop_quietly(instance)
            raise
    raise AssertionError("unreachable")


def scrub(text: str, password: str) -> str:
    """The text without the password in any form a server log or reply may carry it."""
    if not password:
        return text
    from urllib.parse import quote

    for form in (password, quote(password, safe=""), json_escaped(password), " ".join(password.split())):
        if form:
            text = text.replace(form, "***")
    return text


def json_escaped(text: str) -> str:
    import json

    return json.dumps(text)[1:-1]


class PortTaken(Exception):
    """A port of the plan is in use (before the start, or it was taken while starting)."""


def first_port(plan) -> int:
    """--port, else: on a Docker network the action's defaults (nothing else listens in a
    container's own namespace), on loopback a free one."""
    if plan.port is not None:
        return plan.port
    if plan.network:
        return TOPOLOGY_FIRST_PORT.get(plan.topology, REDIS_PORT)
    return ports.pick_base(plan.topology)


def make_backend(instance, plan, base: int):
    """(the backend, where it puts files as the servers see them, the port inside a container
    when a single server's is published on another)."""
    if plan.backend == "native":
        from redis_ci.server.native import NativeNodes

        return NativeNodes(instance, plan.binary, plan.server_args), NativeNodes.Paths(instance, plan.tls_dir), None
    from redis_ci.server.docker import CONTAINER_PORT, DockerNodes

    published = plan.topology == "single" and not plan.network
    host = None
    aliases = {}
    if plan.network:
        def host(name):
            return nodes.network_alias(instance.id, plan.topology, name)
        aliases = {name: host(name) for name in nodes.node_names(plan.topology)}
    backend = DockerNodes(instance, plan.image, plan.server_args, plan.tls_dir, base if published else None,
                          plan.network, tuple(plan.labels), aliases)
    return backend, DockerNodes.Paths(instance, plan.tls_dir, published, host), CONTAINER_PORT if published else None


def start_instance(instance, plan, deadline, progress) -> None:
    base = first_port(plan)
    if not plan.network:
        busy = ports.busy_ports(plan.topology, base)
        if busy:
            raise PortTaken(ports.busy_message(busy[0]))
    backend, paths, container_port = make_backend(instance, plan, base)
    layout = nodes.layout(plan.topology, container_port or base, plan.password, paths)
    # Where this process reaches each node (a published container: on its host port).
    reachable = [node._replace(port=base) for node in layout.nodes] if container_port else layout.nodes
    what = plan.image if plan.backend == "docker" else plan.binary
    progress(f"starting {plan.topology} {what} at {reachable[0].host}:{base} as {instance.id}")
    instance.record.update(topology=plan.topology, port=base, ports=nodes.ports_used(plan.topology, base))
    instance.save()
    backend.start(layout.nodes)
    target = gate.base_target(plan.password, plan.tls_dir, reachable[0].host, base)
    context = target.ssl_context()
    try:
        gate.nodes_up(backend, reachable, target, context, deadline)
    except NotStarted as exc:
        if "address already in use" in str(exc).lower():
            raise PortTaken(str(exc)) from None
        raise
    if plan.topology == "cluster":
        form_cluster(backend, reachable, target, context, deadline)
    outcome = gate.run_gate(target, context, layout, plan.topology, deadline,
                            lambda failure: progress(f"waiting: {failure.kind}: {failure.message}"))
    if not outcome.ready:
        failure = outcome.failure
        raise NotStarted(f"started, but not serving within {plan.timeout:g} s: "
                         f"{failure.kind}: {failure.message}" if failure else "not serving")
    gate.verify_identity(backend, reachable, target, context, deadline)
    instance.record.update(client_view(plan, layout, reachable[0].host, base, outcome))
    instance.save()


def form_cluster(backend, reachable, target, context, deadline) -> None:
    from redis_ci.probe.resp import ProtocolError, ReplyError
    from redis_ci.server.cluster_setup import form

    connections = []
    try:
        for node in reachable:
            connections.append(gate.connect(target, context, deadline, node.host, node.port))
        addresses = [(backend.address(node), node.port) for node in reachable]
        form(connections, addresses, nodes.CLUSTER_MASTERS, deadline)
    except (OSError, ReplyError, ProtocolError, TimeoutError) as exc:
        raise NotStarted(f"the cluster could not be formed: {exc}") from None
    finally:
        for connection in connections:
            connection.close()


def client_view(plan, layout, host: str, base: int, outcome) -> dict:
    """What clients need, without the password (the record is a file; `run` adds it to the
    child's environment itself)."""
    scheme = "rediss" if plan.tls_dir else "redis"
    server = outcome.server
    view = {
        "url": f"{scheme}://{host}:{base}/0",
        "cluster_nodes": layout.cluster_nodes,
        "sentinels": layout.sentinels,
        "master_name": nodes.MASTER_NAME if plan.topology == "sentinel" else "",
        "tls_dir": plan.tls_dir,
        "password_env": plan.password_env,
        "server": f"{server.name} {server.version}" if server else "",
        "ready_ms": round(outcome.elapsed_ms, 1),
    }
    return view


def stop(instance) -> dict:
    """Stop what the record names (processes only while they are still ours, containers by
    id and by label) and remove the folder; returns counts of what was stopped."""
    from redis_ci.server.native import stop_processes

    record = instance.record
    stopped_processes = stop_processes([item for item in record.get("processes", []) if isinstance(item, dict)])
    removed = 0
    if record.get("backend") == "docker" or record.get("containers"):
        from redis_ci.errors import FatalError
        from redis_ci.server.docker import remove_containers

        try:
            removed = remove_containers(instance.id, record.get("containers", []))
        except FatalError:
            if record.get("containers"):
                raise  # the record stays, so a later `redis-ci stop` can finish the job
    instance.remove_directory()
    return {"processes": stopped_processes, "containers": removed}


def stop_quietly(instance) -> None:
    """Stop after a failed start without hiding why it failed (Docker may be what failed)."""
    try:
        stop(instance)
    except FatalError as exc:
        say(f"could not remove everything of {instance.id} ({exc}): run `redis-ci stop {instance.id}` later")


def reap_orphans(root: str, progress=None) -> list:
    """Stop instances whose owner (a `run`, a pytest session) is gone: killed with SIGKILL,
    it could not stop them itself. Instances of `start` (no owner) are left alone."""
    reaped = []
    for instance in state.instances(root):
        if not instance.owner_alive():
            stop(instance)
            reaped.append(instance.id)
            if progress:
                progress(f"removed {instance.id}, left by a process that was killed (pid {instance.record['owner_pid']})")
    return reaped


def say(line: str) -> None:
    # One line, whatever a server's words or a path hold (a workflow command, in Actions).
    print(unbroken(f"redis-ci: {line}"), file=sys.stderr, flush=True)
