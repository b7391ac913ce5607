"""`redis-ci rules`: list the lint rule catalogue (code, name, severity, fix, summary)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")


def run(args: argparse.Namespace) -> int:
    import json

    from redis_ci.lint.rules import ALL_RULES

    if args.format == "json":
        catalogue = [
            {"code": r.code, "name": r.name, "severity": r.severity, "fixable": r.fixable,
             "enabled_by_default": r.enabled_by_default, "summary": r.summary()}
            for r in ALL_RULES
        ]
        print(json.dumps(catalogue, indent=2))
        return 0
    for rule in ALL_RULES:
        fix = "fix" if rule.fixable else "   "
        off = "" if rule.enabled_by_default else " (off by default: --extend-select " + rule.code + ")"
        print(f"{rule.code}  {rule.name:<28} {rule.severity:<8} {fix}  {rule.summary()}{off}")
    return 0
