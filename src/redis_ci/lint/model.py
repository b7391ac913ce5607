"""The typed model rules read: workflow, jobs, services, steps, client endpoints.

Built from the node tree of `yaml_nodes` (the only place that knows YAML). Every value
a finding can point at is a `Value` (text as written + `Span`) or carries a `Span`.
Anything malformed (a job that is a string, `steps:` that is a mapping) is skipped, so
rules can trust the types declared here. Words in docstrings ("Redis service", "Gate",
"Client endpoint") are defined in ../shared/docs/RULES.md.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field
from typing import Iterator

from redis_ci.lint.yaml_nodes import (
    BudgetExceeded,
    Document,
    FileProblem,
    MappingNode,
    Node,
    NodeBudget,
    ScalarNode,
    SequenceNode,
    Span,
    FILE_START,
    node_span,
)
from redis_ci.recipe import ACTION_REPOSITORY, REDIS_PORT

EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)
MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")
SERVICE_PORT_REF = re.compile(
    r"^\$\{\{\s*job\.services\.([A-Za-z0-9_-]+)\.ports\s*\[\s*['\"]?(\d+)(?:/tcp)?['\"]?\s*\]\s*\}\}$"
)
# Most values a matrix-expanded field may take (a product of several matrix keys).
MAX_MATRIX_EXPANSION = 256


@dataclass(frozen=True, init=False)
class Value:
    """A scalar as written in the file. style: None (plain), "'", '"', "|" or ">"."""

    text: str
    span: Span
    style: str | None = None
    block_indent: int = 0  # literal block (`|`): 0-based column where its content starts

    def __init__(self, text: str, span: Span, style: str | None = None, block_indent: int = 0):
        # as Span's: one Value per scalar of every file, the dataclass's frozen __init__ is slow
        fields = self.__dict__
        fields["text"], fields["span"], fields["style"], fields["block_indent"] = text, span, style, block_indent

    @property
    def is_expression(self) -> bool:
        """True when the text contains a `${{ }}` expression (its value is known only at run time)."""
        return "${{" in self.text

    def locate(self, start: int, end: int) -> Span:
        """The span of text[start:end] in the file; the whole value's span when the scalar's
        layout (folded `>`, multi-line flow) does not allow an exact answer."""
        row = self.text.count("\n", 0, start)
        col = start - (self.text.rfind("\n", 0, start) + 1)
        width = max(end - start, 1)
        if self.style == "|":
            line = self.span.line + 1 + row
            column = self.block_indent + col + 1
            return Span(line, column, line, column + width, self.span.path)
        if self.style in (None, "'", '"') and "\n" not in self.text and self.span.line == self.span.end_line:
            column = self.span.column + (1 if self.style else 0) + col
            return Span(self.span.line, column, self.span.line, column + width, self.span.path)
        return self.span


@dataclass(frozen=True)
class EnvVar:
    """One `env:` entry. level: "workflow", "job", "step", "service" or "container"."""

    name: str
    value: Value
    level: str
    name_span: Span


@dataclass(frozen=True)
class Image:
    """A container image reference split Docker's way; fields may contain expressions."""

    value: Value
    registry: str | None
    repository: str
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """The last part of the repository (`redis` for `docker.io/library/redis:7`)."""
        return self.repository.rsplit("/", 1)[-1]

    @property
    def hub_repository(self) -> str | None:
        """The Docker Hub repository, official images without `library/` (`redis` for
        `docker.io/library/redis:7`); None for another registry."""
        if self.registry not in (None, "docker.io", "index.docker.io", "registry-1.docker.io"):
            return None
        repository = self.repository.lower()
        return repository[len("library/"):] if repository.startswith("library/") else repository


@dataclass(frozen=True)
class ServicePort:
    """One `ports:` entry. host is None when Docker picks a free host port (`- 6379`,
    `6379/tcp`, `127.0.0.1::6379`); host and container are both None when the entry is
    an expression. A range (`7000-7002:7000-7002`) gives one ServicePort per port."""

    host: int | None
    container: int | None
    host_ip: str | None
    protocol: str
    value: Value

    @property
    def is_random_host_port(self) -> bool:
        return self.host is None and self.container is not None


@dataclass(frozen=True)
class ContainerOptions:
    """The parsed `options:` string of a service or container. Durations in seconds
    (None: absent or unparsable). flag_spans maps a flag as written (`--health-cmd`) to
    its span, for findings that point at one option."""

    value: Value | None = None
    health_cmd: str | None = None
    health_interval: float | None = None
    health_timeout: float | None = None
    health_retries: int | None = None
    health_start_period: float | None = None
    health_start_interval: float | None = None
    no_healthcheck: bool = False
    sysctls: tuple = ()
    entrypoint: str | None = None
    flag_spans: dict = field(default_factory=dict)

    def span_of(self, flag: str) -> Span | None:
        """The span of `flag` in the options text (whole options span if not exact); None if absent."""
        return self.flag_spans.get(flag)


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


def _kept(owner: Step | Job, name: str, compute):
    """owner.cache[name], computed by compute() the first time it is asked for."""
    if name not in owner.cache:
        owner.cache[name] = compute()
    return owner.cache[name]


# --- building -------------------------------------------------------------------------


def _items(node: Node | None) -> list:
    """(key text, key node, value node) of a mapping; [] for anything else."""
    if not isinstance(node, MappingNode):
        return []
    return [(key.value, key, value) for key, value in node.value if isinstance(key, ScalarNode)]


class _Builder:
    def __init__(self, document: Document, path: str):
        self.document = document
        self.path = path
        self.budget = NodeBudget()
        self._fields: dict = {}  # id(mapping node) -> {key text: (key node, value node)}

    def _field(self, node: Node | None, key: str) -> tuple | None:
        """(key node, value node) of the first `key` of a mapping; None when absent or not a
        mapping. Each mapping is indexed once: the builder asks a step or job for many keys."""
        if not isinstance(node, MappingNode):
            return None
        fields = self._fields.get(id(node))
        if fields is None:
            fields = self._fields[id(node)] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode):
                    fields.setdefault(key_node.value, (key_node, value_node))
        return fields.get(key)

    def get(self, node: Node | None, key: str) -> Node | None:
        """The value node of `key` in a mapping; None when absent or not a mapping."""
        field = self._field(node, key)
        return None if field is None else field[1]

    def key_span(self, node: Node | None, key: str, path: tuple) -> Span | None:
        field = self._field(node, key)
        return None if field is None else node_span(field[0], path + (key,))

    def value(self, node: Node | None, path: tuple) -> Value | None:
        """The scalar at node as a Value; None for a mapping, a sequence or nothing."""
        self.budget.spend()
        if not isinstance(node, ScalarNode):
            return None
        indent = self._block_indent(node.start_mark.line + 1) if node.style == "|" else 0
        # libyaml reports a plain scalar's style as "", the pure-Python parser as None
        return Value(node.value, node_span(node, path), node.style or None, indent)

    def _block_indent(self, header_line: int) -> int:
        lines = self.document.lines
        for index in range(header_line, len(lines)):  # no slice: a file has many `run: |` blocks
            if lines[index].strip():
                return len(lines[index]) - len(lines[index].lstrip(" "))
        return 0

    def env(self, node: Node | None, level: str, path: tuple) -> list[EnvVar]:
        env = []
        for name, key, value_node in _items(node):
            value = self.value(value_node, path + (name,))
            if value is not None:
                env.append(EnvVar(name, value, level, node_span(key, path + (name,))))
        return env

    def scalar_list(self, node: Node | None, path: tuple) -> list[Value]:
        """A scalar or a sequence of scalars (nested sequences flattened) as Values."""
        self.budget.spend()
        if isinstance(node, ScalarNode):
            return [self.value(node, path)]
        values = []
        if isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                values.extend(self.scalar_list(item, path + (index,)))
        return values

    def matrix(self, job_node: Node, path: tuple) -> dict:
        node = self.get(self.get(job_node, "strategy"), "matrix")
        path = path + ("strategy", "matrix")
        matrix: dict = {}
        for key, _key_node, value_node in _items(node):
            if key == "include":
                if isinstance(value_node, SequenceNode):
                    for index, entry in enumerate(value_node.value):
                        for name, _k, item in _items(entry):
                            item_path = path + ("include", index, name)
                            matrix.setdefault(name, []).extend(self.scalar_list(item, item_path))
            elif key != "exclude":
                matrix.setdefault(key, []).extend(
                    v for v in self.scalar_list(value_node, path + (key,)) if not v.is_expression
                )
        return matrix

    def expand(self, value: Value, matrix: dict) -> list[Value]:
        """value with every `${{ matrix.x }}` replaced by each value of x (unknown keys kept)."""
        whole = MATRIX_REF.fullmatch(value.text.strip())
        if whole and matrix.get(whole.group(1)):
            return list(matrix[whole.group(1)])
        names = [name for name in dict.fromkeys(MATRIX_REF.findall(value.text)) if matrix.get(name)]
        if not names:
            return [value]
        expanded = []
        for combination in itertools.product(*(matrix[name] for name in names)):
            choice = dict(zip(names, (item.text for item in combination)))
            text = MATRIX_REF.sub(lambda m: choice.get(m.group(1), m.group(0)), value.text)
            expanded.append(Value(text, value.span, value.style))
            if len(expanded) >= MAX_MATRIX_EXPANSION:
                break
        return expanded

    def options(self, node: Node | None, path: tuple) -> ContainerOptions:
        value = self.value(node, path)
        return parse_container_options(value) if value is not None else ContainerOptions()

    def image(self, node: Node | None, path: tuple, matrix: dict) -> tuple:
        value = self.value(node, path)
        if value is None:
            return None, []
        return parse_image(value), [parse_image(item) for item in self.expand(value, matrix)]

    def ports(self, node: Node | None, path: tuple) -> list[ServicePort]:
        ports = []
        for value in self.scalar_list(node, path):
            ports.extend(parse_service_port(value))
        return ports

    def service(self, label: str, key: Node, node: Node, path: tuple, matrix: dict) -> Service:
        image, images = self.image(self.get(node, "image"), path + ("image",), matrix)
        ports_node = self.get(node, "ports")
        known = [item for item in images if "${{" not in item.repository]
        redis = any(is_redis_image(item) for item in known)
        if images and not known:  # `${{ vars.IMAGE }}`: the label is all we have
            redis = any(word in label.lower() for word in ("redis", "valkey"))
        return Service(
            label=label,
            span=node_span(key, path),
            image=image,
            images=images,
            ports=self.ports(ports_node, path + ("ports",)),
            ports_span=self.key_span(node, "ports", path),
            ports_unknown=isinstance(ports_node, ScalarNode) and "${{" in ports_node.value,
            options=self.options(self.get(node, "options"), path + ("options",)),
            env=self.env(self.get(node, "env"), "service", path + ("env",)),
            command=self.value(self.get(node, "command"), path + ("command",)),
            is_redis=redis,
            entrypoint=self.value(self.get(node, "entrypoint"), path + ("entrypoint",)),
        )

    def container(self, node: Node | None, path: tuple, matrix: dict) -> Container | None:
        if isinstance(node, ScalarNode):
            if not node.value.strip():
                return None
            image, _images = self.image(node, path, matrix)
            return Container(node_span(node, path), image, ContainerOptions(), [])
        if not isinstance(node, MappingNode):
            return None
        image, _images = self.image(self.get(node, "image"), path + ("image",), matrix)
        return Container(
            node_span(node, path),
            image,
            self.options(self.get(node, "options"), path + ("options",)),
            self.env(self.get(node, "env"), "container", path + ("env",)),
        )

    def step(self, index: int, node: Node, path: tuple) -> Step:
        step_id = self.value(self.get(node, "id"), path + ("id",))
        return Step(
            index=index,
            span=node_span(node, path),
            id=step_id.text if step_id else None,
            name=self.value(self.get(node, "name"), path + ("name",)),
            uses=self.value(self.get(node, "uses"), path + ("uses",)),
            run=self.value(self.get(node, "run"), path + ("run",)),
            shell=self.value(self.get(node, "shell"), path + ("shell",)),
            with_={
                name: value
                for name, _key, item in _items(self.get(node, "with"))
                if (value := self.value(item, path + ("with", name))) is not None
            },
            env=self.env(self.get(node, "env"), "step", path + ("env",)),
            timeout_minutes=self.value(self.get(node, "timeout-minutes"), path + ("timeout-minutes",)),
        )

    def runs_on(self, node: Node | None, path: tuple, matrix: dict) -> list[Value]:
        labels = self.scalar_list(node, path)
        if isinstance(node, MappingNode):  # {group:, labels:}
            labels = self.scalar_list(self.get(node, "labels"), path + ("labels",))
        return [item for label in labels for item in self.expand(label, matrix)]

    def job(self, job_id: str, key: Node, node: Node) -> Job:
        path = ("jobs", job_id)
        matrix = self.matrix(node, path)
        services = [
            self.service(label, label_key, service_node, path + ("services", label), matrix)
            for label, label_key, service_node in _items(self.get(node, "services"))
            if isinstance(service_node, MappingNode)
        ]
        steps_node = self.get(node, "steps")
        steps = []
        if isinstance(steps_node, SequenceNode):
            for index, step_node in enumerate(steps_node.value):
                if isinstance(step_node, MappingNode):
                    steps.append(self.step(index, step_node, path + ("steps", index)))
        return Job(
            id=job_id,
            span=node_span(key, path),
            runs_on=self.runs_on(self.get(node, "runs-on"), path + ("runs-on",), matrix),
            container=self.container(self.get(node, "container"), path + ("container",), matrix),
            services=services,
            steps=steps,
            env=self.env(self.get(node, "env"), "job", path + ("env",)),
            matrix=matrix,
            uses=self.value(self.get(node, "uses"), path + ("uses",)),
        )

    def workflow(self) -> Workflow:
        root = self.document.root
        problems = list(self.document.problems)
        workflow = Workflow(self.path, self.document.lines, [], [], problems)
        if not isinstance(root, MappingNode):  # empty file, a list, a scalar: nothing to check
            return workflow
        try:
            workflow.env = self.env(self.get(root, "env"), "workflow", ("env",))
            for job_id, key, job_node in _items(self.get(root, "jobs")):
                if isinstance(job_node, MappingNode):
                    workflow.jobs.append(self.job(job_id, key, job_node))
        except BudgetExceeded:
            problems.append(FileProblem(
                "RC001", "aliases expand this file beyond what any workflow needs; not checked", FILE_START
            ))
            workflow.jobs = []
        return workflow


def build_workflow(document: Document, path: str) -> Workflow:
    """The model of one parsed file (never raises for bad content)."""
    return _Builder(document, path).workflow()


# --- parsing of values ----------------------------------------------------------------


def parse_image(value: Value) -> Image:
    """Split `registry/repository:tag@digest` Docker's way."""
    text = value.text.strip()
    rest, _, digest = text.partition("@") if "@sha" in text else (text, "", "")
    registry = None
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost") and "${{" not in first:
        registry, rest = first, remainder
    head, _, last = rest.rpartition("/")
    name, colon, tag = last.partition(":")
    repository = f"{head}/{name}" if head else name
    return Image(value, registry, repository, tag if colon else None, digest or None)


REDIS_IMAGE_NAMES = (
    "redis", "redis-stack", "redis-stack-server", "valkey", "keydb",
    "redis-cluster", "valkey-cluster", "dragonfly",
)


def is_redis_image(image: Image) -> bool:
    """RULES.md "Redis service": the repository is or ends with a known name, or mentions redis/valkey."""
    repository = image.repository.lower()
    if any(repository == name or repository.endswith("/" + name) for name in REDIS_IMAGE_NAMES):
        return True
    return "redis" in repository or "valkey" in repository


_PORT_ENTRY = re.compile(
    r"^(?:(?P<ip>\[[0-9a-fA-F:.]+\]|\d+\.\d+\.\d+\.\d+|localhost):)?"
    r"(?:(?P<host>\d+(?:-\d+)?)?:)?(?P<container>\d+(?:-\d+)?)(?:/(?P<proto>tcp|udp|sctp))?$"
)


def _port_range(text: str | None) -> list:
    if not text:
        return []
    low, _, high = text.partition("-")
    return list(range(int(low), int(high or low) + 1))[:100]


def parse_service_port(value: Value) -> list[ServicePort]:
    """One `ports:` entry -> ServicePorts (`6379`, `6379:6379`, `6379/tcp`,
    `127.0.0.1:6380:6379`, ranges). Expressions and unparsable text give one ServicePort
    with host and container None."""
    text = value.text.strip()
    match = _PORT_ENTRY.match(text) if "${{" not in text else None
    if match is None:
        return [ServicePort(None, None, None, "tcp", value)]
    containers = _port_range(match.group("container"))
    hosts = _port_range(match.group("host")) or [None] * len(containers)
    ip = match.group("ip")
    return [
        ServicePort(host, container, ip.strip("[]") if ip else None, match.group("proto") or "tcp", value)
        for host, container in zip(hosts, containers)
    ]


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float | None:
    """A Go duration (`1s`, `500ms`, `1m30s`) in seconds; None if it is not one."""
    text = text.strip()
    if not text or _DURATION_PART.sub("", text):
        return None
    return sum(float(n) * _DURATION_UNITS[unit] for n, unit in _DURATION_PART.findall(text))


# One word of `shlex.split` (POSIX rules; whitespace is only space, tab, CR, LF): bare
# characters, a backslash escape, '...' or "..." (with escapes), glued together, and what
# follows it. shlex reads character by character in Python; this is the same in one match.
_OPTION_WORD = re.compile(r"""((?:[^ \t\r\n'"\\]|\\.|'[^']*'|"(?:[^"\\]|\\.)*")+)(?:[ \t\r\n]+|\Z)""", re.S)
_OPTION_WORD_PART = re.compile(r"""\\(.)|'([^']*)'|"((?:[^"\\]|\\.)*)"|[^'"\\]+""", re.S)
_DOUBLE_QUOTED_ESCAPE = re.compile(r'\\(["\\])')  # inside "...", only \" and \\ are escapes


def _unquote_part(match: re.Match) -> str:
    escaped, single, double = match.groups()
    if escaped is not None:
        return escaped
    if single is not None:
        return single
    if double is not None:
        return _DOUBLE_QUOTED_ESCAPE.sub(r"\1", double)
    return match.group(0)


def _split_options(text: str) -> list[str]:
    """`shlex.split(text)`, or `text.split()` where shlex refuses it (unbalanced quotes, a
    final backslash: Docker would refuse it too; read it word by word)."""
    words = []
    position = len(text) - len(text.lstrip(" \t\r\n"))
    while position < len(text):
        match = _OPTION_WORD.match(text, position)
        if match is None:
            return text.split()
        words.append(_OPTION_WORD_PART.sub(_unquote_part, match.group(1)))
        position = match.end()
    return words


def parse_container_options(value: Value) -> ContainerOptions:
    """Parse a docker `options:` string (`--health-cmd "..." --health-interval 1s ...`)."""
    tokens = _split_options(value.text)
    found: dict = {}
    spans: dict = {}
    sysctls = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if not token.startswith("-"):
            continue
        flag, equals, argument = token.partition("=")
        if not equals and flag != "--no-healthcheck" and index < len(tokens):
            argument = tokens[index]
            index += 1
        offset = value.text.find(flag)
        spans.setdefault(flag, value.locate(offset, offset + len(flag)) if offset >= 0 else value.span)
        if flag == "--sysctl":
            sysctls.append(argument)
        else:
            found[flag] = argument

    def seconds(flag: str) -> float | None:
        return parse_duration(found[flag]) if flag in found else None

    retries = found.get("--health-retries", "")
    return ContainerOptions(
        value=value,
        health_cmd=found.get("--health-cmd"),
        health_interval=seconds("--health-interval"),
        health_timeout=seconds("--health-timeout"),
        health_retries=int(retries) if retries.isdigit() else None,
        health_start_period=seconds("--health-start-period"),
        health_start_interval=seconds("--health-start-interval"),
        no_healthcheck="--no-healthcheck" in found,
        sysctls=tuple(sysctls),
        entrypoint=found.get("--entrypoint"),
        flag_spans=spans,
    )


# --- client endpoints -----------------------------------------------------------------


@dataclass(frozen=True)
class ClientEndpoint:
    """Where steps connect (RULES.md "Client endpoint").

    source: "env" or "run"; level: "workflow"/"job"/"step" (for run: "step").
    host: as written, None when absent or an expression. port: an int, None when absent
    or unknown. port_ref: (label, container port) when the port is
    `${{ job.services.<label>.ports[...] }}`. text: the whole value/URL/argument.
    step: the step it belongs to (None for workflow/job env). host_span: where the host
    is written (brackets of `[::1]` included); approximate for folded or escaped scalars,
    so a fixer checks it with `Workflow.text_at`."""

    source: str
    level: str
    name: str
    host: str | None
    port: int | None
    port_ref: tuple | None
    text: str
    span: Span
    step: Step | None
    host_span: Span | None = None

    @property
    def is_localhost(self) -> bool:
        return self.host in LOCAL_HOSTS

    @property
    def subject(self) -> str:
        """What a message calls it: "`REDIS_URL`", "a URL in `run:`" or "`redis-cli`"."""
        return "a URL in `run:`" if (self.source, self.name) == ("run", "url") else f"`{self.name}`"


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0")
_ENDPOINT_WORDS = ("REDIS", "VALKEY", "CACHE", "BROKER", "CELERY", "SIDEKIQ", "RESQUE")
_URL = re.compile(r"\b(?:redis|rediss|valkey|valkeys)://[^\s'\"`;|&()<>]+")
_HOSTLIKE = re.compile(r"^(?:[A-Za-z0-9_.-]+|\[?[0-9a-fA-F:]+\]?)$")


def is_endpoint_env_name(name: str) -> bool:
    """An env name that mentions REDIS, VALKEY, CACHE, BROKER, CELERY, RQ, SIDEKIQ or RESQUE."""
    upper = name.upper()
    return any(word in upper for word in _ENDPOINT_WORDS) or "RQ" in upper.split("_")


def _port(text: str) -> tuple:
    """(port, port_ref) from a port text; (None, None) when unknown."""
    text = text.strip()
    if text.isdigit():
        return int(text), None
    ref = SERVICE_PORT_REF.match(text)
    if ref:
        return None, (ref.group(1), int(ref.group(2)))
    return None, None


def _host(text: str) -> str | None:
    return None if not text or "${{" in text or "$" in text else text


# The path, query or fragment that ends a URL's host part (not a `/` inside `${{ }}`).
_NETLOC_END = re.compile(r"[/?#](?![^{]*\}\})")


def parse_redis_url(text: str) -> tuple:
    """(host, port, port_ref) of a redis://, rediss:// or valkey:// URL (port 6379 if absent)."""
    netloc = text.split("://", 1)[1]
    netloc = _NETLOC_END.split(netloc, maxsplit=1)[0]
    netloc = netloc.rpartition("@")[2]
    if netloc.startswith("["):
        host, _, port_text = netloc[1:].partition("]")
        port_text = port_text.lstrip(":")
    elif "${{" in netloc:
        host, port_text = _split_host_port_expression(netloc)
    else:
        host, _, port_text = netloc.partition(":")
    if not port_text:
        return _host(host), REDIS_PORT, None
    return (_host(host),) + _port(port_text)


def _split_host_port_expression(netloc: str) -> tuple:
    """host:port where either side may be a `${{ }}` expression."""
    depth_free = EXPRESSION.sub(lambda m: "\0" * len(m.group(0)), netloc)
    colon = depth_free.rfind(":")
    return (netloc, "") if colon < 0 else (netloc[:colon], netloc[colon + 1:])


def _url_host_offset(url: str) -> int:
    """Where the host starts in a Redis URL (after the scheme and any user:password@)."""
    start = url.index("://") + 3
    netloc = _NETLOC_END.split(url[start:], maxsplit=1)[0]
    return start + netloc.rfind("@") + 1


def _host_span(value: Value, offset: int, host: str | None) -> Span | None:
    """The span of host written at value.text[offset:] (with its brackets, if any)."""
    if host is None:
        return None
    bracketed = value.text.startswith("[", offset) and not host.startswith("[")
    width = len(host) + 2 if bracketed else len(host)
    return value.locate(offset, offset + width)


def _env_endpoint(env: EnvVar, step: Step | None) -> ClientEndpoint | None:
    text = env.value.text.strip()
    if not is_endpoint_env_name(env.name) or not text:
        return None
    upper = env.name.upper()
    start = len(env.value.text) - len(env.value.text.lstrip())

    def endpoint(host, port, port_ref, host_offset=0):
        host_span = _host_span(env.value, start + host_offset, host)
        return ClientEndpoint("env", env.level, env.name, host, port, port_ref, text, env.value.span, step, host_span)

    if _URL.match(text):
        return endpoint(*parse_redis_url(text), _url_host_offset(text))
    if "PORT" in upper:
        port, port_ref = _port(text)
        return endpoint(None, port, port_ref) if (port or port_ref) else None
    if any(word in upper for word in ("HOST", "ADDR", "SERVER", "ENDPOINT")):
        host_text, colon, port_text = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
        port, port_ref = _port(port_text) if colon else (None, None)
        host = _host(host_text)
        if host and _HOSTLIKE.match(host):
            return endpoint(host, port, port_ref)
    return None


def env_endpoint(env: EnvVar) -> ClientEndpoint | None:
    """The endpoint an `env:` entry describes, by the Client endpoint rules, wherever it is
    written (RC206 reads a service's env with it); None when it is not one."""
    return _env_endpoint(env, None)


_TOKEN = re.compile(r"\$\{\{.*?\}\}|\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^\s;|&()]+|[;|&()\n]+", re.S)
_SEPARATOR_CHARS = ";|&()\n"  # a token made of these ends a shell command (no other token starts with one)


def _shell_tokens(step: Step) -> tuple:
    """(matches, words) of `_TOKEN` in the step's `run:`, computed once per step: the
    endpoint and redis-cli searches both walk them."""
    def tokenize() -> tuple:
        matches = list(_TOKEN.finditer(step.run.text))
        return matches, [match.group(0) for match in matches]

    return _kept(step, "tokens", tokenize)


def _run_endpoints(step: Step) -> Iterator[ClientEndpoint]:
    run = step.run
    if "://" not in run.text and "redis-cli" not in run.text:
        return  # no URL and no redis-cli: the common script, without tokenizing it
    tokens, words = _shell_tokens(step)
    ends = None
    for match in _URL.finditer(run.text):
        ends = [token.end() for token in tokens] if ends is None else ends
        word = bisect.bisect_right(ends, match.start())  # the first token ending after the URL starts
        if _in_docker(words, word if word < len(words) else 0):  # `docker exec ... -u redis://localhost`
            continue
        host, port, port_ref = parse_redis_url(match.group(0))
        span = run.locate(match.start(), match.end())
        host_span = _host_span(run, match.start() + _url_host_offset(match.group(0)), host)
        yield ClientEndpoint("run", "step", "url", host, port, port_ref, match.group(0), span, step, host_span)
    if "redis-cli" not in run.text:
        return
    for index in _indices(words, "redis-cli"):
        if _in_docker(words, index):
            continue
        token = tokens[index]
        host = port = port_ref = host_span = None
        spans = []
        cursor = index + 1
        while cursor + 1 < len(tokens) and words[cursor][0] not in _SEPARATOR_CHARS:
            flag, argument = words[cursor], tokens[cursor + 1]
            if flag in ("-h", "-p"):
                text = argument.group(0).strip("'\"")
                if flag == "-h":
                    host = _host(text)
                    quote = argument.group(0)[:1] in ("'", '"')
                    host_span = _host_span(run, argument.start() + quote, host)
                else:
                    port, port_ref = _port(text)
                spans.append(argument)
                cursor += 2
            else:
                cursor += 1
        if host or port or port_ref:  # only unknown expressions: never reported
            first, last = spans[0], spans[-1]
            span = run.locate(first.start(), last.end())
            text = run.text[token.start():last.end()]
            yield ClientEndpoint("run", "step", "redis-cli", host, port, port_ref, text, span, step, host_span)


# Words before `redis-cli` that look it up rather than run it (`command -v redis-cli`).
_LOOKUP_WORDS = ("which", "-v", "type", "hash")


def redis_cli_calls(step: Step) -> list[Span]:
    """The `redis-cli` commands a step's `run:` executes on its own machine (not through
    `docker exec` and the like, not `which redis-cli`), as spans of the word `redis-cli`."""
    if step.run is None or "redis-cli" not in step.run.text:
        return []

    def calls() -> list[Span]:
        tokens, words = _shell_tokens(step)
        return [
            step.run.locate(tokens[index].start(), tokens[index].end())
            for index in _indices(words, "redis-cli")
            if not _in_docker(words, index) and not (index and words[index - 1] in _LOOKUP_WORDS)
        ]

    return list(_kept(step, "redis_cli_calls", calls))


def _indices(words: list, word: str) -> list[int]:
    """Where word is in words (list.index scans in C: scripts have many words)."""
    found = []
    try:
        while True:
            found.append(words.index(word, found[-1] + 1 if found else 0))
    except ValueError:
        return found


def _in_docker(words: list, index: int) -> bool:
    """redis-cli run inside a container (`docker exec ... redis-cli`): not a step's endpoint."""
    cursor = index - 1
    while cursor >= 0 and words[cursor][0] not in _SEPARATOR_CHARS:
        if words[cursor] in ("docker", "docker-compose", "podman", "kubectl"):
            return True
        cursor -= 1
    return False


def find_client_endpoints(workflow: Workflow, job: Job) -> list[ClientEndpoint]:
    """Every client endpoint of job: workflow env, job env, each step's env and run script.
    Service/container env is not a client endpoint (RC206 reads Service.env)."""
    return list(_kept(job, "endpoints", lambda: _client_endpoints(workflow, job)))


def _client_endpoints(workflow: Workflow, job: Job) -> list[ClientEndpoint]:
    endpoints = []
    for env in workflow.env + job.env:
        endpoint = _env_endpoint(env, None)
        if endpoint:
            endpoints.append(endpoint)
    for step in job.steps:
        for env in step.env:
            endpoint = _env_endpoint(env, step)
            if endpoint:
                endpoints.append(endpoint)
        if step.run is not None:
            endpoints.extend(_run_endpoints(step))
    return endpoints


# --- steps: gates and Redis started in a step ------------------------------------------

ACTION_NAME = ACTION_REPOSITORY.rsplit("/", 1)[1]
# Actions that start Redis on the runner; the ones marked True also wait until it answers.
REDIS_ACTIONS = {
    "supercharge/redis-github-action": False,
    "zhulik/redis-action": False,
    "shogo82148/actions-setup-redis": True,
    "vishnudxb/redis-cluster": False,
    "getong/redis-action": False,
}


@dataclass(frozen=True)
class RedisStart:
    """How a step starts Redis. kind: "action", "docker-run", "redis-server" or "compose"
    (compose: Redis unknown, no port checks). image: for docker-run."""

    kind: str
    span: Span
    image: str | None = None


def is_project_action(step: Step) -> bool:
    """`uses: */redis-ci-action@*`, or a local action (`./...`) whose path or step name says
    redis-ci or that takes this action's inputs: `service-id`, or a Redis URL as `url` (this
    repository dogfooding `uses: ./`)."""
    action = step.uses_action
    if action is None:
        return False
    if action.endswith("/" + ACTION_NAME) or action == ACTION_REPOSITORY:
        return True
    name = step.name.text.lower() if step.name else ""
    url = step.with_.get("url")
    return action.startswith("./") and (
        "redis-ci" in action or "redis-ci" in name or "service-id" in step.with_
        or (url is not None and bool(_URL.match(url.text.strip())))
    )


def is_project_action_stop(step: Step) -> bool:
    """This project's action with `start: stop`: it removes what an earlier step started and
    neither waits nor sets overcommit."""
    start = step.with_.get("start")
    return start is not None and start.text.strip() == "stop" and is_project_action(step)


_WAIT_COMMAND = re.compile(r"\bredis-ci\s+wait\b|\bredis_ci\s+wait\b")
_COMPOSE_WAIT = re.compile(r"\bdocker(?:-compose|\s+compose)\s+up\b[^\n;|&]*\s--wait\b")
_LOOP = re.compile(r"\b(?:until|while|for)\b")
_LOOP_BOUND = re.compile(r"\btimeout\b|\bseq\b|\{\d+\.\.\d+\}|-(?:lt|le|gt|ge)\b|\(\(|\bfor\s+\w+\s+in\b")


def has_wait_loop(text: str) -> bool:
    """A shell loop that runs a PING (`until redis-cli ping ...; do sleep 1; done`)."""
    return "ping" in text.lower() and bool(_LOOP.search(text))


def is_bounded_loop(text: str) -> bool:
    """The loop has a bound: `timeout`, a counter (`seq`, `{1..30}`, `-lt`, `(( ))`) or `for x in`."""
    return bool(_LOOP_BOUND.search(text))


def is_gate(step: Step) -> bool:
    """RULES.md "Gate", for a step: this project's action, `redis-ci wait`, a bounded PING
    loop, `docker compose up --wait`, or an action that waits by itself. (A service's
    own `--health-cmd` is the other kind of gate: see `service_has_health_check`.)"""
    return _kept(step, "is_gate", lambda: _is_gate(step))


def _is_gate(step: Step) -> bool:
    if is_project_action(step) or REDIS_ACTIONS.get(step.uses_action or "", False):
        return not is_project_action_stop(step)
    if step.run is None:
        return False
    text = step.run.text
    return bool(  # the `in` tests skip patterns that cannot match (each one scans the whole script)
        ("wait" in text and _WAIT_COMMAND.search(text))
        or ("--wait" in text and _COMPOSE_WAIT.search(text))
        or (has_wait_loop(text) and is_bounded_loop(text))
    )


def service_has_health_check(service: Service) -> bool:
    """The service has a `--health-cmd` (and no `--no-healthcheck`): the runner waits for it."""
    return bool(service.options.health_cmd) and not service.options.no_healthcheck


_DOCKER_RUN = re.compile(r"\b(?:docker|podman)\s+run\b(?:\\\n|[^\n;|&])*")  # `\` continues a line
# `docker run` options that take no value (combined short ones like `-dit` too).
_DOCKER_RUN_SWITCHES = re.compile(
    r"-[ditPq]+|--(?:detach|rm|interactive|tty|init|privileged|read-only|publish-all|no-healthcheck|quiet)"
)
_REDIS_SERVER = re.compile(r"(?:^|[\s;&|(])(redis-server|valkey-server)\b(?!\s+--version)")
_COMPOSE_UP = re.compile(r"\bdocker(?:-compose|\s+compose)\b[^\n;|&]*\bup\b")
_PACKAGE_INSTALL = re.compile(r"\b(?:apt-get|apt|brew|yum|dnf|apk|snap|choco)\b.*\b(?:install|add)\b")


def _docker_run_image(words: list[str]) -> str | None:
    """The IMAGE of `docker run [OPTIONS] IMAGE [COMMAND]`: the first word that is neither
    an option nor an option's value (`--name redis` names the container, not the image)."""
    remaining = iter(words)
    for word in remaining:
        if word == "\\":
            continue
        if not word.startswith("-"):
            return word
        if "=" not in word and not _DOCKER_RUN_SWITCHES.fullmatch(word):
            next(remaining, None)  # the option's value
    return None


def redis_start(step: Step) -> RedisStart | None:
    """RULES.md "Redis started in a step", or None."""
    return _kept(step, "redis_start", lambda: _redis_start(step))


def _redis_start(step: Step) -> RedisStart | None:
    action = step.uses_action
    if action in REDIS_ACTIONS:
        return RedisStart("action", step.uses.span)
    if step.run is None:
        return None
    run = step.run
    docker = "docker" in run.text
    if not docker and "podman" not in run.text and "-server" not in run.text:
        return None  # the common case, without running the patterns below
    for match in _DOCKER_RUN.finditer(run.text) if docker or "podman" in run.text else ():
        word = _docker_run_image(match.group(0).split()[2:])
        if word and is_redis_image(parse_image(Value(word, run.span))):
            return RedisStart("docker-run", run.locate(match.start(), match.end()), word)
    for match in _REDIS_SERVER.finditer(run.text) if "-server" in run.text else ():
        command_start = max(run.text.rfind(separator, 0, match.start(1)) for separator in "\n;&|(") + 1
        if not _PACKAGE_INSTALL.search(run.text, command_start, match.start(1)):  # `apt-get install redis-server`
            return RedisStart("redis-server", run.locate(match.start(1), match.end(1)))
    match = _COMPOSE_UP.search(run.text) if docker else None
    if match:
        return RedisStart("compose", run.locate(match.start(), match.end()))
    return None


# --- readiness: steps that only prepare, service passwords, option text ----------------

# Actions that prepare a job and never talk to Redis (matched against the action's name).
_PREPARATION_ACTION = re.compile(r"checkout|setup|cache|toolchain|artifact|install|login")
_ONLY_SYSCTL = re.compile(r"(?:\s*(?:#[^\n]*|(?:sudo\s+)?sysctl\s[^\n;&|]*))*\s*")


def is_preparation_step(step: Step) -> bool:
    """A step that does not run commands against Redis: a checkout, setup, cache, artifact,
    login or toolchain action, a step that itself starts Redis (or this action's `start: stop`,
    which removes it), or a `run:` that only sets sysctls (the overcommit step). Every other
    `run:` counts as running commands (so RC101's wait step and `generate`'s go before the
    first `run:`)."""
    if redis_start(step) is not None or is_project_action_stop(step):
        return True
    if step.run is not None and _ONLY_SYSCTL.fullmatch(step.run.text):
        return True
    action = step.uses_action
    if step.run is not None or action is None or action.startswith(("./", "docker://")):
        return False
    return bool(_PREPARATION_ACTION.search(action.rsplit("/", 1)[-1]))


@dataclass(frozen=True)
class RequirePass:
    """The password a Redis service is started with: `--requirepass X` in `command:` or in a
    REDIS_ARGS env (which redis-stack-server reads). text: X without quotes; env_name: NAME
    when X is `$NAME`/`${NAME}` (a variable of the container); expression: the `${{ }}`
    expression the password comes from (X itself or that variable's value), else None."""

    text: str
    env_name: str | None
    expression: str | None


_REQUIREPASS = re.compile(r"--requirepass[=\s]+[\\\"']*(\$\{\{.*?\}\}|[^\s\\\"']+)")
_SHELL_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


def requirepass(service: Service) -> RequirePass | None:
    """The service's RequirePass, or None when it starts without one (as far as we can see)."""
    sources = [service.command.text] if service.command else []
    sources += [env.value.text for env in service.env if env.name == "REDIS_ARGS"]
    for source in sources:
        match = _REQUIREPASS.search(source)
        if not match:
            continue
        text = match.group(1)
        variable = _SHELL_VARIABLE.fullmatch(text)
        if variable:
            values = [env.value.text for env in service.env if env.name == variable.group(1)]
            expression = values[0] if values and EXPRESSION.fullmatch(values[0].strip()) else None
            return RequirePass(text, variable.group(1), expression)
        return RequirePass(text, None, text if EXPRESSION.fullmatch(text) else None)
    return None


def _raw_text(lines: list[str], span: Span) -> tuple:
    """The file's text that span covers (its lines joined by newlines), and where each of those
    lines starts: (offset in that text, line, column), for `_position`."""
    pieces, starts, offset = [], [], 0
    for line in range(span.line, min(span.end_line, len(lines)) + 1):
        text = lines[line - 1]
        start = span.column - 1 if line == span.line else 0
        end = min(span.end_column - 1, len(text)) if line == span.end_line else len(text)
        starts.append((offset, line, start + 1))
        pieces.append(text[start:end])
        offset += end - start + 1
    return "\n".join(pieces), starts


def _position(starts: list, offset: int) -> tuple:
    """(line, column) in the file of `offset` in a `_raw_text` text."""
    base, line, column = next(start for start in reversed(starts) if start[0] <= offset)
    return line, column + offset - base


def _argument_end(text: str, start: int, style: str | None) -> int | None:
    """End (exclusive) of the shell word starting at text[start], as written in a YAML scalar
    of `style` (inside a double-quoted scalar a shell quote is written `\\"`)."""
    if style == '"' and text.startswith('\\"', start):
        end = text.find('\\"', start + 2)
        return None if end < 0 else end + 2
    if style == "'" and text.startswith("''", start):
        end = text.find("''", start + 2)
        return None if end < 0 else end + 2
    quote = text[start]
    if quote in "\"'":
        cursor = start + 1
        while cursor < len(text) and text[cursor] != quote:
            cursor += 2 if quote == '"' and text[cursor] == "\\" else 1
        return None if cursor >= len(text) else cursor + 1
    end = start
    while end < len(text) and not text[end].isspace() and text[end] != style:
        end += 1
    return end


def option_argument_span(lines: list[str], options: ContainerOptions, flag: str) -> Span | None:
    """Where the argument of `flag` (its last occurrence) is written in the file, quotes
    included, in any scalar style (also folded `>-`); None when absent or not found exactly."""
    if options.value is None:
        return None
    span = options.value.span
    text, starts = _raw_text(lines, span)
    matches = list(re.finditer(rf"(?<![\w-]){re.escape(flag)}(?=[\s=])", text))
    if not matches:
        return None
    start = matches[-1].end()
    start += 1 if text[start] == "=" else len(text[start:]) - len(text[start:].lstrip())
    end = _argument_end(text, start, options.value.style) if start < len(text) else None
    if end is None or end == start:
        return None
    (line, column), (end_line, end_column) = _position(starts, start), _position(starts, end - 1)
    return Span(line, column, end_line, end_column + 1, span.path)


def options_end(lines: list[str], options: ContainerOptions) -> Span | None:
    """The point right after the last option (before a closing quote): where a fix appends
    ` --flag value`. None when the service has no `options:`."""
    if options.value is None:
        return None
    span = options.value.span
    text, starts = _raw_text(lines, span)
    last = len(text.rstrip()) - 1
    if options.value.style in ('"', "'"):
        last = len(text[:last].rstrip()) - 1  # before the closing quote
    if last < 0:
        return None
    line, column = _position(starts, last)
    return Span(line, column + 1, line, column + 1, span.path)


@dataclass(frozen=True)
class RedisInJob:
    """Redis that a job starts: a Redis service (`service`), or a step that starts it (`step`
    and `start`). begin: index of the first step that runs once it has been started. A
    `docker compose up` counts only when that command names a redis/valkey service. (A
    position in `job.steps`, which differs from `Step.index` after a step that is not a mapping.)"""

    service: Service | None
    step: Step | None
    start: RedisStart | None
    begin: int

    @property
    def waits_by_itself(self) -> bool:
        """A health check on the service, or a starting step that is itself a gate."""
        if self.service is not None:
            return service_has_health_check(self.service)
        return is_gate(self.step)


def redis_in_job(job: Job) -> list[RedisInJob]:
    """Every Redis the job starts: its Redis services, then the steps that start Redis."""
    return list(_kept(job, "redis", lambda: _redis_in_job(job)))


def _redis_in_job(job: Job) -> list[RedisInJob]:
    found = [RedisInJob(service, None, None, 0) for service in job.redis_services]
    for position, step in enumerate(job.steps):
        start = redis_start(step)
        if start is None:
            continue
        if start.kind == "compose" and not re.search(r"redis|valkey", step.run.text, re.I):
            continue
        found.append(RedisInJob(None, step, start, position + 1))
    return found


def first_gate_after(steps: list[Step], begin: int) -> int | None:
    """Position of the first gate step (`is_gate`) from position `begin` on; None if none."""
    return next((position for position in range(begin, len(steps)) if is_gate(steps[position])), None)


def next_step_needing_redis(steps: list[Step], begin: int) -> Step | None:
    """The first step from index `begin` on that is not a preparation step (a gate counts:
    it is the step that needs Redis first); None when no step does."""
    for step in steps[begin:]:
        if not is_preparation_step(step):
            return step
    return None


def redis_client_steps(workflow: Workflow, job: Job) -> set:
    """Indices of the steps that visibly talk to Redis: a client endpoint in their own `env:`
    or `run:`, or a `redis-cli` they run."""
    def client_steps() -> set:
        steps = {endpoint.step.index for endpoint in find_client_endpoints(workflow, job) if endpoint.step}
        return steps | {step.index for step in job.steps if redis_cli_calls(step)}

    return set(_kept(job, "client_steps", client_steps))
