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

# Bounds that keep a misbehaving peer from making us buffer without end.
MAX_LINE_BYTES = 64 * 1024
MAX_BULK_BYTES = 64 * 1024 * 1024
MAX_ARRAY_ITEMS = 1024 * 1024
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
    """One socket to Redis (TCP, TLS or Unix) that speaks RESP2 against deadlines."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = bytearray()

    @classmethod
    def open(
        cls,
        deadline: Deadline,
        host: str = "",
        port: int = 0,
        unix_path: str = "",
        tls=None,
        server_hostname: str = "",
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
        return cls(sock)

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

    def call(self, deadline: Deadline, *args) -> object:
        """Send one command and return its reply; an error reply raises `ReplyError`."""
        self.send(deadline, *args)
        return self.read_reply(deadline)

    def read_reply(self, deadline: Deadline) -> object:
        reply = self._read_value(deadline)
        if isinstance(reply, ReplyError):
            raise reply
        return reply

    def _read_value(self, deadline: Deadline):
        line = self._read_line(deadline)
        marker, rest = line[:1], bytes(line[1:])
        if marker == b"+":
            return rest.decode("utf-8", "replace")
        if marker == b"-":
            return ReplyError(rest.decode("utf-8", "replace"))
        if marker == b":":
            return self._parse_int(rest)
        if marker == b"$":
            size = self._parse_length(rest, MAX_BULK_BYTES)
            if size == -1:
                return None
            data = self._read_exact(size + 2, deadline)
            if data[-2:] != b"\r\n":
                raise ProtocolError("bulk string not terminated by CRLF")
            return bytes(data[:-2])
        if marker == b"*":
            count = self._parse_length(rest, MAX_ARRAY_ITEMS)
            return None if count == -1 else [self._read_value(deadline) for _ in range(count)]
        raise ProtocolError(f"not a RESP reply: {bytes(line[:32])!r}")

    @classmethod
    def _parse_length(cls, text: bytes, limit: int) -> int:
        """A bulk or array length: -1 (nil) up to `limit`."""
        length = cls._parse_int(text)
        if not -1 <= length <= limit:
            raise ProtocolError(f"length {length} out of range")
        return length

    @staticmethod
    def _parse_int(text: bytes) -> int:
        try:
            return int(text)
        except ValueError:
            raise ProtocolError(f"not a RESP integer: {text[:32]!r}") from None

    def _fill(self, deadline: Deadline) -> None:
        self.sock.settimeout(deadline.budget())
        chunk = self.sock.recv(RECV_BYTES)
        if not chunk:
            raise ConnectionResetError(errno.ECONNRESET, "the server closed the connection")
        self.buffer += chunk

    def _read_line(self, deadline: Deadline) -> bytearray:
        while True:
            end = self.buffer.find(b"\r\n")
            if end >= 0:
                line = self.buffer[:end]
                del self.buffer[: end + 2]
                return line
            if len(self.buffer) > MAX_LINE_BYTES:
                raise ProtocolError(f"no line end in {MAX_LINE_BYTES} bytes: {bytes(self.buffer[:32])!r}")
            if self.buffer and self.buffer[:1] not in (b"+", b"-", b":", b"$", b"*"):
                raise ProtocolError(f"not a RESP reply: {bytes(self.buffer[:32])!r}")
            self._fill(deadline)

    def _read_exact(self, size: int, deadline: Deadline) -> bytearray:
        while len(self.buffer) < size:
            self._fill(deadline)
        data = self.buffer[:size]
        del self.buffer[:size]
        return data
