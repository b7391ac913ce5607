"""The RESP2 client against a real server (reply types) and scripted peers (deadlines)."""

from __future__ import annotations

import socket
import time

import pytest

import fault_servers
from redis_ci.probe.resp import Connection, Deadline, ProtocolError, ReplyError, encode_command


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
    assert connection.call(deadline, "GET", "resp-test:big") == value
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
