"""How a wait asks Redis: by its TCP port alone (RC107), or the whole cluster rather than one node (RC106)."""

from __future__ import annotations

import re

from redis_ci.lint.model.images import Image
from redis_ci.lint.model.tree import Job, Service, Step
from redis_ci.lint.yaml_nodes import Span
from redis_ci.recipe import REDIS_PORT
from redis_ci.lint.patterns import lazy_compile, word_alternatives


class TcpWait:
    """A command that waits for a TCP port: tool (`wait-for-it`, `nc -z`, `/dev/tcp`,
    `dockerize`, `wait4x tcp`, `wait-on tcp:`), host (None when not written) and port."""

    __slots__ = ("tool", "host", "port", "span")

    def __init__(self, tool: str, host: str | None, port: int | None, span: Span):
        self.tool, self.host, self.port, self.span = tool, host, port, span


_HOST_PORT = r"(?:(?P<host>[A-Za-z0-9_.-]+|\[[0-9a-fA-F:]+\]):)?(?P<port>\d{2,5})\b"
_TCP_WAITS = (
    ("wait-for-it", lazy_compile(r"\bwait-for-it(?:\.sh)?\s+(?:-\S+\s+)*" + _HOST_PORT)),
    ("wait-for-it", lazy_compile(r"\bwait-for-it(?:\.sh)?\b[^\n;|&]*?-h\s+(?P<host>\S+)\s+-p\s+(?P<port>\d{2,5})\b")),
    ("dockerize", lazy_compile(r"\bdockerize\b[^\n;|&]*?-wait\s+tcp://" + _HOST_PORT)),
    ("wait4x tcp", lazy_compile(r"\bwait4x\s+tcp\s+" + _HOST_PORT)),
    ("wait-on", lazy_compile(r"\bwait-on\b[^\n;|&]*?\btcp:" + _HOST_PORT)),
    ("nc -z", lazy_compile(r"\b(?:nc|ncat|netcat)\s+(?:-\w+\s+)*-\w*z\w*\s+(?:-\w+\s+)*(?P<host>[A-Za-z0-9_.-]+)\s+(?P<port>\d{2,5})\b")),
    ("/dev/tcp", lazy_compile(r"/dev/tcp/(?P<host>[^/\s]+)/(?P<port>\d{2,5})\b")),
)
_REDIS_HOST = lazy_compile(r"redis|valkey|keydb|dragonfly", re.I)


def tcp_waits(step: Step) -> list[TcpWait]:
    """The TCP-only waits of a step's `run:` (a PING in the same step makes them no wait by
    port alone: the step asks Redis itself)."""
    run = step.run
    if run is None or not any(map(run.text.__contains__, ("wait", "nc", "/dev/tcp"))):  # (map: no generator per step)
        return []
    if re.search(r"\bping\b", run.text, re.I):
        return []
    found = []
    for tool, pattern in _TCP_WAITS:
        for match in pattern.finditer(run.text):
            host = match.group("host")
            port = int(match.group("port"))
            found.append(TcpWait(tool, host.strip("[]") if host else None, port, run.locate(match.start(), match.end())))
    return sorted(found, key=lambda wait: (wait.span.line, wait.span.column))


def redis_ports(job: Job) -> set:
    """Ports where the job's Redis services answer: 6379, their container and host ports."""
    ports = {REDIS_PORT}
    for service in job.redis_services:
        ports |= {port.container for port in service.ports if port.container}
        ports |= {port.host for port in service.ports if port.host}
    return ports


def waits_for_redis(wait: TcpWait, job: Job) -> bool:
    """The TCP wait targets Redis: a Redis service's label or a host named for Redis, or a
    port Redis serves (6379, a port a Redis service maps) on another host."""
    labels = {service.label for service in job.services}
    if wait.host in labels:
        service = job.service(wait.host)
        return service.is_redis
    if wait.host and _REDIS_HOST.search(wait.host):
        return True
    return wait.port in redis_ports(job)


_CLUSTER_IMAGE = lazy_compile(r"(?:redis|valkey|keydb)[-_]?cluster", re.I)
_CLUSTER_ENABLED = lazy_compile(r"--cluster-enabled[=\s]+[\"']?yes", re.I)
_CLUSTER_CREATE = lazy_compile(word_alternatives("redis", "valkey") + r"-cli\b[^\n;|&]*--cluster\s+create\b")
_CLUSTER_CHECK = lazy_compile(
    r"cluster_state|\bcluster\s+(?:info|slots|shards)\b|--cluster\s+(?:check|create)\b"
    r"|\bredis[-_]ci\s+wait\b[^\n;|&]*--cluster\b",
    re.I,
)


def is_cluster_image(image: Image) -> bool:
    """`grokzen/redis-cluster`, `bitnami*/redis-cluster`, `*/valkey-cluster` and the like."""
    return bool(_CLUSTER_IMAGE.search(image.name))


def service_is_cluster(service: Service) -> bool:
    """A Redis service that runs a cluster: a cluster image, or `--cluster-enabled yes`."""
    command = service.command.text if service.command else ""
    return any(is_cluster_image(image) for image in service.images) or bool(_CLUSTER_ENABLED.search(command))


def starts_cluster(text: str) -> bool:
    """A script that starts cluster nodes or forms a cluster (`--cluster-enabled yes`, `--cluster create`)."""
    return bool(_CLUSTER_ENABLED.search(text) or _CLUSTER_CREATE.search(text))


def checks_cluster(text: str) -> bool:
    """A command that asks the whole cluster (CLUSTER INFO's `cluster_state`, CLUSTER SLOTS,
    `--cluster check`/`create`, `redis-ci wait --cluster`), not one node."""
    return bool(_CLUSTER_CHECK.search(text))
