"""Ports on 127.0.0.1: which are free, a free base for a topology, and who holds a busy one.

A port is checked before anything starts (a server that fails to bind while another Redis
answers there would pass the gate: issue 13 item 5), and again afterwards by asking the
server that answers whether it is the one started (see gate.verify_identity).
"""

from __future__ import annotations

import random
import socket

from redis_ci.server.nodes import HOST, ports_used

PICK_ATTEMPTS = 200
TOPOLOGY_BASES = (10000, 30000)  # bus ports (+10000) and sentinels (+20000) stay below 65536


def port_free(port: int) -> bool:
    """Whether a server could listen on HOST:port now (SO_REUSEADDR, as Redis binds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def busy_ports(topology: str, base: int) -> list:
    return [port for port in ports_used(topology, base) if not port_free(port)]


def pick_base(topology: str) -> int:
    """A first port whose whole topology is free: the kernel's pick for one server, a random
    base with every port free for a cluster or sentinel set."""
    if topology == "single":
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, 0))
            return sock.getsockname()[1]
    for _ in range(PICK_ATTEMPTS):
        base = random.randrange(*TOPOLOGY_BASES)
        if not busy_ports(topology, base):
            return base
    raise OSError(f"no free ports for a {topology} between {TOPOLOGY_BASES[0]} and {TOPOLOGY_BASES[1]}")


def holder(port: int) -> str:
    """A few words on what listens on HOST:port (a Redis, something else), for the error."""
    try:
        with socket.create_connection((HOST, port), timeout=0.3) as sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError:
        return "something (it does not answer)"
    if reply.startswith(b"+PONG"):
        return "another Redis"
    if reply.startswith(b"-NOAUTH") or reply.startswith(b"-ERR") or reply.startswith(b"-DENIED"):
        return "another Redis (it wants a password)" if b"AUTH" in reply else "another Redis"
    return "something that is not a Redis we started"


def busy_message(port: int) -> str:
    return (f"port {port} on {HOST} is already in use by {holder(port)}: stop it, or pick another "
            "--port (without --port a free one is chosen)")
