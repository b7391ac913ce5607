"""Which rules run: `--select`/`--ignore` lists of codes, code prefixes or names."""

from __future__ import annotations

from redis_ci.errors import UsageError


def _matches(rule, selector: str) -> bool:
    return rule.code.startswith(selector.upper()) or rule.name == selector.lower()


def unknown_selectors(all_rules: list, selectors: list[str]) -> list[str]:
    """The selectors that match no rule."""
    return [selector for selector in selectors if not any(_matches(rule, selector) for rule in all_rules)]


def select_rules(all_rules: list, select: list[str], ignore: list[str]) -> list:
    """all_rules narrowed to select (all if empty), minus ignore. An unknown selector is a
    UsageError (a typo must not silently turn a rule off)."""
    unknown = unknown_selectors(all_rules, select + ignore)
    if unknown:
        raise UsageError(f"unknown rule code or name: {unknown[0]}")
    chosen = [rule for rule in all_rules if not select or any(_matches(rule, s) for s in select)]
    return [rule for rule in chosen if not any(_matches(rule, s) for s in ignore)]


def find_rule(all_rules: list, selector: str):
    """The one rule with this exact code or name, or None."""
    for rule in all_rules:
        if rule.code == selector.upper() or rule.name == selector.lower():
            return rule
    return None
