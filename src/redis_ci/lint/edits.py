"""Fixes as text edits: a fixable rule turns one of its findings into `TextEdit`s on the
file's text, so everything outside the edited ranges stays byte-identical (comments, key
order, quoting, blank lines, indentation), as zizmor's fixes do.

Positions use the `Span` convention: 1-based line and column, end exclusive, columns
counted in characters (what PyYAML's marks count). An insertion is an edit whose start
equals its end. Lines are YAML's lines (broken at \n, \r\n, \r, NEL, LS, PS), so
positions agree with PyYAML's marks even where `str.splitlines` would split more.

Rules write inserted text with `\n`; `apply_edits` turns it into the file's own line
break (CRLF files stay CRLF) and keeps a file without a final newline without one.
"""

from __future__ import annotations

import re

from redis_ci.lint.lines import LINE_BREAK

TYPE_CHECKING = False  # typing's, without importing typing
if TYPE_CHECKING:
    from typing import Iterable

    from redis_ci.lint.yaml_nodes import Span


class TextEdit:
    """Replace the text from (line, column) up to (end_line, end_column) with `text`.
    Equal and hashed by its fields, as the frozen dataclass it was (never change one); a plain
    class: the rules that make edits are on lint's start-up path, which imports no `dataclasses`."""

    __slots__ = ("line", "column", "end_line", "end_column", "text")

    def __init__(self, line: int, column: int, end_line: int, end_column: int, text: str):
        self.line, self.column, self.end_line, self.end_column, self.text = line, column, end_line, end_column, text

    def _fields(self) -> tuple:
        return (self.line, self.column, self.end_line, self.end_column, self.text)

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self):
        return hash(self._fields())

    def __repr__(self) -> str:
        return "TextEdit(line={!r}, column={!r}, end_line={!r}, end_column={!r}, text={!r})".format(*self._fields())

    def __reduce__(self):
        return (TextEdit, self._fields())

    def start(self) -> tuple:
        return (self.line, self.column)

    def end(self) -> tuple:
        return (self.end_line, self.end_column)


def replace(span: Span, text: str) -> TextEdit:
    """Replace exactly what span covers."""
    return TextEdit(span.line, span.column, span.end_line, span.end_column, text)


def insert_lines_before(line: int, text: str) -> TextEdit:
    """Insert whole lines before 1-based `line` (text ends with a newline; a line past the
    end of the file appends)."""
    return TextEdit(line, 1, line, 1, text)


def indentation_of(lines: list[str], line: int) -> str:
    """The leading whitespace of 1-based `line`."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return text[: len(text) - len(text.lstrip(" \t"))]


def _line_starts(text: str) -> list[int]:
    """Offsets where each YAML line starts, including the empty line after a final break."""
    return [0] + [match.end() for match in LINE_BREAK.finditer(text)]


def _offset(line_starts: list[int], text_length: int, line: int, column: int) -> int:
    if line > len(line_starts):  # past the last line: the end of the text
        return text_length
    return min(line_starts[line - 1] + column - 1, text_length)


def newline_of(text: str) -> str:
    """The file's line break: its first one (`\n` for a file with none)."""
    match = re.search("\r\n|[\n\r]", text)
    return match.group() if match else "\n"


def apply_edits(text: str, edits: Iterable[TextEdit]) -> tuple[str, list[TextEdit]]:
    """Apply non-overlapping edits; returns the new text and the edits applied.

    Edits are taken in position order; one that overlaps an edit already taken is left
    out (the next `--fix` pass, after re-linting, gets to it). Identical edits (two findings
    asking for the same change) are applied once."""
    line_starts = _line_starts(text)
    taken: list[TextEdit] = []
    last_end = (0, 0)
    for edit in sorted(set(edits), key=lambda e: (e.start(), e.end(), e.text)):
        if taken and edit.start() < last_end:
            continue
        if taken and edit.start() == last_end == edit.end() and taken[-1].start() == edit.start():
            continue  # two insertions at one point would interleave unpredictably
        taken.append(edit)
        last_end = max(last_end, edit.end())
    newline = newline_of(text)
    unterminated = bool(text) and LINE_BREAK.search(text[-1]) is None
    pieces, cursor = [], 0
    for edit in taken:
        start = _offset(line_starts, len(text), edit.line, edit.column)
        end = _offset(line_starts, len(text), edit.end_line, edit.end_column)
        inserted = edit.text
        if unterminated and start == len(text) and edit.column == 1 and inserted.endswith("\n"):
            # whole lines appended to a file without a final newline: it stays without one
            inserted = "\n" + inserted[:-1]
        pieces.append(text[cursor:start])
        pieces.append(inserted.replace("\r\n", "\n").replace("\n", newline))
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces), taken
