"""Nodes as Docker containers of one image.

Each container is created, gets its config file (and the TLS files) copied in as a tar
archive on stdin (`docker cp -`: no password in `docker inspect`, `ps`, or a file on the
host), and then all start in one `docker start`. A single server publishes its port on
127.0.0.1 only; a cluster or sentinel set shares the host's network (every node announces
127.0.0.1, which clients on this machine reach). Every container carries the label
`io.github.redis-ci.instance=<id>`, so `stop` finds one a crash kept out of the record.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor

from redis_ci.errors import FatalError
from redis_ci.server.nodes import HOST

INSTANCE_LABEL = "io.github.redis-ci.instance"
CONTAINER_PORT = 6379
DATA_DIR = "/data"  # the official images' working directory (their entrypoint chowns it)
DOCKER_SECONDS = 120.0
INSPECT_EVERY_SECONDS = 0.5


def docker(*args, stdin: bytes | None = None, check: bool = True) -> str:
    """Run the Docker CLI; a failure is a FatalError with Docker's last words."""
    if not shutil.which("docker"):
        raise FatalError("Docker is not installed (or not on PATH): use --native, or install Docker")
    try:
        done = subprocess.run(["docker", *args], input=stdin, capture_output=True, timeout=DOCKER_SECONDS)
    except subprocess.TimeoutExpired:
        raise FatalError(f"docker {args[0]} did not finish in {DOCKER_SECONDS:g} s: is the Docker daemon stuck?") from None
    if check and done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise FatalError(f"docker {args[0]} failed: {reason[-1] if reason else f'exit {done.returncode}'}")
    return done.stdout.decode("utf-8", "replace").strip()


class DockerNodes:
    """Starts and watches the nodes of one instance as containers of `image`."""

    def __init__(self, instance, image: str, server_args: list, tls_dir: str, publish_port: int | None,
                 network: str = "", labels: tuple = (), aliases=None):
        self.instance = instance
        self.image = image
        self.server_args = server_args
        self.tls_dir = tls_dir
        self.publish_port = publish_port  # a single server on loopback: its host port
        self.network = network  # join this network (reached by alias) instead of the host's
        self.labels = labels
        self.aliases = aliases or {}  # node name -> its name on the network
        self.names = {}  # node name -> container name
        self._inspected_at = 0.0
        self._running = {}

    class Paths:
        """Where the nodes' files are inside the containers."""

        data_dir = DATA_DIR

        def __init__(self, instance, tls_dir: str, published: bool, host=None):
            self.prefix = f"redis-ci-{instance.id}"
            # A published port or a network reaches the server at the container's own address.
            self.bind = not published and host is None
            self.host = host or (lambda name: HOST)
            tls = f"{DATA_DIR}/{self.prefix}-tls"
            self.tls = (f"{tls}/ca.crt", f"{tls}/redis.crt", f"{tls}/redis.key") if tls_dir else None

        def config(self, name: str) -> str:
            return f"{DATA_DIR}/{self.prefix}-{name}.conf"

    def archive(self, node) -> bytes:
        """A tar of the node's config file and the TLS files, as they go under /data."""
        buffer = io.BytesIO()
        prefix = f"redis-ci-{self.instance.id}"
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            add_file(tar, node.config_path.rsplit("/", 1)[1], node.config.encode("utf-8"))
            if self.tls_dir:
                add_directory(tar, f"{prefix}-tls")
                for name in ("ca.crt", "redis.crt", "redis.key"):
                    with open(f"{self.tls_dir}/{name}", "rb") as handle:
                        add_file(tar, f"{prefix}-tls/{name}", handle.read())
        return buffer.getvalue()

    def create(self, node) -> None:
        name = f"redis-ci-{self.instance.id}-{node.name}"
        command = ["create", "--name", name, "--label", f"{INSTANCE_LABEL}={self.instance.id}"]
        for label in self.labels:
            command += ["--label", label]
        if self.network:
            command += ["--network", self.network, "--network-alias", self.aliases.get(node.name, name)]
        elif self.publish_port is None:
            command += ["--network", "host"]
        else:
            command += ["--publish", f"127.0.0.1:{self.publish_port}:{CONTAINER_PORT}"]
        words = ["--sentinel"] if node.kind == "sentinel" else self.server_args
        container = docker(*command, self.image, "redis-server", node.config_path, *words)
        self.instance.add("containers", container)
        self.names[node.name] = name
        docker("cp", "-", f"{name}:{DATA_DIR}", stdin=self.archive(node))

    def start(self, nodes) -> None:
        with ThreadPoolExecutor(max_workers=min(6, len(nodes))) as pool:  # ~0.1 s per docker call
            for future in [pool.submit(self.create, node) for node in nodes]:
                future.result()
        docker("start", *self.names.values())

    def exited(self, node) -> str:
        """Why the node's container is gone ("" while it runs), with its last log lines;
        Docker is asked at most every INSPECT_EVERY_SECONDS."""
        if time.monotonic() - self._inspected_at >= INSPECT_EVERY_SECONDS:
            self._inspected_at = time.monotonic()
            states = docker("inspect", "--format", "{{.Name}} {{.State.Running}} {{.State.ExitCode}}",
                            *self.names.values(), check=False)
            self._running = {line.split()[0].lstrip("/"): line.split()[1:] for line in states.splitlines() if line}
        state = self._running.get(self.names[node.name], ["true"])
        if state[0] == "true":
            return ""
        log = docker("logs", "--tail", "5", self.names[node.name], check=False)
        return f"container {self.names[node.name]} exited with status {state[-1]}: {' | '.join(log.splitlines()) or '(no log)'}"

    def pid(self, node):
        return None  # the process id inside a container says nothing on this host

    def address(self, node) -> str:
        """The node's IP address for CLUSTER MEET (which takes no names): on a network the
        container's own, else loopback."""
        if not self.network:
            return HOST
        return docker("inspect", "--format",
                      f'{{{{(index .NetworkSettings.Networks "{self.network}").IPAddress}}}}', self.names[node.name])


def add_file(tar, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
    tar.addfile(info, io.BytesIO(data))


def add_directory(tar, name: str) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o700, int(time.time())
    tar.addfile(info)


def remove_containers(instance_id: str, recorded: list) -> int:
    """Remove the instance's containers (recorded, or found by label) with their anonymous
    volumes; the number removed."""
    labelled = docker("ps", "-aq", "--no-trunc", "--filter", f"label={INSTANCE_LABEL}={instance_id}").split()
    containers = list(dict.fromkeys([*recorded, *labelled]))
    if containers:
        docker("rm", "-f", "-v", *containers, check=False)  # an id already gone is not an error
    return len(labelled)
