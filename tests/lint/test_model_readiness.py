"""The model helpers the readiness rules (RC101-RC105, RC302) read: preparation steps,
service passwords, option arguments as written, step timeouts, the runner's hold."""

from __future__ import annotations

import itertools
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redis_ci.lint.model import (
    split_options,
    build_workflow,
    first_gate_after,
    is_gate,
    is_preparation_step,
    next_step_needing_redis,
    option_argument_span,
    options_end,
    redis_client_steps,
    redis_in_job,
    redis_start,
    requirepass,
)
from redis_ci.lint.model.options import runner_words
from redis_ci.lint.yaml_nodes import parse_document
from redis_ci.runner.arguments import split_arguments
from redis_ci.runner.hold import first_probe_seconds, runner_hold


def model(text: str):
    source = textwrap.dedent(text)
    return build_workflow(parse_document(source.encode()), "w.yml"), source.splitlines()


def test_preparation_steps():
    wf, _ = model("""
        jobs:
          t:
            steps:
              - uses: actions/checkout@v5
              - uses: actions/setup-python@v6
              - uses: ruby/setup-ruby@v1
              - uses: actions/cache@v4
              - uses: actions/upload-artifact@v4
              - run: docker run -d -p 6379:6379 redis:8.2
              - uses: supercharge/redis-github-action@1.8.0
              - run: sudo sysctl -w vm.overcommit_memory=1
              - run: npm ci
              - run: sleep 5
              - run: pytest
              - uses: ./
              - uses: acme/integration-tests@v1
              - uses: docker://alpine:3
    """)
    flags = [is_preparation_step(step) for step in wf.jobs[0].steps]
    assert flags == [True] * 8 + [False] * 6


def test_requirepass_forms():
    wf, _ = model("""
        jobs:
          t:
            services:
              literal:
                image: redis
                command: redis-server --requirepass s3cret
              secret:
                image: redis
                command: redis-server --requirepass "${{ secrets.REDIS_PASSWORD }}"
              variable:
                image: redis
                env:
                  REDISCLI_AUTH: ${{ secrets.PW }}
                command: sh -c "exec docker-entrypoint.sh redis-server --requirepass \\"$REDISCLI_AUTH\\""
              stack:
                image: redis/redis-stack-server:7.4.0-v6
                env:
                  REDIS_ARGS: --requirepass ${PW} --save
              open:
                image: redis
                command: redis-server --save ""
    """)
    found = [requirepass(service) for service in wf.jobs[0].services]
    assert [(p.text, p.env_name, p.expression) if p else None for p in found] == [
        ("s3cret", None, None),
        ("${{ secrets.REDIS_PASSWORD }}", None, "${{ secrets.REDIS_PASSWORD }}"),
        ("$REDISCLI_AUTH", "REDISCLI_AUTH", "${{ secrets.PW }}"),
        ("${PW}", "PW", None),
        None,
    ]


@pytest.mark.parametrize("options, flag, expected", [
    ('options: --health-cmd "redis-cli ping" --health-interval 10s', "--health-cmd", '"redis-cli ping"'),
    ('options: --health-cmd "redis-cli ping" --health-interval 10s', "--health-interval", "10s"),
    ("options: --health-interval=10s --health-retries 5", "--health-interval", "10s"),
    ("options: \"--health-cmd 'redis-cli ping' --health-retries 5\"", "--health-retries", "5"),
    ("options: \"--health-cmd 'redis-cli ping' --health-retries 5\"", "--health-cmd", "'redis-cli ping'"),
    ('options: "--health-cmd \\"redis-cli ping\\" --health-retries 5"', "--health-cmd", '\\"redis-cli ping\\"'),
    ('options: --health-timeout 5s', "--health-interval", None),
    # a backslash inside the argument's double quotes escapes the next character (the slow way)
    ("options: --health-cmd 'redis-cli -a \"p\\\\\"w\" ping' --health-retries 5", "--health-cmd",
     "'redis-cli -a \"p\\\\\"w\" ping'"),
    ("options: >-\n                  --health-cmd \"a \\\" b\" --health-retries 5", "--health-cmd", '"a \\" b"'),
    ("options: >-\n                  --health-cmd \"a \\\\\" b\" --health-retries 5", "--health-cmd", '"a \\\\"'),
    ('options: --health-cmd "redis-cli ping', "--health-cmd", None),  # never closed
    ("options: --health-cmd 'redis-cli", "--health-cmd", None),
    ("options: x--health-interval 1s --health-interval 2s", "--health-interval", "2s"),
])
def test_option_argument_as_written(options, flag, expected):
    wf, lines = model(f"""
        jobs:
          t:
            services:
              redis:
                image: redis
                {options}
    """)
    opts = wf.jobs[0].services[0].options
    span = option_argument_span(lines, opts, flag)
    assert (lines[span.line - 1][span.column - 1:span.end_column - 1] if span else None) == expected


def test_option_argument_in_folded_options_and_end():
    wf, lines = model("""
        jobs:
          t:
            services:
              redis:
                image: redis
                options: >-
                  --health-cmd "redis-cli ping"
                  --health-interval 10s
                  --health-retries 5
                ports: ["6379:6379"]
    """)
    opts = wf.jobs[0].services[0].options
    span = option_argument_span(lines, opts, "--health-interval")
    assert (span.line, lines[span.line - 1][span.column - 1:span.end_column - 1]) == (9, "10s")
    end = options_end(lines, opts)
    assert (end.line, end.column) == (10, len(lines[9]) + 1)


def test_options_end_before_a_closing_quote():
    wf, lines = model("""
        jobs:
          t:
            services:
              redis:
                image: redis
                options: "--health-cmd 'redis-cli ping'"
    """)
    end = options_end(lines, wf.jobs[0].services[0].options)
    assert lines[end.line - 1][end.column - 1:] == '"'


def test_step_timeout_and_dogfooded_local_action():
    wf, _ = model("""
        jobs:
          t:
            steps:
              - run: until redis-cli ping; do sleep 1; done
                timeout-minutes: 2
              - uses: ./
                with:
                  service-id: ${{ job.services.redis.id }}
              - uses: ./
                with:
                  url: redis://localhost:${{ vars.REDIS_PORT }}/0
              - uses: ./some/other-action
                with:
                  url: https://example.com
    """)
    steps = wf.jobs[0].steps
    assert steps[0].timeout_minutes.text == "2" and steps[1].timeout_minutes is None
    assert [is_gate(step) for step in steps[1:]] == [True, True, False]


@pytest.mark.parametrize("interval, start_period, start_interval, hold", [
    (1, None, None, 2),  # recipe.HEALTH_OPTIONS
    (10, None, None, 14),  # GitHub's docs recipe (FACTS.md: seen at ~+14 s)
    (None, None, None, 62),  # only --health-cmd: Docker's 30 s default interval
    (5, None, None, 6),
    (30, 10, 1, 2),  # start-interval inside the start period
    (30, 10, None, 6),  # start period with Docker's default 5 s start-interval
    (1, None, 5, 2),  # a start-interval without a start period is not used
    (90, None, None, 94),
])
def test_runner_hold(interval, start_period, start_interval, hold):
    assert runner_hold(interval, start_period, start_interval) == hold


def test_first_probe_uses_docker_defaults_for_zero():
    assert first_probe_seconds(0, 0, 0) == 30 and first_probe_seconds(None, 5, 0) == 5


def test_redis_in_job_and_the_step_that_needs_it_first():
    wf, _ = model("""
        jobs:
          t:
            services:
              redis:
                image: redis:8.2
              checked:
                image: valkey/valkey:8.1
                options: --health-cmd "redis-cli ping | grep -q PONG"
              db:
                image: postgres:17
            steps:
              - uses: actions/checkout@v5
              - run: docker compose up -d web
              - run: docker compose up -d redis
              - uses: actions/setup-python@v6
              - run: pytest
    """)
    job = wf.jobs[0]
    found = [(r.service.label if r.service else r.step.index, r.begin, r.waits_by_itself) for r in redis_in_job(job)]
    assert found == [("redis", 0, False), ("checked", 0, True), (2, 3, False)]
    assert next_step_needing_redis(job.steps, 0).index == 4
    assert next_step_needing_redis(job.steps, 5) is None
    assert first_gate_after(job.steps, 0) is None


def test_first_gate_after_counts_positions_in_job_steps():
    wf, _ = model("""
        jobs:
          t:
            steps:
              - a string step the model skips
              - uses: redis-ci/redis-ci-action@v1
              - run: pytest
              - run: redis-ci wait --url redis://127.0.0.1:6379
    """)
    steps = wf.jobs[0].steps
    assert [first_gate_after(steps, begin) for begin in range(4)] == [0, 2, 2, None]


def test_installing_the_package_is_not_starting_redis():
    wf, _ = model("""
        jobs:
          t:
            steps:
              - run: sudo apt-get install -y redis-server redis-tools
              - run: brew install redis && redis-server --daemonize yes
              - run: redis-server --version
    """)
    starts = [redis_start(step) for step in wf.jobs[0].steps]
    assert [start.kind if start else None for start in starts] == [None, "redis-server", None]


def test_steps_that_visibly_talk_to_redis():
    wf, _ = model("""
        env:
          REDIS_URL: redis://localhost:6379
        jobs:
          t:
            steps:
              - run: pip install -r requirements.txt
              - run: pytest
                env:
                  REDIS_HOST: localhost
              - run: redis-cli -p 6380 ping
              - run: python app.py --redis redis://127.0.0.1:6379/1
              - run: docker exec redis redis-cli ping
    """)
    assert redis_client_steps(wf, wf.jobs[0]) == {1, 2, 3}


# Everything the .NET splitter or a shell treats specially, plus a space neither does (no-break space).
OPTION_CHARACTERS = ["a", " ", "\t", "\n", "\r", "'", '"', "\\", "\xa0", "-"]


def test_options_split_like_the_runner_for_every_short_text():
    # the model reads options: with the replay's own splitter (runner.arguments), not a shell's
    for length in range(5):
        for characters in itertools.product(OPTION_CHARACTERS, repeat=length):
            text = "".join(characters)
            assert split_options(text) == split_arguments(text), repr(text)
            assert runner_words(text) == split_arguments(text), repr(text)  # its one-regex fast path too


def test_options_read_as_the_runner_passes_them():
    wf, _lines = model("""
        jobs:
          t:
            runs-on: ubuntu-latest
            services:
              single:
                image: redis
                options: --health-cmd 'redis-cli ping' --health-interval 1s
              double:
                image: redis
                options: --health-cmd "redis-cli ping" --health-interval '1s' --label a=${{ format('{0} {1}', 'x', 'y') }}
        """)
    single, double = wf.jobs[0].services
    assert single.options.health_cmd == "'redis-cli"  # and `ping'` a stray word (Docker refuses it)
    assert single.options.health_interval == 1.0
    assert double.options.health_cmd == "redis-cli ping"
    assert double.options.health_interval is None  # Docker gets `'1s'`: not a duration
    assert runner_words("--label a=${{ format('{0} {1}', 'x', 'y') }} b") == [
        "--label", "a=${{ format('{0} {1}', 'x', 'y') }}", "b"]
