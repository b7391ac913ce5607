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
# The scalar keys of a step the model reads, in the order `_Builder.step` unpacks them.
_STEP_SCALARS = ("id", "name", "uses", "run", "shell", "timeout-minutes", "working-directory")


def _items(node: Node | None) -> list:
    """(key text, key node, value node) of a mapping; [] for anything else."""
    if not isinstance(node, MappingNode):
        return []
    return [(key.value, key, value) for key, value in node.value if isinstance(key, ScalarNode)]


class _Builder:
    """Budget: every scalar read (present or not) and every list read spends one visit, so a
    file of aliases stops at NODE_BUDGET. The hot builders (step, service) spend for their
    fixed keys at once: the same total, in fewer calls. A builder reads a step, job or service
    mapping through one index of its keys (`fields`)."""

    def __init__(self, document: Document, path: str):
        self.document = document
        self.path = path
        self.budget = NodeBudget()
        self.default_directory: str | None = None  # the workflow's defaults.run.working-directory
        self._indexes: dict = {}  # id(mapping node) -> fields(node)
        self._key_nodes: dict = {}  # id(mapping node) -> {key text: its first key node}

    def fields(self, node: Node | None) -> dict:
        """key text -> value node of a mapping (the first of a repeated key); {} for anything
        else. Each mapping is indexed once, also when aliases make the builder visit it again
        and again (the budget counts the keys read, not the keys a mapping has)."""
        if not isinstance(node, MappingNode):
            return {}
        index = self._indexes.get(id(node))
        if index is None:
            # reversed: the first of a repeated key is written last, and stays
            index = self._indexes[id(node)] = {
                key.value: value for key, value in reversed(node.value) if isinstance(key, ScalarNode)}
        return index

    def get(self, node: Node | None, key: str) -> Node | None:
        """The value node of `key` in a mapping; None when absent or not a mapping."""
        return self.fields(node).get(key)

    def key_node(self, node: MappingNode, key: str) -> Node | None:
        """The first key node `key` of a mapping (where a finding about the key points)."""
        keys = self._key_nodes.get(id(node))
        if keys is None:
            keys = self._key_nodes[id(node)] = {
                item.value: item for item, _value in reversed(node.value) if isinstance(item, ScalarNode)}
        return keys.get(key)

    def scalar(self, node: Node | None, path: tuple, key) -> Value | None:
        """The scalar at node, the value of `key` under path, as a Value; None for a mapping,
        a sequence or nothing. Spends no budget (the caller does) and makes no path for an
        absent key: a step is asked for ten keys and has three."""
        return self._value(node, path + (key,)) if isinstance(node, ScalarNode) else None

    def value(self, node: Node | None, path: tuple) -> Value | None:
        """The scalar at node as a Value; None for a mapping, a sequence or nothing."""
        self.budget.spend()
        return self._value(node, path) if isinstance(node, ScalarNode) else None

    def _value(self, node: ScalarNode, path: tuple) -> Value:
        style = node.style  # (the Value makes its span from node and path when it is first read)
        if style == "|":
            return Value(node.value, None, style, self._block_indent(node.start_mark.line + 1), node, path)
        # libyaml reports a plain scalar's style as "", the pure-Python parser as None
        return Value(node.value, None, style or None, 0, node, path)

    def _block_indent(self, header_line: int) -> int:
        lines = self.document.lines
        for index in range(header_line, len(lines)):  # no slice: a file has many `run: |` blocks
            if lines[index].strip():
                return len(lines[index]) - len(lines[index].lstrip(" "))
        return 0

    def env(self, node: Node | None, level: str, path: tuple) -> list[EnvVar]:
        items = _items(node)
        if not items:
            return []
        self.budget.spend(len(items))
        env = []
        for name, key, value_node in items:
            if isinstance(value_node, ScalarNode):
                name_path = path + (name,)
                env.append(EnvVar(name, self._value(value_node, name_path), level, None, key))
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

    def matrix(self, strategy: Node | None, path: tuple) -> dict:
        node = self.get(strategy, "matrix")
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
        image = parse_image(value)
        expanded = self.expand(value, matrix)
        if len(expanded) == 1 and expanded[0] is value:  # no matrix value in it: the same image
            return image, [image]
        return image, [parse_image(item) for item in expanded]

    def ports(self, node: Node | None, path: tuple) -> list[ServicePort]:
        ports = []
        for value in self.scalar_list(node, path):
            ports.extend(parse_service_port(value))
        return ports

    def service(self, label: str, key: Node, node: Node, path: tuple, matrix: dict) -> Service:
        fields = self.fields(node)
        image, images = self.image(fields.get("image"), path + ("image",), matrix)
        ports_node = fields.get("ports")
        known = [item for item in images if "${{" not in item.repository]
        redis = any(is_redis_image(item) for item in known)
        if images and not known:  # `${{ vars.IMAGE }}`: the label is all we have
            redis = any(word in label.lower() for word in ("redis", "valkey"))
        self.budget.spend(2)  # command, entrypoint
        return Service(
            label,
            node_span(key, path),
            image,
            images,
            self.ports(ports_node, path + ("ports",)),
            None if ports_node is None else node_span(self.key_node(node, "ports"), path + ("ports",)),
            isinstance(ports_node, ScalarNode) and "${{" in ports_node.value,
            self.options(fields.get("options"), path + ("options",)),
            self.env(fields.get("env"), "service", path + ("env",)),
            self.scalar(fields.get("command"), path, "command"),
            redis,
            self.scalar(fields.get("entrypoint"), path, "entrypoint"),
        )

    def container(self, node: Node | None, path: tuple, matrix: dict) -> Container | None:
        if isinstance(node, ScalarNode):
            if not node.value.strip():
                return None
            image, _images = self.image(node, path, matrix)
            return Container(node_span(node, path), image, ContainerOptions(), [])
        if not isinstance(node, MappingNode):
            return None
        fields = self.fields(node)
        image, _images = self.image(fields.get("image"), path + ("image",), matrix)
        return Container(
            node_span(node, path),
            image,
            self.options(fields.get("options"), path + ("options",)),
            self.env(fields.get("env"), "container", path + ("env",)),
        )

    def working_directory(self, defaults: Node | None, path: tuple) -> str | None:
        """`defaults.run.working-directory` of a job or the workflow (defaults: its `defaults:`)."""
        value = self.value(self.get(self.get(defaults, "run"), "working-directory"), path)
        return value.text if value else None

    def step(self, index: int, node: Node, path: tuple, working_directory: str | None = None) -> Step:
        # the hottest builder (~14 steps per file): one index of the step's keys, one budget
        # spend for its 7 scalars and its `with:` entries, a path only for the keys present
        get = self.fields(node).get
        value = self._value
        scalars = []
        for key in _STEP_SCALARS:  # (a loop, not a comprehension: no function call per step)
            item = get(key)
            scalars.append(value(item, path + (key,)) if isinstance(item, ScalarNode) else None)
        step_id, name, uses, run, shell, timeout, directory = scalars
        with_items = _items(get("with"))
        self.budget.spend(7 + len(with_items))
        with_ = {}
        if with_items:
            with_path = path + ("with",)
            for key, _key, item in with_items:
                if isinstance(item, ScalarNode):
                    with_[key] = value(item, with_path + (key,))
        env = get("env")
        return Step(
            index,
            path,
            step_id.text if step_id else None,
            name,
            uses,
            run,
            shell,
            with_,
            [] if env is None else self.env(env, "step", path + ("env",)),
            timeout,
            directory.text if directory else working_directory,
            node=node,
        )

    def runs_on(self, node: Node | None, path: tuple, matrix: dict) -> list[Value]:
        labels = self.scalar_list(node, path)
        if isinstance(node, MappingNode):  # {group:, labels:}
            labels = self.scalar_list(self.get(node, "labels"), path + ("labels",))
        return [item for label in labels for item in self.expand(label, matrix)]

    def job(self, job_id: str, key: Node, node: Node) -> Job:
        path = ("jobs", job_id)
        fields = self.fields(node)
        matrix = self.matrix(fields.get("strategy"), path)
        services = [
            self.service(label, label_key, service_node, path + ("services", label), matrix)
            for label, label_key, service_node in _items(fields.get("services"))
            if isinstance(service_node, MappingNode)
        ]
        steps_node = fields.get("steps")
        steps = []
        directory = self.working_directory(fields.get("defaults"), path) or self.default_directory
        if isinstance(steps_node, SequenceNode):
            steps_path = path + ("steps",)
            for index, step_node in enumerate(steps_node.value):
                if isinstance(step_node, MappingNode):
                    steps.append(self.step(index, step_node, steps_path + (index,), directory))
        return Job(
            job_id,
            node_span(key, path),
            self.runs_on(fields.get("runs-on"), path + ("runs-on",), matrix),
            self.container(fields.get("container"), path + ("container",), matrix),
            services,
            steps,
            self.env(fields.get("env"), "job", path + ("env",)),
            matrix,
            self.value(fields.get("uses"), path + ("uses",)),
        )

    def workflow(self) -> Workflow:
        root = self.document.root
        problems = list(self.document.problems)
        workflow = Workflow(self.path, self.document.lines, [], [], problems)
        if not isinstance(root, MappingNode):  # empty file, a list, a scalar: nothing to check
            return workflow
        try:
            fields = self.fields(root)
            workflow.env = self.env(fields.get("env"), "workflow", ("env",))
            self.default_directory = self.working_directory(fields.get("defaults"), ("defaults",))
            for job_id, key, job_node in _items(fields.get("jobs")):
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
