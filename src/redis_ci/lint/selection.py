"""Which rules run: `--select`/`--ignore` lists of codes, code prefixes, names or `ALL`.

`select` replaces the default set (every rule enabled by default); `extend_select` adds to
whatever `select` gave; `ignore` and `extend_ignore` then take rules away. A rule that is off
by default (RC000) runs only when a selector matches it: `ALL`, its code or a prefix of it
(`RC0`), or its name.

all_rules is anything with code, name and enabled_by_default in catalogue order: the command
passes catalogue.CATALOGUE (no rule imported), tests often rules.ALL_RULES.
"""

from __future__ import annotations

from redis_ci.errors import UsageError

ALL = "ALL"


def _matches(rule, selector: str) -> bool:
    return selector.upper() == ALL or rule.code.startswith(selector.upper()) or rule.name == selector.lower()


def unknown_selectors(all_rules: list, selectors: list[str]) -> list[str]:
    """The selectors that match no rule."""
    return [selector for selector in selectors if not any(_matches(rule, selector) for rule in all_rules)]


def select_rules(all_rules: list, select: list[str] | None, ignore: list[str] | None,
                 extend_select: list[str] = (), extend_ignore: list[str] = ()) -> list:
    """all_rules narrowed to select (None or []: the rules enabled by default) plus
    extend_select, minus ignore and extend_ignore, in catalogue order. An unknown selector is
    a UsageError (a typo must not silently turn a rule off)."""
    select, ignore = list(select or []), list(ignore or [])
    unknown = unknown_selectors(all_rules, select + ignore + list(extend_select) + list(extend_ignore))
    if unknown:
        raise UsageError(f"unknown rule code or name: {unknown[0]}")
    removed = ignore + list(extend_ignore)

    def chosen(rule) -> bool:
        if any(_matches(rule, s) for s in extend_select):
            return True
        return any(_matches(rule, s) for s in select) if select else rule.enabled_by_default

    return [rule for rule in all_rules if chosen(rule) and not any(_matches(rule, s) for s in removed)]


def rule_classes(selected) -> list:
    """The rule classes of selected rules (catalogue.RuleInfo entries), in catalogue order.
    Imports every rule (and the model, and PyYAML): only a file that must be linted needs them."""
    from redis_ci.lint.rules import ALL_RULES

    codes = {rule.code for rule in selected}
    return [rule for rule in ALL_RULES if rule.code in codes]


def find_rule(all_rules: list, selector: str):
    """The one rule with this exact code or name, or None."""
    for rule in all_rules:
        if rule.code == selector.upper() or rule.name == selector.lower():
            return rule
    return None
