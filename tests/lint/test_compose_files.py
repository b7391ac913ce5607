"""Compose files a workflow starts: found from the workflow's path, read with the workflow parser,
their Redis services judged in the compose file (path per finding in every format)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from redis_ci.lint.compose_files import workflow_dependencies
from redis_ci.lint.engine import check_workflow_bytes
from redis_ci.lint.model import build_workflow
from redis_ci.lint.model.compose import MAX_COMPOSE_BYTES
from redis_ci.lint.rules import ALL_RULES
from redis_ci.lint.yaml_nodes import parse_document

WORKFLOW = """\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: {command}
{extra}      - run: npm test
        env:
          REDIS_URL: redis://localhost:6379
"""

COMPOSE_WEAK = """\
services:
  cache:
    image: redis
    ports:
      - "6379:6379"
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 1s
"""

COMPOSE_GOOD = """\
services:
  cache:
    image: redis:8.2
    ports:
      - "6379:6379"
    healthcheck:
      test: ["CMD-SHELL", "redis-cli ping | grep -q PONG"]
      interval: 1s
"""


def make_repo(root: Path, command: str, files: dict, extra: str = "") -> Path:
    workflow = root / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(WORKFLOW.format(command=command, extra=extra))
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return workflow


def lint(root: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "redis_ci", "lint", *arguments, ".github/workflows/ci.yml"],
                          cwd=root, capture_output=True, text=True)


def findings(root: Path) -> list[str]:
    document = json.loads(lint(root, "--format", "json").stdout)
    return [f"{f['path']}:{f['line']}:{f['column']}: {f['code']}" for f in document["findings"]]


def test_default_name_found_and_reported_in_the_compose_file(tmp_path):
    make_repo(tmp_path, "docker compose up -d --wait", {"docker-compose.yml": COMPOSE_WEAK})
    assert findings(tmp_path) == ["docker-compose.yml:3:12: RC401", "docker-compose.yml:7:13: RC103"]


def test_up_without_wait_is_no_gate_and_a_clean_file_adds_nothing(tmp_path):
    make_repo(tmp_path, "docker compose up -d", {"compose.yaml": COMPOSE_GOOD})
    assert findings(tmp_path) == [".github/workflows/ci.yml:7:14: RC101"]


def test_wait_is_no_gate_without_a_healthcheck(tmp_path):
    compose = "services:\n  redis:\n    image: redis:8.2\n    ports: ['6379:6379']\n"
    make_repo(tmp_path, "docker compose up --wait -d", {"compose.yml": compose})
    assert findings(tmp_path) == [".github/workflows/ci.yml:7:14: RC101"]


def test_file_flag_and_working_directory(tmp_path):
    command = "docker compose -f ci/redis.yml up -d --wait\n        working-directory: docker"
    make_repo(tmp_path, command, {"docker/ci/redis.yml": COMPOSE_WEAK, "docker-compose.yml": COMPOSE_GOOD})
    assert findings(tmp_path) == ["docker/ci/redis.yml:3:12: RC401", "docker/ci/redis.yml:7:13: RC103"]


def test_compose_action_input(tmp_path):
    extra = ""
    workflow = make_repo(tmp_path, "true", {"docker/ci.yml": COMPOSE_WEAK.replace("image: redis", "image: redis:5")})
    text = workflow.read_text().replace("      - run: true\n", "      - uses: hoverkraft-tech/compose-action@v2\n"
                                        "        with:\n          compose-file: docker/ci.yml\n"
                                        "          up-flags: --wait\n" + extra)
    workflow.write_text(text)
    assert findings(tmp_path) == ["docker/ci.yml:3:12: RC404", "docker/ci.yml:7:13: RC103"]


def test_published_port_against_clients(tmp_path):
    make_repo(tmp_path, "docker compose up -d --wait",
              {"docker-compose.yml": COMPOSE_GOOD.replace('"6379:6379"', '"6380:6379"')})
    assert findings(tmp_path) == [".github/workflows/ci.yml:10:22: RC204"]


@pytest.mark.parametrize("content", [None, b"services: [unclosed\n", b"just a string\n",
                                     b"x" * (MAX_COMPOSE_BYTES + 1), b"services:\n  a: " + b"[" * 200 + b"\n"],
                         ids=["missing", "not_yaml", "not_compose", "too_large", "too_deep"])
def test_missing_or_invalid_compose_file_leaves_redis_unknown(tmp_path, content):
    # the job's client still talks to Redis: a compose start with Redis unknown counts (RC101),
    # but nothing is said about the file
    make_repo(tmp_path, "docker compose up -d", {})
    if content is not None:
        (tmp_path / "docker-compose.yml").write_bytes(content)
    result = lint(tmp_path, "--format", "json")
    assert result.stderr == "" and "Traceback" not in result.stdout
    paths = {finding["path"] for finding in json.loads(result.stdout)["findings"]}
    assert paths == {".github/workflows/ci.yml"}


def test_ignore_comment_in_the_compose_file(tmp_path):
    compose = COMPOSE_WEAK.replace("image: redis\n", "image: redis  # redis-ci: ignore[RC401] tracks latest on purpose\n")
    make_repo(tmp_path, "docker compose up -d --wait", {"docker-compose.yml": compose})
    assert findings(tmp_path) == ["docker-compose.yml:7:13: RC103"]


def test_text_and_sarif_point_at_the_compose_file(tmp_path):
    make_repo(tmp_path, "docker compose up -d --wait", {"docker-compose.yml": COMPOSE_WEAK})
    text = lint(tmp_path, "--format", "text").stdout
    assert "docker-compose.yml:3:12: RC401" in text and "3 |     image: redis" in text
    sarif = json.loads(lint(tmp_path, "--format", "sarif").stdout)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]]
    assert uris == ["docker-compose.yml", "docker-compose.yml"]
    github = lint(tmp_path, "--format", "github").stdout
    assert github.count("file=docker-compose.yml,") == 2


def test_fix_never_edits_the_compose_file(tmp_path):
    make_repo(tmp_path, "docker compose up -d --wait", {"docker-compose.yml": COMPOSE_WEAK})
    lint(tmp_path, "--fix")
    assert (tmp_path / "docker-compose.yml").read_text() == COMPOSE_WEAK


def test_no_github_folder_means_no_compose_lookup(tmp_path):
    (tmp_path / "docker-compose.yml").write_text(COMPOSE_WEAK)
    data = WORKFLOW.format(command="docker compose up -d --wait", extra="").encode()
    result = check_workflow_bytes(data, str(tmp_path / "ci.yml"), ALL_RULES)
    assert all(finding.file is None for finding in result.findings)


def test_workflow_dependencies_lists_the_files_looked_at(tmp_path):
    data = WORKFLOW.format(command="docker compose -f a.yml -f b.yml up -d", extra="").encode()
    workflow = build_workflow(parse_document(data), "repo/.github/workflows/ci.yml")
    assert workflow_dependencies(workflow) == ["repo/a.yml", "repo/b.yml"]
    data = WORKFLOW.format(command="docker compose up -d\n        working-directory: svc", extra="").encode()
    workflow = build_workflow(parse_document(data), ".github/workflows/ci.yml")
    dependencies = workflow_dependencies(workflow)
    assert dependencies[:2] == ["svc/compose.yaml", "svc/compose.override.yaml"] and "docker-compose.yml" in dependencies
