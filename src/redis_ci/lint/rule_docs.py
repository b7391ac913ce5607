"""A rule's documentation as one Markdown page: what `redis-ci explain` prints, what
docs/rules/RCxxx.md holds (scripts/rule_docs.py writes them; a test keeps them in step), and
where SARIF's helpUri and the step summary link to. The text is the rule's docstring."""

from __future__ import annotations

from redis_ci.recipe import ACTION_REPOSITORY

# The project's repository (the action's): rule pages are read there on GitHub.
DOCS_URL = f"https://github.com/{ACTION_REPOSITORY}/blob/main/docs/rules"


def rule_url(code: str) -> str:
    return f"{DOCS_URL}/{code}.md"


def rule_header(rule) -> str:
    fix = "fixable (`--fix`)" if rule.fixable else "not fixable"
    default = "on by default" if rule.enabled_by_default else "off by default (`--extend-select " + rule.code + "`)"
    return f"# {rule.code} {rule.name}\n\nSeverity: {rule.severity}; {fix}; {default}.\n"


def rule_page(rule) -> str:
    return f"{rule_header(rule)}\n{rule.documentation()}\n"


def index_page(rules) -> str:
    lines = ["# redis-ci lint rules", "",
             "Written from the rules' docstrings by `python3 scripts/rule_docs.py`; "
             "`redis-ci explain CODE` prints the same page.", "",
             "| code | name | severity | fix | summary |", "|---|---|---|---|---|"]
    for rule in rules:
        summary = rule.summary().replace("|", "\\|")
        default = "" if rule.enabled_by_default else " (off by default)"
        lines.append(f"| [{rule.code}]({rule.code}.md) | {rule.name} | {rule.severity}{default} | "
                     f"{'yes' if rule.fixable else ''} | {summary} |")
    return "\n".join(lines) + "\n"


def pages(rules) -> dict:
    """file name -> content, for docs/rules/."""
    found = {f"{rule.code}.md": rule_page(rule) for rule in rules}
    found["README.md"] = index_page(rules)
    return found
