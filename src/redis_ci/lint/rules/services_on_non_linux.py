"""RC301 services-on-non-linux."""

from __future__ import annotations

from redis_ci.lint.rule import Rule

# GitHub-hosted images (`macos-15`, `windows-latest`) and self-hosted OS labels (`macOS`, `Windows`).
_NON_LINUX_PREFIXES = ("macos", "windows", "osx")


class ServicesOnNonLinux(Rule):
    """Services or a job container on a macOS or Windows runner: the job fails before its first step.

    ## What it does
    Reports each `runs-on` label of a job with `services:` or `container:` that names a
    macOS or Windows runner (`macos-latest`, `windows-2025`, self-hosted `macOS`),
    written directly or as a value of the matrix that `runs-on` reads
    (`runs-on: ${{ matrix.os }}`).

    ## Why is this bad?
    The runner starts service and job containers with Docker on Linux only. On macOS
    and Windows the job fails at once with "Container operations are only supported on
    Linux runners", so a cross-platform matrix loses every non-Linux leg.

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
    severity = "error"
    fixable = False

    def check_job(self, job, workflow):
        if not job.services and not job.is_container_job:
            return
        what = "services" if job.services else "a job container"
        for label in job.runs_on:
            if label.is_expression or not label.text.strip().lower().startswith(_NON_LINUX_PREFIXES):
                continue
            yield self.finding(
                f"`{label.text.strip()}` runs a job with {what}: containers run only on Linux runners, "
                "so the job fails before its first step; use a Linux runner such as `ubuntu-latest`",
                label.span,
            )
