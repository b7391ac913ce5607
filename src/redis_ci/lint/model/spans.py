"""Raw-text spans inside `options:`: where a flag's argument is written, where the last option ends."""

from __future__ import annotations

import re

from redis_ci.lint.model.options import ContainerOptions
from redis_ci.lint.yaml_nodes import Span


def _raw_text(lines: list[str], span: Span) -> tuple:
    """The file's text that span covers (its lines joined by newlines), and where each of those
    lines starts: (offset in that text, line, column), for `_position`."""
    pieces, starts, offset = [], [], 0
    for line in range(span.line, min(span.end_line, len(lines)) + 1):
        text = lines[line - 1]
        start = span.column - 1 if line == span.line else 0
        end = min(span.end_column - 1, len(text)) if line == span.end_line else len(text)
        starts.append((offset, line, start + 1))
        pieces.append(text[start:end])
        offset += end - start + 1
    return "\n".join(pieces), starts


def _position(starts: list, offset: int) -> tuple:
    """(line, column) in the file of `offset` in a `_raw_text` text."""
    base, line, column = next(start for start in reversed(starts) if start[0] <= offset)
    return line, column + offset - base


def _argument_end(text: str, start: int, style: str | None) -> int | None:
    """End (exclusive) of the shell word starting at text[start], as written in a YAML scalar
    of `style` (inside a double-quoted scalar a shell quote is written `\\"`)."""
    if style == '"' and text.startswith('\\"', start):
        end = text.find('\\"', start + 2)
        return None if end < 0 else end + 2
    if style == "'" and text.startswith("''", start):
        end = text.find("''", start + 2)
        return None if end < 0 else end + 2
    quote = text[start]
    if quote in "\"'":
        cursor = start + 1
        while cursor < len(text) and text[cursor] != quote:
            cursor += 2 if quote == '"' and text[cursor] == "\\" else 1
        return None if cursor >= len(text) else cursor + 1
    end = start
    while end < len(text) and not text[end].isspace() and text[end] != style:
        end += 1
    return end


def option_argument_span(lines: list[str], options: ContainerOptions, flag: str) -> Span | None:
    """Where the argument of `flag` (its last occurrence) is written in the file, quotes
    included, in any scalar style (also folded `>-`); None when absent or not found exactly."""
    if options.value is None:
        return None
    span = options.value.span
    text, starts = _raw_text(lines, span)
    matches = list(re.finditer(rf"(?<![\w-]){re.escape(flag)}(?=[\s=])", text))
    if not matches:
        return None
    start = matches[-1].end()
    start += 1 if text[start] == "=" else len(text[start:]) - len(text[start:].lstrip())
    end = _argument_end(text, start, options.value.style) if start < len(text) else None
    if end is None or end == start:
        return None
    (line, column), (end_line, end_column) = _position(starts, start), _position(starts, end - 1)
    return Span(line, column, end_line, end_column + 1, span.path)


def options_end(lines: list[str], options: ContainerOptions) -> Span | None:
    """The point right after the last option (before a closing quote): where a fix appends
    ` --flag value`. None when the service has no `options:`."""
    if options.value is None:
        return None
    span = options.value.span
    text, starts = _raw_text(lines, span)
    last = len(text.rstrip()) - 1
    if options.value.style in ('"', "'"):
        last = len(text[:last].rstrip()) - 1  # before the closing quote
    if last < 0:
        return None
    line, column = _position(starts, last)
    return Span(line, column + 1, line, column + 1, span.path)
