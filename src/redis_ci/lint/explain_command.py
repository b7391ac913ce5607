"""`redis-ci explain RC201`: print a rule's documentation (its docstring)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule", metavar="RULE", help="a rule code (RC201) or name (unmapped-service-port)")


def run(args: argparse.Namespace) -> int:
    from redis_ci.errors import UsageError
    from redis_ci.lint.rules import ALL_RULES
    from redis_ci.lint.selection import find_rule

    rule = find_rule(ALL_RULES, args.rule)
    if rule is None:
        raise UsageError(f"unknown rule: {args.rule} (see `redis-ci rules`)")
    fix = "fixable" if rule.fixable else "not fixable"
    print(f"# {rule.code} {rule.name} ({rule.severity}, {fix})\n")
    print(rule.documentation())
    return 0
