"""Findings -> output in the chosen format. A renderer never knows a rule; it reads Finding
fields (and, for SARIF, the documentation of the rules that ran) only.

Formats: text (people), json (scripts), sarif (code scanning), github (annotations);
`auto` is github inside GitHub Actions, text elsewhere.
"""

from __future__ import annotations

import os

# Results are engine.FileResult or packed.PackedResult (not imported: the engine's workers
# render with this module).

_COLOR = {"error": "\033[1;31m", "warning": "\033[1;33m", "info": "\033[1;36m"}
_BOLD, _RESET = "\033[1m", "\033[0m"


FIXABLE_MARK = "[*]"
# A source line longer than this is shown as this many characters around the finding, cut
# with `...`: a hostile file of one 500 kB line with 55,000 findings made 9 GB of text output.
EXCERPT_WIDTH = 200
EXCERPT_CONTEXT = 60  # characters kept before the finding's column


def finding_line(path: str, finding) -> str:
    """`path:line:col: CODE [*] severity: message` (the header line of the text format and the
    fixtures; `[*]` only when --fix can repair it, as ruff marks it). Parse it with
    `^(.+?):(\\d+):(\\d+): (RC\\d{3})( \\[\\*\\])? (error|warning|info): (.*)$`."""
    mark = f" {FIXABLE_MARK}" if finding.fixable else ""
    return f"{path}:{finding.span.line}:{finding.span.column}: {finding.code}{mark} {finding.severity}: {finding.message}"


def _excerpt(lines: list[str], finding, color: bool) -> str | None:
    """The source line with a gutter above and a caret underline below (three lines, one string)."""
    span = finding.span
    if not 1 <= span.line <= len(lines):
        return None
    source = lines[span.line - 1]
    end = span.end_column if span.end_line == span.line else len(source) + 1
    width = max(min(end, len(source) + 1) - span.column, 1)
    column = span.column
    if len(source) > EXCERPT_WIDTH:
        left = max(0, min(column - 1 - EXCERPT_CONTEXT, len(source) - EXCERPT_WIDTH))
        right = left + EXCERPT_WIDTH
        cut = right < len(source)
        width = max(min(width, right - (column - 1) + (not cut)), 1)  # the underline stays in the window
        source = ("..." if left else "") + source[left:right] + ("..." if cut else "")
        column = column - left + (3 if left else 0)
    source = source.replace("\t", " ")
    number = str(span.line)
    gutter = " " * len(number)
    underline = " " * (column - 1) + "^" + "~" * (width - 1)
    if color:
        underline = _COLOR[finding.severity] + underline + _RESET
    return f"{gutter} |\n{number} | {source}\n{gutter} | {underline}"


def render_text(results: list, show_source: bool = True, color: bool = False) -> str:
    """One header line per finding, then (show_source) the source line with a caret underline."""
    out = []
    for result in results:
        for finding in result.findings:
            header = finding_line(result.path_of(finding), finding)
            if color:
                location = f"{result.path_of(finding)}:{finding.span.line}:{finding.span.column}"
                mark = f" {FIXABLE_MARK}" if finding.fixable else ""
                paint = _COLOR[finding.severity]
                header = (f"{_BOLD}{location}:{_RESET} {paint}{finding.code}{_RESET}{mark} "
                          f"{paint}{finding.severity}{_RESET}: {finding.message}")
            out.append(header)
            if show_source:
                excerpt = _excerpt(result.lines_of(finding), finding, color)
                if excerpt is not None:
                    out.append(excerpt)
    return "\n".join(out) + "\n" if out else ""


def render_json(results: list) -> str:
    """The versioned JSON document of issue 3."""
    findings = [
        {
            "path": result.path_of(finding),
            "line": finding.span.line,
            "column": finding.span.column,
            "end_line": finding.span.end_line,
            "end_column": finding.span.end_column,
            "code": finding.code,
            "name": finding.name,
            "severity": finding.severity,
            "message": finding.message,
            "fixable": finding.fixable,
        }
        for result in results
        for finding in result.findings
    ]
    import json  # only here: a cached text lint starts without it

    return json.dumps({"version": 1, "files": len(results), "findings": findings}, indent=2) + "\n"


def resolve_format(name: str) -> str:
    """`auto` -> `github` when running in GitHub Actions (GITHUB_ACTIONS=true), else `text`."""
    if name != "auto":
        return name
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def artifact_uri(path: str) -> str:
    """A path as a relative URI with forward slashes, as code scanning and annotations want
    (relative to the current directory: the repository root in a workflow)."""
    if os.path.isabs(path):
        relative = os.path.relpath(path)
        path = path if relative.startswith("..") else relative
    return path.replace(os.sep, "/").removeprefix("./")


def render(format_name: str, results: list, rules: list, color: bool = False) -> str:
    """Render results in a resolved format (not `auto`); rules: the rule classes that ran."""
    if format_name == "json":
        return render_json(results)
    if format_name == "sarif":
        from redis_ci.lint.formats.sarif import render_sarif

        return render_sarif(results, rules, artifact_uri)
    if format_name == "github":
        from redis_ci.lint.formats.github import render_github

        return render_github(results, artifact_uri)
    return render_text(results, color=color)
