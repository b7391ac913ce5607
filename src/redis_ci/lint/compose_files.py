"""The compose files a workflow's `docker compose up` steps (and compose actions) read, found
from the workflow's path and read for the model (`model.compose`): the one place lint reads a
file other than the workflow. Rules see the result on `Step.compose`, never a path.

Where compose looks: the `-f`/`--file` arguments (or `COMPOSE_FILE`, or the action's
`compose-file` input), relative to the step's `working-directory` (the action's `cwd`) below
the repository root (the folder above `.github/`); without them, the first of the default names
in that folder or a parent up to the root, plus its override file. A file that is missing,
unreadable, too large or not a compose document leaves Redis unknown for that step.
"""

from __future__ import annotations

import os
import posixpath

from redis_ci.lint.model import Step, Workflow, compose_action, compose_ups
from redis_ci.lint.model.compose import (
    ACTION_DEFAULT_FILE,
    DEFAULT_NAMES,
    MAX_COMPOSE_BYTES,
    OVERRIDE_NAMES,
    ComposeFile,
    join,
    merge_project,
    parse_compose,
    repository_root,
)
from redis_ci.lint.patterns import lazy_compile

# A step that starts compose more than this many folders deep gives up the parent search.
MAX_PARENT_SEARCH = 16
_CHANGES_DIRECTORY = lazy_compile(r"(?:^|[\s;&|(])(?:cd|pushd)\s")


def _compose_up(step: Step):
    """The compose up of a step (the action's, or the first in its `run:`), and whether it is an action."""
    action = compose_action(step)
    if action is not None:
        return action, True
    ups = compose_ups(step.run) if step.run is not None and "compose" in step.run.text else []
    return (ups[0], False) if ups else (None, False)


def _env_value(step: Step, job, workflow: Workflow, name: str) -> str | None:
    for level in (step.env, job.env, workflow.env):
        for variable in level:
            if variable.name == name:
                return variable.value.text
    return None


def planned_files(step: Step, job, workflow: Workflow) -> tuple[list, list] | None:
    """(files compose must read, default candidates in search order) for the step's compose up;
    None when it has none or its files cannot be known (not under `.github/`, an expression, a
    path out of the repository). Exactly one of the two lists is non-empty."""
    up, is_action = _compose_up(step)
    if up is None:
        return None
    root = repository_root(workflow.path)
    if root is None:
        return None
    if not is_action and _CHANGES_DIRECTORY.search(step.run.text, 0, step.run.text.find("compose")):
        return None  # `cd docker && docker compose up`: the folder is the script's, not known here
    directory = (up.project_directory if is_action else step.working_directory) or ""
    if not is_action and up.project_directory and not up.files:  # compose looks in the project directory
        directory = join("", directory, up.project_directory)
        if directory is None:
            return None
    if join(root, directory) is None:
        return None
    files = list(up.files)
    if not files and not is_action:
        environment = _env_value(step, job, workflow, "COMPOSE_FILE")
        files = environment.split(":") if environment else []
    if is_action and not files:
        files = [ACTION_DEFAULT_FILE]
    if files:
        resolved = [join(root, directory, name) for name in files]
        return None if None in resolved else (resolved, [])
    candidates, folder = [], join("", directory) or ""
    for _ in range(MAX_PARENT_SEARCH):  # compose looks in the parent folders too
        candidates.extend(join(root, folder, name) for name in DEFAULT_NAMES)
        if not folder:
            break
        folder = posixpath.dirname(folder)
    return [], candidates


def workflow_dependencies(workflow: Workflow) -> list[str]:
    """Every path (existing or not) whose content or existence a workflow's lint result depends
    on besides the workflow itself: the compose files and the default names looked for, with
    their override files. A result cache must key on these files' bytes too."""
    found: list[str] = []
    for job in workflow.jobs:
        for step in job.steps:
            plan = planned_files(step, job, workflow)
            if plan is None:
                continue
            files, candidates = plan
            found.extend(files)
            for candidate in candidates:
                found.extend((candidate, _override(candidate)))
    return list(dict.fromkeys(path or "." for path in found))


def _override(path: str) -> str:
    """The override file compose merges after a default-named file."""
    return posixpath.join(posixpath.dirname(path), OVERRIDE_NAMES[posixpath.basename(path)])


def _read(path: str) -> ComposeFile | None:
    try:
        with open(path or ".", "rb") as handle:
            data = handle.read(MAX_COMPOSE_BYTES + 1)
    except OSError:
        return None
    return parse_compose(data, path)


def load_compose_projects(workflow: Workflow) -> dict:
    """Read the compose files of every compose step and set `Step.compose` (None where unknown).
    Returns path -> ComposeFile of the files read (their lines serve excerpts and ignores)."""
    cache: dict = {}

    def read(path: str) -> ComposeFile | None:
        if path not in cache:
            cache[path] = _read(path) if os.path.isfile(path) else None
        return cache[path]

    for job in workflow.jobs:
        for step in job.steps:
            plan = planned_files(step, job, workflow)
            if plan is None:
                continue
            files, candidates = plan
            if not files:
                first = next((path for path in candidates if os.path.isfile(path)), None)
                if first is None:
                    continue
                override = _override(first)
                files = [first] + ([override] if os.path.isfile(override) else [])
            parsed = [read(path) for path in files]
            if None in parsed:
                continue  # one file missing or invalid: compose itself would fail or differ
            up, _ = _compose_up(step)
            step.compose = merge_project(parsed, up.services)
    return {path: parsed for path, parsed in cache.items() if parsed is not None}
