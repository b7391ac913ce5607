"""RC402 ignored-password-env."""

from __future__ import annotations

from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule

# Official images whose entrypoint reads no environment: they start `redis-server` / `valkey-server` as is.
_OFFICIAL_REPOSITORIES = ("redis", "valkey/valkey", "valkey")
_PASSWORD_NAMES = ("REDIS_PASSWORD", "VALKEY_PASSWORD")
_ARGUMENT_NAMES = ("REDIS_ARGS",)


class IgnoredPasswordEnv(Rule):
    """`REDIS_PASSWORD`/`REDIS_ARGS` env on the official image: ignored, the server runs without a password.

    ## What it does
    Reports `REDIS_PASSWORD`, `VALKEY_PASSWORD` or `REDIS_ARGS` under `env:` of a service
    whose image (or one of its matrix values) is the official `redis` or `valkey/valkey`
    image. `redis/redis-stack-server`, which reads `REDIS_ARGS`, and Bitnami images, which
    read `REDIS_PASSWORD`, are not reported; nor is a service whose `command:` already
    passes `--requirepass`.

    ## Why is this bad?
    The official images start the server with the arguments of their command only; their
    entrypoint reads none of these variables. The server runs without a password (or
    without the arguments), so tests that expect authentication pass against an open
    server, or a client that sends a password to a server without one fails with
    `AUTH <password> called without any password configured`.

    ## Example
    ```yaml
    services:
      redis:
        image: redis:8.2
        env:
          REDIS_PASSWORD: ${{ secrets.REDIS_PASSWORD }}
    ```

    ## Use instead
    ```yaml
    services:
      redis:
        image: redis:8.2
        command: redis-server --requirepass ${{ secrets.REDIS_PASSWORD }}
    ```
    `command:` on services needs a github.com runner from 2026-04 or later.

    ## Fix safety
    No automatic fix: the password must reach the server's command line, and how you
    pass a secret there is your decision.
    """

    code = "RC402"
    name = "ignored-password-env"
    triggers = REDIS_WORDS
    severity = "error"
    fixable = False

    def check_job(self, job, workflow):
        for service in job.services:
            official = [image.hub_repository for image in service.images
                        if image.hub_repository in _OFFICIAL_REPOSITORIES]
            if not official:
                continue
            if service.command is not None and "--requirepass" in service.command.text:
                continue  # the password reaches the server; the variable is merely unused
            for env in service.env:
                if env.name in _PASSWORD_NAMES:
                    effect = "the server runs without a password; pass `--requirepass` in the service's `command:`"
                elif env.name in _ARGUMENT_NAMES:
                    effect = "its arguments never reach the server; put them in the service's `command:`"
                else:
                    continue
                yield self.finding(
                    f"`{env.name}` under `env:` of service `{service.label}` is ignored by the official "
                    f"`{official[0]}` image: {effect}",
                    env.name_span,
                )
