"""The `options:` of a service or job container: its words as the runner splits them
(`split_options`) and the flags rules read."""

from __future__ import annotations

import re

from redis_ci.lint.model.durations import parse_duration
from redis_ci.lint.model.expressions import sub_expressions
from redis_ci.lint.model.value import Value
from redis_ci.lint.yaml_nodes import Span
from redis_ci.lint.patterns import lazy_compile
from redis_ci.runner.arguments import split_arguments


class ContainerOptions:
    """The parsed `options:` string of a service or container. Durations in seconds
    (None: absent or unparsable). flags: every flag given, as written (`--health-cmd`),
    for `has` and `span_of`."""

    __slots__ = ("value", "health_cmd", "health_interval", "health_timeout", "health_retries",
                 "health_start_period", "health_start_interval", "no_healthcheck", "sysctls", "entrypoint",
                 "flags")

    def __init__(self, value: Value | None = None, health_cmd: str | None = None,
                 health_interval: float | None = None, health_timeout: float | None = None,
                 health_retries: int | None = None, health_start_period: float | None = None,
                 health_start_interval: float | None = None, no_healthcheck: bool = False,
                 sysctls: tuple = (), entrypoint: str | None = None, flags: set | frozenset = frozenset()):
        self.value, self.health_cmd = value, health_cmd
        self.health_interval, self.health_timeout, self.health_retries = health_interval, health_timeout, health_retries
        self.health_start_period, self.health_start_interval = health_start_period, health_start_interval
        self.no_healthcheck, self.sysctls, self.entrypoint = no_healthcheck, sysctls, entrypoint
        self.flags = flags

    def has(self, flag: str) -> bool:
        """`flag` is given (`span_of(flag)` is not None, without locating it)."""
        return flag in self.flags

    def span_of(self, flag: str) -> Span | None:
        """The span of `flag` in the options text (whole options span if not exact); None if absent.
        (Found and located when asked: only findings need it, and most services have none.)"""
        if flag not in self.flags:
            return None
        offset = self.value.text.find(flag)
        return self.value.locate(offset, offset + len(flag)) if offset >= 0 else self.value.span


def split_options(text: str) -> list[str]:
    """The words Docker receives for `options:` (or `command:`): the runner pastes the text into
    its one `docker create` string and .NET splits it (`runner.arguments.split_arguments`, the
    same function the replay uses): only double quotes group, single quotes are ordinary."""
    return split_arguments(text)


def parse_container_options(value: Value) -> ContainerOptions:
    """Parse a docker `options:` string (`--health-cmd "..." --health-interval 1s ...`)."""
    tokens = runner_words(value.text)
    found: dict = {}
    flags = set()
    sysctls = []
    index, count = 0, len(tokens)
    while index < count:
        token = tokens[index]
        index += 1
        if not token.startswith("-"):
            continue
        flag, equals, argument = token.partition("=")
        if not equals and flag != "--no-healthcheck" and index < count:
            argument = tokens[index]
            index += 1
        flags.add(flag)
        if flag == "--sysctl":
            sysctls.append(argument)
        else:
            found[flag] = argument
    get = found.get
    retries = get("--health-retries", "")
    interval, timeout = get("--health-interval"), get("--health-timeout")
    start_period, start_interval = get("--health-start-period"), get("--health-start-interval")
    return ContainerOptions(
        value,
        get("--health-cmd"),
        None if interval is None else parse_duration(interval),
        None if timeout is None else parse_duration(timeout),
        int(retries) if retries.isdigit() else None,
        None if start_period is None else parse_duration(start_period),
        None if start_interval is None else parse_duration(start_interval),
        "--no-healthcheck" in found,
        tuple(sysctls),
        get("--entrypoint"),
        flags,
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

    masked = sub_expressions(hide, text) if "${{" in text else text
    words = _simple_words(masked)
    if words is None:
        words = split_arguments(masked)
    if not expressions:
        return words
    return [_MARKED.sub(lambda match: expressions[int(match.group(1))], word) for word in words]


_MARKED = lazy_compile(f"{_EXPRESSION_MARK}(\\d+){_EXPRESSION_MARK}")
