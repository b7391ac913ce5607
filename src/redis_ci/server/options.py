"""The flags `redis-ci start` and `redis-ci run` share, and the `Plan` they describe.

A `Plan` is everything needed to start an instance; nothing is started while it is
built, so every bad flag is refused before any process or container exists.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections import namedtuple

from redis_ci.recipe import IMAGE_REPOSITORY, STABLE_VERSION
from redis_ci.recipe import TOPOLOGIES as STARTED_TOPOLOGIES
from redis_ci.errors import UsageError

TOPOLOGIES = ("single",) + STARTED_TOPOLOGIES
DEFAULT_IMAGE = f"{IMAGE_REPOSITORY['redis']}:{STABLE_VERSION['redis']}"
SERVER_BINARIES = ("redis-server", "valkey-server")
TLS_FILES = ("ca.crt", "redis.crt", "redis.key")
START_TIMEOUT_SECONDS = 30
NOTHING_TO_START = (
    "no Redis server to start: install redis-server (apt-get install redis-server, brew install redis) "
    "or Docker; on Windows run this in WSL, or use Docker Desktop or Memurai"
)

Plan = namedtuple(
    "Plan",
    "backend binary image port password password_env topology tls_dir server_args timeout network labels",
)
Plan.__doc__ = """What to start: `backend` "native" (`binary` from PATH) or "docker" (`image`); `port`
the first node's port or None for a free one; `password` (from the environment variable
`password_env`) or ""; `topology` single, cluster or sentinel; `tls_dir` a directory with
ca.crt, redis.crt and redis.key, or ""; `server_args` extra server words; `timeout` seconds
for the gate; `network` a Docker network to join instead of loopback (or ""); `labels` more
KEY=VALUE labels for the containers."""


def add_arguments(parser) -> None:
    where = parser.add_argument_group("how to start it (default: native when a server is on PATH, else Docker)")
    backend = where.add_mutually_exclusive_group()
    backend.add_argument("--native", action="store_true", help="run redis-server (or valkey-server) from PATH")
    backend.add_argument("--docker", nargs="?", const=DEFAULT_IMAGE, metavar="IMAGE",
                         help=f"run a container of IMAGE (default {DEFAULT_IMAGE})")
    where.add_argument("--version", dest="server_version", metavar="X.Y",
                       help="the server version: the image tag with --docker; checked against the binary with --native")
    where.add_argument("--network", metavar="NAME", default="",
                       help="with --docker: join this Docker network, reached by name (from a container on it), "
                            "not on 127.0.0.1")
    where.add_argument("--label", action="append", default=[], metavar="KEY=VALUE",
                       help="with --docker: one more label on every container (repeatable)")
    server = parser.add_argument_group("the server")
    server.add_argument("--port", help="the (first node's) port on 127.0.0.1 (default: a free one)")
    server.add_argument("--password-env", metavar="NAME",
                        help="require the password held in environment variable NAME (never on a command line)")
    server.add_argument("--topology", choices=TOPOLOGIES, default="single",
                        help="single (default), cluster (3 masters with a replica each) or sentinel "
                             "(a master, 2 replicas, 3 sentinels watching it as mymaster)")
    server.add_argument("--tls-dir", metavar="DIR",
                        help="ca.crt, redis.crt, redis.key: TLS only, client certificates required")
    server.add_argument("--args", dest="server_args", default="", metavar="'ARGS'",
                        help="extra server arguments, shell-quoted (persistence is off unless you add --save ...)")
    parser.add_argument("--timeout", default=str(START_TIMEOUT_SECONDS), metavar="SECONDS",
                        help=f"how long it may take to serve (default {START_TIMEOUT_SECONDS})")


def which(name: str) -> str:
    """shutil.which without importing shutil (and the compression modules it loads)."""
    suffixes = os.environ.get("PATHEXT", ".EXE").split(os.pathsep) if os.name == "nt" else [""]
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        for suffix in suffixes:
            path = os.path.join(folder or ".", name + suffix)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    return ""


def find_binary() -> str:
    for name in SERVER_BINARIES:
        path = which(name)
        if path:
            return path
    return ""


def choose_backend(args) -> tuple:
    """(backend, binary, image) from --native/--docker, else what this machine has."""
    if os.name == "nt" and not args.docker:
        raise UsageError(NOTHING_TO_START.replace("no Redis server to start", "Redis does not run natively on Windows"))
    if args.docker:
        return "docker", "", docker_image(args.docker, args.server_version)
    binary = find_binary()
    if args.native:
        if not binary:
            raise UsageError("--native: neither redis-server nor valkey-server is on PATH "
                             "(apt-get install redis-server, brew install redis; or use --docker)")
        return "native", binary, ""
    if binary and not args.server_version:
        return "native", binary, ""
    if which("docker"):
        return "docker", "", docker_image(DEFAULT_IMAGE, args.server_version)
    if binary:  # --version asked and no Docker: the binary must match it
        return "native", binary, ""
    raise UsageError(NOTHING_TO_START)


def docker_image(image: str, version: str | None) -> str:
    if not version:
        return image
    repository = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    return f"{repository}:{version}"


def binary_version(binary: str) -> str:
    """`7.0.15` from `redis-server --version` (`Redis server v=7.0.15 sha=...`)."""
    try:
        text = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise UsageError(f"cannot run {binary} --version: {exc}") from None
    for word in text.split():
        if word.startswith("v="):
            return word[2:]
    return ""


def check_native_version(binary: str, wanted: str) -> None:
    found = binary_version(binary)
    if found != wanted and not found.startswith(wanted + "."):
        raise UsageError(f"--version {wanted}: {binary} is version {found or 'unknown'} "
                         "(use --docker for another version)")


def parse_port(text: str | None, topology: str) -> int | None:
    if text is None:
        return None
    from redis_ci.probe.target import parse_port as parse_tcp_port

    port = parse_tcp_port(text)
    from redis_ci.server.nodes import ports_used

    highest = 65535 - (max(ports_used(topology, 0)) if topology != "single" else 0)
    if port > highest:
        raise UsageError(f"--port {port}: a {topology} needs ports up to {port} plus its offsets: use at most {highest}")
    return port


def read_password(name: str | None, environ=os.environ) -> str:
    if name is None:
        return ""
    if not name or "=" in name:
        raise UsageError(f"bad --password-env {name!r}: expected the name of an environment variable")
    password = environ.get(name, "")
    if not password:
        raise UsageError(f"--password-env {name}: the variable is not set or empty")
    if "\n" in password or "\r" in password or "\0" in password:
        raise UsageError(f"--password-env {name}: a server password cannot contain a line break or NUL")
    return password


def check_tls_dir(directory: str | None) -> str:
    if not directory:
        return ""
    directory = os.path.abspath(directory)
    missing = [name for name in TLS_FILES if not os.path.isfile(os.path.join(directory, name))]
    if missing:
        raise UsageError(f"--tls-dir {directory}: {', '.join(missing)} missing (needs {', '.join(TLS_FILES)})")
    return directory


def split_server_args(text: str) -> list:
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise UsageError(f"bad --args: {exc}") from None


def build_plan(args, environ=os.environ) -> Plan:
    from redis_ci.probe.command import parse_timeout

    timeout = parse_timeout(args.timeout)
    port = parse_port(args.port, args.topology)
    password = read_password(args.password_env, environ)
    tls_dir = check_tls_dir(args.tls_dir)
    server_args = split_server_args(args.server_args)
    backend, binary, image = choose_backend(args)
    if backend == "native" and args.server_version:
        check_native_version(binary, args.server_version)
    if backend == "native" and (args.network or args.label):
        raise UsageError("--network and --label apply to --docker")
    if any("=" not in label or label.startswith("=") for label in args.label):
        raise UsageError(f"bad --label: expected KEY=VALUE, as in {args.label}")
    return Plan(backend, binary, image, port, password, args.password_env or "", args.topology, tls_dir,
                server_args, timeout, args.network, tuple(args.label))
