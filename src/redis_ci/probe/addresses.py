"""Node addresses as (host, port) pairs: read from `--node`/`--sentinel` values, written for messages."""

from __future__ import annotations

from redis_ci.errors import UsageError
from redis_ci.probe.target import parse_port


def address_text(address: tuple) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def naming(address: tuple, message: str) -> str:
    """`message`, prefixed with the address unless it already names it."""
    where = address_text(address)
    return message if where in message else f"{where}: {message}"


def parse_addresses(values: list, flag: str) -> list:
    """`["h1:7000,h2:7001", "[::1]:7002", "redis://h3:7003"]` -> [(host, port), ...]; a URL's
    credentials and database are ignored (they come from --url); bad input is a UsageError."""
    addresses = []
    for item in (part.strip() for value in values for part in value.split(",")):
        # A URL: keep its host:port (after any user:pass@, before any /db).
        hostport = item.split("://", 1)[1].rpartition("@")[2].split("/", 1)[0] if "://" in item else item
        host, sep, port = hostport.rpartition(":")
        if not (sep and host and port):
            raise UsageError(f"bad {flag} {item!r}: expected HOST:PORT")
        addresses.append((host.strip("[]"), parse_port(port)))
    return addresses
