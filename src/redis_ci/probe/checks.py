"""The readiness checks: one function per check, all run against one `Session`.

A check takes the attempt's `Session` and returns when the server passes; it
raises `ProbeFailure` (its own verdict), `ReplyError`, `ProtocolError` or a
socket error otherwise, and the poll loop classifies whatever it raised.

To add a check (cluster state, sentinel agreement, ...): write a function
`check_x(session)` here or in its own module, register it in `CHECKS`, and, if
users may name it in `--checks`, in `SELECTABLE`. `Session.connect(host, port)`
opens an authenticated connection to another node with the same credentials
and TLS settings, and `Session.requirements` carries the command's options.
"""

from __future__ import annotations

import socket

from redis_ci.probe.failures import ProbeFailure
from redis_ci.probe.resp import LARGE_REPLY_BYTES, ReplyError
from redis_ci.probe.session import KEY_PREFIX, RW_KEY_TTL_MS, Session, nonce

# How long a published message may take to reach the subscriber on loopback or a CI network.
PUBSUB_DELIVERY_SECONDS = 1.0


def parse_version(text: str) -> tuple:
    """`7.2.4` -> (7, 2, 4); raises ValueError on anything else."""
    parts = tuple(int(part) for part in text.strip().split("."))
    if not 1 <= len(parts) <= 3:
        raise ValueError(text)
    return parts


def check_ping(session: Session) -> None:
    """PING answered +PONG (an error reply such as -LOADING or -NOAUTH is classified)."""
    reply = session.main.call(session.deadline, "PING")
    if reply != "PONG":
        raise ProbeFailure("protocol", f"PING answered {session.shown(reply)}, not PONG")


def check_pubsub(session: Session) -> None:
    """A message with a random nonce, published on the main connection, reaches a second,
    subscribed connection."""
    token = nonce()
    channel = KEY_PREFIX + token
    subscriber = session.connect()
    subscriber.send(session.deadline, "SUBSCRIBE", channel)
    confirmation = subscriber.read_reply(session.deadline)
    if not (isinstance(confirmation, list) and confirmation[:1] == [b"subscribe"]):
        raise ProbeFailure("protocol", f"SUBSCRIBE answered {session.shown(confirmation)}")
    try:
        receivers = session.main.call(session.deadline, "PUBLISH", channel, token)
    except ReplyError as exc:
        if "Sentinel" not in exc.text:
            raise
        raise ProbeFailure(
            "pubsub-undelivered", f"{session.target.address} is a Sentinel, which relays no pub/sub: "
            "use --checks ping here, or probe the master", final=True,
        ) from None
    if receivers == 0:
        raise ProbeFailure("pubsub-undelivered", "PUBLISH reached no subscriber")
    try:
        message = subscriber.read_reply(session.deadline.sooner(PUBSUB_DELIVERY_SECONDS))
    except socket.timeout:
        raise ProbeFailure(
            "pubsub-undelivered", f"the published message did not arrive within {PUBSUB_DELIVERY_SECONDS:g} s"
        ) from None
    if message != [b"message", channel.encode(), token.encode()]:
        raise ProbeFailure("pubsub-undelivered", f"the subscriber got {session.shown(message)} instead of the message")


def check_rw(session: Session) -> None:
    """SET, GET and DEL of a random key with a short TTL (a replica, MISCONF or OOM fails here);
    on a cluster, one key on every master."""
    write_check = getattr(session.topology, "write_check", None)
    if write_check is not None:
        return write_check(session)
    token = nonce()
    key = KEY_PREFIX + token
    deadline = session.deadline
    session.main.call(deadline, "SET", key, token, "PX", RW_KEY_TTL_MS)
    value = session.main.call(deadline, "GET", key)
    if value != token.encode():
        raise ProbeFailure("error", f"GET returned {session.shown(value)} right after SET")
    session.main.call(deadline, "DEL", key)


def check_info(session: Session) -> None:
    """INFO says loading:0 (and the server is described in the report)."""
    info = session.info()
    if info.get("loading") == "1":
        percent = info.get("loading_loaded_perc", "?")
        raise ProbeFailure("loading", f"INFO says loading:1 ({percent}% loaded)")


def check_min_version(session: Session) -> None:
    """The server version is at least --min-version."""
    required = session.requirements.min_version
    server = session.server_info()
    try:
        actual = parse_version(server.version)
    except ValueError:
        raise ProbeFailure("version", f"INFO reports no usable version ({session.shown(server.version)})") from None
    if actual < required:
        wanted = ".".join(map(str, required))
        raise ProbeFailure("version", f"{server.name} {server.version} is older than the required {wanted}")


def check_module(session: Session) -> None:
    """Every --module is in MODULE LIST."""
    try:
        reply = session.main.call(session.deadline, "MODULE", "LIST", limit=LARGE_REPLY_BYTES)
    except ReplyError as exc:
        if exc.text.startswith("NOPERM"):
            raise
        raise ProbeFailure("module-missing", f"MODULE LIST failed: {exc.text}") from None
    loaded = set()
    for entry in reply or []:
        fields = dict(zip(entry[::2], entry[1::2])) if isinstance(entry, list) else {}
        name = fields.get(b"name", b"")
        loaded.add(name.decode("utf-8", "replace").lower() if isinstance(name, bytes) else "")
    missing = [name for name in session.requirements.modules if name not in loaded]
    if missing:
        have = ", ".join(sorted(loaded)) or "none"
        raise ProbeFailure("module-missing", f"module {', '.join(missing)} not loaded (loaded: {have})")


def check_cluster(session: Session) -> None:
    """Every cluster node answers and agrees (see cluster.py; imported only for --cluster)."""
    from redis_ci.probe.cluster import check_cluster as check

    check(session)


def check_sentinel(session: Session) -> None:
    """The sentinels agree on a serving master (see sentinel.py; imported only for --sentinel)."""
    from redis_ci.probe.sentinel import check_sentinel as check

    check(session)


CHECKS = {
    "cluster": check_cluster,
    "sentinel": check_sentinel,
    "ping": check_ping,
    "pubsub": check_pubsub,
    "rw": check_rw,
    "info": check_info,
    "min-version": check_min_version,
    "module": check_module,
}
# The checks users may list in --checks; min-version and module come from their own flags.
SELECTABLE = ("ping", "pubsub", "rw", "info")
