"""RC107 tcp-only-wait."""

from __future__ import annotations

from redis_ci import recipe
from redis_ci.lint.model import redis_in_job, tcp_waits, waits_for_redis
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule


class TcpOnlyWait(Rule):
    """A step waits for Redis by its TCP port alone.

    ## What it does
    Reports a wait in a `run:` that only checks that a TCP port accepts connections
    (`wait-for-it`, `nc -z`, `/dev/tcp`, `dockerize -wait tcp://`, `wait4x tcp`, `wait-on tcp:`)
    when the port is Redis's: the host is a Redis service's label or is named for Redis, or
    the port is 6379 or one a Redis service of the job maps. Jobs that start no Redis, and
    steps that also PING, are left alone.

    ## Why is this bad?
    Redis accepts connections while it loads its dataset (every command then gets `LOADING`),
    while it refuses every command (`NOAUTH`, `MISCONF`). The wait passes, and the first test
    meets the error.

    ## Example
    ```yaml
    - run: ./wait-for-it.sh localhost:6379 --timeout=30
    - run: bundle exec rspec
    ```

    ## Use instead
    ```yaml
    - name: Wait for Redis
      uses: redis-ci/redis-ci-action@v1
      with:
        url: redis://127.0.0.1:6379/0
    - run: bundle exec rspec
    ```
    or `timeout 30 sh -c 'until redis-cli -h 127.0.0.1 ping | grep -q PONG; do sleep 1; done'`.

    ## Fix safety
    No automatic fix: the wait may also stand for other ports and hosts in the same command.
    """

    code = "RC107"
    name = "tcp-only-wait"
    triggers = REDIS_WORDS
    severity = "warning"
    fixable = False

    def check_job(self, job, workflow):
        if not redis_in_job(job, workflow):
            return
        for step in job.steps:
            for wait in tcp_waits(step):
                if not waits_for_redis(wait, job):
                    continue
                where = f"{wait.host}:{wait.port}" if wait.host else f"port {wait.port}"
                yield self.finding(
                    f"`{wait.tool}` waits only until {where} accepts TCP connections: Redis accepts them "
                    f"while it loads and while it refuses every command (LOADING, NOAUTH); wait for a "
                    f"PONG instead (`uses: {recipe.ACTION_REF}` or `redis-ci wait`)",
                    wait.span,
                )
