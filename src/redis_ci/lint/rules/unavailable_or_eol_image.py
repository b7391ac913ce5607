"""RC404 unavailable-or-eol-image."""

from __future__ import annotations

import re

from redis_ci.lint.model import MATRIX_REF, Value, compose_redis_definitions, docker_images, is_redis_image, parse_image
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule
from redis_ci.recipe import IMAGE_REPOSITORY, OLDEST_SUPPORTED_REDIS, STABLE_VERSION
from redis_ci.lint.patterns import lazy_compile

# Actions that take a Redis version: "docker" runs `<redis-image>:<redis-version>`, "native"
# installs that release (of `distribution:` redis, the default, or valkey).
_VERSION_INPUTS = {"supercharge/redis-github-action": "docker", "shogo82148/actions-setup-redis": "native"}
_VERSION = lazy_compile(r"^(\d+)(?:\.(\d+))?")
_OFFICIAL_REDIS = f"{IMAGE_REPOSITORY['redis']}:{STABLE_VERSION['redis']}"
_OFFICIAL_VALKEY = f"{IMAGE_REPOSITORY['valkey']}:{STABLE_VERSION['valkey']}"


class UnavailableOrEolImage(Rule):
    """A Redis image that can no longer be pulled, is frozen, or runs an end-of-life Redis.

    ## What it does
    Reports, in a service's `image:` (and its matrix values), a `docker run` or `docker pull`
    in a step, and the `redis-version` input of `supercharge/redis-github-action` (with its
    `redis-image`) and `shogo82148/actions-setup-redis` (the `redis` distribution), and a Redis
    service of a compose file the workflow starts (reported in that file):
    - `bitnami/redis*` and `bitnami/valkey*`: Bitnami removed these free images from
      Docker Hub on 2025-09-29;
    - `bitnamilegacy/*`: a frozen copy that gets no more updates or security fixes;
    - `redis` tagged below 6.2 (`redis:6.0`, `redis:5-alpine`): end of life;
    - `redis/redis-stack*`: superseded by Redis 8, which bundles the same modules;
    - `grokzen/redis-cluster`: unmaintained.

    ## Why is this bad?
    A removed image fails the pull and the job before its first step. A frozen or
    end-of-life server gets no fixes and tests the code against a Redis nobody should
    run in production any more.

    ## Example
    ```yaml
    services:
      redis:
        image: bitnami/redis:7.2
        env:
          ALLOW_EMPTY_PASSWORD: "yes"
    ```

    ## Use instead
    ```yaml
    services:
      redis:
        image: redis:8.2
    ```
    Bitnami's environment settings do not apply to the official image: pass server
    arguments with `command:`.

    ## Fix safety
    No automatic fix: the replacement image is configured differently (Bitnami's
    environment variables, redis-stack's `REDIS_ARGS`), and a server version is a
    choice about what the tests cover.
    """

    code = "RC404"
    name = "unavailable-or-eol-image"
    triggers = REDIS_WORDS + ((b"services", b"bitnamilegacy"),)  # any service's `bitnamilegacy/*` image
    severity = "warning"
    fixable = False

    def check_job(self, job, workflow):
        for service in job.services:
            for image in service.images:
                problem = _problem(image)
                if problem:
                    yield self.finding(
                        f"image `{image.value.text.strip()}` of service `{service.label}` {problem}",
                        _matrix_entry_span(job, service.image, image) or image.value.locate(0, len(image.value.text)),
                    )
        for service in compose_redis_definitions(job, "image"):
            problem = None if "$" in service.image.value.text else _problem(service.image)
            if problem:
                text = service.image.value.text
                yield self.finding(f"image `{text.strip()}` of compose service `{service.name}` {problem}",
                                   service.image.value.locate(0, len(text)), service.file)

    def check_step(self, step, job, workflow):
        run = step.run  # docker_images finds only `docker`/`podman` commands: most scripts have none
        docker = run is not None and ("docker" in run.text or "podman" in run.text)
        for verb, word, span in docker_images(run) if docker else ():
            image = parse_image(Value(word, span))
            problem = _problem(image) if is_redis_image(image) else None
            if problem:
                yield self.finding(f"image `{word}` in `docker {verb}` {problem}", span)
        action = _VERSION_INPUTS.get(step.uses_action or "")
        version = step.with_.get("redis-version") if action else None
        if version is None or action == "native" and _distribution(step) != "redis":
            return
        repository = step.with_.get("redis-image")
        repository = repository.text.strip() if action == "docker" and repository is not None else "redis"
        for value in _matrix_values(job, version):
            problem = _problem(parse_image(Value(f"{repository}:{value.text.strip()}", value.span)))
            if problem:
                problem = problem.replace("runs Redis", "starts Redis", 1).replace(
                    f"use `{_OFFICIAL_REDIS}`", f"use `redis-version: {STABLE_VERSION['redis']}`")
                yield self.finding(f"`redis-version: {value.text.strip()}` of `{step.uses_action}` {problem}", value.span)


def _matrix_entry_span(job, written, image):
    """For `redis:${{ matrix.v }}`, the span of the matrix value that made this image."""
    reference = MATRIX_REF.fullmatch(written.tag or "") if written else None
    if reference is None:
        return None
    for value in job.matrix.get(reference.group(1), []):
        if value.text == image.tag:
            return value.span
    return None


def _problem(image) -> str | None:
    """Why the image should not be used (the rest of the message), or None."""
    repository = image.hub_repository
    if repository is None or "${{" in image.value.text:
        return None
    if repository.startswith(("bitnami/redis", "bitnami/valkey")):
        replacement = _OFFICIAL_VALKEY if "valkey" in repository else _OFFICIAL_REDIS
        return (f"was removed from Docker Hub on 2025-09-29: the pull fails and so does the job; "
                f"use the official `{replacement}` (settings go in `command:`)")
    if repository.startswith("bitnamilegacy/"):
        frozen = "is a frozen copy that gets no updates or security fixes"
        if repository.startswith(("bitnamilegacy/redis", "bitnamilegacy/valkey")):
            return f"{frozen}; use the official `{_OFFICIAL_VALKEY if 'valkey' in repository else _OFFICIAL_REDIS}`"
        return f"{frozen}; use a maintained image"  # another server's: not ours to name
    if repository == "grokzen/redis-cluster":
        return ("is unmaintained: it gets no fixes; start the cluster with this project's action "
                "(`start: docker`, `topology: cluster`) or from the official image")
    if repository.startswith("redis/redis-stack"):
        return f"is superseded by Redis 8, which bundles the same modules; use `{_OFFICIAL_REDIS}`"
    version = _VERSION.match(image.tag or "") if repository == IMAGE_REPOSITORY["redis"] else None
    if version and _is_end_of_life(version):
        oldest = ".".join(map(str, OLDEST_SUPPORTED_REDIS))
        return f"runs Redis {version.group(0)}, which is end of life (below {oldest}); use `{_OFFICIAL_REDIS}`"
    return None


def _is_end_of_life(version: re.Match) -> bool:
    major, minor = int(version.group(1)), version.group(2)
    if minor is None:  # `redis:6` follows the newest 6.x, which is 6.2
        return major < OLDEST_SUPPORTED_REDIS[0]
    return (major, int(minor)) < OLDEST_SUPPORTED_REDIS


def _distribution(step) -> str:
    value = step.with_.get("distribution")
    return value.text.strip().lower() if value is not None else "redis"


def _matrix_values(job, value) -> list:
    """The value, or the matrix values it takes when it is `${{ matrix.x }}` (their spans)."""
    reference = MATRIX_REF.fullmatch(value.text.strip())
    if reference and job.matrix.get(reference.group(1)):
        return list(job.matrix[reference.group(1)])
    return [] if value.is_expression else [value]
