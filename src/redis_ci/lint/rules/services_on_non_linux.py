"""RC301 services-on-non-linux."""

from __future__ import annotations

from redis_ci.lint.model import redis_start
from redis_ci.lint.prefilter import NON_LINUX, REDIS_WORDS, SERVICES
from redis_ci.lint.rule import Rule

# GitHub-hosted images (`macos-15`, `windows-latest`) and self-hosted OS labels (`macOS`, `Windows`).
_NON_LINUX_PREFIXES = ("macos", "windows", "osx")
# A Linux runner without a Docker daemon: 1 vCPU, itself an unprivileged container.
_NO_DOCKER_LABELS = ("ubuntu-slim",)
# Steps that start Redis with Docker (a Redis action that runs `docker run` counts too).
_DOCKER_STARTS = ("docker-run", "compose")
_DOCKER_ACTIONS = ("supercharge/redis-github-action",)


class ServicesOnNonLinux(Rule):
    """Services, a job container or a Docker-started Redis on a runner without Linux Docker: the job fails.

    ## What it does
    Reports each `runs-on` label of a job with `services:` or `container:` that names a
    macOS or Windows runner (`macos-latest`, `windows-2025`, self-hosted `macOS`) or
    `ubuntu-slim`, written directly or as a value of the matrix that `runs-on` reads
    (`runs-on: ${{ matrix.os }}`); and, on GitHub-hosted macOS, Windows and `ubuntu-slim`
    runners, a step that starts Redis with Docker (`docker run ... redis`, `docker compose
    up`, `supercharge/redis-github-action`).

    ## Why is this bad?
    The runner starts service and job containers with Docker on Linux only. On macOS
    and Windows the job fails at once with "Container operations are only supported on
    Linux runners", so a cross-platform matrix loses every non-Linux leg. `ubuntu-slim`
    is itself an unprivileged container with no Docker daemon: no services, no
    `container:`, no `docker run`. Hosted macOS runners have no Docker at all, and Windows
    runners run Windows containers only, so a `docker run redis` step fails there too.

    ## Example
    ```yaml
    jobs:
      test:
        runs-on: ${{ matrix.os }}
        strategy:
          matrix:
            os: [ubuntu-latest, macos-latest]
        services:
          redis:
            image: redis:8.2
            ports:
              - "6379:6379"
    ```

    ## Use instead
    Keep the services on Linux, and on macOS start Redis in a step (for example with
    `shogo82148/actions-setup-redis`) in a separate job:
    ```yaml
    jobs:
      test:
        runs-on: ubuntu-latest
        services:
          redis:
            image: redis:8.2
            ports:
              - "6379:6379"
    ```

    ## Fix safety
    No automatic fix: dropping a platform, or starting Redis another way there, is a
    decision about what the job tests.
    """

    code = "RC301"
    name = "services-on-non-linux"
    triggers = ((NON_LINUX, SERVICES + REDIS_WORDS),)  # any service or job container; a Docker start of Redis
    severity = "error"
    fixable = False

    def check_job(self, job, workflow):
        starts = [start for step in job.steps if (start := _docker_start(step)) is not None]
        if not job.services and not job.is_container_job and not starts:
            return
        hosted = not any(label.text.strip().lower() == "self-hosted" for label in job.runs_on)
        for label in job.runs_on:
            name = label.text.strip().lower()
            if label.is_expression or not (name in _NO_DOCKER_LABELS or name.startswith(_NON_LINUX_PREFIXES)):
                continue
            if job.services or job.is_container_job:
                what = "services" if job.services else "a job container"
                reason = ("it has no Docker daemon (it is itself an unprivileged container), so"
                          if name in _NO_DOCKER_LABELS else "containers run only on Linux runners, so")
                yield self.finding(
                    f"`{label.text.strip()}` runs a job with {what}: {reason} the job fails before its "
                    "first step; use a Linux runner such as `ubuntu-latest`",
                    label.span,
                )
            elif hosted:  # a self-hosted macOS or Windows machine may have Docker for Linux
                yield self.finding(
                    f"`{label.text.strip()}` runs a step that starts Redis with Docker: {_docker_reason(name)}, "
                    "so that step fails; use a Linux runner such as `ubuntu-latest`, or start Redis natively there",
                    label.span,
                )


def _docker_reason(name: str) -> str:
    if name in _NO_DOCKER_LABELS:
        return "it has no Docker daemon (it is itself an unprivileged container)"
    if name.startswith("windows"):
        return "GitHub's Windows runners run Windows containers only"
    return "GitHub's macOS runners have no Docker"


def _docker_start(step):
    """The step's Docker start of Redis, or None."""
    if step.uses_action in _DOCKER_ACTIONS:
        return step.uses
    start = redis_start(step)
    return start if start is not None and start.kind in _DOCKER_STARTS else None
