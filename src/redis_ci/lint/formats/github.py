"""Findings -> GitHub Actions workflow commands (`::error file=...,line=...::message`), which
the runner turns into annotations on the pull request.

Escaping is exactly that of @actions/core (`toCommandValue`/`escapeData`/`escapeProperty`):
data escapes `%`, CR and LF; properties also escape `:` and `,`. Errors come first: the
runner shows at most 10 error and 10 warning annotations per step.
"""

from __future__ import annotations

from redis_ci.lint.severities import severity_rank
from redis_ci.probe.report import escape_data  # the probe's workflow commands escape data the same way

# Finding severity -> workflow command.
COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(uri: str, finding) -> str:
    """One workflow command for one finding; uri is the repository-relative path. The numbers
    need no escaping (digits and "-" only)."""
    span = finding.span
    return (f"::{COMMANDS[finding.severity]} file={escape_property(uri)},line={span.line},col={span.column},"
            f"endLine={span.end_line},endColumn={span.end_column},title={escape_property(finding.code)}"
            f"::{escape_data(finding.message)}")


def render_github(results, artifact_uri) -> str:
    """All findings, most severe first, in path and position order within a severity."""
    located = [(result.path_of(finding), finding) for result in results for finding in result.findings]
    located.sort(key=lambda item: severity_rank(item[1].severity))  # stable: keeps file order
    uris: dict = {}  # each path's URI made once: a file has many findings
    for path, _ in located:
        if path not in uris:
            uris[path] = artifact_uri(path)
    return "".join(annotation(uris[path], finding) + "\n" for path, finding in located)
