"""A job's `services:` and `container:` as the runner holds them, and the `docker` argument strings
it builds from them: string for string what actions/runner writes.

Sources (actions/runner):
- `src/Sdk/DTPipelines/Pipelines/ObjectTemplating/PipelineTemplateConverter.cs`
  (`ConvertToJobContainer`, `ConvertToJobServiceContainers`): a container is a string (the image)
  or a mapping of image, env, options, ports, volumes, credentials and, since v2.333.0 on
  services only, entrypoint and command; every value a plain string; a `docker://` prefix dropped.
- `src/Runner.Worker/Container/ContainerInfo.cs`: the name
  `<alias>_<image with only letters, digits and _>_<6 hex>`, ports and volumes as written.
- `src/Runner.Worker/Container/DockerCommandManager.cs` (`DockerCreate`, `DockerNetworkCreate`):
  the order `--name`, `--label`, `--workdir` (job container), `--network`, `--network-alias`
  (services), `-p` per port, `options:` pasted, `-e` per env (escaped, `DockerUtil.EscapeString`),
  `-e GITHUB_ACTIONS=true`, `-e CI=true` (unless env sets CI), `-v` per volume, `--entrypoint
  "<entrypoint>"`, the image, then `command:` pasted; all joined with single spaces.
- `src/Runner.Worker/ContainerOperationProvider.cs`: the job container gets `--entrypoint "tail"`,
  the arguments `"-f" "/dev/null"`, the workspace as workdir and the runner's directories mounted.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from redis_ci.runner.arguments import escape_like_runner

# Keys `ConvertToJobContainer` accepts; `command`/`entrypoint` only on services (v2.333.0+).
CONTAINER_KEYS = frozenset({"image", "env", "options", "ports", "volumes", "credentials"})
SERVICE_ONLY_KEYS = frozenset({"entrypoint", "command"})


class ContainerSpecError(ValueError):
    """A `services:`/`container:` value the runner itself would refuse (its message)."""


@dataclass
class Container:
    """One container of a job, as `ContainerInfo` holds it (strings exactly as the runner has them)."""

    image: str
    alias: str  # network alias: the service label; "" for the job container
    is_job_container: bool = False
    options: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    ports: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    entrypoint: str = ""
    command: str = ""
    workdir: str = ""

    @property
    def display_label(self) -> str:
        return self.alias or "job container"


def runner_string(value: object) -> str:
    """A YAML scalar as the runner's template reader turns it into a string (`true`, `6379`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise ContainerSpecError(f"a string was expected, not {type(value).__name__}")
    return str(value)


def container_from_yaml(value: object, alias: str = "", is_job_container: bool = False) -> Container:
    """`services.<alias>` (or the job's `container:`) parsed from YAML, as the runner reads it."""
    where = "container" if is_job_container else f"services.{alias}"
    allowed = CONTAINER_KEYS if is_job_container else CONTAINER_KEYS | SERVICE_ONLY_KEYS
    if isinstance(value, str):
        mapping: dict = {"image": value}
    elif isinstance(value, dict):
        mapping = value
    else:
        raise ContainerSpecError(f"{where}: a string or a mapping was expected")
    for key in mapping:
        if key not in allowed:
            raise ContainerSpecError(f"{where}: The key '{key}' is not allowed")
    image = runner_string(mapping.get("image"))
    if image.startswith("docker://"):
        image = image[len("docker://"):]
    if not image:
        raise ContainerSpecError(f"{where}: no image")
    env = mapping.get("env") or {}
    if not isinstance(env, dict):
        raise ContainerSpecError(f"{where}.env: a mapping was expected")
    return Container(
        image=image,
        alias=alias,
        is_job_container=is_job_container,
        options=runner_string(mapping.get("options")),
        environment={runner_string(key): runner_string(val) for key, val in env.items()},
        ports=[runner_string(port) for port in _sequence(mapping.get("ports"), f"{where}.ports")],
        volumes=[runner_string(volume) for volume in _sequence(mapping.get("volumes"), f"{where}.volumes")],
        entrypoint=runner_string(mapping.get("entrypoint")),
        command=runner_string(mapping.get("command")),
    )


def _sequence(value: object, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ContainerSpecError(f"{where}: a sequence was expected")
    return value


def job_containers(job: dict) -> list[Container]:
    """The job's containers in the runner's order: the job container first, then each service."""
    containers = []
    if job.get("container"):
        containers.append(container_from_yaml(job["container"], is_job_container=True))
    services = job.get("services") or {}
    if not isinstance(services, dict):
        raise ContainerSpecError("services: a mapping was expected")
    for label, value in services.items():
        containers.append(container_from_yaml(value, alias=runner_string(label)))
    return containers


def sanitized_image(image: str) -> str:
    """The image part of the container name (Pipelines.Validation.NameValidation.Sanitize)."""
    return re.sub(r"[^A-Za-z0-9_]", "", image)


def container_name(container: Container, prefix: str) -> str:
    """`<alias>_<image>_<6 hex>`; the runner's alias part is a GUID, `prefix` stands in for it."""
    return f"{prefix}_{sanitized_image(container.image)}_{secrets.token_hex(3)}"


def network_create_arguments(network: str, instance_label: str) -> str:
    """`DockerNetworkCreate` on Linux."""
    return f"network create --label {instance_label} {network}"


def create_arguments(container: Container, name: str, instance_label: str, network: str) -> str:
    """The one argument string `DockerCreate` hands to `docker` (after the program name)."""
    options = [f"--name {name}", f"--label {instance_label}"]
    if container.workdir:
        options.append(f"--workdir {container.workdir}")
    if network:
        options.append(f"--network {network}")
    if container.alias and not container.is_job_container:
        options.append(f"--network-alias {container.alias}")
    options.extend(f"-p {port}" for port in container.ports)
    options.append(container.options)
    for key, value in container.environment.items():
        if not key:
            options.append("")  # CreateEscapedOption returns "" for an empty key
        elif value:
            options.append(f"-e {escape_like_runner(f'{key}={value}')}")
        else:
            options.append(f"-e {escape_like_runner(key)}")
    options.append("-e GITHUB_ACTIONS=true")
    if "CI" not in container.environment:
        options.append("-e CI=true")
    options.extend(_volume_argument(volume) for volume in container.volumes)
    if container.entrypoint:
        options.append(f'--entrypoint "{container.entrypoint}"')
    options.append(container.image)
    options.append(container.command)
    return f"create {' '.join(options)}".strip()


def _volume_argument(volume: str) -> str:
    """`-v` as DockerCreate writes it from `MountVolume(volume)` (ContainerInfo.ParseVolumeString)."""
    parts = volume.split(":")
    read_only = False
    if len(parts) == 3:
        source, target, read_only = parts[0], parts[1], parts[2].lower() == "ro"
    elif len(parts) == 2 and parts[1].lower() == "ro":
        source, target, read_only = "", parts[0], True
    elif len(parts) == 2:
        source, target = parts
    else:
        source, target = "", volume

    def quoted(path: str) -> str:
        return '"' + path.replace('"', '\\"') + '"'

    argument = f"-v {quoted(target)}" if not source else f"-v {quoted(source)}:{quoted(target)}"
    return argument + (":ro" if read_only else "")


def prepare_job_container(container: Container, workspace: str, mounts: list[tuple[str, str, bool]]) -> None:
    """What `StartContainerAsync` adds to the job container: mounts, HOME, workdir, `tail -f`."""
    container.volumes = ["/var/run/docker.sock:/var/run/docker.sock", *container.volumes]
    container.volumes += [f"{host}:{inside}" + (":ro" if read_only else "") for host, inside, read_only in mounts]
    container.environment["HOME"] = "/github/home"
    container.workdir = workspace
    container.entrypoint = "tail"
    container.command = '"-f" "/dev/null"'
