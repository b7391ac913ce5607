"""Paths -> per-file results: read, parse, build the model, run the rules, sort findings.

No output and no exit codes here (`command.py` and `render.py` do that).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from redis_ci.lint.model import build_workflow
from redis_ci.lint.rule import Finding, Rule
from redis_ci.lint.yaml_nodes import parse_document

DEFAULT_PATH = os.path.join(".github", "workflows")
WORKFLOW_SUFFIXES = (".yml", ".yaml")


@dataclass
class FileResult:
    """The outcome for one file: its findings (sorted, no exact duplicates) and its lines
    (for source excerpts), or read_error when the file could not be read (exit 3)."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    read_error: str | None = None


def find_workflow_files(paths: list[str]) -> list[str]:
    """Files given as is; folders searched recursively for .yml/.yaml (sorted).
    Raises FileNotFoundError for a path that does not exist."""
    files = []
    for path in paths:
        if os.path.isdir(path):
            found = []
            for folder, _dirs, names in os.walk(path):
                found.extend(os.path.join(folder, name) for name in names if name.endswith(WORKFLOW_SUFFIXES))
            files.extend(sorted(found))
        elif os.path.exists(path):
            files.append(path)
        else:
            raise FileNotFoundError(path)
    return list(dict.fromkeys(files))


def check_workflow_bytes(data: bytes, path: str, rules: list[type[Rule]]) -> FileResult:
    """Run rules (classes; each built fresh for this file) on one file's bytes."""
    document = parse_document(data)
    workflow = build_workflow(document, path)
    findings: set[Finding] = set()
    for rule in (rule_class() for rule_class in rules):
        findings.update(rule.check_workflow(workflow))
        for job in workflow.jobs:
            findings.update(rule.check_job(job, workflow))
            for step in job.steps:
                findings.update(rule.check_step(step, job, workflow))
    # a set drops exact duplicates (an aliased node visited twice reports once)
    return FileResult(path, sorted(findings, key=Finding.sort_key), document.lines)


def lint_file(path: str, rules: list[type[Rule]]) -> FileResult:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return FileResult(path, read_error=exc.strerror or str(exc))
    return check_workflow_bytes(data, path, rules)


def lint_paths(paths: list[str], rules: list[type[Rule]]) -> list[FileResult]:
    """Lint every workflow file under paths, in path order."""
    return [lint_file(path, rules) for path in find_workflow_files(paths)]
