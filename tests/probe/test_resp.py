"""The RESP2 client against a real server (reply types) and scripted peers (deadlines)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

import fault_servers
from redis_ci.probe.resp import LARGE_REPLY_BYTES, Connection, Deadline, ProtocolError, ReplyError, encode_command


@pytest.fixture
def connection(plain_server):
    conn = Connection.open(Deadline(5), host="127.0.0.1", port=plain_server.port)
    yield conn
    conn.close()


def test_reply_types_match_redis_py(connection, plain_server):
    deadline = Deadline(5)
    key = "resp-test:" + str(time.monotonic())
    assert connection.call(deadline, "PING") == "PONG"
    assert connection.call(deadline, "GET", key) is None
    assert connection.call(deadline, "RPUSH", key, "a", b"\x00\xff") == 2
    assert connection.call(deadline, "LRANGE", key, 0, -1) == plain_server.client().lrange(key, 0, -1)
    assert connection.call(deadline, "DEL", key) == 1
    nested = connection.call(deadline, "COMMAND", "INFO", "get")
    assert isinstance(nested, list) and nested[0][0] == b"get"


def test_error_reply_raises_with_text(connection):
    with pytest.raises(ReplyError) as caught:
        connection.call(Deadline(5), "NOSUCHCOMMAND")
    assert caught.value.text.startswith("ERR unknown command")


def test_large_bulk_reply_across_many_recvs(connection):
    deadline = Deadline(5)
    value = b"x" * 3_000_000
    connection.call(deadline, "SET", "resp-test:big", value)
    assert connection.call(deadline, "GET", "resp-test:big", limit=LARGE_REPLY_BYTES) == value
    connection.call(deadline, "DEL", "resp-test:big")


def test_encode_command():
    assert encode_command(("SET", b"k", 5)) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n5\r\n"


def test_garbage_is_protocol_error_without_waiting_for_a_line_end(fault_server):
    server = fault_server(fault_servers.trickle_garbage)
    conn = Connection.open(Deadline(5), host="127.0.0.1", port=server.port)
    started = time.monotonic()
    with pytest.raises(ProtocolError):
        conn.read_reply(Deadline(5))
    assert time.monotonic() - started < 1.5  # the first byte told us
    conn.close()


def test_trickling_peer_cannot_extend_the_deadline(fault_server):
    server = fault_server(fault_servers.trickle_pong)
    conn = Connection.open(Deadline(5), host="127.0.0.1", port=server.port)
    started = time.monotonic()
    with pytest.raises(socket.timeout):
        conn.call(Deadline(1.5), "PING")  # "+PO" arrives, a byte a second; the line never completes
    assert 1.4 < time.monotonic() - started < 1.9  # the deadline, plus scheduling on a busy machine
    conn.close()


def test_spent_deadline_fails_before_any_io(plain_server):
    with pytest.raises(socket.timeout):
        Connection.open(Deadline(0), host="127.0.0.1", port=plain_server.port)


def send_quietly(sock, data: bytes) -> None:
    try:
        sock.sendall(data)
    except OSError:
        pass  # the reader stopped reading and left


def connection_to_bytes(data: bytes, redact=None) -> Connection:
    """A Connection whose peer has already sent `data` (then stays open)."""
    ours, theirs = socket.socketpair()
    theirs.settimeout(10)
    # a thread, since more than the socket buffer holds blocks until the reader reads (or leaves)
    threading.Thread(target=send_quietly, args=(theirs, data), daemon=True).start()
    conn = Connection(ours, redact)
    conn.peer = theirs  # kept open (and referenced) until the test ends
    return conn


def test_a_line_over_the_line_limit_fails_even_when_it_arrived_whole():
    conn = connection_to_bytes(b"-ERR " + b"e" * 100_000 + b"\r\n")
    with pytest.raises(ProtocolError, match="no line end in 65536 bytes"):
        conn.read_reply(Deadline(5), limit=LARGE_REPLY_BYTES)
    assert len(conn.buffer) <= 65536 + 2  # it never buffered more than the limit


def test_nesting_is_bounded_without_the_recursion_limit():
    conn = connection_to_bytes(b"*1\r\n" * 100_000 + b":1\r\n")
    with pytest.raises(ProtocolError, match="nested deeper than 16"):
        conn.read_reply(Deadline(5), limit=LARGE_REPLY_BYTES)
    ok = connection_to_bytes(b"*1\r\n" * 16 + b":1\r\n")
    reply = ok.read_reply(Deadline(5))
    for _ in range(16):
        reply = reply[0]
    assert reply == 1


def test_a_reply_over_its_limit_is_refused_from_its_header():
    conn = connection_to_bytes(b"$60000000\r\n" + b"x" * 10_000)
    with pytest.raises(ProtocolError, match="bulk string of 60000000 bytes: more than the 4096 bytes"):
        conn.read_reply(Deadline(5))
    assert len(conn.buffer) < 10_000  # the body was not read
    many = connection_to_bytes(b"*2000\r\n" + b":1\r\n" * 2000)
    with pytest.raises(ProtocolError, match="array of 2000 items"):
        many.read_reply(Deadline(5))
    assert connection_to_bytes(b"*2000\r\n" + b":1\r\n" * 2000).read_reply(Deadline(5), limit=LARGE_REPLY_BYTES) == [1] * 2000


def test_error_and_status_lines_are_redacted_as_read():
    redact = lambda data: data.replace(b"pa ss\tword", b"***")  # noqa: E731
    conn = connection_to_bytes(b"-ERR bad pa ss\tword here\r\n+pa ss\tword\r\n", redact)
    with pytest.raises(ReplyError) as caught:
        conn.read_reply(Deadline(5))
    assert caught.value.text == "ERR bad *** here"
    assert conn.read_reply(Deadline(5)) == "***"
