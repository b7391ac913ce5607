"""The `options:` of a service or job container: its words (`split_options`) and the flags rules read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from redis_ci.lint.model.durations import parse_duration
from redis_ci.lint.model.value import Value
from redis_ci.lint.yaml_nodes import Span
from redis_ci.lint.patterns import lazy_compile


@dataclass(frozen=True)
class ContainerOptions:
    """The parsed `options:` string of a service or container. Durations in seconds
    (None: absent or unparsable). flag_spans maps a flag as written (`--health-cmd`) to
    its span, for findings that point at one option."""

    value: Value | None = None
    health_cmd: str | None = None
    health_interval: float | None = None
    health_timeout: float | None = None
    health_retries: int | None = None
    health_start_period: float | None = None
    health_start_interval: float | None = None
    no_healthcheck: bool = False
    sysctls: tuple = ()
    entrypoint: str | None = None
    flag_spans: dict = field(default_factory=dict)

    def span_of(self, flag: str) -> Span | None:
        """The span of `flag` in the options text (whole options span if not exact); None if absent."""
        return self.flag_spans.get(flag)


# One word of `shlex.split` (POSIX rules; whitespace is only space, tab, CR, LF): bare
# characters, a backslash escape, '...' or "..." (with escapes), glued together, and what
# follows it. shlex reads character by character in Python; this is the same in one match.
_OPTION_WORD = lazy_compile(r"""((?:[^ \t\r\n'"\\]|\\.|'[^']*'|"(?:[^"\\]|\\.)*")+)(?:[ \t\r\n]+|\Z)""", re.S)
_OPTION_WORD_PART = lazy_compile(r"""\\(.)|'([^']*)'|"((?:[^"\\]|\\.)*)"|[^'"\\]+""", re.S)
_DOUBLE_QUOTED_ESCAPE = lazy_compile(r'\\(["\\])')  # inside "...", only \" and \\ are escapes


def _unquote_part(match: re.Match) -> str:
    escaped, single, double = match.groups()
    if escaped is not None:
        return escaped
    if single is not None:
        return single
    if double is not None:
        return _DOUBLE_QUOTED_ESCAPE.sub(r"\1", double)
    return match.group(0)


def split_options(text: str) -> list[str]:
    """`shlex.split(text)`, or `text.split()` where shlex refuses it (unbalanced quotes, a
    final backslash: Docker would refuse it too; read it word by word)."""
    words = []
    position = len(text) - len(text.lstrip(" \t\r\n"))
    while position < len(text):
        match = _OPTION_WORD.match(text, position)
        if match is None:
            return text.split()
        words.append(_OPTION_WORD_PART.sub(_unquote_part, match.group(1)))
        position = match.end()
    return words


def parse_container_options(value: Value) -> ContainerOptions:
    """Parse a docker `options:` string (`--health-cmd "..." --health-interval 1s ...`)."""
    tokens = split_options(value.text)
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
