"""Replay the runner's "Initialize containers" on the real Docker daemon, then run clients as the job.

Follows actions/runner `src/Runner.Worker/ContainerOperationProvider.cs` (`StartContainersAsync`,
`StartContainerAsync`, `RunContainersHealthcheck`, `ContainerHealthcheck`, `StopContainersAsync`)
with the argument strings of `runner.containers` (DockerCommandManager.cs), each split into words
by .NET's rules (`runner.arguments`) exactly as the runner's `docker` child receives them:

1. `docker network create --label <label> <network>`;
2. per container, job container first: `docker create ...` (a non-zero exit fails the job with
   "Exit code N returned from process: file name '<docker>', arguments '<arguments>'."),
   `docker start`, a `docker ps` check that it runs (a warning, not a failure), `docker port`;
3. per service, in order: inspect `{{if .Config.Healthcheck}}{{print .State.Health.Status}}{{end}}`
   (empty: no health check, not waited for), and while `starting` wait the runner's back-off
   (`runner.hold`, seedable) and inspect again; every service not `healthy` prints
   "Service container <label> failed." and its `docker logs --details`, an error
   "Failed to initialize container <image>", then the job fails with
   "One or more containers failed to start.";
4. the caller runs the job's clients (`run_in_job`): on the host for a runner job (mapped ports
   on 127.0.0.1), or `docker exec` in the job container for a container job (label aliases);
5. `close()` removes every container and the network it created, also after a failure.

Two departures, both for a shared test machine and both off by default: `host_ports` maps a
fixed host port (`6379:6379`) to a free one so replays and other servers do not collide (the
mapping's shape is kept), and `images` substitutes a local stand-in for an image. Where the
runner waits forever, the replay gives up after `give_up_after` seconds with its own message.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

from redis_ci.runner import containers as spec
from redis_ci.runner import hold
from redis_ci.runner.arguments import split_arguments

HEALTH_FORMAT = '--format="{{if .Config.Healthcheck}}{{print .State.Health.Status}}{{end}}"'
_PORT_LINE = re.compile(r"^(?P<target>\d+)/(?P<proto>\w+) -> (?P<host>.+):(?P<host_port>\d+)$")
DOCKER_TIMEOUT = 120.0  # seconds for one docker command (a create on a loaded 2-core machine)


class ReplayError(Exception):
    """The job failed where the runner fails it; `str()` is the runner's own message."""


class ContainerCreateFailed(ReplayError):
    """`docker create` exited non-zero: the runner's ProcessExitCodeException."""

    def __init__(self, message: str, exit_code: int, stderr: str):
        super().__init__(message)
        self.exit_code = exit_code
        self.stderr = stderr


class ServicesFailed(ReplayError):
    """One or more services ended anything but `healthy`."""

    def __init__(self, message: str, failed: list[str]):
        super().__init__(message)
        self.failed = failed


@dataclass
class Service:
    """`job.services.<label>` as the runner fills it: id, network, container port -> host port."""

    label: str
    id: str
    network: str
    ports: dict[str, str] = field(default_factory=dict)
    health: str = ""


@dataclass
class Inspection:
    label: str
    at: float  # seconds after the containers started
    status: str


class JobReplay:
    """One job's containers on real Docker, as the runner starts them. Use as a context manager."""

    def __init__(
        self,
        job: dict,
        *,
        prefix: str = "rcrunner",
        rng: random.Random | None = None,
        host_ports: Callable[[str], str] | None = None,
        images: dict[str, str] | None = None,
        give_up_after: float = 300.0,
        docker: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.containers = spec.job_containers(job)
        self.prefix = prefix
        self.rng = rng if rng is not None else random.Random()
        self.host_ports = host_ports
        self.images = images or {}
        self.give_up_after = give_up_after
        self.docker = docker or shutil.which("docker") or "docker"
        self.sleep = sleep
        self.instance_label = f"{prefix}-{uuid.uuid4().hex[:6]}"
        self.network = f"{prefix}_github_network_{uuid.uuid4().hex}"
        self.log: list[str] = []  # what the runner would print, in order
        self.create_arguments: list[str] = []  # each `docker create` string, as run
        self.services: dict[str, Service] = {}
        self.job_container_id = ""
        self.inspections: list[Inspection] = []
        self.started_at = self.containers_started_at = self.ready_at = 0.0
        self._created: list[str] = []
        self._network_created = False
        self._work = ""

    # --- docker -----------------------------------------------------------------------------
    def _docker(self, arguments: str, check: bool = False) -> subprocess.CompletedProcess:
        """Run `docker <arguments>` split as .NET splits it; log it like `context.Command`."""
        self.log.append(f"[command]{self.docker} {arguments}")
        result = subprocess.run(
            [self.docker, *split_arguments(arguments)],
            capture_output=True, text=True, timeout=DOCKER_TIMEOUT, stdin=subprocess.DEVNULL,
        )
        self.log.extend(line for line in (result.stdout + result.stderr).splitlines() if line)
        if check and result.returncode != 0:
            raise ContainerCreateFailed(
                f"Exit code {result.returncode} returned from process: file name '{self.docker}', "
                f"arguments '{arguments}'.",
                result.returncode,
                result.stderr,
            )
        return result

    # --- start ------------------------------------------------------------------------------
    def __enter__(self) -> JobReplay:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def start(self) -> None:
        self.started_at = time.monotonic()
        self.log.append("##[group]Create local container network")
        result = self._docker(spec.network_create_arguments(self.network, self.instance_label))
        if result.returncode != 0:
            raise ReplayError(f"Docker network create failed with exit code {result.returncode}")
        self._network_created = True
        self.log.append("##[endgroup]")
        for container in self.containers:
            self._start_container(container)
        self.containers_started_at = time.monotonic()
        self._wait_for_services()
        self.ready_at = time.monotonic()

    def _start_container(self, container: spec.Container) -> None:
        group = "Starting job container" if container.is_job_container else f"Starting {container.alias} service container"
        self.log.append(f"##[group]{group}")
        if container.is_job_container:
            spec.prepare_job_container(container, self._workspace_inside(), self._runner_mounts())
        if self.host_ports is not None:
            container.ports = [self._remap(port) for port in container.ports]
        container.image = self.images.get(container.image, container.image)
        name = spec.container_name(container, f"{self.prefix}{uuid.uuid4().hex[:24]}")
        arguments = spec.create_arguments(container, name, self.instance_label, self.network)
        self.create_arguments.append(arguments)
        container_id = self._docker(arguments, check=True).stdout.strip().splitlines()[0]
        self._created.append(container_id)
        result = self._docker(f"start {container_id}")
        if result.returncode != 0:
            raise ReplayError(f"Docker start fail with exit code {result.returncode}")
        running = self._docker(
            f'ps --all --filter id={container_id} --filter status=running --no-trunc --format "{{{{.ID}}}} {{{{.Status}}}}"'
        ).stdout
        if not running.startswith(container_id):
            self._docker(f"logs --details {container_id}")
            self.log.append(f"##[warning]Docker container {container_id} is not in running state.")
        if container.is_job_container:
            self.job_container_id = container_id
        else:
            service = Service(container.alias, container_id, self.network)
            for line in self._docker(f"port {container_id}").stdout.splitlines():
                match = _PORT_LINE.match(line)
                if match:
                    service.ports[match["target"]] = match["host_port"]
            self.services[container.alias] = service
        self.log.append("##[endgroup]")

    def _remap(self, port: str) -> str:
        """`6379:6379` -> `<free>:6379` (and `IP:H:C`); a bare `6379` keeps its random host port."""
        parts = port.split(":")
        if len(parts) < 2 or not parts[-2]:
            return port
        parts[-2] = self.host_ports(parts[-2])
        return ":".join(parts)

    def _wait_for_services(self) -> None:
        self.log.append("##[group]Waiting for all services to be ready")
        failed = []
        for container in self.containers:
            if container.is_job_container:
                continue
            service = self.services[container.alias]
            service.health = self._health_wait(service)
            if service.health in ("", "healthy"):
                self.log.append(f"{service.label} service is healthy.")
            else:
                failed.append(container)
        self.log.append("##[endgroup]")
        for container in failed:
            self.log.append(f"##[group]Service container {container.alias} failed.")
            self._docker(f"logs --details {self.services[container.alias].id}")
            self.log.append(f"##[error]Failed to initialize container {container.image}")
            self.log.append("##[endgroup]")
        if failed:
            raise ServicesFailed("One or more containers failed to start.", [c.alias for c in failed])

    def _inspect(self, service: Service) -> str:
        lines = self._docker(f"inspect {HEALTH_FORMAT} {service.id}").stdout.splitlines()
        status = next((line for line in lines if line), "")
        self.inspections.append(Inspection(service.label, time.monotonic() - self.containers_started_at, status))
        return status

    def _health_wait(self, service: Service) -> str:
        status = self._inspect(service)
        if not status:
            return ""  # no HEALTHCHECK: the runner does not wait
        for wait in hold.waits(self.rng):
            if status.lower() != "starting":
                return status
            if time.monotonic() + wait - self.containers_started_at > self.give_up_after:
                raise ReplayError(
                    f"replay gave up on service {service.label} after {self.give_up_after:g} s "
                    "(the runner itself has no timeout and would wait on)"
                )
            self.log.append(f"{service.label} service is starting, waiting {int(wait)} seconds before checking again.")
            self.sleep(wait)
            status = self._inspect(service)
        return status

    # --- the job's steps --------------------------------------------------------------------
    @property
    def is_container_job(self) -> bool:
        return any(container.is_job_container for container in self.containers)

    @property
    def workspace(self) -> str:
        """The workspace on the host (the job container sees it at `workspace_inside`)."""
        return os.path.join(self._work_root(), "repo", "repo")

    def _workspace_inside(self) -> str:
        return "/__w/repo/repo"

    def _work_root(self) -> str:
        if not self._work:
            self._work = tempfile.mkdtemp(prefix=f"{self.prefix}-work-")
            for part in ("repo/repo", "_temp/_github_home", "_temp/_github_workflow", "_actions", "_tool", "externals"):
                os.makedirs(os.path.join(self._work, part), exist_ok=True)
        return self._work

    def _runner_mounts(self) -> list[tuple[str, str, bool]]:
        """The runner's directories in the job container (ContainerOperationProvider.MountWellKnownDirectories)."""
        root = self._work_root()
        return [
            (root, "/__w", False),
            (os.path.join(root, "externals"), "/__e", True),
            (os.path.join(root, "_temp"), "/__w/_temp", False),
            (os.path.join(root, "_actions"), "/__w/_actions", False),
            (os.path.join(root, "_tool"), "/__t", False),
            (os.path.join(root, "_temp", "_github_home"), "/github/home", False),
            (os.path.join(root, "_temp", "_github_workflow"), "/github/workflow", False),
        ]

    def run_in_job(
        self, argv: list[str], env: dict[str, str] | None = None, timeout: float = 60.0
    ) -> subprocess.CompletedProcess:
        """Run one step's command where the job's steps run; `env` reaches it without a command line."""
        env = dict(env or {})
        if not self.is_container_job:
            return subprocess.run(
                argv, env={**os.environ, **env}, cwd=self.workspace, capture_output=True, text=True, timeout=timeout
            )
        names = [word for name in env for word in ("-e", name)]  # values come from our environment
        return subprocess.run(
            [self.docker, "exec", "--workdir", self._workspace_inside(), *names, self.job_container_id, *argv],
            env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout,
        )

    # --- stop -------------------------------------------------------------------------------
    def close(self) -> None:
        """Remove every container and the network this replay created (StopContainersAsync)."""
        for container_id in reversed(self._created):
            self._docker(f"rm --force {container_id}")
        self._created.clear()
        if self._network_created:
            self._docker(f"network rm {self.network}")
            self._network_created = False
        if self._work:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = ""
