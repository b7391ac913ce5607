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
from redis_ci.server import docker_api
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
        self.ids = {}  # node name -> container id
        self._inspected_at = 0.0
        self._running = {}
        self.api = docker_api.connect()  # None: the CLI for everything

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
        words = ["--sentinel"] if node.kind == "sentinel" else self.server_args
        self.names[node.name] = name
        if self.api is not None:
            labels = dict(label.split("=", 1) for label in self.labels)
            labels[INSTANCE_LABEL] = self.instance.id
            spec = docker_api.create_spec(self.image, ["redis-server", node.config_path, *words], labels, self.network,
                                          self.aliases.get(node.name, name), self.publish_port, CONTAINER_PORT)
            try:
                container = self.api.create(name, spec)
            except docker_api.Unavailable:
                pass  # the image must be pulled, or the socket went away: the CLI does it all
            except docker_api.ApiError as exc:
                raise FatalError(str(exc)) from None
            else:
                self.instance.add("containers", container)
                self.ids[node.name] = container
                try:
                    self.api.put_archive(container, DATA_DIR, self.archive(node))
                except (docker_api.ApiError, docker_api.Unavailable) as exc:
                    raise FatalError(str(exc)) from None
                return
        self.create_with_cli(node, name, words)

    def create_with_cli(self, node, name: str, words: list) -> None:
        command = ["create", "--name", name, "--label", f"{INSTANCE_LABEL}={self.instance.id}"]
        for label in self.labels:
            command += ["--label", label]
        if self.network:
            command += ["--network", self.network, "--network-alias", self.aliases.get(node.name, name)]
        elif self.publish_port is None:
            command += ["--network", "host"]
        else:
            command += ["--publish", f"127.0.0.1:{self.publish_port}:{CONTAINER_PORT}"]
        container = docker(*command, self.image, "redis-server", node.config_path, *words)
        self.instance.add("containers", container)
        self.ids[node.name] = container
        docker("cp", "-", f"{name}:{DATA_DIR}", stdin=self.archive(node))

    def start(self, nodes) -> None:
        # In parallel: a CLI call costs ~0.1 s, and Docker attaches each container to its
        # network in turn (~0.3 s apiece on a bridge).
        with ThreadPoolExecutor(max_workers=min(6, len(nodes))) as pool:
            for future in [pool.submit(self.create, node) for node in nodes]:
                future.result()
            if self.api is None:
                docker("start", *self.names.values())
                return
            for future in [pool.submit(self.start_one, container) for container in self.ids.values()]:
                future.result()

    def start_one(self, container: str) -> None:
        try:
            self.api.start(container)
        except (docker_api.ApiError, docker_api.Unavailable) as exc:
            raise FatalError(str(exc)) from None

    def exited(self, node) -> str:
        """Why the node's container is gone ("" while it runs), with its last log lines;
        Docker is asked at most every INSPECT_EVERY_SECONDS."""
        if time.monotonic() - self._inspected_at >= INSPECT_EVERY_SECONDS:
            self._inspected_at = time.monotonic()
            self._running = self.states()
        state = self._running.get(self.names[node.name], ["true"])
        if state[0] == "true":
            return ""
        log = docker("logs", "--tail", "5", self.names[node.name], check=False)
        return f"container {self.names[node.name]} exited with status {state[-1]}: {' | '.join(log.splitlines()) or '(no log)'}"

    def states(self) -> dict:
        """container name -> [running "true"/"false", exit code]."""
        if self.api is not None:
            try:
                inspected = [self.api.inspect(container) for container in self.ids.values()]
                return {item["Name"].lstrip("/"): [str(item["State"]["Running"]).lower(), str(item["State"]["ExitCode"])]
                        for item in inspected}
            except (docker_api.ApiError, docker_api.Unavailable, KeyError):
                pass
        states = docker("inspect", "--format", "{{.Name}} {{.State.Running}} {{.State.ExitCode}}",
                        *self.names.values(), check=False)
        return {line.split()[0].lstrip("/"): line.split()[1:] for line in states.splitlines() if line}

    def pid(self, node):
        return None  # the process id inside a container says nothing on this host

    def address(self, node) -> str:
        """The node's IP address for CLUSTER MEET (which takes no names): on a network the
        container's own, else loopback."""
        if not self.network:
            return HOST
        if self.api is not None:
            try:
                return self.api.inspect(self.ids[node.name])["NetworkSettings"]["Networks"][self.network]["IPAddress"]
            except (docker_api.ApiError, docker_api.Unavailable, KeyError):
                pass
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
    volumes; the number removed. All are paused (frozen) first and only then removed: a node
    still running while another is removed reconnects and looks the removed one's name up
    (replicas their master, sentinels every node; a killed one closes its connections), and
    Docker's DNS sends a name it no longer knows on to the machine's resolver. A frozen node
    closes nothing, and nothing notices within sentinel's 5 s down-after."""
    api = docker_api.connect()
    if api is not None:
        try:
            labelled = api.labelled(f"{INSTANCE_LABEL}={instance_id}")
            containers = list(reversed(dict.fromkeys([*recorded, *labelled])))
            for container in containers:
                api.pause(container)
            for container in containers:
                api.remove(container)
            return len(labelled)
        except (docker_api.ApiError, docker_api.Unavailable):
            pass  # the CLI below says why, if it fails too
    labelled = docker("ps", "-aq", "--no-trunc", "--filter", f"label={INSTANCE_LABEL}={instance_id}").split()
    containers = list(reversed(dict.fromkeys([*recorded, *labelled])))
    if containers:
        docker("pause", *containers, check=False)  # one not running (or gone) is not an error
        docker("rm", "-f", "-v", *containers, check=False)
    return len(labelled)
