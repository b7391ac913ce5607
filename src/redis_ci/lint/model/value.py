"""A scalar as written in the file: its text, quoting style and span, and where a piece of it is."""

from __future__ import annotations

from dataclasses import dataclass

from redis_ci.lint.yaml_nodes import Span


@dataclass(frozen=True, init=False)
class Value:
    """A scalar as written in the file. style: None (plain), "'", '"', "|" or ">"."""

    text: str
    span: Span
    style: str | None = None
    block_indent: int = 0  # literal block (`|`): 0-based column where its content starts

    def __init__(self, text: str, span: Span, style: str | None = None, block_indent: int = 0):
        # as Span's: one Value per scalar of every file, the dataclass's frozen __init__ is slow
        fields = self.__dict__
        fields["text"], fields["span"], fields["style"], fields["block_indent"] = text, span, style, block_indent

    @property
    def is_expression(self) -> bool:
        """True when the text contains a `${{ }}` expression (its value is known only at run time)."""
        return "${{" in self.text

    def locate(self, start: int, end: int) -> Span:
        """The span of text[start:end] in the file; the whole value's span when the scalar's
        layout (folded `>`, multi-line flow) does not allow an exact answer."""
        row = self.text.count("\n", 0, start)
        col = start - (self.text.rfind("\n", 0, start) + 1)
        width = max(end - start, 1)
        if self.style == "|":
            line = self.span.line + 1 + row
            column = self.block_indent + col + 1
            return Span(line, column, line, column + width, self.span.path)
        if self.style in (None, "'", '"') and "\n" not in self.text and self.span.line == self.span.end_line:
            column = self.span.column + (1 if self.style else 0) + col
            return Span(self.span.line, column, self.span.line, column + width, self.span.path)
        return self.span
