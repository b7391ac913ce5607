"""The model's tricky parsing: ports, YAML 1.1, aliases, options, endpoints, spans, gates."""

from __future__ import annotations

import textwrap

import pytest

from redis_ci.lint.engine import check_workflow_bytes
from redis_ci.lint.model import (
    Value,
    build_workflow,
    find_client_endpoints,
    is_gate,
    parse_duration,
    parse_image,
    parse_service_port,
    redis_start,
)
from redis_ci.lint.rules import ALL_RULES
from redis_ci.lint.yaml_nodes import MAX_WORKFLOW_BYTES, Span, parse_document
from test_fuzz import cpu_seconds  # CPU time: bounds that hold on a loaded machine


def model(text: str):
    return build_workflow(parse_document(textwrap.dedent(text).encode()), "w.yml")


def value(text: str) -> Value:
    return Value(text, Span(1, 1, 1, len(text) + 1))


@pytest.mark.parametrize("entry, expected", [
    ("6379:6379", [(6379, 6379, None, "tcp")]),
    ("6379", [(None, 6379, None, "tcp")]),
    ("6379/tcp", [(None, 6379, None, "tcp")]),
    ("127.0.0.1:6380:6379", [(6380, 6379, "127.0.0.1", "tcp")]),
    ("127.0.0.1::6379", [(None, 6379, "127.0.0.1", "tcp")]),
    ("[::1]:6380:6379/udp", [(6380, 6379, "::1", "udp")]),
    ("7000-7001:7000-7001", [(7000, 7000, None, "tcp"), (7001, 7001, None, "tcp")]),
    ("${{ matrix.port }}:6379", [(None, None, None, "tcp")]),
])
def test_service_port_forms(entry, expected):
    ports = parse_service_port(value(entry))
    assert [(p.host, p.container, p.host_ip, p.protocol) for p in ports] == expected


def test_ports_from_yaml_keep_text_as_written():
    # YAML 1.1 reads 6379:6379 unquoted as a base-60 integer (22_997_979); we read the text
    wf = model("""
        on: push
        jobs:
          t:
            runs-on: ubuntu-latest
            services:
              redis:
                image: redis
                ports: [6379:6379, 6380, "127.0.0.1:6381:6379"]
    """)
    ports = wf.jobs[0].services[0].ports
    assert [(p.host, p.container) for p in ports] == [(6379, 6379), (None, 6380), (6381, 6379)]
    assert ports[0].value.span.line == 9


@pytest.mark.parametrize("text, registry, repository, tag, digest", [
    ("redis", None, "redis", None, None),
    ("redis:8.2-alpine", None, "redis", "8.2-alpine", None),
    ("valkey/valkey:8.1", None, "valkey/valkey", "8.1", None),
    ("ghcr.io/acme/redis-stack:7", "ghcr.io", "acme/redis-stack", "7", None),
    ("localhost:5000/redis:7", "localhost:5000", "redis", "7", None),
    ("redis@sha256:abc", None, "redis", None, "sha256:abc"),
    ("redis:${{ matrix.version }}", None, "redis", "${{ matrix.version }}", None),
])
def test_image_parts(text, registry, repository, tag, digest):
    image = parse_image(value(text))
    assert (image.registry, image.repository, image.tag, image.digest) == (registry, repository, tag, digest)


def test_matrix_values_resolve_runs_on_and_image():
    wf = model("""
        on: push
        jobs:
          t:
            runs-on: ${{ matrix.os }}
            strategy:
              matrix:
                os: [ubuntu-24.04, macos-15]
                include:
                  - os: windows-2025
                    image: valkey/valkey:8
            services:
              kv:
                image: ${{ matrix.image }}
    """)
    job = wf.jobs[0]
    assert [v.text for v in job.runs_on] == ["ubuntu-24.04", "macos-15", "windows-2025"]
    assert job.runs_on[1].span.line == 8  # points at the matrix value
    service = job.services[0]
    assert [i.repository for i in service.images] == ["valkey/valkey"]
    assert service.is_redis


def test_expression_image_without_matrix_falls_back_to_label():
    wf = model("""
        jobs:
          t:
            services:
              redis: {image: "${{ vars.IMAGE }}"}
              db: {image: "${{ vars.DB }}"}
              cache: {image: "valkey/valkey:${{ inputs.version }}"}
    """)
    assert [s.is_redis for s in wf.jobs[0].services] == [True, False, True]


def test_aliases_share_a_service_between_jobs():
    wf = model("""
        jobs:
          a:
            services:
              redis: &r {image: "redis:8", ports: ["6379:6379"]}
          b:
            services:
              redis: *r
    """)
    assert [job.services[0].ports[0].container for job in wf.jobs] == [6379, 6379]


def test_billion_laughs_is_bounded():
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 10):
        levels.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]")
    text = "\n".join(levels) + "\njobs:\n  t:\n    runs-on: *a9\n    strategy: {matrix: {x: *a9}}\n"
    result, elapsed = cpu_seconds(check_workflow_bytes, text.encode(), "laughs.yml", ALL_RULES)
    assert elapsed < 1.0, f"billion laughs took {elapsed:.2f} s of CPU"
    assert [f.code for f in result.findings] == ["RC001"]


def test_recursive_alias_does_not_loop():
    result = check_workflow_bytes(b"jobs: &j\n  t: *j\n", "r.yml", ALL_RULES)
    assert result.findings == []


def test_large_file_is_rc003_and_fast():
    step = "      - run: echo " + "x" * 60 + "\n"
    text = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n" + step * 8000
    assert len(text) > MAX_WORKFLOW_BYTES
    result, elapsed = cpu_seconds(check_workflow_bytes, text.encode(), "big.yml", ALL_RULES)
    assert elapsed < 1.0, f"a {len(text):,} byte file took {elapsed:.2f} s of CPU"
    assert [(f.code, f.span.line) for f in result.findings] == [("RC003", 1)]


@pytest.mark.parametrize("data", [b"", b"- a\n", b"42\n", b"jobs: 1\n", b"jobs:\n  t: string\n",
                                  b"jobs:\n  t:\n    steps: {a: 1}\n    services: [x]\n", b"\xff\xfe\x00"])
def test_odd_files_never_raise(data):
    check_workflow_bytes(data, "odd.yml", ALL_RULES)


def test_options_parsed():
    wf = model("""
        jobs:
          t:
            services:
              redis:
                image: redis
                options: >-
                  --health-cmd "redis-cli ping | grep -q PONG" --health-interval=500ms
                  --health-timeout 3s --health-retries 30 --health-start-period 1m30s
                  --health-start-interval 1s --sysctl vm.overcommit_memory=1 --entrypoint redis-server
    """)
    options = wf.jobs[0].services[0].options
    assert options.health_cmd == "redis-cli ping | grep -q PONG"
    assert (options.health_interval, options.health_timeout, options.health_retries) == (0.5, 3.0, 30)
    assert (options.health_start_period, options.health_start_interval) == (90.0, 1.0)
    assert options.sysctls == ("vm.overcommit_memory=1",)
    assert options.entrypoint == "redis-server"
    assert options.span_of("--sysctl") is not None and options.span_of("--no-healthcheck") is None


@pytest.mark.parametrize("text, seconds", [("1s", 1.0), ("1m30s", 90.0), ("250ms", 0.25), ("10", None), ("", None)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


def test_client_endpoints_from_env_and_run():
    wf = model("""
        env:
          REDIS_URL: redis://:secret@localhost:6380/0
        jobs:
          t:
            env:
              CELERY_BROKER_URL: redis://redis:6379/1
              REDIS_DB: "0"
              CACHE_DRIVER: redis
            steps:
              - env:
                  REDIS_HOST: localhost
                  REDIS_PORT: ${{ job.services.redis.ports['6379'] }}
                  OTHER: redis://x
                run: |
                  echo start
                  redis-cli -h 127.0.0.1 -p 6381 ping
                  docker exec redis redis-cli -h localhost ping
                  python app.py --url rediss://cache.example:6390
                  redis-cli -p ${{ env.PORT }} ping
    """)
    job = wf.jobs[0]
    found = [(e.source, e.level, e.name, e.host, e.port, e.port_ref) for e in find_client_endpoints(wf, job)]
    assert found == [
        ("env", "workflow", "REDIS_URL", "localhost", 6380, None),
        ("env", "job", "CELERY_BROKER_URL", "redis", 6379, None),
        ("env", "step", "REDIS_HOST", "localhost", None, None),
        ("env", "step", "REDIS_PORT", None, None, ("redis", 6379)),
        ("run", "step", "url", "cache.example", 6390, None),
        ("run", "step", "redis-cli", "127.0.0.1", 6381, None),
    ]


def test_run_spans_point_into_the_block():
    source = textwrap.dedent("""
        jobs:
          t:
            steps:
              - run: |
                  echo start
                  redis-cli -h 127.0.0.1 -p 6381 ping
              - run: redis-cli -h redis ping
    """)
    wf = build_workflow(parse_document(source.encode()), "w.yml")
    endpoints = find_client_endpoints(wf, wf.jobs[0])
    lines = source.splitlines()
    for endpoint in endpoints:
        span = endpoint.span
        assert lines[span.line - 1][span.column - 1:span.end_column - 1] in ("127.0.0.1 -p 6381", "redis")


def test_yaml11_keys_and_values_read_as_written():
    wf = model("""
        on: push
        jobs:
          yes:
            runs-on: off
            env: {REDIS_PORT: 0o17, REDIS_HOST: on}
    """)
    job = wf.jobs[0]
    assert job.id == "yes" and job.runs_on[0].text == "off"
    assert [(e.name, e.value.text) for e in job.env] == [("REDIS_PORT", "0o17"), ("REDIS_HOST", "on")]


def steps_of(text: str):
    return model(text).jobs[0].steps


def test_gates_and_redis_starts():
    steps = steps_of("""
        jobs:
          t:
            steps:
              - uses: redis-ci/redis-ci-action@v1
              - uses: acme/redis-ci-action@0123abc
              - uses: ./
                name: wait with redis-ci
              - run: redis-ci wait --url redis://localhost:6379
              - run: timeout 30 sh -c 'until redis-cli ping | grep -q PONG; do sleep 1; done'
              - run: until redis-cli ping; do sleep 1; done
              - run: docker compose up -d --wait
              - uses: shogo82148/actions-setup-redis@v1
              - uses: supercharge/redis-github-action@1.8.0
              - run: docker run -d -p 6379:6379 redis:8.2
              - run: redis-server --daemonize yes
              - run: sleep 5
    """)
    assert [is_gate(s) for s in steps] == [True, True, True, True, True, False, True, True, False, False, False, False]
    starts = [(s.index, redis_start(s).kind) for s in steps if redis_start(s)]
    assert starts == [(6, "compose"), (7, "action"), (8, "action"), (9, "docker-run"), (10, "redis-server")]
