"""RC405 unused-version-axis."""

from __future__ import annotations

import re

from redis_ci.lint.model import redis_in_job
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule
from redis_ci.lint.yaml_nodes import Span
from redis_ci.lint.patterns import lazy_compile

_VERSION_AXIS = lazy_compile(r"^(?:redis|valkey|keydb|dragonfly)(?:[-_]?(?:server[-_]?)?(?:version|ver|tag|image))?s?$", re.I)
_NAME_LINE = lazy_compile(r"^\s*(?:-\s+)?name\s*:")
_WHOLE_MATRIX = lazy_compile(r"\b(?:toJSON|join)\(\s*matrix\s*[,)]|\$\{\{\s*matrix\s*\}\}", re.I)


class UnusedVersionAxis(Rule):
    """A matrix axis named for the server version that nothing in the job uses.

    ## What it does
    Reports a `strategy.matrix` axis named for the Redis server or its version (`redis`,
    `redis-version`, `redis_version`, `valkey`, `redisVersion`, ...) in a job that runs Redis,
    when no part of the job reads `matrix.<axis>`: no image or tag, no action input, no `run:`,
    no `env:` (a step's or the job's `name:` does not count). Axes with one value (a label),
    axes that `include:` entries match on, and jobs that pass the whole matrix on
    (`toJSON(matrix)`), are left alone.

    ## Why is this bad?
    Every leg of the matrix runs the same server: the build matrix claims Redis 6 and 7 are
    tested while both legs use the image the service names. The legs cost runner time and
    the compatibility they report is not tested.

    ## Example
    ```yaml
    strategy:
      matrix:
        redis-version: [6, 7]
    services:
      redis:
        image: redis:7
    ```

    ## Use instead
    ```yaml
    strategy:
      matrix:
        redis-version: ["6.2", "7.4"]
    services:
      redis:
        image: redis:${{ matrix.redis-version }}
    ```

    ## Fix safety
    No automatic fix: either the axis is dead or the image should use it.
    """

    code = "RC405"
    name = "unused-version-axis"
    triggers = REDIS_WORDS
    severity = "warning"
    fixable = False

    def check_job(self, job, workflow):
        axes = [axis for axis in job.matrix if _VERSION_AXIS.match(axis)]
        # the axis names first: most matrices have no version axis, and the job's text is long
        if job.uses is not None or not axes or not redis_in_job(job, workflow):
            return
        lines = _job_lines(job, workflow)
        text = "\n".join(line for line in lines if not _NAME_LINE.match(line))
        if _WHOLE_MATRIX.search(text):
            return
        for axis in axes:
            values = job.matrix[axis]
            top = [value for value in values if value.span.path[4:5] == (axis,)]
            if len({value.text.strip() for value in top}) < 2 or any("include" in value.span.path for value in values):
                continue  # one value labels the job; an axis only include: sets, or one include: entries match on
            used = re.compile(rf"\bmatrix\s*(?:\.\s*{re.escape(axis)}(?![\w-])|\[\s*['\"]{re.escape(axis)}['\"]\s*\])")
            if used.search(text):
                continue
            listed = ", ".join(value.text for value in top)
            yield self.finding(
                f"matrix axis `{axis}` ({listed}) is used by no image, tag, action input or step of job "
                f"`{job.id}`: every leg runs the same server{_what_runs(job)}; use `${{{{ matrix.{axis} }}}}` "
                f"in the image tag (or drop the axis)",
                _key_span(workflow, top[0].span, axis),
            )


def _job_lines(job, workflow) -> list[str]:
    """The job's lines: from its key to the next job's key (or the end of the file)."""
    later = [other.span.line for other in workflow.jobs if other.span.line > job.span.line]
    return workflow.lines[job.span.line - 1:(min(later) - 1) if later else len(workflow.lines)]


def _what_runs(job) -> str:
    images = sorted({image.value.text.strip() for service in job.redis_services for image in service.images})
    return f" (`{'`, `'.join(images)}`)" if images else ""


def _key_span(workflow, value_span: Span, axis: str) -> Span:
    """The axis key's span, searched upwards from its first value; the value's span if not found."""
    key = re.compile(rf"(?<![\w-])['\"]?{re.escape(axis)}['\"]?\s*:")
    for line in range(value_span.line, max(value_span.line - 50, 0), -1):
        match = key.search(workflow.lines[line - 1])
        if match:
            return Span(line, match.start() + 1, line, match.end(), value_span.path[:5])
    return value_span
