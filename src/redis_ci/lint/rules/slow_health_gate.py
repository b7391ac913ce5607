"""RC104 slow-health-gate."""

from __future__ import annotations

from redis_ci import recipe
from redis_ci.lint import edits
from redis_ci.lint.model import option_argument_span, options_end, service_has_health_check, split_options
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule
from redis_ci.runner.hold import first_probe_seconds, runner_hold

REPORT_AT_SECONDS = 5.0
_RECIPE_TOKENS = split_options(recipe.HEALTH_OPTIONS)
# The values the fix writes: interval, timeout and retries of recipe.HEALTH_OPTIONS.
RECIPE_VALUES = {
    flag: value for flag, value in zip(_RECIPE_TOKENS[::2], _RECIPE_TOKENS[1::2]) if flag != "--health-cmd"
}
_TIMING_FLAGS = ("--health-interval", "--health-start-period", "--health-start-interval")


class SlowHealthGate(Rule):
    """The health check makes the runner hold the job far longer than Redis needs.

    ## What it does
    Estimates how long the runner holds the job before its first step for a Redis service
    with a `--health-cmd`, and reports it when the estimate is 5 s or more. The estimate
    (`redis_ci.runner.hold`): Docker runs the first probe one `--health-interval` after the
    container starts (30 s when absent), or one `--health-start-interval` (5 s when absent)
    when a `--health-start-period` is set; Redis answers it in ~0.2 s; while Docker says
    `starting` the runner re-inspects the service after a back-off (wait n is
    min(2 s + (2^n - 1) * r, 32 s), r drawn in [1.6, 2.4] s: about +2, +6, +14, +30, +62 s,
    then every 32 s), and goes on at the first inspection that finds it healthy.

    ## Why is this bad?
    Redis is ready within milliseconds, but with GitHub's documented `--health-interval 10s`
    every job waits ~14 s before its first step, and ~62 s with only `--health-cmd`: minutes
    per workflow run, on every push.

    ## Example
    ```yaml
    options: >-
      --health-cmd "redis-cli ping | grep -q PONG"
      --health-interval 10s
      --health-timeout 5s
      --health-retries 5
    ```

    ## Use instead
    ```yaml
    options: >-
      --health-cmd "redis-cli ping | grep -q PONG"
      --health-interval 1s
      --health-timeout 3s
      --health-retries 30
    ```
    Or drop the health check and gate only the steps that need Redis with the wait step
    (`redis-ci generate --gate wait`).

    ## Fix safety
    Safe: the fix sets `--health-interval 1s --health-timeout 3s --health-retries 30` (the
    project's recipe; 30 retries keep the same patience for a slow start), replacing the
    values as written or appending the missing flags, and sets `--health-start-interval 1s`
    when a start period is given. Other options stay as they are. No fix when a timing option
    is an expression.
    """

    code = "RC104"
    name = "slow-health-gate"
    triggers = REDIS_WORDS
    severity = "warning"
    fixable = True

    def __init__(self):
        self._reported: set = set()  # spans already reported in this file (aliased services)

    def check_job(self, job, workflow):
        for service in job.redis_services:
            options = service.options
            if not service_has_health_check(service) or _unknown_timing(options):
                continue
            interval, period, start_interval = (
                options.health_interval, options.health_start_period, options.health_start_interval
            )
            hold = runner_hold(interval, period, start_interval)
            if hold < REPORT_AT_SECONDS:
                continue
            first = first_probe_seconds(interval, period, start_interval)
            flag = "--health-start-interval" if period else "--health-interval"
            flag_span = options.span_of(flag)
            cause = f"`{flag} {_written(first)}`" if flag_span else f"Docker's default {flag} of {_written(first)}"
            span = flag_span or options.span_of("--health-cmd")
            if (span.line, span.column) in self._reported:
                continue
            self._reported.add((span.line, span.column))
            yield self.finding(
                f"the runner holds the job ~{hold:.0f} s before its first step while it waits for "
                f"the health check of service `{service.label}` ({cause}: first probe at {_written(first)}, "
                f"Redis is ready in milliseconds); use `{flag} {RECIPE_VALUES['--health-interval']}`",
                span,
                job=job.id,
                label=service.label,
            )

    def fix(self, finding, workflow):
        job = workflow.job(finding.data["job"])
        options = job.service(finding.data["label"]).options
        wanted = dict(RECIPE_VALUES)
        if options.health_start_period:
            wanted["--health-start-interval"] = RECIPE_VALUES["--health-interval"]
        replaced, appended = [], []
        for flag, value in wanted.items():
            if not options.has(flag):
                appended.append(f" {flag} {value}")
                continue
            span = option_argument_span(workflow.lines, options, flag)
            if span is None:
                return []
            replaced.append(edits.replace(span, value))
        end = options_end(workflow.lines, options)
        if appended and end is None:
            return []
        return replaced + ([edits.replace(end, "".join(appended))] if appended else [])


def _unknown_timing(options) -> bool:
    """A timing flag is present but not a duration we can read (an expression, a typo)."""
    values = (options.health_interval, options.health_start_period, options.health_start_interval)
    return any(value is None and options.has(flag) for flag, value in zip(_TIMING_FLAGS, values))


def _written(seconds: float) -> str:
    return f"{seconds:g}s"
