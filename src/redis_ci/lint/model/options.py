"""The `options:` of a service or job container: its words as the runner splits them
(`split_options`) and the flags rules read."""

from __future__ import annotations

import re

from redis_ci.lint.model.durations import parse_duration
from redis_ci.lint.model.expressions import EXPRESSION
from redis_ci.lint.model.value import Value
from redis_ci.lint.yaml_nodes import Span
from redis_ci.lint.patterns import lazy_compile
from redis_ci.runner.arguments import split_arguments


class ContainerOptions:
    """The parsed `options:` string of a service or container. Durations in seconds
    (None: absent or unparsable). flag_spans maps a flag as written (`--health-cmd`) to
    its span, for findings that point at one option."""

    __slots__ = ("value", "health_cmd", "health_interval", "health_timeout", "health_retries",
                 "health_start_period", "health_start_interval", "no_healthcheck", "sysctls", "entrypoint",
                 "flag_spans")

    def __init__(self, value: Value | None = None, health_cmd: str | None = None,
                 health_interval: float | None = None, health_timeout: float | None = None,
                 health_retries: int | None = None, health_start_period: float | None = None,
                 health_start_interval: float | None = None, no_healthcheck: bool = False,
                 sysctls: tuple = (), entrypoint: str | None = None, flag_spans: dict | None = None):
        self.value, self.health_cmd = value, health_cmd
        self.health_interval, self.health_timeout, self.health_retries = health_interval, health_timeout, health_retries
        self.health_start_period, self.health_start_interval = health_start_period, health_start_interval
        self.no_healthcheck, self.sysctls, self.entrypoint = no_healthcheck, sysctls, entrypoint
        self.flag_spans = {} if flag_spans is None else flag_spans

    def span_of(self, flag: str) -> Span | None:
        """The span of `flag` in the options text (whole options span if not exact); None if absent."""
        return self.flag_spans.get(flag)


def split_options(text: str) -> list[str]:
    """The words Docker receives for `options:` (or `command:`): the runner pastes the text into
    its one `docker create` string and .NET splits it (`runner.arguments.split_arguments`, the
    same function the replay uses): only double quotes group, single quotes are ordinary."""
    return split_arguments(text)


def parse_container_options(value: Value) -> ContainerOptions:
    """Parse a docker `options:` string (`--health-cmd "..." --health-interval 1s ...`)."""
    tokens = runner_words(value.text)
    found: dict = {}
    spans: dict = {}
    sysctls = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if not token.startswith("-"):
            continue
        flag, equals, argument = token.partition("=")
        if not equals and flag != "--no-healthcheck" and index < len(tokens):
            argument = tokens[index]
            index += 1
        offset = value.text.find(flag)
        spans.setdefault(flag, value.locate(offset, offset + len(flag)) if offset >= 0 else value.span)
        if flag == "--sysctl":
            sysctls.append(argument)
        else:
            found[flag] = argument

    def seconds(flag: str) -> float | None:
        return parse_duration(found[flag]) if flag in found else None

    retries = found.get("--health-retries", "")
    return ContainerOptions(
        value=value,
        health_cmd=found.get("--health-cmd"),
        health_interval=seconds("--health-interval"),
        health_timeout=seconds("--health-timeout"),
        health_retries=int(retries) if retries.isdigit() else None,
        health_start_period=seconds("--health-start-period"),
        health_start_interval=seconds("--health-start-interval"),
        no_healthcheck="--no-healthcheck" in found,
        sysctls=tuple(sysctls),
        entrypoint=found.get("--entrypoint"),
        flag_spans=spans,
    )


# Without backslashes and `""`, a word is bare characters and "..." groups (quotes dropped): the
# .NET rules in one match, for the common case (lint reads the options of every service).
_SIMPLE_WORD = lazy_compile(r'(?:[^ \t"]+|"[^"]*")+')


def _simple_words(text: str) -> list[str] | None:
    """`split_arguments(text)` for a text without backslashes, `""` and unbalanced quotes; else None."""
    if "\\" in text or '""' in text or text.count('"') % 2:
        return None
    return [word.replace('"', "") for word in _SIMPLE_WORD.findall(text)]


_EXPRESSION_MARK = "\ue000"  # private-use characters stand for a `${{ }}` while splitting


def runner_words(text: str) -> list[str]:
    """`split_options(text)` with each `${{ }}` kept whole: GitHub substitutes expressions
    before the runner splits, so their own quotes and spaces are not the runner's to read."""
    expressions: list[str] = []

    def hide(match) -> str:
        expressions.append(match.group(0))
        return f"{_EXPRESSION_MARK}{len(expressions) - 1}{_EXPRESSION_MARK}"

    masked = EXPRESSION.sub(hide, text) if "${{" in text else text
    words = _simple_words(masked)
    if words is None:
        words = split_arguments(masked)
    if not expressions:
        return words
    return [_MARKED.sub(lambda match: expressions[int(match.group(1))], word) for word in words]


_MARKED = lazy_compile(f"{_EXPRESSION_MARK}(\\d+){_EXPRESSION_MARK}")
