"""`redis-ci lint [PATH ...]`: find Redis wiring mistakes in GitHub Actions workflows.

Exit codes: 0 nothing at or above --fail-on (or --exit-zero), 1 findings, 2 bad usage or
config, 3 a file could not be read (or, with --fix, written; or --output-file not written).
Each file gets the config nearest above it (ruff's hierarchy) unless --config names one.
--select/--ignore replace the config's lists; --extend-select/--extend-ignore add to them.
`--fix` repairs in place and then reports what remains; `--diff` only prints the patch
(redis_ci.lint.fixer) and exits 1 when a file would change. `-` reads one workflow from stdin.
"""

from __future__ import annotations

import gc
import os
import sys

TYPE_CHECKING = False  # typing's, without importing typing
if TYPE_CHECKING:
    import argparse

FORMATS = ("auto", "text", "json", "sarif", "github")
SEVERITY_CHOICES = ("error", "warning", "info")
COLORS = ("auto", "always", "never")
STDIN = "-"

EXAMPLES = """\
examples:
  redis-ci lint                                  # .github/workflows, config from pyproject.toml or .github/redis-ci.yml
  redis-ci lint --extend-select RC000 --statistics ci.yml workflows/
  redis-ci lint - --stdin-filename .github/workflows/ci.yml --format json < ci.yml
"""


def _codes(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="workflow files or folders (default: .github/workflows); - reads stdin")
    parser.add_argument("--format", choices=FORMATS, default="auto",
                        help="output format (default: auto = github inside GitHub Actions, else text)")
    parser.add_argument("-o", "--output-file", metavar="FILE", default=None,
                        help="write the report to FILE (replaced atomically) instead of stdout")
    parser.add_argument("--fail-on", choices=SEVERITY_CHOICES, default=None,
                        help="exit 1 when a finding is at least this severe (default: warning)")
    parser.add_argument("--exit-zero", action="store_true",
                        help="exit 0 even when there are findings (2 and 3 still mean what they mean)")
    parser.add_argument("--config", metavar="FILE", default=None,
                        help="config file for every linted file (pyproject.toml or .yml; default: for each "
                             "file the nearest .github/redis-ci.yml or pyproject.toml with [tool.redis-ci] "
                             "in its folder or above)")
    selection = parser.add_argument_group("rule selection (codes, code prefixes such as RC2, names, or ALL; "
                                          "comma-separated or repeated)")
    selection.add_argument("--select", type=_codes, action="extend", default=None, metavar="CODES",
                           help="run only these rules: REPLACES the config's select (default: every rule "
                                "on by default; RC000 is off)")
    selection.add_argument("--extend-select", type=_codes, action="extend", default=[], metavar="CODES",
                           help="run these rules too, ADDED to the config's (or --select's) set")
    selection.add_argument("--ignore", type=_codes, action="extend", default=None, metavar="CODES",
                           help="skip these rules: REPLACES the config's ignore (--ignore '' ignores nothing)")
    selection.add_argument("--extend-ignore", type=_codes, action="extend", default=[], metavar="CODES",
                           help="skip these rules too, ADDED to the config's (or --ignore's) list")
    output = parser.add_argument_group("output")
    output.add_argument("-q", "--quiet", action="store_true",
                        help="print the findings only: no summary line, no notices")
    output.add_argument("--statistics", action="store_true",
                        help="print the number of findings per rule instead of the findings")
    output.add_argument("--color", choices=COLORS, default="auto",
                        help="colour in text output (auto: on a terminal, unless NO_COLOR; FORCE_COLOR forces it)")
    output.add_argument("--stdin-filename", metavar="PATH", default=None,
                        help="the path to report for the workflow read from stdin (-), and where its config "
                             "is looked up; alone, it implies -")
    caching = parser.add_argument_group("cache (results of unchanged files are reused; README: The result cache)")
    caching.add_argument("--no-cache", action="store_true",
                         help="neither read nor write the result cache")
    caching.add_argument("--cache-dir", metavar="DIR", default=None,
                         help="the cache folder (default: $REDIS_CI_CACHE_DIR, else the user cache "
                              "directory: $XDG_CACHE_HOME/redis-ci or ~/.cache/redis-ci on Linux)")
    fixing = parser.add_argument_group("fixing")
    fixing.add_argument("--fix", action="store_true",
                        help="repair fixable findings in place (only when the file lints cleaner), "
                             "then report what remains")
    fixing.add_argument("--diff", action="store_true",
                        help="print the unified diff --fix would apply and write nothing; "
                             "exit 1 if a file would change (wins over --fix)")


# The usual command lines, read without argparse: its import, its parser for these options
# and gettext's look-up of translations cost start-up ~8 ms (a third of linting one file).
# Only what argparse reads one way: options spelled out in full, each value in its own word
# (or after `=` for a long option) and not starting with "-", the paths in one run. Anything
# else (--help, abbreviations, -oFILE, --, a bad choice, paths on both sides of an option)
# goes to argparse, which parses it or says what is wrong. tests/lint/test_quick_arguments.py
# checks that both give the same namespace.
_FLAGS = {"--exit-zero": "exit_zero", "-q": "quiet", "--quiet": "quiet", "--statistics": "statistics",
          "--no-cache": "no_cache", "--fix": "fix", "--diff": "diff"}
_VALUES = {"--format": ("format", FORMATS), "-o": ("output_file", None), "--output-file": ("output_file", None),
           "--fail-on": ("fail_on", SEVERITY_CHOICES), "--config": ("config", None), "--color": ("color", COLORS),
           "--stdin-filename": ("stdin_filename", None), "--cache-dir": ("cache_dir", None)}
_CODE_LISTS = {"--select": "select", "--extend-select": "extend_select", "--ignore": "ignore",
               "--extend-ignore": "extend_ignore"}


class _Arguments:
    """The parsed options as attributes, as argparse.Namespace holds them (types.SimpleNamespace
    would import `types`, which pip's console script has loaded but a lean entry point has not)."""

    def __init__(self, values: dict):
        self.__dict__.update(values)


def quick_arguments(words: list[str]):
    """The namespace argparse would make of `redis-ci lint WORDS`, or None: let argparse read them."""
    values = {"command": "lint", "paths": [], "format": "auto", "output_file": None, "fail_on": None,
              "exit_zero": False, "config": None, "select": None, "extend_select": [], "ignore": None,
              "extend_ignore": [], "quiet": False, "statistics": False, "color": "auto", "stdin_filename": None,
              "no_cache": False, "cache_dir": None, "fix": False, "diff": False}
    paths_ended = False
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if not word.startswith("-") or word == STDIN:  # a path
            if paths_ended:
                return None  # paths after an option that followed paths: argparse's error
            values["paths"].append(word)
            continue
        if values["paths"]:
            paths_ended = True
        if word in _FLAGS:
            values[_FLAGS[word]] = True
            continue
        name, equals, value = word.partition("=")
        if not (name in _VALUES or name in _CODE_LISTS) or (equals and not name.startswith("--")):
            return None
        if not equals:
            if index == len(words) or (words[index].startswith("-") and words[index] != STDIN):
                return None
            value = words[index]
            index += 1
        if name in _CODE_LISTS:
            dest = _CODE_LISTS[name]
            values[dest] = (values[dest] or []) + _codes(value)
            continue
        dest, choices = _VALUES[name]
        if choices is not None and value not in choices:
            return None
        values[dest] = value
    return _Arguments(values)


def _check_usage(args: argparse.Namespace, paths: list[str]) -> None:
    from redis_ci.errors import UsageError

    if args.select is not None and not args.select:
        raise UsageError("--select needs at least one rule code, prefix or name (ALL selects every rule)")
    if STDIN in paths and (args.fix or args.diff):
        raise UsageError("--fix and --diff change files: give a path, not - (stdin)")
    if paths.count(STDIN) > 1:
        raise UsageError("- (stdin) may be given once")
    if args.stdin_filename is not None and STDIN not in paths:
        raise UsageError("--stdin-filename names the workflow read from stdin: give - as the path, or no path")


class _Plan:
    """For each config in use: its rules, severities, fail-on and the files it covers. Rules
    are catalogue entries (catalogue.py) until a file must be linted: a run served from the
    cache imports no rule."""

    def __init__(self, args: argparse.Namespace):
        from redis_ci.lint.catalogue import CATALOGUE
        from redis_ci.lint.config import ConfigFinder

        self.args = args
        self.cache_folder = None  # the result cache's folder (None: no cache)
        if not (args.no_cache or args.fix or args.diff):
            from redis_ci.lint.cache import default_cache_dir

            self.cache_folder = args.cache_dir or default_cache_dir()
        self.finder = ConfigFinder(args.config, CATALOGUE, self.cache_folder)
        self.catalogue = CATALOGUE
        self._selected: dict = {}

    def settings(self, path: str):
        """(config, rules: catalogue entries) for a workflow path."""
        from redis_ci.lint.selection import select_rules

        config = self.finder.for_file(path)
        key = id(config)
        if key not in self._selected:
            args = self.args
            select = args.select if args.select is not None else config.select
            ignore = args.ignore if args.ignore is not None else config.ignore
            self._selected[key] = (config, select_rules(self.catalogue, select, ignore,
                                                       args.extend_select, args.extend_ignore))
        return self._selected[key]


def _lint(args: argparse.Namespace, plan: _Plan, files: list[str], stdin_path: str | None, output,
          rows_needed: bool = True):
    """Packed results (lint/packed.py) in the order of files (stdin's last), and the
    --fix/--diff status. rows_needed: anything but the pre-rendered text reads findings (a
    cached result decodes them only then)."""
    from redis_ci.lint.packed import PackedResult
    from redis_ci.lint.selection import rule_classes

    groups: dict = {}
    folder = None
    # files come folder by folder: one config lookup each. On POSIX the folder is told by the
    # text before the last "/" (equal texts, equal folders) without os.path.dirname per file.
    separator = os.sep if os.altsep is None else None
    for position, path in enumerate(files):
        here = path[:path.rfind(separator) + 1] if separator else os.path.dirname(path)
        if here != folder:
            folder = here
            config, rules = plan.settings(path)
            members = groups.setdefault(id(config), (config, rules, []))[2]
        members.append((position, path))
    placed: dict = {}
    fix_status = 0
    cache_folder = plan.cache_folder
    for config, rules, members in groups.values():
        paths = [path for _, path in members]
        if args.fix or args.diff:
            from redis_ci.lint.fixer import run_fixes
            from redis_ci.lint.packed import pack

            fixed, status = run_fixes(paths, rule_classes(rules), config.severity, dry_run=args.diff)
            packed = [PackedResult(pack(result, output)) for result in fixed]
            fix_status = max(fix_status, status)
        elif cache_folder is not None:
            from redis_ci.lint.cache import ResultCache
            from redis_ci.lint.cache_key import settings_key

            key = settings_key(rules, config.severity, config.path, output)
            packed = ResultCache(cache_folder, key).results(
                paths, lambda misses: _lint_files(misses, rules, config, output, cache_folder, key), rows_needed)
        else:
            packed = [PackedResult(one) for one in _lint_files(paths, rules, config, output)]
        for (position, _), one in zip(members, packed):
            placed[position] = one
    results = [placed[position] for position in range(len(files))]
    if stdin_path is not None:
        from redis_ci.lint.engine import check_workflow_bytes
        from redis_ci.lint.packed import pack

        config, rules = plan.settings(stdin_path)
        rules = rule_classes(rules)
        data = sys.stdin.buffer.read()
        result = check_workflow_bytes(data, stdin_path, rules, config.severity)
        refine = _refine(output)
        if refine is not None:
            result = refine(result, data, rules, config.severity)
        results.append(PackedResult(pack(result, output)))
    return results, fix_status


def _lint_files(files: list[str], rules, config, output, cache_folder: str | None = None, key: bytes = b"") -> list:
    """Lint files (the engine's packed results; with cache_folder, what the cache stores)."""
    from redis_ci.lint.engine import LintSettings, lint_files_packed
    from redis_ci.lint.selection import rule_classes

    settings = LintSettings(tuple(rule_classes(rules)), config.severity, output, True, cache_folder, key,
                            refine=_refine(output))
    return lint_files_packed(files, settings)


def _refine(output):
    """What makes `fixable` exact for machine formats: the fixer run in memory on each file with
    fixable findings (json and sarif promise that a finding marked fixable is fixed by --fix; the
    text marker stays the rule's cheaper claim)."""
    if output.format not in ("json", "sarif"):
        return None
    from redis_ci.lint.fixer import exact_fixable

    return exact_fixable


def _files(paths: list[str]) -> list[str]:
    """The workflow files under paths; the default folder may be missing (then: none)."""
    from redis_ci.errors import UsageError
    from redis_ci.lint.workflow_files import DEFAULT_PATH, find_workflow_files

    try:
        return find_workflow_files(paths)
    except FileNotFoundError as exc:
        if paths == [DEFAULT_PATH]:
            return []
        raise UsageError(f"no such file or directory: {exc.args[0]}") from None


def run(args: argparse.Namespace) -> int:
    from redis_ci.errors import FatalError
    from redis_ci.lint.packed import PRE_RENDERED, Output, joined_report
    from redis_ci.lint.render import artifact_uri, render, resolve_format
    from redis_ci.lint.report import statistics, summary_line, use_color, write_output_file
    from redis_ci.lint.severities import severity_rank
    from redis_ci.lint.workflow_files import DEFAULT_PATH

    paths = list(args.paths) or ([STDIN] if args.stdin_filename is not None else [DEFAULT_PATH])
    _check_usage(args, paths)
    stdin_path = (args.stdin_filename or STDIN) if STDIN in paths else None
    plan = _Plan(args)
    # the current folder's config is read first, whatever is linted: a bad one is exit 2 before any output
    here = plan.settings(os.path.join(os.getcwd(), STDIN))
    # A short-lived process that builds many small objects: the cyclic GC's frequent young-generation
    # passes cost ~15 % of lint's CPU and free almost nothing (bench/lint_speed.py).
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)
    files = _files([path for path in paths if path != STDIN])
    format_name = resolve_format(args.format)
    color = format_name == "text" and use_color(args.color, args.output_file is None and sys.stdout.isatty())
    # what the workers render: nothing for --statistics and --diff, which print no findings
    output = Output(format_name if not (args.statistics or args.diff) else "none", color)
    step_summary = bool(os.environ.get("GITHUB_STEP_SUMMARY")) and not args.diff
    results, fix_status = _lint(args, plan, files, stdin_path, output,
                                rows_needed=output.format not in PRE_RENDERED or step_summary)
    readable = [result for result in results if result.read_error is None]
    if not results and not args.quiet:
        where = " ".join(path for path in paths if path != STDIN)
        print(f"redis-ci lint: no workflow files found under {where}", file=sys.stderr)
    if not args.diff:  # --diff prints the diff only
        if args.statistics:
            report = statistics(readable, as_json=format_name == "json")
        elif format_name in PRE_RENDERED:
            report = joined_report(format_name, readable)
        else:
            from redis_ci.lint.selection import rule_classes

            ran = {rule.code: rule for path in files + ([stdin_path] if stdin_path else [])
                   for rule in plan.settings(path)[1]}
            # SARIF describes the rules that ran; with no file at all, those the current folder would run
            rules = rule_classes(list(ran.values()) or here[1]) if format_name == "sarif" else []
            report = render(format_name, readable, sorted(rules, key=lambda rule: rule.code), color=color)
        if args.output_file is None:
            sys.stdout.write(report)
        else:
            try:
                write_output_file(args.output_file, report)
            except OSError as exc:
                raise FatalError(f"cannot write {args.output_file}: {exc.strerror or exc}") from None
        if step_summary:
            _step_summary(readable, artifact_uri)
    for result in readable:
        if not args.quiet:
            for notice in result.notices:
                print(f"{result.path}:{notice}", file=sys.stderr)
    unreadable = [result for result in results if result.read_error is not None]
    for result in unreadable:
        print(f"redis-ci lint: error: cannot read {result.path}: {result.read_error}", file=sys.stderr)
    # last, on stderr: stdout (or the file) holds the findings only, the same lines as the fixtures
    if format_name == "text" and not args.quiet and results and not (args.fix or args.diff):  # --fix has its own
        print(summary_line(readable), file=sys.stderr)
    if unreadable or fix_status == 3:
        return 3
    if args.exit_zero:
        return 0
    if args.diff:
        return fix_status

    def fails(result) -> bool:
        fail_on = args.fail_on or plan.settings(result.path)[0].fail_on or "warning"
        return result.worst_rank <= severity_rank(fail_on)

    return 1 if any(fails(result) for result in readable if result.count) else 0


def _step_summary(results, artifact_uri) -> None:
    from redis_ci.lint.step_summary import append_step_summary

    try:
        append_step_summary(results, artifact_uri)
    except OSError as exc:  # the report itself is out: a summary that cannot be written is a notice
        print(f"redis-ci lint: cannot write the step summary: {exc.strerror or exc}", file=sys.stderr)
