"""Where a YAML syntax error is, as a user would point at it, and what it says.

libyaml puts a problem found at the end of the input one line past the file's last line when
the file does not end with a line break ("select: [RC1" fails "at line 2"), and after trailing
blank lines when it does: neither line is one an editor or GitHub's annotations can show. An
error at the end of the input is placed just after the file's last character instead, which
is where the pure-Python parser puts it too. The context ("while parsing a flow sequence")
gets the line and column where that construct started: the unclosed bracket or quote.
"""

from __future__ import annotations


def error_position(mark, lines: list[str]) -> tuple[int, int]:
    """(line, column), 1-based, of a YAML error mark over the file's lines (lines.split_lines)."""
    if mark is None:
        return 1, 1
    last = len(lines) - 1
    while last >= 0 and not lines[last].strip():
        last -= 1
    if last < 0:
        return 1, 1
    end_column = len(lines[last].rstrip())
    if mark.line > last or (mark.line == last and mark.column >= end_column):
        return last + 1, end_column + 1
    return mark.line + 1, mark.column + 1


def error_message(exc, lines: list[str]) -> str:
    """The problem, with the context and where that context started (over the same lines)."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    if not context:
        return problem
    start = getattr(exc, "context_mark", None)
    if start is None:
        return f"{problem} ({context})"
    line, column = error_position(start, lines)
    return f"{problem} ({context} that starts at line {line}, column {column})"
