"""Findings -> SARIF 2.1.0, the format GitHub code scanning takes (`upload-sarif`).

One run; `tool.driver.rules` describes every rule that ran (documentation from its
docstring), each result points at its rule by id and index, at its file by a relative
forward-slash URI, and carries a fingerprint that survives lines moving up or down
(path + code + the text of the line + which occurrence of that text it is), so code
scanning keeps an alert open across unrelated edits instead of closing and reopening it.
"""

from __future__ import annotations

import hashlib
import json

from redis_ci import __version__
from redis_ci.lint.rule_docs import rule_url
from redis_ci.recipe import ACTION_REPOSITORY

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = f"https://github.com/{ACTION_REPOSITORY}"
FINGERPRINT_KEY = "redisCi/v1"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
# The hundreds digit of a code is its group in the catalogue (RULES.md headings).
GROUPS = {"0": "file", "1": "readiness", "2": "connectivity", "3": "platform", "4": "images"}


def _section(documentation: str, heading: str) -> str:
    """The text under `## heading` up to the next `## `, or "" when absent."""
    _, found, rest = documentation.partition(f"## {heading}\n")
    return rest.split("\n## ", 1)[0].strip() if found else ""


def rule_descriptor(rule) -> dict:
    documentation = rule.documentation()
    summary = rule.summary()
    group = "suppression" if rule.code == "RC000" else GROUPS.get(rule.code[2:3], "other")  # RC000: our own comments
    tags = ["redis", "github-actions", group]
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": " ".join(_section(documentation, "What it does").split()) or summary},
        "help": {"text": documentation, "markdown": documentation},
        "helpUri": rule_url(rule.code),  # docs/rules/<code>.md in the project's repository
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": tags},
    }


def fingerprint(uri: str, code: str, line_text: str, occurrence: int) -> str:
    key = "\0".join((uri, code, line_text, str(occurrence)))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _fingerprint_prefix(uri: str, code: str, line_text: str):
    """fingerprint's hash before the occurrence (sha256 reads its input in order)."""
    return hashlib.sha256("\0".join((uri, code, line_text, "")).encode("utf-8", "surrogatepass"))


def _fingerprint_from(prefix, occurrence: int) -> str:
    digest = prefix.copy()
    digest.update(str(occurrence).encode())
    return digest.hexdigest()[:32]


def render_sarif(results, rules, artifact_uri) -> str:
    """rules: the rule classes that ran (a result's ruleIndex points into them)."""
    index = {rule.code: position for position, rule in enumerate(rules)}
    sarif_results = []
    for result in results:
        seen: dict = {}
        # Per line, not per finding: thousands of findings on one long line each stripped and
        # hashed the whole line (an equal text is one object: a key compares by identity).
        line_texts: dict = {}
        texts: dict = {}
        hashed: dict = {}
        for finding in result.findings:
            uri, lines = artifact_uri(result.path_of(finding)), result.lines_of(finding)
            span = finding.span
            line_text = line_texts.get((uri, span.line))
            if line_text is None:
                line_text = lines[span.line - 1].strip() if 0 < span.line <= len(lines) else ""
                line_text = line_texts[uri, span.line] = texts.setdefault(line_text, line_text)
            occurrence = seen.get((uri, finding.code, line_text), 0)
            seen[uri, finding.code, line_text] = occurrence + 1
            prefix = hashed.get((uri, finding.code, line_text))
            if prefix is None:
                prefix = hashed[uri, finding.code, line_text] = _fingerprint_prefix(uri, finding.code, line_text)
            sarif_results.append({
                "ruleId": finding.code,
                "ruleIndex": index[finding.code],
                "level": LEVELS[finding.severity],
                "message": {"text": finding.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri},
                        "region": {
                            "startLine": span.line,
                            "startColumn": span.column,
                            "endLine": span.end_line,
                            "endColumn": span.end_column,
                        },
                    },
                }],
                "partialFingerprints": {FINGERPRINT_KEY: _fingerprint_from(prefix, occurrence)},
            })
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "redis-ci",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(rule) for rule in rules],
            }},
            "columnKind": "unicodeCodePoints",
            "results": sarif_results,
        }],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
