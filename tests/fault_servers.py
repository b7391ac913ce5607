"""Scripted TCP servers on 127.0.0.1 that misbehave the ways real peers do.

Each `FaultServer` listens on a free loopback port and runs one behaviour per
accepted connection in a thread: never answer, answer garbage, answer `-LOADING`
for a while then `+PONG`, trickle one byte a second, close at once, greet with an
error line and close (Redis's protected-mode denial), or answer every command
with one fixed line (`-NOAUTH ...`).
"""

from __future__ import annotations

import socket
import threading
import time

PROTECTED_MODE_TEXT = (
    "-DENIED Redis is running in protected mode because protected mode is enabled and no password is "
    "set for the default user. In this mode connections are only accepted from the loopback interface.\r\n"
)


def read_command(stream) -> list:
    """One RESP command array from a client (`*N` then N bulk strings); [] at EOF."""
    header = stream.readline()
    if not header.startswith(b"*"):
        return []
    args = []
    for _ in range(int(header[1:])):
        size = int(stream.readline()[1:])
        args.append(stream.read(size + 2)[:-2])
    return args


class FaultServer:
    """A loopback listener that runs `behaviour(connection, server)` for every client."""

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.started = time.monotonic()
        self.closing = threading.Event()
        self.connections: list = []
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _accept_loop(self) -> None:
        while not self.closing.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection) -> None:
        try:
            self.behaviour(connection, self)
        except OSError:
            pass  # the client left or we are closing

    def close(self) -> None:
        self.closing.set()
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        for connection in self.connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()


def never_answer(connection, server) -> None:
    while not server.closing.wait(0.05):
        pass


def answer_garbage(connection, server) -> None:
    """An HTTP server's answer to the first command, then a clean close (the client's command
    read in full first, and its side drained, so no reset can overtake the answer)."""
    stream = connection.makefile("rb")
    read_command(stream)
    connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    connection.shutdown(socket.SHUT_WR)
    connection.settimeout(1.0)
    while connection.recv(1024):
        pass
    connection.close()


def close_at_once(connection, server) -> None:
    connection.close()


def trickle_pong(connection, server) -> None:
    """Answer each command with +PONG, one byte per second."""
    stream = connection.makefile("rb")
    while read_command(stream):
        for byte in b"+PONG\r\n":
            if server.closing.wait(1.0):
                return
            connection.sendall(bytes([byte]))


def greet_and_close(text: str):
    def behaviour(connection, server) -> None:
        connection.sendall(text.encode())
        connection.close()

    return behaviour


def answer_every_command(line: str):
    def behaviour(connection, server) -> None:
        stream = connection.makefile("rb")
        while read_command(stream):
            connection.sendall(line.encode() + b"\r\n")

    return behaviour


def loading_then_pong(seconds: float):
    """-LOADING to every command for `seconds` after the first command arrives (not after the
    server starts: on a loaded machine the client may start late), then +PONG."""
    first = []

    def behaviour(connection, server) -> None:
        stream = connection.makefile("rb")
        while read_command(stream):
            if not first:
                first.append(time.monotonic())
            if time.monotonic() - first[0] < seconds:
                connection.sendall(b"-LOADING Redis is loading the dataset in memory\r\n")
            else:
                connection.sendall(b"+PONG\r\n")

    return behaviour


def trickle_garbage(connection, server) -> None:
    """Send one byte a second without reading anything (stalls a TLS handshake or a reply)."""
    while not server.closing.wait(1.0):
        connection.sendall(b"x")


def round_robin_proxy(ports: list):
    """Forward each new connection to the next of `ports` (real Redis servers): a load
    balancer in front of independent servers, where pub/sub cannot work."""
    turn = {"next": 0}

    def behaviour(connection, server) -> None:
        port = ports[turn["next"] % len(ports)]
        turn["next"] += 1
        upstream = socket.create_connection(("127.0.0.1", port))
        server.connections.append(upstream)
        threading.Thread(target=pipe, args=(upstream, connection), daemon=True).start()
        pipe(connection, upstream)

    return behaviour


def pipe(source, destination) -> None:
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            destination.sendall(data)
    except OSError:
        pass
    for sock in (source, destination):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def answer_nested(depth: int):
    """Answer every command with an array nested `depth` deep (`*1` ... `*1` then `:1`)."""
    reply = b"*1\r\n" * depth + b":1\r\n"

    def behaviour(connection, server) -> None:
        stream = connection.makefile("rb")
        while read_command(stream):
            connection.sendall(reply)

    return behaviour


def answer_huge_bulk(size: int):
    """Answer every command with a bulk string of `size` bytes, sent as fast as the client reads."""
    chunk = b"x" * 65536

    def behaviour(connection, server) -> None:
        stream = connection.makefile("rb")
        while read_command(stream):
            connection.sendall(b"$%d\r\n" % size)
            left = size
            while left > 0 and not server.closing.is_set():
                connection.sendall(chunk[:left])
                left -= len(chunk)
            connection.sendall(b"\r\n")

    return behaviour


def echo_auth_in_error(echo):
    """Answer AUTH with `-WRONGPASS ...` that quotes `echo(password)` (a server or proxy that
    repeats what it was sent); every other command with `-NOAUTH`."""

    def behaviour(connection, server) -> None:
        stream = connection.makefile("rb")
        while True:
            command = read_command(stream)
            if not command:
                return
            if command[0].upper() == b"AUTH":
                said = echo(command[-1].decode("utf-8", "replace")).replace("\r", " ").replace("\n", " ")
                connection.sendall(f"-WRONGPASS invalid password {said} for user default\r\n".encode())
            else:
                connection.sendall(b"-NOAUTH Authentication required.\r\n")

    return behaviour


def echo_auth_in_reply(echo, marker: bytes = b"$"):
    """Answer AUTH with +OK and every later command with `echo(password)` as a bulk string
    (`marker` b"$") or a simple string (b"+"): a reply a message quotes (`PING answered ...`)."""

    def behaviour(connection, server) -> None:
        stream = connection.makefile("rb")
        said = b""
        while True:
            command = read_command(stream)
            if not command:
                return
            if command[0].upper() == b"AUTH":
                said = echo(command[-1].decode("utf-8", "replace")).encode("utf-8")
                connection.sendall(b"+OK\r\n")
            elif marker == b"$":
                connection.sendall(b"$%d\r\n%s\r\n" % (len(said), said))
            else:
                connection.sendall(b"+" + said.replace(b"\r", b" ").replace(b"\n", b" ") + b"\r\n")

    return behaviour
