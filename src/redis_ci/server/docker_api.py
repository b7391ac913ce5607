"""The Docker Engine API on its Unix socket: create, copy into, start, inspect, remove.

Each `docker` CLI call costs ~0.1-0.3 s (a Go binary starting, then its own API calls); the
same request on the socket costs milliseconds, so a node is created, given its files and
started in three requests. Used when Docker is reached through a Unix socket (no DOCKER_HOST,
or a unix:// one, and no DOCKER_CONTEXT); anything else, or any answer we do not expect,
falls back to the CLI (docker.py), which knows contexts, TLS and credential helpers.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
from urllib.parse import quote

DEFAULT_SOCKET = "/var/run/docker.sock"
TIMEOUT_SECONDS = 60.0


class Unavailable(Exception):
    """The API cannot be used here, or gave an answer to leave to the CLI (a missing image)."""


class ApiError(Exception):
    """The daemon refused a request; the text is its message."""


def socket_path(environ=os.environ) -> str:
    """The daemon's Unix socket, or "" when Docker is configured otherwise."""
    if environ.get("DOCKER_CONTEXT"):
        return ""
    host = environ.get("DOCKER_HOST", "")
    if not host:
        return DEFAULT_SOCKET if os.path.exists(DEFAULT_SOCKET) else ""
    return host[len("unix://"):] if host.startswith("unix://") else ""


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=TIMEOUT_SECONDS)
        self.path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT_SECONDS)
        try:
            sock.connect(self.path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class Api:
    """Requests to one daemon; one connection per request (they run in parallel threads)."""

    def __init__(self, path: str):
        self.path = path

    def request(self, method: str, url: str, body=None, content_type: str = "application/json"):
        """(status, parsed JSON or raw bytes)."""
        connection = UnixConnection(self.path)
        try:
            data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
            headers = {"Content-Type": content_type} if data is not None else {}
            connection.request(method, url, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        except OSError as exc:
            raise Unavailable(f"Docker's socket {self.path}: {exc}") from None
        finally:
            connection.close()
        if response.headers.get("Content-Type", "").startswith("application/json") and raw:
            try:
                return response.status, json.loads(raw)
            except ValueError:
                pass
        return response.status, raw

    def check(self, status: int, reply, what: str, ok=(200, 201, 204)) -> None:
        if status not in ok:
            message = reply.get("message", "") if isinstance(reply, dict) else reply.decode("utf-8", "replace")
            raise ApiError(f"docker {what} failed: {message.strip() or status}")

    def create(self, name: str, spec: dict) -> str:
        status, reply = self.request("POST", f"/containers/create?name={quote(name)}", spec)
        if status == 404:
            raise Unavailable("image not here: the CLI pulls it")
        self.check(status, reply, "create")
        return reply["Id"]

    def put_archive(self, container: str, path: str, archive: bytes) -> None:
        status, reply = self.request("PUT", f"/containers/{container}/archive?path={quote(path)}", archive,
                                     "application/x-tar")
        self.check(status, reply, "cp")

    def start(self, container: str) -> None:
        status, reply = self.request("POST", f"/containers/{container}/start")
        self.check(status, reply, "start", ok=(204, 304))

    def inspect(self, container: str) -> dict:
        status, reply = self.request("GET", f"/containers/{container}/json")
        self.check(status, reply, "inspect")
        return reply

    def pause(self, container: str) -> None:
        status, reply = self.request("POST", f"/containers/{container}/pause")
        self.check(status, reply, "pause", ok=(204, 404, 409))  # 404 gone, 409 not running or paused

    def remove(self, container: str) -> None:
        status, reply = self.request("DELETE", f"/containers/{container}?force=true&v=true")
        self.check(status, reply, "rm", ok=(204, 404))

    def labelled(self, label: str) -> list:
        filters = quote(json.dumps({"label": [label]}))
        status, reply = self.request("GET", f"/containers/json?all=true&filters={filters}")
        self.check(status, reply, "ps")
        return [item["Id"] for item in reply]


def connect(environ=os.environ):
    """An Api when the daemon answers on a Unix socket, else None (use the CLI)."""
    path = socket_path(environ)
    if not path:
        return None
    api = Api(path)
    try:
        status, _ = api.request("GET", "/_ping")
    except Unavailable:
        return None
    return api if status == 200 else None


def create_spec(image: str, command: list, labels: dict, network: str, alias: str, publish_port,
                container_port: int) -> dict:
    """The body of POST /containers/create for what `docker create` is given in docker.py."""
    host_config: dict = {}
    spec = {"Image": image, "Cmd": command, "Labels": labels, "HostConfig": host_config}
    if network:
        host_config["NetworkMode"] = network
        spec["NetworkingConfig"] = {"EndpointsConfig": {network: {"Aliases": [alias]}}}
    elif publish_port is None:
        host_config["NetworkMode"] = "host"
    else:
        key = f"{container_port}/tcp"
        spec["ExposedPorts"] = {key: {}}
        host_config["PortBindings"] = {key: [{"HostIp": "127.0.0.1", "HostPort": str(publish_port)}]}
    return spec
