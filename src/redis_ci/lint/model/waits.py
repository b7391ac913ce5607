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
    ("nc -z", None),  # _nc_waits: the pattern NC_WAIT, linear
    ("/dev/tcp", lazy_compile(r"/dev/tcp/(?P<host>[^/\s]+)/(?P<port>\d{2,5})\b")),
)
_REDIS_HOST = lazy_compile(r"redis|valkey|keydb|dragonfly", re.I)
# `nc -z host port`, as one pattern: its two runs of options (before and after `-z`) split a
# long run every way, each tried with the host after it: quadratic in the options of a line.
NC_WAIT = lazy_compile(r"\b(?:nc|ncat|netcat)\s+(?:-\w+\s+)*-\w*z\w*\s+(?:-\w+\s+)*(?P<host>[A-Za-z0-9_.-]+)\s+(?P<port>\d{2,5})\b")
_NC_OPTIONS = lazy_compile(r"\b(?:nc|ncat|netcat)\s+(?P<options>(?:-\w+\s+)*)")  # (nothing after the run: matched once, greedily)
_Z_OPTION = lazy_compile(r"-\w*z\w*\s")
_HOST_THEN_PORT = lazy_compile(r"(?P<host>[A-Za-z0-9_.-]+)\s+(?P<port>\d{2,5})\b")
_PORT = lazy_compile(r"\d{2,5}\b")
_HOST = lazy_compile(r"[A-Za-z0-9_.-]+")


def _nc_waits(text: str):
    """(start, end, host, port) of each match of NC_WAIT.finditer(text), in one pass over each
    run of options: the host is the word after the run (with a `-z` in the run) or the run's
    last option (with a `-z` before it) when a port follows the run; nothing else can be."""
    position = 0
    while (head := _NC_OPTIONS.search(text, position)) is not None:
        options_start, run_end = head.span("options")
        found = None
        after = _HOST_THEN_PORT.match(text, run_end)
        if after is not None and _Z_OPTION.search(text, options_start, run_end):
            found = (head.start(), after.end(), after.group("host"), after.group("port"))
        elif (port := _PORT.match(text, run_end)) is not None and options_start < run_end:
            last_start = text.rfind("-", options_start, run_end)  # (an option has one `-`, its first character)
            last = text[last_start:run_end].rstrip()
            if _HOST.fullmatch(last) and _Z_OPTION.search(text, options_start, last_start):
                found = (head.start(), port.end(), last, port.group(0))
        if found is None:
            position = head.start() + 1
        else:
            yield found
            position = found[1]


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
        for start, end, host, port in (_nc_waits(run.text) if pattern is None else
                                       ((match.start(), match.end(), match.group("host"), match.group("port"))
                                        for match in pattern.finditer(run.text))):
            found.append(TcpWait(tool, host.strip("[]") if host else None, int(port), run.locate(start, end)))
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
