"""The replay fails, waits and cleans up exactly where and as the runner does, on real Docker."""

from __future__ import annotations

import random

import pytest
import yaml
from runner.docker_support import docker, free_port

from redis_ci.runner import hold
from redis_ci.runner.arguments import split_arguments
from redis_ci.runner.replay import ContainerCreateFailed, JobReplay, ServicesFailed

pytestmark = pytest.mark.usefixtures("nothing_left_behind")


def job(text: str) -> dict:
    return yaml.safe_load(text)


def labelled(replay: JobReplay) -> list[str]:
    """Containers still carrying the replay's instance label (the runner's --label)."""
    return docker("ps", "--all", "--quiet", "--filter", f"label={replay.instance_label}").stdout.split()


def test_single_quoted_health_cmd_fails_at_docker_create_like_the_runner():
    replay = JobReplay(job("""
services:
  redis:
    image: redis:7-alpine
    ports: ["6379:6379"]
    options: --health-cmd 'redis-cli ping' --health-interval 1s
"""), host_ports=free_port)
    with pytest.raises(ContainerCreateFailed) as failure:
        replay.__enter__()
    arguments = replay.create_arguments[0]
    words = split_arguments(arguments)
    # .NET hands Docker `'redis-cli` as the health command and `ping'` as the image
    assert words[words.index("--health-cmd") + 1] == "'redis-cli"
    assert "ping'" in words
    assert str(failure.value) == (
        f"Exit code {failure.value.exit_code} returned from process: file name '{replay.docker}', "
        f"arguments '{arguments}'."
    )
    assert failure.value.exit_code != 0 and "invalid reference format" in failure.value.stderr
    assert labelled(replay) == []  # no container was created
    assert replay.services == {}


def test_the_same_options_double_quoted_start_and_turn_healthy():
    with JobReplay(job("""
services:
  redis:
    image: redis:7-alpine
    ports: ["6379:6379"]
    options: --health-cmd "redis-cli ping" --health-interval 1s
"""), host_ports=free_port, rng=random.Random(1)) as replay:
        assert replay.services["redis"].health == "healthy"
        assert len(labelled(replay)) == 1
        assert "redis service is healthy." in replay.log
    assert labelled(replay) == []


def test_a_literal_block_of_options_keeps_its_newlines_and_breaks_docker_create():
    replay = JobReplay(job("""
services:
  redis:
    image: redis:7-alpine
    options: |
      --health-cmd "redis-cli ping"
      --health-interval 1s
"""))
    with pytest.raises(ContainerCreateFailed):
        replay.__enter__()
    words = split_arguments(replay.create_arguments[0])
    assert "redis-cli ping\n--health-interval" in words and "1s\n" in words


def test_docs_recipe_holds_the_job_as_the_back_off_says():
    seed = 6379
    with JobReplay(job("""
services:
  redis:
    image: redis:7-alpine
    ports: ["6379:6379"]
    options: >-
      --health-cmd "redis-cli ping"
      --health-interval 10s
      --health-timeout 5s
      --health-retries 5
"""), host_ports=free_port, rng=random.Random(seed)) as replay:
        held = replay.ready_at - replay.containers_started_at
    earliest, latest = hold.runner_hold_range(10)
    # measured: within the model's range, give or take the docker inspect calls themselves
    assert earliest - 0.2 <= held <= latest + 1.5, (held, earliest, latest)
    # and inspection by inspection, on the seeded schedule: +0, +2, +2+w1, ...
    expected_rng, planned, at = random.Random(seed), [0.0], 0.0
    for attempt in range(len(replay.inspections) - 1):
        at += hold.draw_backoff(attempt, expected_rng)
        planned.append(at)
    assert [inspection.status for inspection in replay.inspections][-1] == "healthy"
    assert all(i.status == "starting" for i in replay.inspections[:-1])
    assert len(replay.inspections) == 4  # healthy at ~10.3 s: seen at the third re-inspection
    for inspection, when in zip(replay.inspections, planned):
        assert when - 0.05 <= inspection.at <= when + 1.0, (inspection, when)
    waits = [line for line in replay.log if "service is starting, waiting" in line]
    assert waits[0] == "redis service is starting, waiting 2 seconds before checking again."


def test_every_unhealthy_service_is_reported_then_the_job_fails():
    replay = JobReplay(job("""
services:
  first:
    image: redis:7-alpine
    options: --health-cmd "exit 1" --health-interval 1s --health-retries 1
  second:
    image: redis:7-alpine
    options: --health-cmd "exit 1" --health-interval 1s --health-retries 1
  fine:
    image: redis:7-alpine
"""), rng=random.Random(2))
    with pytest.raises(ServicesFailed) as failure:
        replay.__enter__()
    assert str(failure.value) == "One or more containers failed to start."
    assert failure.value.failed == ["first", "second"]
    for label in ("first", "second"):
        assert f"##[group]Service container {label} failed." in replay.log
    assert replay.log.count("##[error]Failed to initialize container redis:7-alpine") == 2
    assert "fine service is healthy." in replay.log  # no health check: not waited for
    replay.close()
    assert labelled(replay) == []


def test_without_a_health_check_the_runner_does_not_wait():
    with JobReplay(job("services:\n  redis:\n    image: redis:7-alpine\n")) as replay:
        assert [inspection.status for inspection in replay.inspections] == [""]
        assert replay.ready_at - replay.containers_started_at < 1.0


def test_a_container_job_reaches_the_service_by_its_label():
    with JobReplay(job("""
container: python:3.13-slim
services:
  cache:
    image: redis:7-alpine
"""), rng=random.Random(3)) as replay:
        assert "--network-alias cache" in replay.create_arguments[1]
        assert '--entrypoint "tail"' in replay.create_arguments[0]
        reply = replay.run_in_job(
            ["python3", "-c", "import socket; s = socket.create_connection(('cache', 6379), 5); "
             "s.sendall(b'PING\\r\\n'); print(s.recv(64).decode().strip())"]
        )
        assert reply.returncode == 0 and reply.stdout.strip() == "+PONG", reply
