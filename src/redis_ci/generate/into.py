"""`generate --into FILE --job NAME`: splice the Redis service and gate into an existing job.

Careful text insertion, not a YAML dump: the file is parsed only to find where things are
(PyYAML marks, through lint's reader, so both agree on what "a Redis service" is), the blocks
from `render` are indented to match and inserted between whole lines, and every other byte of
the file stays as the user wrote it. The result is parsed again before it may be written.
"""

from __future__ import annotations

import dataclasses

from redis_ci import recipe
from redis_ci.errors import FatalError, UsageError
from redis_ci.generate.render import client_env, gate_steps, indent, matrix_entry, service_entry, strategy_block
from redis_ci.generate.setup import Setup
from redis_ci.lint.lines import split_lines
from redis_ci.lint.model import build_workflow
from redis_ci.lint.yaml_nodes import MappingNode, Node, ScalarNode, SequenceNode, parse_document


def add_redis_to_job(path: str, setup: Setup) -> str:
    """The text of `path` with the Redis service, client env and gate added to job `setup.job_name`."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise FatalError(f"cannot read {path}: {exc.strerror}") from None
    document = parse_document(data)
    if document.root is None or document.problems:
        reason = document.problems[0].message if document.problems else "it is empty"
        raise UsageError(f"{path} cannot be edited: {reason}")
    job = _model_job(path, document, setup.job_name)
    if job.is_container_job:
        if setup.port != recipe.REDIS_PORT:
            raise UsageError(f"job {setup.job_name!r} is a container job: it reaches Redis at its label, no --port")
        image = job.container.image
        setup = dataclasses.replace(setup, container_image=image.value.text if image else "the job container")
    text = data.decode("utf-8-sig")
    bom = "\ufeff" if data.startswith(b"\xef\xbb\xbf") else ""
    lines = split_lines(text, keep_breaks=True)  # PyYAML's lines, so its marks index them
    newline = next((line[len(line.rstrip("\r\n")):] for line in lines if line.endswith(("\n", "\r"))), "\n")
    insertions = _plan(_job_node(document.root, setup.job_name), lines, setup)
    # Bottom up, so earlier line numbers stay valid; at one line, blocks keep their planned order.
    for at, _, block in sorted(((at, order, block) for order, (at, block) in enumerate(insertions)), reverse=True):
        if at == len(lines) and lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        lines[at:at] = [line + newline for line in block]
    result = bom + "".join(lines)
    _check_result(path, result, setup.job_name)
    return result


def _model_job(path: str, document, job_name: str):
    workflow = build_workflow(document, path)
    job = next((job for job in workflow.jobs if job.id == job_name), None)
    if job is None:
        raise UsageError(f"{path} has no job {job_name!r}")
    if job.uses is not None:
        raise UsageError(f"job {job_name!r} calls a reusable workflow, which cannot have services")
    not_linux = [label.text for label in job.runs_on if any(system in label.text.lower() for system in ("macos", "windows"))]
    if not_linux:
        raise UsageError(f"job {job_name!r} runs on {not_linux[0]}: services need a Linux runner")
    redis_steps = [step for step in job.steps if step.uses_action and "redis" in step.uses_action]
    if job.redis_services or redis_steps or job.service(recipe.SERVICE_LABEL):
        raise UsageError(f"job {job_name!r} already has Redis; check it with `redis-ci lint {path}`")
    return job


def _value(mapping: Node, key: str) -> tuple[Node, Node] | None:
    """(key node, value node) of `key` in a block mapping; refuses values that are aliases."""
    for key_node, value_node in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            if value_node.start_mark.index < key_node.end_mark.index:
                raise UsageError(f"`{key}:` is a YAML alias; add Redis to this job by hand")
            return key_node, value_node
    return None


def _job_node(root: Node, job_name: str) -> MappingNode:
    jobs = _value(root, "jobs") if isinstance(root, MappingNode) else None
    job = _value(jobs[1], job_name) if jobs and isinstance(jobs[1], MappingNode) else None
    if job is None or not _is_block(job[1], MappingNode):
        raise UsageError(f"job {job_name!r} is not a block mapping; add Redis to it by hand")
    return job[1]


def _line_after(node: Node) -> int:
    """The 0-based line where text inserted right after `node` goes.

    Block collections end where the next token starts (past trailing comments), so the end of
    their last value is used instead; a block scalar's end mark is already at column 0.
    """
    while isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, MappingNode) else last
    end = node.end_mark
    return end.line if end.column == 0 else end.line + 1


def _past_own_comments(lines: list[str], at: int, column: int) -> int:
    """Skip the comment lines indented deeper than `column` that close the previous entry."""
    while at < len(lines) and lines[at].lstrip().startswith("#"):
        if len(lines[at]) - len(lines[at].lstrip()) <= column:
            break
        at += 1
    return at


def _is_block(node: Node, kind: type) -> bool:
    """A non-empty block-style mapping or sequence: where whole lines can be added."""
    return isinstance(node, kind) and not node.flow_style and bool(node.value)


def _entry_column(mapping: MappingNode) -> int:
    return mapping.value[0][0].start_mark.column


def _plan(job: MappingNode, lines: list[str], setup: Setup) -> list[tuple[int, list[str]]]:
    """(0-based line, block lines) pairs: what to insert where."""
    column = _entry_column(job)
    steps = _value(job, "steps")
    if steps is None or not _is_block(steps[1], SequenceNode):
        raise UsageError(f"job {setup.job_name!r} has no block list of steps to gate")
    insertions = []
    # New job keys (strategy, services, env) go together right before `steps:`.
    head: list[str] = []
    strategy = _value(job, "strategy")
    if setup.is_matrix and strategy is None:
        head += indent(strategy_block(setup), column)
    elif setup.is_matrix:
        insertions.append(_matrix_axis_insertion(strategy[1], lines, setup))
    services = _value(job, "services")
    if services is None:
        head += indent(["services:", *indent(service_entry(setup), 2)], column)
    elif _is_block(services[1], MappingNode):
        insertions.append(_after_last_entry(services[1], lines, service_entry(setup)))
    else:
        raise UsageError(f"`services:` of job {setup.job_name!r} is not a block mapping; add Redis by hand")
    env = _value(job, "env")
    if env is None:
        head += indent(["env:", *indent(client_env(setup), 2)], column)
    elif not _is_block(env[1], MappingNode):
        raise UsageError(f"`env:` of job {setup.job_name!r} is not a block mapping; add REDIS_URL by hand")
    elif _value(env[1], "REDIS_URL") is None:
        insertions.append(_after_last_entry(env[1], lines, client_env(setup)))
    if head:
        insertions.append((_past_own_comments(lines, _line_before(job, steps[0]), column), head))
    gate = gate_steps(setup)
    if gate:
        insertions.append(_gate_insertion(steps, lines, gate))
    return insertions


def _after_last_entry(mapping: MappingNode, lines: list[str], entry: list[str]) -> tuple[int, list[str]]:
    """Insert `entry` as the last entry of a block mapping, after the previous entry's own comments."""
    column = _entry_column(mapping)
    return _past_own_comments(lines, _line_after(mapping), column), indent(entry, column)


def _matrix_axis_insertion(strategy: Node, lines: list[str], setup: Setup) -> tuple[int, list[str]]:
    """The server-version axis, added to the job's existing block matrix."""
    matrix = _value(strategy, "matrix") if isinstance(strategy, MappingNode) else None
    if matrix is None or not _is_block(matrix[1], MappingNode):
        raise UsageError(f"the matrix of job {setup.job_name!r} is not a block mapping; add {setup.matrix_key} by hand")
    if _value(matrix[1], setup.matrix_key) is not None:
        raise UsageError(f"the matrix of job {setup.job_name!r} already has {setup.matrix_key}")
    return _after_last_entry(matrix[1], lines, matrix_entry(setup))


def _line_before(mapping: MappingNode, key: Node) -> int:
    """Right after the entry that precedes `key`, so comments above `key:` stay with it."""
    previous = None
    for key_node, value_node in mapping.value:
        if key_node is key:
            break
        previous = value_node
    return _line_after(previous) if previous is not None else key.start_mark.line


def _gate_insertion(steps: tuple[Node, SequenceNode], lines: list[str], gate: list[str]) -> tuple[int, list[str]]:
    """Before the first step that runs commands (RC101's "first later step"), else at the end."""
    key, sequence = steps
    first = sequence.value[0]
    line = lines[first.start_mark.line]
    dash_column = max(line.rfind("-", 0, first.start_mark.column), 0)
    block = indent(gate, dash_column)
    for index, item in enumerate(sequence.value):
        if isinstance(item, MappingNode) and any(
            isinstance(k, ScalarNode) and k.value == "run" for k, _ in item.value
        ):
            at = _line_after(sequence.value[index - 1]) if index else key.end_mark.line + 1
            return _past_own_comments(lines, at, dash_column), block
    return _past_own_comments(lines, _line_after(sequence.value[-1]), dash_column), block


def _check_result(path: str, text: str, job_name: str) -> None:
    document = parse_document(text.encode("utf-8"))
    job = None
    if document.root is not None and not document.problems:
        job = next((job for job in build_workflow(document, path).jobs if job.id == job_name), None)
    service = job.service(recipe.SERVICE_LABEL) if job else None
    if service is None or not service.is_redis:
        raise FatalError(f"could not add Redis to {path} safely (its layout is unusual); the file is unchanged")
