"""Builds the typed tree (`tree`) from the YAML node tree (`yaml_nodes`), skipping what is malformed."""

from __future__ import annotations

import itertools
import re

from redis_ci.lint.model.expressions import MATRIX_REF
from redis_ci.lint.model.images import is_redis_image, parse_image
from redis_ci.lint.model.options import ContainerOptions, parse_container_options
from redis_ci.lint.model.ports import ServicePort, parse_service_port
from redis_ci.lint.model.tree import Container, EnvVar, Job, Service, Step, Workflow
from redis_ci.lint.model.value import Value
from redis_ci.lint.patterns import lazy_compile
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
    NODE_BUDGET,
    node_span,
)


# Most values a matrix-expanded field may take (a product of several matrix keys).
MAX_MATRIX_EXPANSION = 256


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
        self.default_directory: str | None = None  # the workflow's defaults.run.working-directory
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
        if "${{" not in value.text:
            return [value]
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

    def working_directory(self, node: Node | None, path: tuple) -> str | None:
        """`defaults.run.working-directory` of a job or the workflow."""
        value = self.value(self.get(self.get(self.get(node, "defaults"), "run"), "working-directory"), path)
        return value.text if value else None

    def step(self, index: int, node: Node, path: tuple, working_directory: str | None = None) -> Step:
        step_id = self.value(self.get(node, "id"), path + ("id",))
        directory = self.value(self.get(node, "working-directory"), path + ("working-directory",))
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
            working_directory=directory.text if directory else working_directory,
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
        directory = self.working_directory(node, path) or self.default_directory
        if isinstance(steps_node, SequenceNode):
            for index, step_node in enumerate(steps_node.value):
                if isinstance(step_node, MappingNode):
                    steps.append(self.step(index, step_node, path + ("steps", index), directory))
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
            self.default_directory = self.working_directory(root, ("defaults",))
            for job_id, key, job_node in _items(self.get(root, "jobs")):
                if isinstance(job_node, MappingNode):
                    workflow.jobs.append(self.job(job_id, key, job_node))
        except BudgetExceeded:
            problems.append(FileProblem("RC001", _over_budget_message(self.document), FILE_START))
            workflow.jobs = []
        return workflow


# `&name` starts an anchor; without one a file has no aliases, so only its size can exhaust the budget.
_ANCHOR = lazy_compile(r"(?:^|[\s\[{,:-])&[^\s\[\]{},]+", re.M)


def _over_budget_message(document: Document) -> str:
    """Say what made the model too big: aliases (a few lines that expand) or the file's own size."""
    if any("&" in line and _ANCHOR.search(line) for line in document.lines):
        return f"aliases expand this file beyond {NODE_BUDGET:,} YAML nodes, more than any workflow needs; not checked"
    return f"the file has more than {NODE_BUDGET:,} YAML nodes, far more than any workflow; not checked"


def build_workflow(document: Document, path: str) -> Workflow:
    """The model of one parsed file (never raises for bad content)."""
    return _Builder(document, path).workflow()
