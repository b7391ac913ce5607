"""`redis-ci lint [PATH ...]`: find Redis wiring mistakes in GitHub Actions workflows.

Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 bad usage or config, 3 a file could
not be read (or, with --fix, written). Flags given on the command line replace the config
file's value of the same key. `--fix` repairs in place and then reports what remains;
`--diff` only prints the patch (redis_ci.lint.fixer) and exits 1 when a file would change.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys

FORMATS = ("auto", "text", "json", "sarif", "github")
SEVERITY_CHOICES = ("error", "warning", "info")


def _codes(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="workflow files or folders (default: .github/workflows)")
    parser.add_argument("--format", choices=FORMATS, default="auto",
                        help="output format (default: auto = github inside GitHub Actions, else text)")
    parser.add_argument("--fail-on", choices=SEVERITY_CHOICES, default=None,
                        help="exit 1 when a finding is at least this severe (default: warning)")
    parser.add_argument("--config", metavar="FILE", default=None,
                        help="config file (pyproject.toml or .yml; default: the nearest "
                             ".github/redis-ci.yml or pyproject.toml with [tool.redis-ci])")
    parser.add_argument("--select", type=_codes, action="extend", default=[], metavar="CODES",
                        help="only these rules: codes, code prefixes (RC2) or names, comma-separated")
    parser.add_argument("--ignore", type=_codes, action="extend", default=[], metavar="CODES",
                        help="skip these rules: codes, code prefixes or names, comma-separated")
    parser.add_argument("--fix", action="store_true",
                        help="repair fixable findings in place (only when the file lints cleaner), "
                             "then report what remains")
    parser.add_argument("--diff", action="store_true",
                        help="print the unified diff --fix would apply and write nothing; "
                             "exit 1 if a file would change (wins over --fix)")


def _use_color(stream) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def run(args: argparse.Namespace) -> int:
    from redis_ci.errors import UsageError
    from redis_ci.lint.config import load_config
    from redis_ci.lint.engine import DEFAULT_PATH, lint_paths
    from redis_ci.lint.render import render, resolve_format
    from redis_ci.lint.rule import severity_rank
    from redis_ci.lint.rules import ALL_RULES
    from redis_ci.lint.selection import select_rules

    config = load_config(args.config, ALL_RULES)
    rules = select_rules(ALL_RULES, args.select or config.select, args.ignore or config.ignore)
    fail_on = args.fail_on or config.fail_on or "warning"
    paths = args.paths or [DEFAULT_PATH]
    fix_status = 0
    # A short-lived process that builds many small objects: the cyclic GC's frequent young-generation
    # passes cost ~15 % of lint's CPU and free almost nothing (bench/lint_speed.py).
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)
    try:
        if args.fix or args.diff:
            from redis_ci.lint.fixer import run_fixes

            results, fix_status = run_fixes(paths, rules, config.severity, dry_run=args.diff)
        else:
            results = lint_paths(paths, rules, config.severity)
    except FileNotFoundError as exc:
        raise UsageError(f"no such file or directory: {exc.args[0]}") from None
    readable = [result for result in results if result.read_error is None]
    if not args.diff:  # --diff prints the diff only
        sys.stdout.write(render(resolve_format(args.format), readable, rules, color=_use_color(sys.stdout)))
    for result in readable:
        for notice in result.notices:
            print(f"{result.path}:{notice}", file=sys.stderr)
    unreadable = [result for result in results if result.read_error is not None]
    for result in unreadable:
        print(f"redis-ci lint: error: cannot read {result.path}: {result.read_error}", file=sys.stderr)
    if unreadable or fix_status == 3:
        return 3
    if args.diff:
        return fix_status
    threshold = severity_rank(fail_on)
    failing = any(severity_rank(f.severity) <= threshold for r in readable for f in r.findings)
    return 1 if failing else 0
