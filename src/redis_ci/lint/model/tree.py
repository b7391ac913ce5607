"""The typed workflow tree rules read: workflow, jobs, services, container, steps, env entries."""

from __future__ import annotations

from dataclasses import dataclass, field

from redis_ci.lint.model.images import Image
from redis_ci.lint.model.options import ContainerOptions
from redis_ci.lint.model.ports import ServicePort
from redis_ci.lint.model.value import Value
from redis_ci.lint.yaml_nodes import FileProblem, Span


@dataclass(frozen=True, init=False)
class EnvVar:
    """One `env:` entry. level: "workflow", "job", "step", "service" or "container"."""

    name: str
    value: Value
    level: str
    name_span: Span

    def __init__(self, name: str, value: Value, level: str, name_span: Span):
        # as Span's: a frozen dataclass's own __init__ is slow, and every env entry makes one
        fields = self.__dict__
        fields["name"], fields["value"], fields["level"], fields["name_span"] = name, value, level, name_span


@dataclass
class Service:
    """A job service (`jobs.<id>.services.<label>`).

    images: the possible images: `[image]` for a literal, one per matrix value when the
    image uses `${{ matrix.* }}`. ports_span: the `ports:` key (None when absent);
    ports_unknown: `ports:` is an expression."""

    label: str
    span: Span
    image: Image | None
    images: list[Image]
    ports: list[ServicePort]
    ports_span: Span | None
    ports_unknown: bool
    options: ContainerOptions
    env: list[EnvVar]
    command: Value | None
    is_redis: bool
    entrypoint: Value | None = None  # `entrypoint:` (runners since 2026-04), like `--entrypoint`


@dataclass
class Container:
    """`jobs.<id>.container` (a string is the image)."""

    span: Span
    image: Image | None
    options: ContainerOptions
    env: list[EnvVar]


@dataclass
class Step:
    """One step. index: 0-based position in the job; id: `id:` if any."""

    index: int
    span: Span
    id: str | None
    name: Value | None
    uses: Value | None
    run: Value | None
    shell: Value | None
    with_: dict
    env: list[EnvVar]
    timeout_minutes: Value | None = None  # the step's own `timeout-minutes:` (bounds a wait loop)
    # `working-directory:` of the step, else of the job's or workflow's `defaults.run` (text)
    working_directory: str | None = None
    # what its `docker compose up` starts, read by the engine from the compose files (None: unknown)
    compose: object = field(default=None, repr=False, compare=False)
    # answers of redis_start/is_gate/redis_cli_calls and the run: tokens, kept: several rules ask them
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def uses_action(self) -> str | None:
        """`owner/repo` (or `./path`, `docker://...`) of `uses:` with the `@ref` removed."""
        if self.uses is None:
            return None
        return self.uses.text.split("@", 1)[0].strip().lower()


@dataclass
class Job:
    """One job. runs_on: each label, with `${{ matrix.x }}` replaced by every matrix value
    (those Values point at the matrix entries). matrix: key -> scalar values (incl. include:).
    uses: set for a reusable-workflow call (then steps/services are empty)."""

    id: str
    span: Span
    runs_on: list[Value]
    container: Container | None
    services: list[Service]
    steps: list[Step]
    env: list[EnvVar]
    matrix: dict
    uses: Value | None
    # answers of find_client_endpoints/redis_in_job/redis_client_steps, kept: several rules ask them
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_container_job(self) -> bool:
        return self.container is not None

    @property
    def redis_services(self) -> list[Service]:
        return [service for service in self.services if service.is_redis]

    def service(self, label: str) -> Service | None:
        for service in self.services:
            if service.label == label:
                return service
        return None

    def step(self, index: int) -> Step:
        """The step at `index` (Step.index, as findings record it for their fix)."""
        return next(step for step in self.steps if step.index == index)


@dataclass
class Workflow:
    """One workflow file. lines: the raw text lines. problems: file problems (RC001-RC003)."""

    path: str
    lines: list[str]
    env: list[EnvVar]
    jobs: list[Job]
    problems: list[FileProblem]

    def job(self, job_id: str) -> Job:
        """The job with this id (findings record it for their fix)."""
        return next(job for job in self.jobs if job.id == job_id)

    def text_at(self, span: Span) -> str:
        """The file's text that a single-line span covers ("" for a multi-line span): lets a
        fixer check that a span located inside a scalar really covers what it means to edit."""
        if span.line != span.end_line or not 0 < span.line <= len(self.lines):
            return ""
        return self.lines[span.line - 1][span.column - 1:span.end_column - 1]


def kept(owner: Step | Job, name: str, compute):
    """owner.cache[name], computed by compute() the first time it is asked for."""
    if name not in owner.cache:
        owner.cache[name] = compute()
    return owner.cache[name]
