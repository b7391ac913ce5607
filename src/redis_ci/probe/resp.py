"""A small RESP2 client that never outlives a deadline.

Every blocking step (DNS, connect, TLS handshake, each recv and send) gets
only the time left until the deadline, so a peer that trickles one byte a
second, or a resolver that hangs, cannot hold the probe past it.
Standard library only: the action runs this with the runner's bare python3.
"""

from __future__ import annotations

import errno
import socket
import threading
import time

# Bounds that keep a misbehaving peer from making us buffer, recurse or print without end.
MAX_LINE_BYTES = 64 * 1024  # any one line (+OK, -ERR ..., a length header), enforced while reading
MAX_NESTING = 16  # arrays within arrays; CLUSTER SHARDS, the deepest reply we read, nests 4
# What one reply may total (lines and bulk data together): the probe reads in full only replies
# it needs; anything else (an odd PING reply, a GET of our own token) is cut at a few KiB.
SMALL_REPLY_BYTES = 4 * 1024
LARGE_REPLY_BYTES = 4 * 1024 * 1024  # INFO, CLUSTER SHARDS/SLOTS, MODULE LIST, SENTINEL MASTER, ROLE
RECV_BYTES = 64 * 1024


class Deadline:
    """A point on the monotonic clock; `remaining()` is what any step may still spend,
    `started` when the wait it bounds began."""

    def __init__(self, seconds: float, at: float | None = None, started: float | None = None):
        self.started = time.monotonic() if started is None else started
        self.at = self.started + seconds if at is None else at

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def sooner(self, seconds: float) -> "Deadline":
        """This deadline or `seconds` from now, whichever comes first."""
        return Deadline(0, at=min(self.at, time.monotonic() + seconds), started=self.started)

    def budget(self) -> float:
        """The remaining time, or a timeout error when none is left (for socket timeouts)."""
        left = self.remaining()
        if left <= 0:
            raise socket.timeout("deadline reached")
        return left


class ReplyError(Exception):
    """The server answered a RESP error (`-LOADING ...`); `text` is the line without the dash."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


class ProtocolError(Exception):
    """The peer sent bytes that are not RESP2."""


class TlsHandshakeTimeout(socket.timeout):
    """No answer to the TLS handshake in time: typically a plain-text port, which waits
    for a command line and never answers a ClientHello."""


def resolve(host: str, port: int, deadline: Deadline) -> list:
    """getaddrinfo bounded by the deadline (a hanging resolver cannot be interrupted, so
    the lookup runs in a daemon thread that we stop waiting for)."""
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        pass  # a name, not an address: look it up below
    outcome: dict = {}

    def lookup() -> None:
        try:
            outcome["addresses"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=lookup, name="redis-ci-dns", daemon=True)
    thread.start()
    thread.join(max(deadline.remaining(), 0))
    if thread.is_alive():
        raise socket.gaierror(socket.EAI_AGAIN, "the lookup did not finish before the deadline")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["addresses"]


def encode_command(args: tuple) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class Connection:
    """One socket to Redis (TCP, TLS or Unix) that speaks RESP2 against deadlines.

    `redact(bytes) -> bytes` is applied to every simple string and error line as it is read,
    and to the bytes a protocol error quotes, before anything decodes, collapses or shortens
    them, so a password the server echoes reaches no message in any form."""

    def __init__(self, sock: socket.socket, redact=None):
        self.sock = sock
        self.buffer = bytearray()
        self.redact = redact or (lambda data: data)
        self._reply_limit = self._reply_left = 0  # bytes the reply being read may take, may still take

    @classmethod
    def open(
        cls,
        deadline: Deadline,
        host: str = "",
        port: int = 0,
        unix_path: str = "",
        tls=None,
        server_hostname: str = "",
        redact=None,
    ) -> "Connection":
        """Connect (trying every address the host resolves to) and finish the TLS handshake
        when `tls` (an `ssl.SSLContext`) is given. Replies are str (simple strings),
        bytes (bulk), int, None (nil) and lists."""
        if unix_path:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(deadline.budget())
                sock.connect(unix_path)
            except BaseException:
                sock.close()
                raise
        else:
            sock = cls._connect_tcp(host, port, deadline)
        if tls is not None:
            try:
                sock.settimeout(deadline.budget())
                sock = tls.wrap_socket(
                    sock, server_hostname=server_hostname or None, do_handshake_on_connect=False
                )
                sock.settimeout(deadline.budget())
                sock.do_handshake()  # CPython bounds the whole handshake by the socket timeout
            except socket.timeout:
                sock.close()
                raise TlsHandshakeTimeout("no answer to the TLS handshake") from None
            except BaseException:
                sock.close()
                raise
        return cls(sock, redact)

    @staticmethod
    def _connect_tcp(host: str, port: int, deadline: Deadline) -> socket.socket:
        last_error: BaseException | None = None
        for family, socktype, proto, _name, address in resolve(host, port, deadline):
            sock = socket.socket(family, socktype, proto)
            try:
                sock.settimeout(deadline.budget())
                sock.connect(address)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return sock
            except OSError as exc:
                sock.close()
                last_error = exc
                if isinstance(exc, socket.timeout):
                    break  # the deadline is spent; other addresses get no time
        raise last_error or OSError(errno.EADDRNOTAVAIL, "no address to connect to")

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, deadline: Deadline, *args) -> None:
        self.sock.settimeout(deadline.budget())
        self.sock.sendall(encode_command(args))

    def call(self, deadline: Deadline, *args, limit: int = SMALL_REPLY_BYTES) -> object:
        """Send one command and return its reply; an error reply raises `ReplyError`. A reply
        over `limit` bytes raises `ProtocolError` without being read further."""
        self.send(deadline, *args)
        return self.read_reply(deadline, limit)

    def read_reply(self, deadline: Deadline, limit: int = SMALL_REPLY_BYTES) -> object:
        self._reply_limit = self._reply_left = limit
        reply = self._read_value(deadline, 0)
        if isinstance(reply, ReplyError):
            raise reply
        return reply

    def _read_value(self, deadline: Deadline, depth: int):
        line = self._read_line(deadline)
        marker, rest = line[:1], bytes(line[1:])
        if marker == b"+":
            return self.redact(rest).decode("utf-8", "replace")
        if marker == b"-":
            return ReplyError(self.redact(rest).decode("utf-8", "replace"))
        if marker == b":":
            return self._parse_int(rest)
        if marker == b"$":
            size = self._parse_length(rest, self._reply_left - 2, "bulk string of {} bytes")
            if size == -1:
                return None
            data = self._read_exact(size + 2, deadline)
            if data[-2:] != b"\r\n":
                raise ProtocolError("bulk string not terminated by CRLF")
            return bytes(data[:-2])  # data, not a message: shown only through Redactor.shown
        if marker == b"*":
            if depth >= MAX_NESTING:
                raise ProtocolError(f"arrays nested deeper than {MAX_NESTING} levels")
            # every item takes at least 3 bytes (":0" CRLF): a count the limit cannot hold is refused now
            count = self._parse_length(rest, self._reply_left // 3, "array of {} items")
            return None if count == -1 else [self._read_value(deadline, depth + 1) for _ in range(count)]
        raise ProtocolError(f"not a RESP reply: {self.shown(line)}")

    def shown(self, data) -> str:
        """Bytes from the peer for a message: redacted first, then cut to 32 bytes."""
        return repr(self.redact(bytes(data))[:32])

    def _parse_length(self, text: bytes, limit: int, what: str) -> int:
        """A bulk or array length: -1 (nil) up to `limit` (what the reply may still take)."""
        length = self._parse_int(text)
        if length < -1:
            raise ProtocolError(f"a {what.format(length)}")
        if length > limit:
            raise ProtocolError(f"a {what.format(length)}: {self.too_long()}")
        return length

    def too_long(self) -> str:
        return f"more than the {self._reply_limit} bytes this probe reads of a reply to this command"

    @staticmethod
    def _parse_int(text: bytes) -> int:
        try:
            return int(text)
        except ValueError:
            raise ProtocolError(f"not a RESP integer: {text[:32]!r}") from None

    def _fill(self, deadline: Deadline, most: int = RECV_BYTES) -> None:
        self.sock.settimeout(deadline.budget())
        chunk = self.sock.recv(max(1, min(RECV_BYTES, most)))
        if not chunk:
            raise ConnectionResetError(errno.ECONNRESET, "the server closed the connection")
        self.buffer += chunk

    def _read_line(self, deadline: Deadline) -> bytearray:
        """One line without its CRLF; never buffers more than the line limit (or what the
        reply may still take) plus the CRLF, however the peer's bytes arrive."""
        limit = min(MAX_LINE_BYTES, self._reply_left)
        while True:
            end = self.buffer.find(b"\r\n", 0, limit + 2)
            if end >= 0:
                line = self.buffer[:end]
                del self.buffer[: end + 2]
                self._reply_left -= end + 2
                return line
            if len(self.buffer) >= limit + 2:
                why = f"no line end in {limit} bytes" if limit == MAX_LINE_BYTES else self.too_long()
                raise ProtocolError(f"{why}: {self.shown(self.buffer)}")
            if self.buffer and self.buffer[:1] not in (b"+", b"-", b":", b"$", b"*"):
                raise ProtocolError(f"not a RESP reply: {self.shown(self.buffer)}")
            self._fill(deadline, limit + 2 - len(self.buffer))

    def _read_exact(self, size: int, deadline: Deadline) -> bytearray:
        while len(self.buffer) < size:
            self._fill(deadline, size - len(self.buffer))
        data = self.buffer[:size]
        del self.buffer[:size]
        self._reply_left -= size
        return data
