"""A service's `ports:` entries: host port, container port, address and protocol."""

from __future__ import annotations

from redis_ci.lint.model.records import Record
from redis_ci.lint.model.value import Value
from redis_ci.lint.patterns import lazy_compile


class ServicePort(Record):
    """One `ports:` entry. host is None when Docker picks a free host port (`- 6379`,
    `6379/tcp`, `127.0.0.1::6379`); host and container are both None when the entry is
    an expression. A range (`7000-7002:7000-7002`) gives one ServicePort per port.
    Immutable by convention (it is hashed)."""

    __slots__ = _fields = ("host", "container", "host_ip", "protocol", "value")
    __hash__ = Record.hash_fields

    def __init__(self, host: int | None, container: int | None, host_ip: str | None, protocol: str, value: Value):
        self.host = host
        self.container = container
        self.host_ip = host_ip
        self.protocol = protocol
        self.value = value

    @property
    def is_random_host_port(self) -> bool:
        return self.host is None and self.container is not None


_PORT_ENTRY = lazy_compile(
    r"^(?:(?P<ip>\[[0-9a-fA-F:.]+\]|\d+\.\d+\.\d+\.\d+|localhost):)?"
    r"(?:(?P<host>\d+(?:-\d+)?)?:)?(?P<container>\d+(?:-\d+)?)(?:/(?P<proto>tcp|udp|sctp))?$"
)


def _port_range(text: str | None) -> list:
    if not text:
        return []
    low, _, high = text.partition("-")
    return list(range(int(low), int(high or low) + 1))[:100]


def parse_service_port(value: Value) -> list[ServicePort]:
    """One `ports:` entry -> ServicePorts (`6379`, `6379:6379`, `6379/tcp`,
    `127.0.0.1:6380:6379`, ranges). Expressions and unparsable text give one ServicePort
    with host and container None."""
    text = value.text.strip()
    host, colon, container = text.partition(":")
    # the common `6379:6379` and `6379` without the pattern (isdecimal: what its \d matches)
    if host.isdecimal() and (container.isdecimal() or not colon):
        if not colon:
            return [ServicePort(None, int(host), None, "tcp", value)]
        return [ServicePort(int(host), int(container), None, "tcp", value)]
    match = _PORT_ENTRY.match(text) if "${{" not in text else None
    if match is None:
        return [ServicePort(None, None, None, "tcp", value)]
    containers = _port_range(match.group("container"))
    hosts = _port_range(match.group("host")) or [None] * len(containers)
    ip = match.group("ip")
    return [
        ServicePort(host, container, ip.strip("[]") if ip else None, match.group("proto") or "tcp", value)
        for host, container in zip(hosts, containers)
    ]
