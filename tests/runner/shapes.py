"""Every `generate` option combination that yields a Redis server, reduced to what reaches Docker.

A combination is rendered as a job, expanded per matrix leg and evaluated as the runner would
(the secret replaced by a fixed test password), and keyed by the `docker create` argument lists
the runner would run (names, labels and network as placeholders), or, where the wait step starts
Redis itself (`--runner-compat legacy` with a password), by what the action's `start: docker` is
given. Combinations with equal keys are one shape: language, action ref and (mostly) the gate
never reach Docker. `resolve` names the image by what Docker runs for it here: every Redis and
Valkey tag is the same local image (tests/e2e/setup.sh), so tags collapse unless `resolve` keeps
them apart (`by_name`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import yaml

from redis_ci.errors import UsageError
from redis_ci.generate.render import render
from redis_ci.generate.setup import Setup
from redis_ci.runner import containers as spec
from redis_ci.runner.arguments import split_arguments
from redis_ci.runner.job import runner_jobs

PASSWORD = "replay-Secret-6379"  # injected as the runner injects secrets.NAME
SECRET = "REDIS_PASSWORD"
PINNED_ACTION = "redis-ci/redis-ci-action@0123456789abcdef0123456789abcdef01234567"

# The option values tests/generate/test_judges.py takes (its full product), plus --runner-compat.
VERSIONS = {
    "redis": ("7.4", "6.2,7.4,8.2"),
    "valkey": ("8.0", "7.2,8.0,8.1"),
    "redis-stack": ("7.2.0-v10", "7.2.0-v10,7.4.0-v6"),
}
JOBS = {"runner": {}, "port6380": {"port": 6380}, "container": {"container_image": "python:3.13-slim"}}
AXES = (
    tuple(VERSIONS), ("stable", "version", "versions"), tuple(JOBS), (None, SECRET),
    ("wait", "health", "both"), ("none", "python", "node"), ("default", "pinned", "local"), ("current", "legacy"),
)


@dataclass
class Shape:
    """One distinct thing Docker is asked to run, and every combination that asks for it."""

    key: tuple
    setup: Setup
    leg: dict
    job: dict  # services/container evaluated for the leg
    combinations: list

    @property
    def ident(self) -> str:
        setup = self.setup
        image = self.job.get("services", {}).get("redis", {}).get("image") or self.start_image
        parts = [image.split(":")[0].split("/")[-1] if self.setup.image != "redis-stack" else image, "container" if setup.is_container_job else f"runner{setup.port}",
                 "password" if setup.password_secret else "open",
                 "health" if setup.uses_health_check and not setup.starts_in_step else "nohealth"]
        if setup.is_legacy_runner:
            parts.append("legacy-start-docker" if setup.starts_in_step else "legacy")
        return "-".join(parts)

    @property
    def start_image(self) -> str:
        """The image the action's `start: docker` runs (legacy shapes with a password)."""
        return self.setup.image_reference.replace(f"${{{{ matrix.{self.setup.matrix_key} }}}}",
                                                  str(self.leg.get(self.setup.matrix_key, "")))


def combinations():
    """(name, Setup) for every combination `Setup.checked` accepts."""
    for image, mode, job, password, gate, language, action, compat in itertools.product(*AXES):
        options = dict(image=image, gate=gate, language=language, password_secret=password,
                       runner_compat=compat, **JOBS[job])
        if mode == "version":
            options["version"] = VERSIONS[image][0]
        elif mode == "versions":
            options["versions"] = VERSIONS[image][1]
        if action != "default":
            options["action_ref"] = PINNED_ACTION if action == "pinned" else "./"
        name = "-".join([image, mode, job, "password" if password else "open", gate, language, action, compat])
        try:
            yield name, Setup.checked(**options)
        except UsageError:
            continue  # refused with one line (e.g. legacy + a password in a container job)


def _key(container: spec.Container, resolve) -> tuple:
    if container.is_job_container:
        spec.prepare_job_container(container, "/__w/repo/repo", [("<work>", "/__w", False)])
    image = container.image
    words = split_arguments(spec.create_arguments(container, "<name>", "<label>", "<network>"))
    return tuple(resolve(image) if word == image else word for word in words)


def by_name(image: str) -> str:
    return image


def distinct_shapes(resolve=by_name) -> tuple[list[Shape], int, int]:
    """(shapes, combinations, runner jobs incl. matrix legs)."""
    shapes: dict[tuple, Shape] = {}
    count = legs = 0
    for name, setup in combinations():
        count += 1
        job = yaml.load(render(setup, "job"), Loader=yaml.CSafeLoader)[setup.job_name]
        for leg, evaluated in runner_jobs(job, {SECRET: PASSWORD}):
            legs += 1
            if setup.starts_in_step:
                shape = Shape((), setup, leg, evaluated, [])
                key = ("start: docker", resolve(shape.start_image), setup.port, "password")
            else:
                key = tuple(_key(container, resolve) for container in spec.job_containers(evaluated))
            if key not in shapes:
                shapes[key] = Shape(key, setup, leg, evaluated, [])
            shapes[key].combinations.append(f"{name}{leg or ''}")
    return list(shapes.values()), count, legs
