"""One probe attempt's connections (`Session`) and what INFO says (`parse_info`, `ServerInfo`).

The bottom of the probe's checks: `checks`, `cluster` and `sentinel` all stand on
it, and it imports only `resp`, `failures` and `redaction` (no cycles). Standard library only.
"""

from __future__ import annotations

import os
from collections import namedtuple

from redis_ci.probe.failures import ProbeFailure
from redis_ci.probe.redaction import Redactor
from redis_ci.probe.resp import LARGE_REPLY_BYTES, Connection, Deadline, ReplyError

# Keys the rw check writes expire even if the DEL never runs.
RW_KEY_TTL_MS = 10_000
KEY_PREFIX = "redis-ci:wait:"

Requirements = namedtuple("Requirements", "min_version modules topology", defaults=(None, (), None))
Requirements.__doc__ = """What the server must offer besides answering: `min_version` (a tuple such
as (7, 2), or None), `modules` (lower-case module names from --module) and `topology` (the
options of --cluster or --sentinel: cluster.ClusterOptions, sentinel.SentinelOptions, or None)."""

ServerInfo = namedtuple("ServerInfo", "name version mode role")
ServerInfo.__doc__ = """What INFO says about the server: product name (Redis, Valkey), version,
mode (standalone, cluster, sentinel) and role (master, slave, sentinel)."""


class Session:
    """One attempt's connections to the target. Checks share the main connection,
    open more with `connect()`, and read INFO once through `info()`; the poll loop
    closes everything when the attempt ends."""

    def __init__(self, target, tls_context, deadline: Deadline, requirements: Requirements, redactor=None):
        self.target = target
        # Every password of the wait (the data nodes', the sentinels'), redacted from replies as read.
        self.redactor = redactor if redactor is not None else Redactor((target.password,))
        self.tls_context = tls_context
        self.deadline = deadline
        self.requirements = requirements
        self._connections: list = []
        self._main: Connection | None = None
        self._info: dict | None = None
        # What a topology check (cluster, sentinel) found: a verdict with `as_json()` and
        # `summary()` for the report, and for a cluster `write_check()` for `rw`.
        self.topology = None

    def retarget(self, host: str, port: int) -> None:
        """Point the later checks at another node (the master the sentinels name)."""
        self.target = self.target._replace(host=host, port=port, unix_path="")
        self._main = None
        self._info = None

    def connect(self, host: str = "", port: int = 0) -> Connection:
        """A new connection, authenticated and on the target's database; to the target
        unless `host`/`port` name another node."""
        target = self.target
        connection = Connection.open(
            self.deadline,
            host=host or target.host,
            port=port or target.port,
            unix_path="" if host else target.unix_path,
            tls=self.tls_context,
            server_hostname=host or target.host,
            redact=self.redactor.data if self.redactor else None,
        )
        self._connections.append(connection)
        if target.password:
            credentials = (target.username, target.password) if target.username else (target.password,)
            connection.call(self.deadline, "AUTH", *credentials)
        if target.db:
            try:
                connection.call(self.deadline, "SELECT", target.db)
            except ReplyError as exc:  # out of range, or a cluster: waiting cannot cure it
                if not exc.text.startswith(("ERR DB index", "ERR invalid DB", "ERR SELECT is not allowed")):
                    raise
                raise ProbeFailure("bad-db", f"SELECT {target.db}: server replied: {exc.text[:200]}") from None
        return connection

    def shown(self, value) -> str:
        """A reply value for a message: redacted, quoted, short."""
        return self.redactor.shown(value)

    @property
    def main(self) -> Connection:
        if self._main is None:
            self._main = self.connect()
        return self._main

    def info(self) -> dict:
        """INFO (default sections) as a dict of strings, read once per attempt."""
        if self._info is None:
            text = self.main.call(self.deadline, "INFO", limit=LARGE_REPLY_BYTES)
            self._info = parse_info(text.decode("utf-8", "replace") if isinstance(text, bytes) else "")
        return self._info

    def server_info(self) -> ServerInfo:
        info = self.info()
        name = "Valkey" if info.get("server_name") == "valkey" else "Redis"
        version = info.get("valkey_version") or info.get("redis_version", "")
        mode = info.get("redis_mode") or info.get("server_mode") or "standalone"
        role = "sentinel" if mode == "sentinel" else info.get("role", "")
        return ServerInfo(name, version, mode, role)

    def close(self) -> None:
        for connection in self._connections:
            connection.close()


def parse_info(text: str) -> dict:
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and not line.startswith("#"):
            fields[key.strip()] = value.strip()
    return fields


def nonce() -> str:
    """A random token for the keys and channels a check uses."""
    return os.urandom(8).hex()
