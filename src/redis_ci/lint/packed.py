"""One file's lint result as plain data: what pool workers send back and the cache stores.

A worker renders its file's findings itself (text and github formats) and returns strings,
ints and tuples only: pickling and unpickling those is several times cheaper than
`FileResult`s with `Finding`s, `Span`s and every line of the file (bench/lint_speed.py).
The parent writes the rendered text in path order; `PackedResult` makes finding objects
(`RowFinding`) only for what needs them (json, sarif, --statistics, the step summary).

The packed tuple: (path, read_error, notices, rows, line_map, text, other_lines), where a
row is (code, name, severity, message, line, column, end_line, end_column, fixable, file),
line_map holds the lines the findings start on (SARIF fingerprints them) and other_lines the
same for findings in another file (file: a compose file; None: the workflow).
"""

from __future__ import annotations

import marshal

from redis_ci.lint.severities import SEVERITIES, severity_rank

# Formats whose output a worker renders per file (the parent only joins it).
PRE_RENDERED = ("text", "github")
# The github format's lines start with the command for the severity (formats/github.py):
# "::error ", "::warning ", "::notice ", told apart by their first three characters.
_GITHUB_MARK = {"::e": "error", "::w": "warning", "::n": "info"}


class Output:
    """What a worker renders: the resolved format and whether text is coloured. A plain class:
    collections.namedtuple builds its class when imported (~0.1 ms of every start, and
    `collections` itself, which a cached lint has no other use for)."""

    __slots__ = ("format", "color")

    def __init__(self, format: str, color: bool = False):  # noqa: A002 - the option's name
        self.format, self.color = format, color

    def __iter__(self):  # cache_key.settings_key keys on tuple(output)
        return iter((self.format, self.color))

    def __eq__(self, other) -> bool:
        return other.__class__ is self.__class__ and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Output(format={self.format!r}, color={self.color!r})"


def pack(result, output: Output) -> tuple:
    """A FileResult -> the packed tuple (rendered for `output` when its format is pre-rendered)."""
    rows = tuple((f.code, f.name, f.severity, f.message, f.span.line, f.span.column,
                  f.span.end_line, f.span.end_column, f.fixable, getattr(f, "file", None)) for f in result.findings)
    line_map: dict = {}
    other_lines: dict = {}
    for finding in result.findings:
        file = getattr(finding, "file", None)
        lines = result.lines_of(finding) if file else result.lines
        if 0 < finding.span.line <= len(lines):
            (other_lines.setdefault(file, {}) if file else line_map)[finding.span.line] = lines[finding.span.line - 1]
    text = ""
    if rows and output.format == "text":
        from redis_ci.lint.render import render_text

        text = render_text([result], color=output.color)
    elif rows and output.format == "github":
        from redis_ci.lint.formats.github import render_github
        from redis_ci.lint.render import artifact_uri

        text = render_github([result], artifact_uri)
    return (result.path, result.read_error, tuple(result.notices), rows, line_map, text, other_lines)


def tally(rows) -> tuple:
    """(findings, fixable ones, the most severe one's severity_rank or len(SEVERITIES)) of
    rows: all the summary line and the exit code read."""
    return (len(rows), sum(1 for row in rows if row[8]),
            min((severity_rank(row[2]) for row in rows), default=len(SEVERITIES)))


def stored_parts(packed: tuple) -> tuple[tuple, bytes]:
    """A packed tuple -> (head, detail), as the result cache keeps it: head = (read_error,
    notices, text) + tally(rows), all a run of a pre-rendered format reads; detail = the rows
    and lines, marshalled, decoded only when findings themselves are needed (json, sarif,
    --statistics, the step summary). A warm text run decodes no row (most of an index's objects)."""
    _path, read_error, notices, rows, line_map, text, other_lines = packed
    if read_error is None and not (notices or rows or line_map or text or other_lines):
        return _CLEAN  # most files: one object each, which marshal writes once and refers back to
    return (read_error, notices, text, *tally(rows)), marshal.dumps((rows, line_map, other_lines))


_CLEAN = ((None, (), "", *tally(())), marshal.dumps(((), {}, {})))  # stored_parts of a file with nothing to say


def from_parts(path: str, head: tuple, detail: bytes) -> tuple:
    """stored_parts' inverse: the packed tuple."""
    rows, line_map, other_lines = marshal.loads(detail)
    read_error, notices, text = head[:3]
    return (path, read_error, notices, rows, line_map, text, other_lines)


class RowSpan:
    """A finding's position, as yaml_nodes.Span gives it (1-based lines and columns)."""

    __slots__ = ("line", "column", "end_line", "end_column")

    def __init__(self, line: int, column: int, end_line: int, end_column: int):
        self.line, self.column, self.end_line, self.end_column = line, column, end_line, end_column


class RowFinding:
    """A packed row with the attributes of rule.Finding that renderers and reports read. Not
    rule.Finding itself: that module imports the prefilter, and its Span PyYAML, which a run
    served from the cache (json, sarif, the step summary) has no other use for."""

    __slots__ = ("code", "name", "severity", "message", "span", "fixable", "file")

    def __init__(self, code: str, name: str, severity: str, message: str, line: int, column: int, end_line: int,
                 end_column: int, fixable: bool, file: str | None):
        self.code, self.name, self.severity, self.message = code, name, severity, message
        self.span = RowSpan(line, column, end_line, end_column)
        self.fixable, self.file = fixable, file


class PackedResult:
    """A packed tuple with the FileResult interface the renderers and reports read. count,
    fixable_count and worst_rank are tally's; a result from the cache (`stored`) decodes its
    rows and lines on first use."""

    __slots__ = ("path", "read_error", "notices", "text", "count", "fixable_count", "worst_rank", "_detail",
                 "_findings")

    def __init__(self, packed: tuple):
        self.path, self.read_error, self.notices, rows, line_map, self.text, other_lines = packed
        self.count, self.fixable_count, self.worst_rank = tally(rows)
        self._detail = (rows, line_map, other_lines)
        self._findings = None

    @classmethod
    def stored(cls, path: str, head: tuple, detail) -> PackedResult:
        """From stored_parts' head and detail (bytes, or already decoded)."""
        result = cls.__new__(cls)
        result.path = path
        result.read_error, result.notices, result.text, result.count, result.fixable_count, result.worst_rank = head
        result._detail = detail
        result._findings = None
        return result

    def _details(self) -> tuple:
        if isinstance(self._detail, bytes):
            self._detail = marshal.loads(self._detail)
        return self._detail

    @property
    def rows(self) -> tuple:
        return self._details()[0]

    @property
    def line_map(self) -> dict:
        return self._details()[1]

    @property
    def other_lines(self) -> dict:
        return self._details()[2]

    @property
    def findings(self) -> list:
        """The rows as RowFindings (what renderers and reports read of a rule.Finding)."""
        if self._findings is None:
            self._findings = [RowFinding(*row) for row in self.rows]
        return self._findings

    @property
    def lines(self) -> list:
        """The file's lines where findings start; "" elsewhere (enough for excerpts and SARIF)."""
        return _sparse(self.line_map)

    def path_of(self, finding) -> str:
        return getattr(finding, "file", None) or self.path

    def lines_of(self, finding) -> list:
        file = getattr(finding, "file", None)
        return _sparse(self.other_lines.get(file, {})) if file else self.lines


def _sparse(line_map: dict) -> list:
    if not line_map:
        return []
    lines = [""] * max(line_map)
    for number, text in line_map.items():
        lines[number - 1] = text
    return lines


def joined_report(format_name: str, results: list) -> str:
    """The pre-rendered formats' report: text in path order; github annotations most severe
    first, in path order within a severity (as render_github orders them)."""
    if format_name == "text":
        return "".join(result.text for result in results)
    by_severity: dict = {severity: [] for severity in SEVERITIES}
    for result in results:
        for line in result.text.splitlines(keepends=True):
            # one annotation per line (escape_data turns line breaks into %0A), its command first
            by_severity[_GITHUB_MARK.get(line[:3], "info")].append(line)
    return "".join(line for severity in SEVERITIES for line in by_severity[severity])
