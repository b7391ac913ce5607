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
      - run: sudo sysctl -w vm.overcommit_memory={overcommit}
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


def make_repo(root: Path, command: str, files: dict, extra: str = "", overcommit: int = 1) -> Path:
    workflow = root / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(WORKFLOW.format(command=command, extra=extra, overcommit=overcommit))
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
    assert findings(tmp_path) == [".github/workflows/ci.yml:8:14: RC101"]


def test_wait_is_no_gate_without_a_healthcheck(tmp_path):
    compose = "services:\n  redis:\n    image: redis:8.2\n    ports: ['6379:6379']\n"
    make_repo(tmp_path, "docker compose up --wait -d", {"compose.yml": compose})
    assert findings(tmp_path) == [".github/workflows/ci.yml:8:14: RC101"]


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


def test_compose_redis_on_the_runner_needs_overcommit(tmp_path):
    # the kernel setting is the runner's: a compose Redis forks like a service (RC302, fixed in
    # the workflow); Dragonfly and `--save ""` do not need it
    make_repo(tmp_path / "a", "docker compose up -d --wait", {"docker-compose.yml": COMPOSE_GOOD}, overcommit=0)
    assert findings(tmp_path / "a") == [".github/workflows/ci.yml:8:14: RC302"]
    off = COMPOSE_GOOD.replace("    ports:", '    command: redis-server --save ""\n    ports:')
    make_repo(tmp_path / "b", "docker compose up -d --wait", {"docker-compose.yml": off}, overcommit=0)
    assert findings(tmp_path / "b") == []


def test_published_port_against_clients(tmp_path):
    make_repo(tmp_path, "docker compose up -d --wait",
              {"docker-compose.yml": COMPOSE_GOOD.replace('"6379:6379"', '"6380:6379"')})
    assert findings(tmp_path) == [".github/workflows/ci.yml:11:22: RC204"]


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
    from test_formats import sarif_problems

    assert sarif_problems(sarif) == []
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
    data = WORKFLOW.format(command="docker compose up -d --wait", extra="", overcommit=1).encode()
    result = check_workflow_bytes(data, str(tmp_path / "ci.yml"), ALL_RULES)
    assert all(finding.file is None for finding in result.findings)


def test_workflow_dependencies_lists_the_files_looked_at(tmp_path):
    data = WORKFLOW.format(command="docker compose -f a.yml -f b.yml up -d", extra="", overcommit=1).encode()
    workflow = build_workflow(parse_document(data), "repo/.github/workflows/ci.yml")
    assert workflow_dependencies(workflow) == ["repo/a.yml", "repo/b.yml"]
    data = WORKFLOW.format(command="docker compose up -d\n        working-directory: svc", extra="", overcommit=1).encode()
    workflow = build_workflow(parse_document(data), ".github/workflows/ci.yml")
    dependencies = workflow_dependencies(workflow)
    assert dependencies[:2] == ["svc/compose.yaml", "svc/compose.override.yaml"] and "docker-compose.yml" in dependencies


def test_compose_view_reads_every_syntax():
    from redis_ci.lint.model.compose import merge_project, parse_compose

    text = b"""\
services:
  app:
    build: .
    depends_on:
      cache: {condition: service_healthy}
  cache:
    image: "valkey/valkey:8.1"
    command: ["valkey-server", "--requirepass", "$$PASSWORD"]
    environment:
      - PASSWORD=secret
    ports:
      - target: 6379
        published: 6380
      - "127.0.0.1:6381:6379"
      - "${REDIS_PORT:-6379}:6379"
    healthcheck:
      test: valkey-cli ping | grep PONG
  off:
    image: redis:8.2
    healthcheck:
      test: ["NONE"]
  disabled:
    image: redis:8.2
    healthcheck:
      disable: true
"""
    parsed = parse_compose(text, "compose.yaml")
    cache = parsed.services[1]
    assert (cache.name, cache.image.repository, cache.image.tag) == ("cache", "valkey/valkey", "8.1")
    assert [(port.host, port.container) for port in cache.ports] == [(6380, 6379), (6381, 6379), (None, None)]
    assert cache.healthcheck.command.text == "valkey-cli ping | grep PONG"
    assert cache.healthcheck.command.span.line == 17
    assert cache.command.text == "valkey-server --requirepass $$PASSWORD"
    assert [(env.name, env.value.text) for env in cache.env] == [("PASSWORD", "secret")]
    assert parsed.services[2].healthcheck.command is None and parsed.services[3].healthcheck.command is None
    assert set(merge_project([parsed], ("app",)).redis) == {"cache"}  # started as app's dependency
    assert set(merge_project([parsed], ()).redis) == {"cache", "off", "disabled"}


def test_a_later_file_overrides_image_and_healthcheck():
    from redis_ci.lint.model.compose import merge_project, parse_compose

    base = parse_compose(b"services:\n  kv:\n    image: redis:5.0\n    ports: ['6379:6379']\n", "a.yml")
    override = parse_compose(b"services:\n  kv:\n    image: redis:8.2\n    healthcheck:\n      test: redis-cli -e ping\n",
                             "b.yml")
    project = merge_project([base, override], ())
    assert project.last("kv", "image").file == "b.yml" and project.last("kv", "ports").file == "a.yml"
    assert project.healthcheck("kv").command.text == "redis-cli -e ping"


def test_paths_stay_in_the_repository():
    from redis_ci.lint.model.compose import join, repository_root

    assert repository_root(".github/workflows/ci.yml") == ""
    assert repository_root("repo/.github/workflows/ci.yml") == "repo"
    assert repository_root("ci.yml") is None
    assert join("repo", "backend", "docker/ci.yml") == "repo/backend/docker/ci.yml"
    assert join("repo", "backend", "/docker/ci.yml") == "repo/docker/ci.yml"
    assert join("repo", "${{ github.workspace }}/ci.yml") == "repo/ci.yml"
    assert join("repo", "../elsewhere.yml") is None
    assert join("", "../elsewhere.yml") is None
    assert join("repo", "$DIR/compose.yml") is None


def test_any_bytes_give_a_view_or_none():
    from hypothesis import given, settings, strategies

    from redis_ci.lint.model.compose import parse_compose

    pieces = strategies.sampled_from([b"services:", b"\n", b"  ", b"redis:", b"image: ", b"redis:7", b"ports:",
                                      b"- ", b"'6379:6379'", b"healthcheck:", b"test:", b"[", b"]", b",", b"{", b"}",
                                      b"&a ", b"*a", b"\xff", b"target: ", b"published: ", b"depends_on:"])

    @settings(max_examples=300, deadline=None)
    @given(strategies.lists(pieces, max_size=40))
    def check(parts):
        parsed = parse_compose(b"".join(parts), "compose.yaml")
        assert parsed is None or all(service.name for service in parsed.services)

    check()


def test_project_directory_without_files_is_where_compose_looks(tmp_path):
    make_repo(tmp_path, "docker compose --project-directory deploy/ci up -d --wait", {"deploy/ci/compose.yaml": COMPOSE_WEAK})
    assert findings(tmp_path) == ["deploy/ci/compose.yaml:3:12: RC401", "deploy/ci/compose.yaml:7:13: RC103"]


def test_aliases_cannot_make_a_small_file_costly():
    from redis_ci.lint.model.compose import parse_compose

    ports = ", ".join(["'6379:6379'"] * 5000)
    services = "".join(f"  s{index}: {{image: redis:8.2, ports: *p}}\n" for index in range(5000))
    data = f"x-ports: &p [{ports}]\nservices:\n{services}".encode()
    assert parse_compose(data, "compose.yaml") is None  # 25 million items to visit: over the node budget, Redis unknown


def test_a_script_that_changes_folder_leaves_redis_unknown(tmp_path):
    # the root compose file is not the one `cd docker && docker compose up` reads
    make_repo(tmp_path, "cd docker && docker compose up -d --wait", {"docker-compose.yml": COMPOSE_WEAK})
    assert findings(tmp_path) == []


def test_unused_ignore_comment_in_the_compose_file_is_rc000_there(tmp_path):
    compose = COMPOSE_GOOD.replace("image: redis:8.2\n", "image: redis:8.2  # redis-ci: ignore[RC404]\n")
    make_repo(tmp_path, "docker compose up -d --wait", {"docker-compose.yml": compose})
    document = json.loads(lint(tmp_path, "--format", "json", "--extend-select", "RC000").stdout)
    assert [(f["path"], f["line"], f["code"]) for f in document["findings"]] == [("docker-compose.yml", 3, "RC000")]
