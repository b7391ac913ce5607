"""The three severities, most severe first: `--fail-on` and the github format compare
positions in SEVERITIES. Its own module (standard library only, nothing else) so that a
cached lint, which reads no rule, can rank findings."""

from __future__ import annotations

SEVERITIES = ("error", "warning", "info")


def severity_rank(severity: str) -> int:
    """0 for error, 1 for warning, 2 for info: lower is more severe."""
    return SEVERITIES.index(severity)
