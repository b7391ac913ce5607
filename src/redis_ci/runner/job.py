"""A workflow job as the runner receives it: one job per matrix leg, `${{ }}` already evaluated.

The service does the matrix expansion and the runner evaluates `services:`/`container:` against
the job's contexts before it builds any `docker` string. Only the contexts a generated Redis
setup uses are known here (`matrix`, `secrets`, `env`, `vars`); any other expression is an error,
never a guess.
"""

from __future__ import annotations

import itertools
import re

_EXPRESSION = re.compile(r"\$\{\{\s*(?P<body>.*?)\s*\}\}")
_REFERENCE = re.compile(r"(?P<context>matrix|secrets|env|vars)\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)")


class ExpressionError(ValueError):
    """An expression the replay cannot evaluate like the runner."""


def matrix_legs(job: dict) -> list[dict[str, str]]:
    """The job's matrix legs (a plain product of the axes; `include`/`exclude` not modelled)."""
    matrix = ((job.get("strategy") or {}).get("matrix")) or {}
    if not isinstance(matrix, dict):
        raise ExpressionError("strategy.matrix must be a mapping here")
    if "include" in matrix or "exclude" in matrix:
        raise ExpressionError("matrix include/exclude is not modelled by the replay")
    axes = [(name, values) for name, values in matrix.items()]
    for name, values in axes:
        if not isinstance(values, list):
            raise ExpressionError(f"matrix axis {name} must be a sequence here")
    return [dict(zip([name for name, _ in axes], leg)) for leg in itertools.product(*[values for _, values in axes])]


def evaluate(value: object, contexts: dict[str, dict]) -> object:
    """`value` with every `${{ context.name }}` replaced, recursively through mappings and lists."""
    if isinstance(value, dict):
        return {evaluate(key, contexts): evaluate(item, contexts) for key, item in value.items()}
    if isinstance(value, list):
        return [evaluate(item, contexts) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        reference = _REFERENCE.fullmatch(match["body"])
        if reference is None:
            raise ExpressionError(f"cannot evaluate ${{{{ {match['body']} }}}} like the runner")
        known = contexts.get(reference["context"], {})
        if reference["name"] not in known:
            return ""  # an unset secret or variable is empty to the runner
        item = known[reference["name"]]
        return ("true" if item else "false") if isinstance(item, bool) else str(item)

    return _EXPRESSION.sub(substitute, value)


def runner_jobs(job: dict, secrets: dict[str, str] | None = None) -> list[tuple[dict[str, str], dict]]:
    """(matrix leg, the job's `services`/`container` evaluated for it), one per leg."""
    jobs = []
    for leg in matrix_legs(job) or [{}]:
        contexts = {"matrix": leg, "secrets": dict(secrets or {}), "env": {}, "vars": {}}
        evaluated = {key: evaluate(job[key], contexts) for key in ("services", "container") if job.get(key)}
        jobs.append((leg, evaluated))
    return jobs
