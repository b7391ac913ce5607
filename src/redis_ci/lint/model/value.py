"""A scalar as written in the file: its text, quoting style and span, and where a piece of it is."""

from __future__ import annotations

from bisect import bisect_left
from itertools import accumulate

from redis_ci.lint.yaml_nodes import Span, node_span

# A literal block longer than this finds a position's row in a table of its line breaks, made
# once: counting from the start for each of thousands of findings read their number times it.
LONG_BLOCK = 4096


class Value:
    """A scalar as written in the file. style: None (plain), "'", '"', "|" or ">".
    Immutable by convention (it is hashed): never assign to a field. A slotted class, not a
    dataclass, for the same reason as `Span`: one per scalar of every file.

    node, path: the scalar's YAML node and key path instead of span, which is then made from
    them when first read: of the ~58 Values the builder makes per dense file, rules and
    searches read the span of ~13 (a step's name, a `with:` input, most env values: only for
    a finding). (A property, not `__getattr__`, which would keep the interpreter from
    specializing every attribute read of a Value.)"""

    __slots__ = ("text", "_span", "style", "block_indent", "_node", "_path", "_breaks")  # _breaks: unset until asked

    def __init__(self, text: str, span: Span | None, style: str | None = None, block_indent: int = 0,
                 node=None, path: tuple = ()):
        self.text = text
        self._span = span
        self.style = style
        self.block_indent = block_indent  # literal block (`|`): 0-based column where its content starts
        self._node = node
        self._path = path

    @property
    def span(self) -> Span:
        node = self._node
        if node is not None:
            self._span = node_span(node, self._path)
            self._node = None
        return self._span

    def __eq__(self, other):
        if other.__class__ is not Value:
            return NotImplemented
        return (self.text, self.span, self.style, self.block_indent) == (
            other.text, other.span, other.style, other.block_indent)

    def __hash__(self) -> int:
        return hash((self.text, self.span, self.style, self.block_indent))

    def __repr__(self) -> str:
        return (f"Value(text={self.text!r}, span={self.span!r}, style={self.style!r}, "
                f"block_indent={self.block_indent!r})")

    @property
    def is_expression(self) -> bool:
        """True when the text contains a `${{ }}` expression (its value is known only at run time)."""
        return "${{" in self.text

    def _line_breaks(self) -> list[int]:
        """Where each line break of text is, in order (made on first use)."""
        try:
            return self._breaks
        except AttributeError:
            lengths = map(len, self.text.split("\n")[:-1])
            self._breaks = [offset - 1 for offset in accumulate(length + 1 for length in lengths)]
            return self._breaks

    def locate(self, start: int, end: int) -> Span:
        """The span of text[start:end] in the file; the whole value's span when the scalar's
        layout (folded `>`, multi-line flow) does not allow an exact answer."""
        span, style, text = self._span if self._node is None else self.span, self.style, self.text
        width = end - start if end > start else 1
        if style == "|":
            if len(text) < LONG_BLOCK:
                row, before = text.count("\n", 0, start), text.rfind("\n", 0, start)  # rfind: -1 on the first row
            else:
                breaks = self._line_breaks()
                row = bisect_left(breaks, start)
                before = breaks[row - 1] if row else -1
            line = span.line + 1 + row
            column = self.block_indent + start - before
            return Span(line, column, line, column + width, span.path)
        if style in (None, "'", '"') and span.line == span.end_line and "\n" not in text:
            column = span.column + (1 if style else 0) + start  # one line: the offset is the column
            return Span(span.line, column, span.line, column + width, span.path)
        return span
