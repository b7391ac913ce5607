"""RC403 entrypoint-bypass."""

from __future__ import annotations

from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule

# The script the official redis and valkey images start with.
_IMAGE_ENTRYPOINT = "docker-entrypoint.sh"


class EntrypointBypass(Rule):
    """`--entrypoint` in a Redis service's options skips the image's entrypoint script.

    ## What it does
    Reports `--entrypoint` in the `options:` of a Redis service (a service whose image is
    Redis-compatible: `redis`, `valkey`, `redis-stack`, `keydb`, `dragonfly`, ...), and its newer spelling, the service key `entrypoint:`, unless it names the
    image's own `docker-entrypoint.sh`.

    ## Why is this bad?
    The official images start through `docker-entrypoint.sh`, which drops root before
    running the server and, in Redis 8, loads the bundled modules (JSON, search, time
    series, ...). `--entrypoint redis-server` skips it: the server runs as root, and the
    modules the tests may use are missing. It is usually written to pass server
    arguments, which services can now take directly.

    ## Example
    ```yaml
    services:
      redis:
        image: redis:8.2
        options: --entrypoint redis-server
    ```

    ## Use instead
    ```yaml
    services:
      redis:
        image: redis:8.2
        command: redis-server --save ""
    ```
    `command:` on services needs a github.com runner from 2026-04 or later.

    ## Fix safety
    No automatic fix: the arguments that went with the entrypoint have to move to
    `command:` by hand.
    """

    code = "RC403"
    name = "entrypoint-bypass"
    triggers = REDIS_WORDS
    severity = "warning"
    fixable = False

    def check_job(self, job, workflow):
        for service in job.redis_services:
            if service.options.entrypoint is not None:
                where, span = "`--entrypoint` in the options", service.options.span_of("--entrypoint")
                entrypoint = service.options.entrypoint
            elif service.entrypoint is not None:
                where, span, entrypoint = "`entrypoint:`", service.entrypoint.span, service.entrypoint.text
            else:
                continue
            if entrypoint.strip().endswith(_IMAGE_ENTRYPOINT):
                continue  # the image's own script, named explicitly
            yield self.finding(
                f"{where} of service `{service.label}` skips the image's entrypoint script: Redis runs "
                "as root and Redis 8 modules are not loaded; pass server arguments with `command:` instead",
                span,
            )
