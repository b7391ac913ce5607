"""Compose files: a compose document as a small typed view (services, image, published ports,
healthcheck, positions), and where a `docker compose up` in a workflow finds its files.

Only the engine reads files (`lint/compose_files.py`); this module turns bytes it was given into
the view and computes paths. Interpolated values (`${REDIS_PORT:-6379}`) are unknown, never
guessed. A view of a file that is not valid YAML, too large or too deep is None: Redis unknown.
"""

from __future__ import annotations

import posixpath

from redis_ci.lint.model.images import Image, is_redis_image, parse_image
from redis_ci.lint.model.ports import ServicePort, parse_service_port
from redis_ci.lint.model.tree import EnvVar
from redis_ci.lint.model.value import Value
from redis_ci.lint.yaml_nodes import (
    MAX_WORKFLOW_BYTES,
    MappingNode,
    NodeBudget,
    BudgetExceeded,
    ScalarNode,
    SequenceNode,
    Span,
    node_span,
    parse_document,
)

# Compose's own lookup order when no `-f` is given, and the override file it merges after each.
DEFAULT_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_NAMES = {"compose.yaml": "compose.override.yaml", "compose.yml": "compose.override.yml",
                  "docker-compose.yml": "docker-compose.override.yml",
                  "docker-compose.yaml": "docker-compose.override.yaml"}
# The compose actions' `compose-file` default (their action.yml).
ACTION_DEFAULT_FILE = "docker-compose.yml"
# Larger compose files are not read (the same bound as a workflow's).
MAX_COMPOSE_BYTES = MAX_WORKFLOW_BYTES
# Service fields and list items read from one compose file; real ones have a few hundred.
COMPOSE_NODE_BUDGET = 20_000


class ComposeHealthcheck:
    """`healthcheck:` of a service. command: the test as one shell-like string (`CMD` words
    joined by spaces, `CMD-SHELL`'s string), None when disabled (`disable: true`, `NONE`);
    span: of the `test:` value (of `disable:` when that turns it off). Immutable by convention."""

    __slots__ = ("command", "span")

    def __init__(self, command: Value | None, span: Span):
        self.command = command
        self.span = span

    def __eq__(self, other):
        if other.__class__ is not ComposeHealthcheck:
            return NotImplemented
        return (self.command, self.span) == (other.command, other.span)

    def __hash__(self) -> int:
        return hash((self.command, self.span))


class ComposeService:
    """One `services.<name>` entry. ports: the published ports (`ports:`; host None where Docker
    picks one or the entry is interpolated). command/env: as a workflow Service's, so the
    password of `--requirepass` reads the same (`secrets.requirepass`). file: the compose
    file's path as the output shows it."""

    __slots__ = ("name", "span", "image", "ports", "healthcheck", "command", "env", "depends_on", "file")

    def __init__(self, name: str, span: Span, image: Image | None, ports: list[ServicePort],
                 healthcheck: ComposeHealthcheck | None, command: Value | None, env: list[EnvVar],
                 depends_on: tuple = (), file: str = ""):
        self.name = name
        self.span = span
        self.image = image
        self.ports = ports
        self.healthcheck = healthcheck
        self.command = command
        self.env = env
        self.depends_on = depends_on
        self.file = file

    def _fields(self) -> tuple:
        return (self.name, self.span, self.image, self.ports, self.healthcheck, self.command, self.env,
                self.depends_on, self.file)

    def __eq__(self, other):
        if other.__class__ is not ComposeService:
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # mutable, compared by value (as the dataclass it was)

    @property
    def images(self) -> list[Image]:
        return [self.image] if self.image is not None else []

    @property
    def label(self) -> str:  # messages say "service `x`" for both kinds
        return self.name


class ComposeFile:
    """One compose file: its path as the output shows it, its lines, its services."""

    __slots__ = ("path", "lines", "services")

    def __init__(self, path: str, lines: list[str], services: list[ComposeService] | None = None):
        self.path = path
        self.lines = lines
        self.services = [] if services is None else services


class ComposeProject:
    """What one `docker compose up` starts, read from its files (in `-f` order; a later file's
    image, ports or healthcheck replace an earlier one's for the same service). redis: for each
    Redis service it starts (the named services and their dependencies, or all), its
    definitions in file order (service name -> [ComposeService, ...])."""

    __slots__ = ("files", "redis")

    def __init__(self, files: list[ComposeFile], redis: dict):
        self.files = files
        self.redis = redis

    def last(self, name: str, attribute: str) -> ComposeService | None:
        """The definition of service `name` whose `attribute` (image, ports, healthcheck) wins."""
        return next((service for service in reversed(self.redis[name]) if getattr(service, attribute)), None)

    def healthcheck(self, name: str) -> ComposeHealthcheck | None:
        definition = self.last(name, "healthcheck")
        return definition.healthcheck if definition else None

    def ports(self, name: str) -> list[ServicePort]:
        definition = self.last(name, "ports")
        return definition.ports if definition else []


def _items(node) -> list:
    if not isinstance(node, MappingNode):
        return []
    return [(key.value, key, value) for key, value in node.value if isinstance(key, ScalarNode)]


def _get(node, key: str):
    return next((value for name, _key, value in _items(node) if name == key), None)


def _value(node, path: tuple) -> Value | None:
    if not isinstance(node, ScalarNode):
        return None
    return Value(node.value, node_span(node, path), node.style or None)


def _healthcheck(node, path: tuple) -> ComposeHealthcheck | None:
    if not isinstance(node, MappingNode):
        return None
    disable = _value(_get(node, "disable"), path + ("disable",))
    test = _get(node, "test")
    if disable is not None and disable.text.lower() == "true":
        return ComposeHealthcheck(None, disable.span)
    if isinstance(test, ScalarNode):  # a string is CMD-SHELL
        return ComposeHealthcheck(_value(test, path + ("test",)), node_span(test, path + ("test",)))
    if isinstance(test, SequenceNode):
        words = [_value(item, path + ("test", index)) for index, item in enumerate(test.value)]
        words = [word for word in words if word is not None]
        span = node_span(test, path + ("test",))
        if not words or words[0].text == "NONE":
            return ComposeHealthcheck(None, span)
        rest = words[1:] if words[0].text in ("CMD", "CMD-SHELL") else words
        if len(rest) == 1:
            return ComposeHealthcheck(rest[0], rest[0].span)
        return ComposeHealthcheck(Value(" ".join(word.text for word in rest), span), span) if rest else None
    return None  # healthcheck: without test: the image's HEALTHCHECK (none in the official images)


def _ports(node, path: tuple) -> list[ServicePort]:
    ports = []
    for index, item in enumerate(node.value if isinstance(node, SequenceNode) else []):
        entry = path + (index,)
        if isinstance(item, ScalarNode):
            ports.extend(parse_service_port(_value(item, entry)))
        elif isinstance(item, MappingNode):  # long syntax: target / published / host_ip
            target, published = _value(_get(item, "target"), entry), _value(_get(item, "published"), entry)
            span_value = Value(target.text if target else "", node_span(item, entry))
            container = int(target.text) if target and target.text.isdigit() else None
            host = int(published.text) if published and published.text.isdigit() else None
            ports.append(ServicePort(host, container, None, "tcp", span_value))
    return ports


def _env(node, path: tuple) -> list[EnvVar]:
    env = []
    for name, key, value_node in _items(node):
        value = _value(value_node, path + (name,))
        if value is not None:
            env.append(EnvVar(name, value, "service", node_span(key, path + (name,))))
    if isinstance(node, SequenceNode):  # `- NAME=value`
        for index, item in enumerate(node.value):
            value = _value(item, path + (index,))
            if value is not None and "=" in value.text:
                name, _, text = value.text.partition("=")
                env.append(EnvVar(name, Value(text, value.span), "service", value.span))
    return env


def _service(name: str, key, node, budget: NodeBudget, file: str) -> ComposeService:
    path = ("services", name)
    # every list read below is one level deep: counting its items bounds a file whose services
    # all alias one huge list (each service is visited, and so is each of its items)
    budget.spend(len(node.value) + sum(len(child.value) for _key, child in node.value
                                       if isinstance(child, (MappingNode, SequenceNode))))
    healthcheck_node = _get(node, "healthcheck")
    if isinstance(healthcheck_node, MappingNode):
        budget.spend(sum(len(child.value) for _key, child in healthcheck_node.value if isinstance(child, SequenceNode)))
    image = _value(_get(node, "image"), path + ("image",))
    command_node = _get(node, "command")
    command = _value(command_node, path + ("command",))
    if isinstance(command_node, SequenceNode):
        words = [_value(item, path + ("command", index)) for index, item in enumerate(command_node.value)]
        command = Value(" ".join(word.text for word in words if word), node_span(command_node, path + ("command",)))
    depends = _get(node, "depends_on")
    depends_on = tuple(item.value for item in depends.value if isinstance(item, ScalarNode)) \
        if isinstance(depends, SequenceNode) else tuple(name for name, _key, _value_node in _items(depends))
    return ComposeService(
        name, node_span(key, path),
        parse_image(image) if image is not None and image.text.strip() else None,
        _ports(_get(node, "ports"), path + ("ports",)),
        _healthcheck(_get(node, "healthcheck"), path + ("healthcheck",)),
        command, _env(_get(node, "environment"), path + ("environment",)), depends_on, file,
    )


def parse_compose(data: bytes, path: str) -> ComposeFile | None:
    """The view of one compose file's bytes, or None when it is too large, not YAML, too deeply
    nested, or not a compose document (no `services:` mapping)."""
    if len(data) > MAX_COMPOSE_BYTES:
        return None
    document = parse_document(data)
    if document.root is None or any(problem.kind == "RC001" for problem in document.problems):
        return None
    services = _get(document.root, "services")
    if not isinstance(services, MappingNode):
        return None
    budget = NodeBudget(COMPOSE_NODE_BUDGET)
    try:
        parsed = [_service(name, key, node, budget, path) for name, key, node in _items(services)
                  if isinstance(node, MappingNode)]
    except BudgetExceeded:
        return None
    return ComposeFile(path, document.lines, parsed)


def merge_project(files: list[ComposeFile], named: tuple) -> ComposeProject:
    """The project of these files. named: the services on the command line (their `depends_on`
    start too); () means every service."""
    definitions: dict = {}
    for compose_file in files:
        for service in compose_file.services:
            definitions.setdefault(service.name, []).append(service)
    started = set(definitions) if not named else set()
    pending = [name for name in named if name in definitions]
    while pending:  # bounded: each name is added to `started` once
        name = pending.pop()
        if name not in started:
            started.add(name)
            pending.extend(dependency for service in definitions[name] for dependency in service.depends_on
                           if dependency in definitions and dependency not in started)
    redis = {}
    for name, services in definitions.items():
        image = next((service.image for service in reversed(services) if service.image), None)
        if name in started and image is not None and is_redis_image(image):
            redis[name] = services
    return ComposeProject(files, redis)


def repository_root(workflow_path: str) -> str | None:
    """The folder above `.github/` of a workflow path (`.github/workflows/ci.yml` -> ""), or None
    when the workflow is not in a `.github` folder (then compose files are not looked for)."""
    parts = posixpath.normpath(workflow_path.replace("\\", "/")).split("/")
    if ".github" not in parts[:-1]:
        return None
    index = len(parts) - 1 - parts[:-1][::-1].index(".github") - 1
    return "/".join(parts[:index])


def _is_literal(path: str) -> bool:
    return bool(path) and "$" not in path and "*" not in path


def join(root: str, *parts: str) -> str | None:
    """root joined with relative parts (an absolute part or `${{ github.workspace }}` starts from
    the root); None when a part is an expression or a variable, or leaves the repository."""
    path = root
    for part in parts:
        if not part:
            continue
        part = part.strip().replace("${{ github.workspace }}", "").replace("$GITHUB_WORKSPACE", "")
        if not part:
            path = root
            continue
        if not _is_literal(part):
            return None
        path = posixpath.join(root, part.lstrip("/")) if part.startswith("/") else posixpath.join(path, part)
    normal = posixpath.normpath(path) if path else "."
    root_normal = posixpath.normpath(root) if root else "."
    if root_normal != "." and not (normal == root_normal or normal.startswith(root_normal + "/")):
        return None
    if root_normal == "." and normal.startswith(".."):
        return None
    return "" if normal == "." else normal


def compose_projects(job) -> list:
    """(step, ComposeProject) of every step of the job whose compose files were read and start Redis."""
    return [(step, step.compose) for step in job.steps if step.compose is not None and step.compose.redis]


def compose_redis_definitions(job, attribute: str) -> list[ComposeService]:
    """For each Redis service the job's compose steps start, the definition whose `attribute`
    (image, ports, healthcheck) wins, once each."""
    found = []
    for _step, project in compose_projects(job):
        for name in project.redis:
            definition = project.last(name, attribute)
            if definition is not None and definition not in found:
                found.append(definition)
    return found
