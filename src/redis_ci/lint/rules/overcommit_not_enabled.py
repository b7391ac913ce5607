"""RC302 overcommit-not-enabled."""

from __future__ import annotations

import re

from redis_ci import recipe
from redis_ci.lint.model import (
    Value,
    is_project_action,
    is_project_action_stop,
    next_step_needing_redis,
    parse_image,
    redis_in_job,
)
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule
from redis_ci.lint.rules.no_readiness_gate import insert_step_before, step_title
from redis_ci.lint.patterns import lazy_compile

_NOT_LINUX = lazy_compile(r"mac|windows", re.I)
_LINUX = lazy_compile(r"ubuntu|linux", re.I)
# `--save ""` (also `=''` and a YAML-escaped `\"\"`), or a bare trailing `--save` (Redis >= 7).
_SAVE_OFF = lazy_compile(r"--save(?:\s*=\s*|\s+)(?:\"\"|''|\\\"\\\")|--save\s*(?:$|--|[\"'])")
_AOF_ON = lazy_compile(r"--appendonly[=\s]+[\"']?yes")
_OVERCOMMIT = lazy_compile(r"vm\.overcommit_memory\s*=\s*1|echo\s+1\s*>\s*/proc/sys/vm/overcommit_memory")


class OvercommitNotEnabled(Rule):
    """Redis on a Linux runner keeps snapshots on, but memory overcommit is never enabled.

    ## What it does
    Reports a Redis service or a Redis started by a step in a runner job (no `container:`)
    on Linux, when persistence is not switched off (`--save ""` without `--appendonly yes`
    in `command:`, REDIS_ARGS or the server's arguments) and no step sets
    `vm.overcommit_memory=1`: a `sysctl` (or a write to `/proc/sys/vm/overcommit_memory`) in
    a `run:`, or this project's action, which does it unless given `overcommit: "false"`.
    Redis services of a compose file a step starts count too (the workflow's Redis
    started by that step). Not for Dragonfly, whose snapshots do not fork.

    ## Why is this bad?
    Redis logs "WARNING Memory overcommit must be enabled!": with `vm.overcommit_memory=0`
    the fork for a background save or a replica sync can fail, after which Redis refuses
    writes with `-MISCONF`, a failure that shows up as a flaky test far from its cause.
    Docker refuses `--sysctl vm.overcommit_memory=1` for a container (the setting is
    host-wide), but the runner's host allows `sudo sysctl`.

    ## Example
    ```yaml
    services:
      redis:
        image: redis:8.2
        ports: ["6379:6379"]
        options: --health-cmd "redis-cli ping | grep -q PONG" --health-interval 1s
    steps:
      - run: pytest
    ```

    ## Use instead
    ```yaml
    steps:
      - name: Enable memory overcommit for Redis
        run: sudo sysctl -w vm.overcommit_memory=1
      - run: pytest
    ```
    Or use the wait step (`uses: redis-ci/redis-ci-action@v1`), which sets it.

    ## Fix safety
    Safe on GitHub-hosted runners: the fix inserts the step `redis-ci generate` writes
    (`sudo sysctl -w vm.overcommit_memory=1`) before the first step that needs Redis. On a
    self-hosted runner without password-less sudo that step fails visibly. Not fixed when no
    step needs Redis.
    """

    code = "RC302"
    name = "overcommit-not-enabled"
    triggers = REDIS_WORDS
    severity = "warning"
    fixable = True

    def check_job(self, job, workflow):
        found = redis_in_job(job, workflow)
        if not found or job.is_container_job or not job.steps or any(_overcommits(step) for step in job.steps):
            return
        labels = [label.text for label in job.runs_on if not label.is_expression]
        if any(_NOT_LINUX.search(label) for label in labels):
            return
        for redis in found:
            if _is_dragonfly(redis) or (redis.start is not None and redis.start.kind == "restart"):
                continue  # Dragonfly's snapshots do not fork; a restart starts no other Redis
            if redis.service is not None:
                arguments = [redis.service.command.text] if redis.service.command else []
                arguments += [env.value.text for env in redis.service.env if env.name == "REDIS_ARGS"]
                what, span = f"Redis service `{redis.service.label}`", redis.service.span
            elif redis.start.kind == "compose" and redis.step.compose is not None and any(_LINUX.search(label) for label in labels):
                services = _forking_compose_services(redis.step.compose)
                if not services:
                    continue
                arguments = []
                names = ", ".join(f"`{name}`" for name in services)
                what, span = f"Redis started by step `{step_title(redis.step)}` (compose service {names})", redis.start.span
            elif redis.start.kind != "compose" and any(_LINUX.search(label) for label in labels):
                arguments = [redis.step.run.text] if redis.step.run is not None else []
                what, span = f"Redis started by step `{step_title(redis.step)}`", redis.start.span
            else:
                continue
            if _persistence_off(arguments):
                continue
            target = next_step_needing_redis(job.steps, redis.begin)
            yield self.finding(
                f"{what} keeps snapshots on while the runner's vm.overcommit_memory is 0: a background "
                f"save may fail to fork and then writes fail with MISCONF; add a step running "
                f"`{recipe.OVERCOMMIT_COMMAND}` (the redis-ci wait step does it)",
                span,
                job=job.id,
                before_step=target.index if target else None,
            )

    def fix(self, finding, workflow):
        if finding.data["before_step"] is None:
            return []
        job = workflow.job(finding.data["job"])
        # A runner job gated by its health check: `generate` writes just the overcommit step.
        block = recipe.overcommit_step()
        target = job.step(finding.data["before_step"])
        return insert_step_before(workflow.lines, target, block)


def _is_dragonfly(redis) -> bool:
    """Every image this Redis may run is Dragonfly's."""
    if redis.service is not None:
        images = redis.service.images
        return bool(images) and all(image.name.lower() == "dragonfly" for image in images)
    image = redis.start.image if redis.start.kind == "docker-run" else None
    return image is not None and parse_image(Value(image.strip("'\""), redis.start.span)).name.lower() == "dragonfly"


def _forking_compose_services(project) -> list[str]:
    """The Redis services of a compose project that keep persistence on (Dragonfly's do not fork)."""
    forking = []
    for name in project.redis:
        image = project.last(name, "image").image
        command = project.last(name, "command")
        if image.name.lower() != "dragonfly" and not _persistence_off([command.command.text] if command else []):
            forking.append(name)
    return forking


def _persistence_off(arguments: list[str]) -> bool:
    return any(_SAVE_OFF.search(text) for text in arguments) and not any(_AOF_ON.search(text) for text in arguments)


def _overcommits(step) -> bool:
    if step.uses is not None:  # (a `run:` step, most of them, is no action of ours)
        if is_project_action_stop(step):
            return False
        if is_project_action(step):
            return step.with_.get("overcommit") is None or step.with_["overcommit"].text.strip().lower() != "false"
    # both forms name overcommit_memory: the substring test spares most scripts the pattern
    return step.run is not None and "overcommit_memory" in step.run.text and bool(_OVERCOMMIT.search(step.run.text))
