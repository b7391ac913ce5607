"""The runner's `docker create` strings, built from parsed YAML (no Docker needed here)."""

from __future__ import annotations

import pytest
import yaml

from redis_ci.runner import containers as spec
from redis_ci.runner.arguments import split_arguments
from redis_ci.runner.job import ExpressionError, runner_jobs


def containers(text: str) -> list[spec.Container]:
    return spec.job_containers(yaml.safe_load(text))


def test_service_string_in_the_runners_order():
    (redis,) = containers("""
services:
  redis:
    image: redis:7-alpine
    ports: ["6379:6379", 6380]
    options: >-
      --health-cmd "redis-cli ping"
      --health-interval 10s
    env:
      A: "1"
      B: ""
      C: say "hi"
""")
    assert spec.create_arguments(redis, "NAME", "LABEL", "NET") == (
        'create --name NAME --label LABEL --network NET --network-alias redis -p 6379:6379 -p 6380 '
        '--health-cmd "redis-cli ping" --health-interval 10s -e "A=1" -e "B" -e "C=say \\"hi\\"" '
        "-e GITHUB_ACTIONS=true -e CI=true redis:7-alpine"
    )


def test_command_and_entrypoint_are_pasted_as_written():
    (redis,) = containers("""
services:
  redis:
    image: docker://redis:8.2
    entrypoint: sh
    command: -c 'exec redis-server'
    env:
      CI: "false"
""")
    arguments = spec.create_arguments(redis, "N", "L", "NET")
    assert arguments.endswith('-e "CI=false" -e GITHUB_ACTIONS=true --entrypoint "sh" redis:8.2 -c \'exec redis-server\'')
    assert split_arguments(arguments)[-3:] == ["-c", "'exec", "redis-server'"]


def test_no_options_leave_a_double_space_as_the_runner_does():
    (redis,) = containers("services:\n  redis:\n    image: redis\n")
    assert "--network-alias redis  -e GITHUB_ACTIONS=true" in spec.create_arguments(redis, "N", "L", "NET")


def test_job_container_is_prepared_like_the_runner_does():
    job, service = containers("container:\n  image: python:3.13-slim\n  volumes: [\"/data:/data:ro\"]\nservices:\n  redis: redis\n")
    assert job.is_job_container and service.alias == "redis"
    spec.prepare_job_container(job, "/__w/repo/repo", [("/w", "/__w", False), ("/e", "/__e", True)])
    words = split_arguments(spec.create_arguments(job, "N", "L", "NET"))
    assert "--network-alias" not in words
    assert words[words.index("--workdir") + 1] == "/__w/repo/repo"
    volumes = [words[i + 1] for i, word in enumerate(words) if word == "-v"]
    assert volumes == ["/var/run/docker.sock:/var/run/docker.sock", "/data:/data:ro", "/w:/__w", "/e:/__e:ro"]
    assert words[-3:] == ["python:3.13-slim", "-f", "/dev/null"]
    assert words[words.index("--entrypoint") + 1] == "tail"
    assert "HOME=/github/home" in words


@pytest.mark.parametrize("text, message", [
    ("container:\n  image: python\n  command: x\n", "The key 'command' is not allowed"),
    ("services:\n  redis:\n    image: redis\n    health: x\n", "The key 'health' is not allowed"),
    ("services:\n  redis:\n    ports: [6379]\n", "no image"),
    ("services:\n  redis:\n    image: redis\n    env: [A]\n", "a mapping was expected"),
])
def test_what_the_runner_refuses(text, message):
    with pytest.raises(spec.ContainerSpecError, match=message):
        containers(text)


def test_matrix_legs_and_secrets_are_evaluated_before_the_strings():
    job = yaml.safe_load("""
strategy:
  matrix:
    v: ["7.4", "8.2"]
services:
  redis:
    image: redis:${{ matrix.v }}
    env:
      REDISCLI_AUTH: ${{ secrets.PW }}
      EMPTY: ${{ secrets.MISSING }}
""")
    legs = runner_jobs(job, {"PW": "p w"})
    assert [leg for leg, _ in legs] == [{"v": "7.4"}, {"v": "8.2"}]
    assert [evaluated["services"]["redis"]["image"] for _, evaluated in legs] == ["redis:7.4", "redis:8.2"]
    assert legs[0][1]["services"]["redis"]["env"] == {"REDISCLI_AUTH": "p w", "EMPTY": ""}
    with pytest.raises(ExpressionError):
        runner_jobs({"services": {"redis": {"image": "redis:${{ github.sha }}"}}})
