"""Model helpers the connectivity, platform and image rules rely on: where an endpoint's
host is written (the RC202/RC203 fixes edit exactly that), `Workflow.text_at`, the
`redis-cli` commands a step runs on its own machine (RC304), Docker Hub names, the
service `entrypoint:` key, and the image of a `docker run`."""

from __future__ import annotations

import textwrap

import pytest

from redis_ci.lint.model import (
    Value,
    build_workflow,
    find_client_endpoints,
    parse_image,
    redis_cli_calls,
    redis_start,
)
from redis_ci.lint.yaml_nodes import Span, parse_document


def model(text: str):
    return build_workflow(parse_document(textwrap.dedent(text).encode()), "w.yml")


WIRING = """
    on: push
    env:
      REDIS_URL: redis://user:pw@localhost:6379/0
    jobs:
      t:
        runs-on: ubuntu-latest
        env:
          REDIS_HOST: "redis"
          CACHE_URL: 'rediss://[::1]:6380'
        steps:
          - run: |
              redis-cli -h 'cache' -p 6379 ping
              python app.py --url redis://127.0.0.1/1
"""


def test_host_span_covers_the_host_as_written():
    workflow = model(WIRING)
    endpoints = find_client_endpoints(workflow, workflow.jobs[0])
    written = {(e.name, e.host): workflow.text_at(e.host_span) for e in endpoints}
    assert written == {
        ("REDIS_URL", "localhost"): "localhost",
        ("REDIS_HOST", "redis"): "redis",
        ("CACHE_URL", "::1"): "[::1]",
        ("redis-cli", "cache"): "cache",
        ("url", "127.0.0.1"): "127.0.0.1",
    }


def test_urls_inside_docker_commands_are_not_the_steps_endpoints():
    workflow = model("""
        on: push
        jobs:
          t:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  docker exec "$ID" redis-cli -u redis://localhost:6379 ping
                  docker run --rm -e CACHE_URL=redis://cache:6379 app:1 pytest
                  python app.py redis://127.0.0.1:6380
    """)
    endpoints = find_client_endpoints(workflow, workflow.jobs[0])
    assert [(e.host, e.port) for e in endpoints] == [("127.0.0.1", 6380)]


def test_host_span_is_none_without_a_literal_host():
    workflow = model("""
        on: push
        jobs:
          t:
            runs-on: ubuntu-latest
            env:
              REDIS_PORT: "6379"
              REDIS_URL: redis://${{ vars.HOST }}:6379
            steps:
              - run: redis-cli -p 6380 ping
    """)
    endpoints = find_client_endpoints(workflow, workflow.jobs[0])
    assert [e.host_span for e in endpoints] == [None, None, None]


def test_endpoints_are_found_once_per_job_and_callers_get_their_own_list():
    workflow = model(WIRING)
    job = workflow.jobs[0]
    first = find_client_endpoints(workflow, job)
    first.clear()
    assert find_client_endpoints(workflow, job) == job.cache["endpoints"]
    assert len(job.cache["endpoints"]) == 5


def test_text_at_is_empty_for_a_multi_line_span():
    workflow = model(WIRING)
    run = workflow.jobs[0].steps[0].run
    assert workflow.text_at(run.span) == ""


@pytest.mark.parametrize("script, calls", [
    ("redis-cli ping", ["redis-cli"]),
    ("docker exec ${{ job.services.redis.id }} redis-cli ping", []),
    ("docker compose exec redis redis-cli ping\nredis-cli -p 6380 info", ["redis-cli"]),
    ("echo 'redis-cli is missing'", []),
    ("which redis-cli-tool", []),
    ("command -v redis-cli || sudo apt-get install -y redis-tools\nredis-cli ping", ["redis-cli"]),
])
def test_redis_cli_calls_skip_containers_and_strings(script, calls):
    block = "".join(f"          {line}\n" for line in script.splitlines())
    workflow = model("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n" + block)
    step = workflow.jobs[0].steps[0]
    assert [workflow.text_at(span) for span in redis_cli_calls(step)] == calls


@pytest.mark.parametrize("text, hub_repository", [
    ("redis:8.2", "redis"),
    ("docker.io/library/redis", "redis"),
    ("library/Redis:7", "redis"),
    ("valkey/valkey:8.1", "valkey/valkey"),
    ("index.docker.io/bitnami/redis:7.2", "bitnami/redis"),
    ("ghcr.io/acme/redis:7", None),
    ("localhost:5000/redis", None),
])
def test_hub_repository_names_docker_hub_images_only(text, hub_repository):
    assert parse_image(Value(text, Span(1, 1, 1, 1))).hub_repository == hub_repository


def test_service_entrypoint_key_is_read():
    workflow = model("""
        on: push
        jobs:
          t:
            runs-on: ubuntu-latest
            services:
              redis:
                image: redis:8.2
                entrypoint: redis-server
              plain:
                image: redis:8.2
    """)
    redis, plain = workflow.jobs[0].services
    assert (redis.entrypoint.text, redis.entrypoint.span.line) == ("redis-server", 9)
    assert plain.entrypoint is None


@pytest.mark.parametrize("script, image", [
    ("docker run -d --name redis -p 6379:6379 redis:8.2", "redis:8.2"),
    ("docker run -d --name redis -p 6379:6379 \\\n  valkey/valkey:8.1 --save ''", "valkey/valkey:8.1"),
    ("docker run -dit --network=host --rm redis:7", "redis:7"),
    ("docker run --rm -v cache:/data myapp:1 redis-server", None),
])
def test_docker_run_image_is_the_first_word_that_is_no_option_value(script, image):
    block = "".join(f"          {line}\n" for line in script.splitlines())
    workflow = model("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n" + block)
    start = redis_start(workflow.jobs[0].steps[0])
    assert (start.image if start and start.kind == "docker-run" else None) == image
