"""RC205 ephemeral-port-hardcoded."""

from __future__ import annotations

from redis_ci.lint.model import find_client_endpoints, job_network_containers, redis_start
from redis_ci.recipe import REDIS_PORT
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule


class EphemeralPortHardcoded(Rule):
    """A service publishes a random host port, but the steps connect to a literal port.

    ## What it does
    In a runner job whose Redis service maps a random host port (`- 6379`, `6379/tcp`,
    `127.0.0.1::6379`), reports client endpoints (where steps connect: a variable in `env:` named after Redis, a cache or a broker (REDIS, VALKEY, CACHE, BROKER,
    CELERY, RQ, SIDEKIQ, RESQUE) holding a Redis URL, a host or a port; `redis-cli -h/-p/-u`
    arguments; Redis URLs in `run:` scripts) on the
    runner that use a literal port (a URL without a port means 6379) instead of
    `${{ job.services.<label>.ports['6379'] }}`. Ports that another service publishes
    at a fixed host port, and jobs that also start Redis in a step, are left alone.
    A job with no client endpoint at all is reported at the mapping of 6379 when no step
    reads `job.services.<label>.ports` (in `env:`, `with:` or `run:`; nor its `.id`, used
    with `docker exec`) and no container on the job's network is what talks to Redis: the
    clients then use their default, localhost:6379.
    A job with no client endpoint at all is reported at the mapping of 6379 when no step
    reads `job.services.<label>.ports` (in `env:`, `with:` or `run:`; nor its `.id`, used
    with `docker exec`) and no container on the job's network is what talks to Redis: the
    clients then use their default, localhost:6379.

    ## Why is this bad?
    Docker picks a free host port for such a mapping, different on every run (32768 and
    up). Port 6379 on the runner is closed, so every connection is refused.

    ## Example
    ```yaml
    jobs:
      test:
        runs-on: ubuntu-latest
        services:
          redis:
            image: redis:8.2
            ports:
              - 6379
        env:
          REDIS_PORT: 6379
    ```

    ## Use instead
    ```yaml
        env:
          REDIS_PORT: ${{ job.services.redis.ports['6379'] }}
    ```
    or publish a fixed port: `- "6379:6379"`.

    ## Fix safety
    No automatic fix: which of the two (the mapping or the client) to change is yours to
    decide.
    """

    code = "RC205"
    name = "ephemeral-port-hardcoded"
    triggers = REDIS_WORDS
    severity = "error"
    fixable = False

    def check_job(self, job, workflow):
        if job.is_container_job:
            return
        services = job.redis_services
        random = [(service, port) for service in services for port in service.ports if port.is_random_host_port]
        if not random or any(start and start.kind != "restart" for start in map(redis_start, job.steps)):
            return
        fixed = {port.host for service in services for port in service.ports if port.host is not None}
        endpoints = find_client_endpoints(workflow, job)
        if not endpoints:
            yield from self._without_clients(job, workflow, random)
        for endpoint in endpoints:
            if endpoint.port is None or endpoint.port in fixed:
                continue
            if endpoint.host is not None and not endpoint.is_localhost:
                continue  # another host: not this service
            service, port = next(((s, p) for s, p in random if p.container == endpoint.port), random[0])
            yield self.finding(
                f"{endpoint.subject} uses the literal port {endpoint.port}, but service `{service.label}` "
                f"publishes {port.container} on a random host port: nothing answers there; use "
                f"`${{{{ job.services.{service.label}.ports['{port.container}'] }}}}`",
                endpoint.span,
            )

    def _without_clients(self, job, workflow, random):
        """Random host ports that no step reads: clients fall back to localhost:6379."""
        if any(job_network_containers(step) for step in job.steps) or not any(
                step.run is not None or step.uses is not None for step in job.steps):
            return
        texts = [env.value.text for env in workflow.env + job.env]
        for step in job.steps:
            texts += [value.text for value in step.with_.values()] + [env.value.text for env in step.env]
            texts += [step.run.text] if step.run is not None else []
        for service, port in random:
            reference = f"job.services.{service.label}."
            if any(reference in text for text in texts) or port.container != REDIS_PORT:
                continue  # its port is read, or steps reach it another way (`docker exec` of its id)
            yield self.finding(
                f"service `{service.label}` publishes {port.container} on a random host port, but no step "
                f"reads `${{{{ job.services.{service.label}.ports['{port.container}'] }}}}`: clients fall back "
                f"to localhost:{REDIS_PORT}, where nothing listens; publish `\"{REDIS_PORT}:{REDIS_PORT}\"` "
                f"or pass that port to the steps",
                port.value.span,
            )
