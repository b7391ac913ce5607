"""Real Docker for the replay tests: the local images, a redis-stack stand-in, free host ports.

Docker Hub is unreachable here: tests/e2e/setup.sh tags the host's redis-server 7.0 as every
image name the workflows use. Where a name is missing (a tag no e2e workflow needs), the replay
substitutes that same local image; `redis/redis-stack-server` gets a stand-in whose entrypoint
appends `REDIS_ARGS` the way redis-stack-server's does (the plain local image ignores it).
Everything created here is named `rcrunner*` and removed at the end of the session.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

LOCAL_REDIS = "redis-ci/redis-local:host"
STACK_STAND_IN = "rcrunner-redis-stack-stand-in:latest"
STACK_ENTRYPOINT = """#!/bin/sh
# Stand-in for redis/redis-stack-server's entrypoint: REDIS_ARGS split by the shell and appended.
exec redis-server --dir /data --protected-mode no --daemonize no ${REDIS_ARGS} "$@"
"""
ROOT = Path(__file__).resolve().parents[2]


def docker(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *argv], capture_output=True, text=True, timeout=120, check=check)


def image_exists(image: str) -> bool:
    return docker("image", "inspect", image, check=False).returncode == 0


def free_port(_requested: str = "") -> str:
    """A free loopback port for a fixed host-port mapping (JobReplay's `host_ports`)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def leftovers(prefix: str = "rcrunner") -> list[str]:
    """Containers and networks named `prefix*` still on the daemon."""
    names = docker("ps", "--all", "--format", "{{.Names}}").stdout.split()
    networks = docker("network", "ls", "--format", "{{.Name}}").stdout.split()
    return [name for name in names + networks if name.startswith(prefix)]


class Substitutes(dict):
    """A mapping that answers for any image: itself when present, else a local stand-in."""

    def get(self, image, default=None):
        if image.startswith("redis/redis-stack-server:"):
            return STACK_STAND_IN
        if image not in self:
            self[image] = image if image_exists(image) else LOCAL_REDIS
        return self[image]


def install_clients(workspace: str, sources) -> None:
    """Copy the client packages into the job's workspace (`lib/`), as a checkout + install would."""
    target = Path(workspace, "lib")
    for source in sources:
        shutil.copytree(source, target / source.name, ignore=shutil.ignore_patterns("__pycache__"))


def image_id(image: str) -> str:
    """What Docker runs for `image` in the replay: its local image id (a missing name: the local
    Redis image, as `Substitutes` replaces it); redis-stack: its stand-in."""
    if image.startswith("redis/redis-stack-server:"):
        return STACK_STAND_IN
    found = docker("image", "inspect", "--format", "{{.Id}}", image, check=False)
    if found.returncode != 0:
        found = docker("image", "inspect", "--format", "{{.Id}}", LOCAL_REDIS)
    return found.stdout.strip()
