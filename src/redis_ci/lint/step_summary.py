"""Inside GitHub Actions, `redis-ci lint` appends a Markdown report to `$GITHUB_STEP_SUMMARY`:
findings per rule (linked to the rule's page) and per file (linked to the line at this commit)."""

from __future__ import annotations

import os
from collections import Counter

from redis_ci.lint.rule_docs import rule_url
from redis_ci.lint.report import summary_line


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _linker(artifact_uri):
    """link(path, line=None): a link to the file (at a line) at the commit being built, when
    Actions says which (the environment read once, each path's URI made once: a summary has a
    link per finding)."""
    server, repository, sha = (os.environ.get(name) for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
    uris: dict = {}

    def link(path: str, line: int | None = None) -> str:
        uri = uris.get(path)
        if uri is None:
            uri = uris[path] = artifact_uri(path)
        label = f"{uri}:{line}" if line else uri
        if not (server and repository and sha):
            return f"`{label}`"
        anchor = f"#L{line}" if line else ""
        return f"[`{label}`]({server}/{repository}/blob/{sha}/{uri}{anchor})"

    return link


def render_step_summary(results, artifact_uri) -> str:
    lines = ["### redis-ci lint", "", summary_line(results), ""]
    findings = [(result.path_of(finding), finding) for result in results for finding in result.findings]
    if not findings:
        return "\n".join(lines) + "\n"
    link = _linker(artifact_uri)
    per_rule = Counter(finding.code for _, finding in findings)
    names = {finding.code: finding for _, finding in findings}
    lines += ["| rule | findings | fixable |", "|---|---:|---|"]
    for code in sorted(per_rule, key=lambda code: (-per_rule[code], code)):
        finding = names[code]
        lines.append(f"| [{code} {finding.name}]({rule_url(code)}) | {per_rule[code]} | "
                     f"{'yes' if finding.fixable else ''} |")
    lines += ["", "| file | findings |", "|---|---:|"]
    for result in results:
        if result.findings:
            lines.append(f"| {link(result.path)} | {len(result.findings)} |")
    lines += ["", "<details><summary>Every finding</summary>", ""]
    for path, finding in findings:
        lines.append(f"- {link(path, finding.span.line)} {finding.severity} "
                     f"[{finding.code}]({rule_url(finding.code)}): {_cell(finding.message)}")
    lines += ["", "</details>", ""]
    return "\n".join(lines) + "\n"


def append_step_summary(results, artifact_uri) -> None:
    """Append to $GITHUB_STEP_SUMMARY when it is set (OSError goes to the caller)."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(render_step_summary(results, artifact_uri))
