"""model/starts.py and model/waits.py: what compose ups, compose actions, restarts and TCP waits
record (the compose-file reader reads `RedisStart.compose`), and which restarts are of Redis."""

from __future__ import annotations

import textwrap

from redis_ci.lint.model import (
    build_workflow,
    compose_ups,
    other_starts,
    redis_in_job,
    redis_start,
    tcp_waits,
)
from redis_ci.lint.yaml_nodes import parse_document


def model(text: str):
    return build_workflow(parse_document(textwrap.dedent(text).encode()), "w.yml")


def test_compose_up_records_files_directory_services_and_wait():
    wf = model("""
        jobs:
          t:
            steps:
              - run: |
                  docker compose -f base.yml --file=ci.yml --project-directory deploy up -d --wait --wait-timeout 60 redis web
              - run: docker-compose -fother.yml up --build
              - run: docker compose ps && docker compose logs redis
              - uses: hoverkraft-tech/compose-action@v2
                with:
                  compose-file: |
                    ./docker/a.yml
                    ./docker/b.yml
                  services: redis
                  up-flags: --build --wait
                  cwd: ./stack
    """)
    steps = wf.jobs[0].steps
    first = redis_start(steps[0]).compose
    assert (first.files, first.project_directory, first.services, first.waits) == (
        ("base.yml", "ci.yml"), "deploy", ("redis", "web"), True)
    second = compose_ups(steps[1].run)[0]
    assert (second.files, second.services, second.waits) == (("other.yml",), (), False)
    assert redis_start(steps[2]) is None  # `ps` and `logs` start nothing
    action = redis_start(steps[3])
    assert action.kind == "compose"
    assert (action.compose.files, action.compose.project_directory, action.compose.services, action.compose.waits) == (
        ("./docker/a.yml", "./docker/b.yml"), "./stack", ("redis",), True)


def test_restarts_count_only_for_redis():
    wf = model("""
        jobs:
          t:
            services:
              cache:
                image: redis:8.2
              db:
                image: postgres:17
            steps:
              - run: docker run -d --name store -p 6380:6379 valkey/valkey:8.1
              - run: docker restart ${{ job.services.cache.id }}
              - run: docker restart ${{ job.services.db.id }}
              - run: docker restart store
              - run: docker container restart my-redis-1
              - run: sudo systemctl restart redis-server.service
              - run: sudo service postgresql restart
              - run: docker compose restart worker
    """)
    job = wf.jobs[0]
    restarted = [item.step.index for item in redis_in_job(job) if item.start and item.start.kind == "restart"]
    assert restarted == [1, 3, 4, 5]


def test_other_starts_and_tcp_waits():
    wf = model("""
        jobs:
          t:
            steps:
              - run: |
                  docker run -d -p 4317:4317 otel/opentelemetry-collector:0.115.0
                  docker run --rm alpine:3 true
                  docker run -d redis:8.2
                  ./server --port 8080 &
                  make build 2>&1 > log
              - run: ./wait-for-it.sh redis:6379 -t 30 && wait4x tcp 127.0.0.1:6380 && dockerize -wait tcp://db:5432
              - run: until nc -z localhost 6379 && redis-cli ping; do sleep 1; done
    """)
    steps = wf.jobs[0].steps
    text = steps[0].run.text
    assert [text[offset:].split()[0:3] for offset in other_starts(steps[0])] == [
        ["docker", "run", "-d"], ["./server", "--port", "8080"]]
    assert text[other_starts(steps[0])[0]:].startswith("docker run -d -p 4317")
    assert [(w.tool, w.host, w.port) for w in tcp_waits(steps[1])] == [
        ("wait-for-it", "redis", 6379), ("wait4x tcp", "127.0.0.1", 6380), ("dockerize", "db", 5432)]
    assert tcp_waits(steps[2]) == []  # it PINGs too
