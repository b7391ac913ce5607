"""RC305 fixed-container-name."""

from __future__ import annotations

from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule
from redis_ci.runner.arguments import split_arguments


class FixedContainerName(Rule):
    """A Redis service's `options:` give its container a fixed `--name`.

    ## What it does
    Reports `--name` (or `--name=...`) in the `options:` of a Redis service.

    ## Why is this bad?
    The runner names service containers itself and passes `--name` before `options:`; a fixed
    name also collides as soon as two jobs share a Docker daemon (self-hosted runners, several
    runners on one host, a job re-run while the old container lingers): `Conflict. The
    container name "/kong_redis" is already in use`, and the job fails before its first step.

    ## Example
    ```yaml
    services:
      redis:
        image: redis:8.2
        options: --name kong_redis
    steps:
      - run: docker logs kong_redis
    ```

    ## Use instead
    ```yaml
    services:
      redis:
        image: redis:8.2
    steps:
      - run: docker logs "${{ job.services.redis.id }}"
    ```

    ## Fix safety
    No automatic fix: steps may use the name (`docker exec kong_redis ...`); replace those
    with `${{ job.services.<label>.id }}` first, then remove the option.
    """

    code = "RC305"
    name = "fixed-container-name"
    triggers = REDIS_WORDS
    severity = "warning"
    fixable = False

    def check_job(self, job, workflow):
        for service in job.redis_services:
            options = service.options
            if options.value is None or "--name" not in options.value.text:
                continue  # the common case, without splitting the options
            name = _name_option(split_arguments(options.value.text))
            if name is None:
                continue
            yield self.finding(
                f"`--name {name}` in the options of Redis service `{service.label}` fixes its container's "
                f"name: it collides when two jobs share a Docker daemon; drop it and use "
                f"`${{{{ job.services.{service.label}.id }}}}` in `docker` commands",
                options.span_of("--name") or options.value.span,
            )


def _name_option(words: list[str]) -> str | None:
    """The value of `--name` in docker options, None when absent."""
    for index, word in enumerate(words):
        if word.startswith("--name="):
            return word[len("--name="):]
        if word == "--name":
            return words[index + 1] if index + 1 < len(words) else ""
    return None
