"""The typed workflow tree rules read: workflow, jobs, services, container, steps, env entries.

Plain classes with `__slots__` (`records.Record`): the builder makes thousands per file."""

from __future__ import annotations

from redis_ci.lint.model.records import Record
from redis_ci.lint.yaml_nodes import Span, node_span


class EnvVar(Record):
    """One `env:` entry. level: "workflow", "job", "step", "service" or "container".
    name_key: the key node instead of name_span, which is then made from it when first read:
    two rules read it, for a finding; the builder makes ~11 entries per file."""

    __slots__ = ("name", "value", "level", "_name_span", "_name_key")
    _fields = ("name", "value", "level", "name_span")
    __hash__ = Record.hash_fields

    def __init__(self, name: str, value, level: str, name_span, name_key=None):
        self.name = name
        self.value = value
        self.level = level
        self._name_span = name_span
        self._name_key = name_key

    @property
    def name_span(self):
        if self._name_key is not None:
            self._name_span = node_span(self._name_key, self.value.span.path)
            self._name_key = None
        return self._name_span


class Service(Record):
    """A job service (`jobs.<id>.services.<label>`).

    images: the possible images: `[image]` for a literal, one per matrix value when the
    image uses `${{ matrix.* }}`. ports_span: the `ports:` key (None when absent);
    ports_unknown: `ports:` is an expression. entrypoint: `entrypoint:` (runners since
    2026-04), like `--entrypoint`."""

    __slots__ = _fields = ("label", "span", "image", "images", "ports", "ports_span", "ports_unknown",
                           "options", "env", "command", "is_redis", "entrypoint")

    def __init__(self, label, span, image, images, ports, ports_span, ports_unknown, options, env,
                 command, is_redis, entrypoint=None):
        self.label = label
        self.span = span
        self.image = image
        self.images = images
        self.ports = ports
        self.ports_span = ports_span
        self.ports_unknown = ports_unknown
        self.options = options
        self.env = env
        self.command = command
        self.is_redis = is_redis
        self.entrypoint = entrypoint


class Container(Record):
    """`jobs.<id>.container` (a string is the image)."""

    __slots__ = _fields = ("span", "image", "options", "env")

    def __init__(self, span, image, options, env):
        self.span = span
        self.image = image
        self.options = options
        self.env = env


class Step(Record):
    """One step. index: 0-based position in the job; id: `id:` if any.

    timeout_minutes: the step's own `timeout-minutes:` (bounds a wait loop). working_directory:
    `working-directory:` of the step, else of the job's or workflow's `defaults.run` (text).
    compose: what its `docker compose up` starts, read by the engine from the compose files
    (None: unknown). cache: answers of redis_start/is_gate/redis_cli_calls and the run: tokens,
    kept (`kept`): several rules ask them. Neither is compared nor in the repr.
    uses_action: `owner/repo` (or `./path`, `docker://...`) of `uses:` with the `@ref` removed,
    lower case; computed here once: rules ask it ~8 times per step. node: the step's YAML
    node, given with its key path as span: the span is then made when first read (a property;
    rules read it for a finding, a fix, or a gate's line)."""

    __slots__ = ("index", "_span", "id", "name", "uses", "run", "shell", "with_", "env", "timeout_minutes",
                 "working_directory", "compose", "cache", "uses_action", "_node")
    _fields = ("index", "span") + __slots__[2:11]

    def __init__(self, index, span, id, name, uses, run, shell, with_, env, timeout_minutes=None,
                 working_directory=None, compose=None, cache=None, node=None):
        self.index = index
        self._span = span  # with node: the key path, and the span is made from both when first read
        self._node = node
        self.id = id
        self.name = name
        self.uses = uses
        self.run = run
        self.shell = shell
        self.with_ = with_
        self.env = env
        self.timeout_minutes = timeout_minutes
        self.working_directory = working_directory
        self.compose = compose
        self.cache = {} if cache is None else cache
        self.uses_action = None if uses is None else uses.text.split("@", 1)[0].strip().lower()

    @property
    def span(self):
        node = self._node
        if node is not None:
            self._span = node_span(node, self._span)  # (_span held the path until now)
            self._node = None
        return self._span


class Job(Record):
    """One job. runs_on: each label, with `${{ matrix.x }}` replaced by every matrix value
    (those Values point at the matrix entries). matrix: key -> scalar values (incl. include:).
    uses: set for a reusable-workflow call (then steps/services are empty). cache: answers of
    find_client_endpoints/redis_in_job/redis_client_steps, kept: several rules ask them.
    redis_services: the services that are Redis (`Service.is_redis`), listed once here: rules
    ask ~11 times per job; never change the list."""

    __slots__ = ("id", "span", "runs_on", "container", "services", "steps", "env", "matrix", "uses", "cache",
                 "redis_services")
    _fields = __slots__[:9]

    def __init__(self, id, span, runs_on, container, services, steps, env, matrix, uses, cache=None):
        self.id = id
        self.span = span
        self.runs_on = runs_on
        self.container = container
        self.services = services
        self.steps = steps
        self.env = env
        self.matrix = matrix
        self.uses = uses
        self.cache = {} if cache is None else cache
        self.redis_services = [service for service in services if service.is_redis]

    @property
    def is_container_job(self) -> bool:
        return self.container is not None

    def service(self, label: str):
        for service in self.services:
            if service.label == label:
                return service
        return None

    def step(self, index: int) -> Step:
        """The step at `index` (Step.index, as findings record it for their fix)."""
        return next(step for step in self.steps if step.index == index)


class Workflow(Record):
    """One workflow file. lines: the raw text lines. problems: file problems (RC001-RC003).
    cache: what is computed once per file for every job (workflow-level client endpoints)."""

    __slots__ = ("path", "lines", "env", "jobs", "problems", "cache")
    _fields = __slots__[:5]

    def __init__(self, path, lines, env, jobs, problems, cache=None):
        self.path = path
        self.lines = lines
        self.env = env
        self.jobs = jobs
        self.problems = problems
        self.cache = {} if cache is None else cache

    def job(self, job_id: str) -> Job:
        """The job with this id (findings record it for their fix)."""
        return next(job for job in self.jobs if job.id == job_id)

    def text_at(self, span) -> str:
        """The file's text that a single-line span covers ("" for a multi-line span): lets a
        fixer check that a span located inside a scalar really covers what it means to edit."""
        if span.line != span.end_line or not 0 < span.line <= len(self.lines):
            return ""
        return self.lines[span.line - 1][span.column - 1:span.end_column - 1]


def kept(owner, name: str, compute):
    """owner.cache[name], computed by compute() the first time it is asked for (one dict
    lookup when it is there: rules ask ~100k times per 1,000 files)."""
    cache = owner.cache
    try:
        return cache[name]
    except KeyError:
        value = cache[name] = compute()
        return value
