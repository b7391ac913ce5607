"""Why Redis is not ready: the failure kinds, how errors map to them, and their hints.

Every way a probe attempt can fail becomes a `Failure` with a `kind` from `KINDS`.
A kind is either retryable (the server may still get there: it is starting,
loading, busy) or final (waiting cannot help: a wrong password, a missing
module), and a final failure ends the wait at once.

The kind names are a public contract (JSON `last_error.kind`, the action's
error line, the README table); add kinds, never rename them.
"""

from __future__ import annotations

import errno
import socket
import sys
from collections import namedtuple

from redis_ci.probe.redaction import printable_line
from redis_ci.probe.resp import ProtocolError, ReplyError, TlsHandshakeTimeout

# Plain named tuples and classes, not dataclasses/typing: `redis-ci wait` must start fast.
Kind = namedtuple("Kind", "name final hint actions_hint", defaults=("",))
Kind.__doc__ = """One failure kind: its name, whether waiting can still help, and the hint text.

`hint` may use `{address}` (host:port or socket path); `actions_hint`, when set,
replaces it inside GitHub Actions, where the usual causes differ."""


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "refused",
            False,
            "nothing listens at {address}: is redis-server started, on this host and port?",
            "nothing listens at {address}: in a runner job map the port (`ports: ['6379:6379']`) and use "
            "127.0.0.1; in a container job use the service label as host; check the port number",
        ),
        Kind(
            "timeout",
            False,
            "{address} did not answer in time: a firewall dropping packets, a wrong host, or a stopped server",
            "{address} did not answer in time: a wrong host or port, or a service that is not started",
        ),
        Kind(
            "dns",
            False,
            "the host name of {address} does not resolve: check the spelling",
            "the host name of {address} does not resolve: a service label resolves only inside a "
            "container job (`container:`); in a runner job use 127.0.0.1",
        ),
        Kind(
            "tls",
            False,
            "TLS handshake with {address} failed: check rediss:// / --tls, the CA (--tls-ca-cert) "
            "and the client certificate (--tls-cert/--tls-key)",
        ),
        Kind(
            "auth",
            True,
            "authentication failed: check the password (--password, REDISCLI_AUTH, the URL) and the "
            "ACL user (--username)",
        ),
        Kind("loading", False, "Redis is loading its dataset into memory; it serves when done"),
        Kind(
            "protected-mode",
            True,
            "Redis refuses non-loopback clients in protected mode: set a password (requirepass) or "
            "start it with --protected-mode no",
        ),
        Kind(
            "misconf",
            False,
            "Redis refuses writes because a background save failed: enable memory overcommit "
            "(sysctl vm.overcommit_memory=1) or disable persistence (--save '')",
        ),
        Kind(
            "readonly",
            False,
            "{address} is a read-only replica: point the URL at the master",
        ),
        Kind(
            "oom",
            False,
            "Redis is over its maxmemory and refuses writes: raise maxmemory or set an eviction policy",
        ),
        Kind(
            "busy",
            False,
            "Redis is busy (a long Lua script or function, or maxclients reached); it serves when done",
        ),
        Kind(
            "masterdown",
            False,
            "this replica lost its master and does not serve stale data: start the master",
        ),
        Kind(
            "protocol",
            False,
            "{address} does not speak RESP: another service on this port, or a TLS port (use rediss://)",
        ),
        Kind(
            "closed",
            False,
            "{address} closed the connection: a server still starting behind a port proxy, a TLS-only "
            "port (use rediss://), a TLS server that requires a client certificate (--tls-cert, "
            "--tls-key), or maxclients reached",
        ),
        Kind(
            "pubsub-undelivered",
            False,
            "a published message did not reach the subscriber: a proxy or load balancer that does not "
            "route pub/sub, or a Sentinel port",
        ),
        Kind(
            "bad-db",
            True,
            "the server has no such database: the URL's /N or --db must be below its `databases` "
            "setting (16 by default); a cluster has only database 0",
        ),
        Kind("version", True, "the server is older than --min-version: use a newer image"),
        Kind(
            "module-missing",
            True,
            "a required module is not loaded: use an image that bundles it (redis:8, "
            "redis/redis-stack-server) or load it with --loadmodule",
        ),
        Kind(
            "noperm",
            True,
            "the ACL user may not run a command or key the probe needs: grant it +ping +info +role "
            "+set +get +del +publish +subscribe (+cluster|info +cluster|shards +cluster|myid on a "
            "cluster) and ~redis-ci:* &redis-ci:*, or use --checks to skip what it may not do",
        ),
        # Topologies (--cluster, --sentinel): the hints name what usually causes each state.
        Kind(
            "not-cluster",
            True,
            "--cluster was given but the server runs without cluster support: start it with "
            "--cluster-enabled yes, or drop --cluster",
        ),
        Kind(
            "not-sentinel",
            True,
            "a --sentinel address is not a sentinel: give the sentinels' ports (26379 by default), "
            "not the data nodes'",
        ),
        Kind(
            "slots-uncovered",
            False,
            "not every hash slot has a master: the cluster is not created yet (redis-cli --cluster create "
            "... --cluster-replicas 1) or a shard has no master left",
        ),
        Kind(
            "cluster-down",
            False,
            "a node reports cluster_state:fail: a master is down and no replica has taken over yet "
            "(failover takes about cluster-node-timeout), or the nodes are still meeting",
        ),
        Kind(
            "cluster-disagree",
            False,
            "the nodes hold different slot maps: a failover or resharding is still spreading; wait, or "
            "run redis-cli --cluster check",
        ),
        Kind(
            "sentinel-disagree",
            False,
            "the sentinels name different masters: a failover is still spreading, or the --sentinel "
            "addresses belong to different sentinel groups",
        ),
        Kind(
            "no-master",
            False,
            "the sentinels know no usable master by --master-name: check the name (sentinel monitor "
            "<name> ...), or wait for the failover to finish",
        ),
        Kind(
            "no-quorum",
            False,
            "a sentinel sees too few other sentinels to authorize a failover: sentinels find each "
            "other through the master every 2 s; if it lasts, check that all run and that their "
            "announced addresses (sentinel announce-ip) reach each other",
        ),
        Kind(
            "replicas-missing",
            False,
            "fewer replicas than --replicas are connected and in sync: they are still starting or "
            "syncing, or cannot reach the master (masterauth, the announced address)",
        ),
        Kind("error", False, "Redis answered an error this probe does not know; see the message"),
    )
}


class Failure(namedtuple("Failure", "kind message final address", defaults=("",))):
    """One failed attempt: its kind, a one-line message, whether to stop waiting, and the
    address of the node that failed when it is not the target (a cluster node, the master a
    sentinel named)."""

    __slots__ = ()

    def hint(self, address: str, in_actions: bool) -> str:
        kind = KINDS[self.kind]
        text = kind.actions_hint if in_actions and kind.actions_hint else kind.hint
        return text.format(address=self.address or address)


def make_failure(kind: str, message: str, final: bool | None = None, address: str = "") -> Failure:
    """A `Failure` whose finality is its kind's unless `final` says otherwise."""
    return Failure(kind, message, KINDS[kind].final if final is None else final, address)


class ProbeFailure(Exception):
    """Raised by a check that found the server not ready; carries the `Failure`."""

    def __init__(self, kind: str, message: str, final: bool | None = None, address: str = ""):
        super().__init__(message)
        self.failure = make_failure(kind, message, final, address)


def classify(exc: BaseException, address: str) -> Failure:
    """The `Failure` for anything an attempt raised: a check's verdict, an error reply,
    bytes that are not RESP, or a socket/TLS/DNS error."""
    if isinstance(exc, ProbeFailure):
        return exc.failure
    if isinstance(exc, ReplyError):
        return from_error_reply(exc.text).failure
    if isinstance(exc, ProtocolError):
        return make_failure("protocol", f"{address} does not speak RESP: {exc}")
    return from_os_error(exc, address).failure


# Error reply prefix (first word of `-ERR ...`) -> kind.
REPLY_KINDS = {
    "LOADING": "loading",
    "NOAUTH": "auth",
    "WRONGPASS": "auth",
    "NOPERM": "noperm",
    "DENIED": "protected-mode",
    "MISCONF": "misconf",
    "READONLY": "readonly",
    "OOM": "oom",
    "BUSY": "busy",
    "MASTERDOWN": "masterdown",
}


def from_error_reply(text: str) -> ProbeFailure:
    """Classify a RESP error reply such as `LOADING Redis is loading the dataset in memory`."""
    prefix = text.split(" ", 1)[0]
    kind = REPLY_KINDS.get(prefix)
    if kind is None:
        lowered = text.lower()
        if "max number of clients" in lowered:
            kind = "busy"
        elif "without any password configured" in lowered or "invalid password" in lowered:
            kind = "auth"  # AUTH sent to a server that has no password, or an old server's wording
        else:
            kind = "error"
    return ProbeFailure(kind, f"server replied: {one_line(text)}")


_REFUSED_ERRNOS = {errno.ECONNREFUSED, errno.ENOENT, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL}
_CLOSED_ERRNOS = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED, errno.ESHUTDOWN}


def from_os_error(exc: BaseException, address: str) -> ProbeFailure:
    """Classify a socket or TLS exception raised while talking to `address`."""
    ssl = sys.modules.get("ssl")  # imported only for TLS targets (it costs 10 ms of start-up)
    if ssl is not None and isinstance(exc, ssl.SSLError):
        return from_tls_error(exc, address, ssl)
    if isinstance(exc, socket.gaierror):
        return ProbeFailure("dns", f"cannot resolve {address}: {exc.strerror}")
    if isinstance(exc, TlsHandshakeTimeout):
        return ProbeFailure("tls", f"{address} did not answer the TLS handshake: is it a plain-text (non-TLS) port?")
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return ProbeFailure("timeout", f"{address} did not answer in time")
    if isinstance(exc, OSError) and exc.errno in _REFUSED_ERRNOS:
        return ProbeFailure("refused", f"cannot connect to {address}: {exc.strerror}")
    if isinstance(exc, OSError) and exc.errno in _CLOSED_ERRNOS:
        return ProbeFailure("closed", f"{address} closed the connection ({exc.strerror})")
    return ProbeFailure("closed", f"connection to {address} failed: {one_line(str(exc))}")


def from_tls_error(exc: BaseException, address: str, ssl) -> ProbeFailure:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ProbeFailure("tls", f"certificate of {address} not accepted: {exc.verify_message}", final=True)
    if isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return ProbeFailure("closed", f"{address} closed the connection during the TLS handshake")
    reason = exc.reason or str(exc)
    # A plain-text server answering our ClientHello: waiting will not make it speak TLS.
    final = reason == "WRONG_VERSION_NUMBER"
    if final:
        detail = "the server does not speak TLS on this port"
    elif "CERTIFICATE_REQUIRED" in reason:  # TLS 1.3 servers send this alert after the handshake
        detail = f"{reason}: the server requires a client certificate (--tls-cert, --tls-key)"
    else:
        detail = reason
    return ProbeFailure("tls", f"TLS with {address} failed: {detail}", final=final)


def one_line(text: str, limit: int = 200) -> str:
    """Collapse a server-provided text to one printable line of bounded length (redacted
    before: the RESP client redacts replies as it reads them)."""
    flat = printable_line(text)
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
