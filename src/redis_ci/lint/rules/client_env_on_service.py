"""RC206 client-env-on-service."""

from __future__ import annotations

from redis_ci.lint.model import env_endpoint
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule


class ClientEnvOnService(Rule):
    """Client settings (`REDIS_URL`, `REDIS_HOST`, ...) under a service's `env:` never reach the steps.

    ## What it does
    Reports a variable under `services.<label>.env` of a Redis service that describes
    where to connect (a Redis URL, a host or a port, in a variable named after Redis, a
    cache or a broker: REDIS, VALKEY, CACHE, BROKER, CELERY, RQ, SIDEKIQ, RESQUE) when no `env:` of the workflow,
    the job or a step sets a variable of that name. Bitnami images, which read such
    variables as their own configuration, are left alone.

    ## Why is this bad?
    A service's `env:` sets variables inside the service container. The steps never see
    them, so the tests fall back to their defaults, or fail on a missing setting, while
    the workflow looks configured.

    ## Example
    ```yaml
    jobs:
      test:
        runs-on: ubuntu-latest
        services:
          redis:
            image: redis:8.2
            ports:
              - "6379:6379"
            env:
              REDIS_URL: redis://127.0.0.1:6379/0
    ```

    ## Use instead
    ```yaml
    jobs:
      test:
        runs-on: ubuntu-latest
        services:
          redis:
            image: redis:8.2
            ports:
              - "6379:6379"
        env:
          REDIS_URL: redis://127.0.0.1:6379/0
    ```

    ## Fix safety
    No automatic fix: the variable may belong at the job or at one step.
    """

    code = "RC206"
    name = "client-env-on-service"
    triggers = REDIS_WORDS
    severity = "warning"
    fixable = False

    def check_job(self, job, workflow):
        step_names = {env.name for env in workflow.env + job.env}
        step_names.update(env.name for step in job.steps for env in step.env)
        for service in job.redis_services:
            if any(image.repository.startswith("bitnami") for image in service.images):
                continue  # bitnami images read REDIS_PORT_NUMBER and the like themselves
            for env in service.env:
                if env.name in step_names or env_endpoint(env) is None:
                    continue
                yield self.finding(
                    f"`{env.name}` under `env:` of service `{service.label}` is set inside the Redis "
                    "container, not for the steps, which have no such variable; move it to the job's `env:`",
                    env.name_span,
                )
