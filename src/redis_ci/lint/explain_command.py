"""`redis-ci explain RC201`: print a rule's documentation (its docstring), the page that
docs/rules/RC201.md holds."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule", metavar="RULE", help="a rule code (RC201) or name (unmapped-service-port)")


def run(args: argparse.Namespace) -> int:
    import sys

    from redis_ci.errors import UsageError
    from redis_ci.lint.rule_docs import rule_page
    from redis_ci.lint.rules import ALL_RULES
    from redis_ci.lint.selection import find_rule

    rule = find_rule(ALL_RULES, args.rule)
    if rule is None:
        raise UsageError(f"unknown rule: {args.rule} (see `redis-ci rules`)")
    sys.stdout.write(rule_page(rule))
    return 0
