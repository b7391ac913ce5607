"""RC102 fixed-sleep-gate."""

from __future__ import annotations

import bisect
import re

from redis_ci import recipe
from redis_ci.lint.model import (
    first_gate_after,
    is_preparation_step,
    other_starts,
    redis_client_steps,
    redis_in_job,
    service_has_health_check,
)
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule
from redis_ci.lint.patterns import lazy_compile

_SLEEP = lazy_compile(r"(?<![\w-])sleep\s+(\d+(?:\.\d+)?[smh]?)(?![\w.])")
# Anything that asks Redis itself makes the step a check (RC103/RC105 judge how good it is).
_CHECK = lazy_compile(r"ping|/dev/tcp|\bnc\b|cluster_state|cluster\s+info", re.I)


class FixedSleepGate(Rule):
    """`sleep N` stands in for a readiness check of Redis.

    ## What it does
    Reports `sleep N` in the steps that run after Redis is started (a Redis service without a
    health check, or a step that starts Redis) when no gate follows the start: up to and
    including the first step that visibly talks to Redis (a Redis URL or host in its `env:` or
    script, a `redis-cli` call), else up to the end of the job. A step that asks Redis itself
    (`redis-cli ping`, `nc`, `/dev/tcp`) is a check, not a fixed sleep (see RC103, RC105).

    A sleep is blamed on Redis only when Redis is what it waits for: the nearest thing started
    before it is Redis (not a `docker run -d` of another image, a compose up without Redis, a
    `server &` or `service X start`); when only services were started before it and another
    service has no health check either (a Postgres before `rails db:setup`), only when the
    step it holds back visibly talks to Redis.

    ## Why is this bad?
    A fixed pause is a guess. On a busy runner Redis may need longer (`Connection refused`,
    `LOADING`, a flaky job); on a quiet one the job waits for nothing, on every run. And when
    Redis never comes up, the sleep hides why.

    ## Example
    ```yaml
    - run: docker run -d -p 6379:6379 redis:8.2
    - run: sleep 10
    - run: pytest
    ```

    ## Use instead
    ```yaml
    - run: docker run -d -p 6379:6379 redis:8.2
    - name: Wait for Redis
      uses: redis-ci/redis-ci-action@v1
      with:
        url: redis://127.0.0.1:6379/0
    - run: pytest
    ```

    ## Fix safety
    No automatic fix: the sleep may also wait for something else. RC101 (no-readiness-gate)
    reports the same job and its fix inserts the wait step; the sleep can then be deleted.
    """

    code = "RC102"
    name = "fixed-sleep-gate"
    triggers = REDIS_WORDS
    severity = "warning"
    fixable = False

    def check_job(self, job, workflow):
        found = redis_in_job(job, workflow)
        events = None  # (position, line, column, is Redis) of every start in a step, in order
        scanned: set = set()  # positions whose sleeps are reported already: each is scanned once
        for redis in found:
            if redis.waits_by_itself or first_gate_after(job.steps, redis.begin) is not None:
                continue
            clients = redis_client_steps(workflow, job)
            events = _start_events(job, found) if events is None else events
            other_unchecked = any(not service.is_redis and not service_has_health_check(service)
                                  for service in job.services)
            scripts = []  # (run Value, position after which a sleep counts)
            if redis.step is not None and redis.step.run is not None:
                start_end = (redis.start.span.end_line, redis.start.span.end_column)
                scripts.append((redis.begin - 1, redis.step.run, start_end))
            for position in range(redis.begin, len(job.steps)):
                if position in scanned:  # an earlier Redis's scan went on from here to the same end
                    break
                scanned.add(position)
                step = job.steps[position]
                if step.run is not None:
                    scripts.append((position, step.run, (0, 0)))
                if step.index in clients:  # the sleeps after the first client do not wait for Redis
                    break
            for position, run, after in scripts:
                if _CHECK.search(run.text):
                    continue
                for match in _SLEEP.finditer(run.text):
                    span = run.locate(match.start(), match.end())
                    if (span.line, span.column) < after:
                        continue
                    if not _waits_for_redis(job, events, clients, position, span, other_unchecked):
                        continue
                    yield self.finding(
                        f"`{match.group(0)}` waits a fixed time for Redis: too short on a slow runner, "
                        f"wasted on a fast one, and nothing checks that Redis answers; use the wait "
                        f"step (`uses: {recipe.ACTION_REF}`) or `redis-ci wait` instead",
                        span,
                    )


def _start_events(job, found) -> list:
    """(position, line, column, is Redis) of each start made by a step: Redis or another server."""
    position_of = {id(step): position for position, step in enumerate(job.steps)}
    events = [(position_of[id(redis.step)], redis.start.span.line, redis.start.span.column, True)
              for redis in found if redis.step is not None]
    for position, step in enumerate(job.steps):
        for offset in other_starts(step):
            span = step.run.locate(offset, offset + 1)
            events.append((position, span.line, span.column, False))
    return sorted(events)


def _waits_for_redis(job, events, clients, position, span, other_unchecked) -> bool:
    """The sleep at span (in the step at position) waits for Redis: the nearest start before it
    is Redis; with only services before it, Redis unless another service has no health check
    too and the step the sleep holds back does not visibly talk to Redis."""
    # events is sorted: the last one before the sleep by bisection (a scan per sleep is quadratic)
    before = bisect.bisect_left(events, (position, span.line, span.column))
    if before:
        return events[before - 1][3]
    if not other_unchecked:
        return True
    if job.steps[position].index in clients:
        return True
    held = next((step for step in job.steps[position + 1:] if not is_preparation_step(step)), None)
    return held is not None and held.index in clients
