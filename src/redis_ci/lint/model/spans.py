"""Raw-text spans inside `options:`: where a flag's argument is written, where the last option ends."""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

from redis_ci.lint.model.options import ContainerOptions
from redis_ci.lint.yaml_nodes import Span


def _raw_text(lines: list[str], span: Span) -> tuple:
    """The file's text that span covers (its lines joined by newlines), and where each of those
    lines starts in that text (ascending: the span is of this file's text), for `_position`."""
    last = min(span.end_line, len(lines))
    pieces = lines[span.line - 1:last]
    if not pieces:
        return "", [0]
    if last == span.end_line:
        pieces[-1] = pieces[-1][:span.end_column - 1]
    pieces[0] = pieces[0][span.column - 1:]
    offsets = [0] * len(pieces)
    for index in range(1, len(pieces)):  # each line's text and its newline
        offsets[index] = offsets[index - 1] + len(pieces[index - 1]) + 1
    return "\n".join(pieces), offsets


def _position(span: Span, offsets: list, offset: int) -> tuple:
    """(line, column) in the file of `offset` in the `_raw_text` text of span."""
    index = bisect_right(offsets, offset) - 1
    return span.line + index, (span.column if index == 0 else 1) + offset - offsets[index]


@lru_cache(maxsize=32)  # rules ask for a few flags, of every service with options
def _flag_pattern(flag: str):
    """`flag` as a word of its own: no word character or `-` before it, a blank or `=` after it.
    The `(?<!...)` comes after the flag's first character (as `patterns.word_alternatives`
    writes `\\b`): a pattern that starts with a look-behind is tried at every character."""
    first = re.escape(flag[0])
    return re.compile(rf"{first}(?<![\w-]{first}){re.escape(flag[1:])}(?=[\s=])")


_BLANKS = re.compile(r"\s*")


# What ends an unquoted shell word in a scalar of each style (its own quote or `>`/`|` too).
_WORD_ENDS = {style: re.compile(r"\s" if style is None else rf"[\s{re.escape(style)}]")
              for style in (None, "'", '"', ">", "|")}


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
        cursor = text.find(quote, start + 1)
        if quote == "'" or (cursor >= 0 and "\\" not in text[start + 1:cursor]):
            return None if cursor < 0 else cursor + 1
        cursor = start + 1  # a backslash in double quotes: it escapes the next character
        while cursor < len(text) and text[cursor] != quote:
            cursor += 2 if text[cursor] == "\\" else 1
        return None if cursor >= len(text) else cursor + 1
    ends = _WORD_ENDS.get(style)
    if ends is None:  # a style no scalar has: the words end where the old loop ended them
        end = start
        while end < len(text) and not text[end].isspace() and text[end] != style:
            end += 1
        return end
    match = ends.search(text, start)
    return len(text) if match is None else match.start()


def option_argument_span(lines: list[str], options: ContainerOptions, flag: str) -> Span | None:
    """Where the argument of `flag` (its last occurrence) is written in the file, quotes
    included, in any scalar style (also folded `>-`); None when absent or not found exactly."""
    if options.value is None:
        return None
    span = options.value.span
    text, starts = _raw_text(lines, span)
    last = None
    for last in _flag_pattern(flag).finditer(text):
        pass
    if last is None:
        return None
    start = last.end()
    start = start + 1 if text[start] == "=" else _BLANKS.match(text, start).end()
    end = _argument_end(text, start, options.value.style) if start < len(text) else None
    if end is None or end == start:
        return None
    (line, column), (end_line, end_column) = _position(span, starts, start), _position(span, starts, end - 1)
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
    line, column = _position(span, starts, last)
    return Span(line, column + 1, line, column + 1, span.path)
