"""Paths -> per-file results: read, parse, build the model, run the rules, drop what inline
comments silence, apply configured severities, sort findings.

No exit codes here (`command.py` does that). Many files are linted in a process pool (one
worker per core), results kept in path order; workers send back packed results
(`packed.py`: rendered text and tuples), which the result cache (`cache.py`) also stores.
The prefilter (`can_skip`) passes over a file whose bytes cannot interest any rule.
"""

from __future__ import annotations

import functools

from redis_ci.lint.compose_files import load_compose_projects, workflow_dependencies
from redis_ci.lint.model import build_workflow
from redis_ci.lint.rule import Finding, Rule
from redis_ci.lint.rules import ALL_RULES
from redis_ci.lint.packed import Output, pack
from redis_ci.lint.prefilter import triggered
from redis_ci.lint.suppressions import MARKER, Suppressions, parse_suppressions
from redis_ci.lint.workflow_files import DEFAULT_PATH, WORKFLOW_SUFFIXES, find_workflow_files  # noqa: F401
from redis_ci.lint.yaml_nodes import MAX_WORKFLOW_BYTES, parse_document

UNUSED_SUPPRESSION = "RC000"
# The prefilter (`prefilter_plan`, prefilter.py): each rule's `triggers` say which bytes can
# make it speak; a file runs only the rules whose triggers it holds, and none (skipped) when
# it holds no rule's. Only RC001/RC002 then go unsaid about a skipped file: README, "The prefilter".

class FileResult:
    """The outcome for one file: its findings (sorted, no exact duplicates) and, when it has
    findings, its lines (for source excerpts), or read_error when the file could not be read (exit 3).
    notices: `line:col: text` about bad ignore comments; dependencies: the other files the
    result read (compose files), for the cache; other_lines: path -> lines of the other files
    findings point into (compose files), for excerpts."""

    __slots__ = ("path", "findings", "lines", "read_error", "notices", "dependencies", "other_lines")

    def __init__(self, path: str, findings: list | None = None, lines: list | None = None,
                 read_error: str | None = None, notices: list | None = None, dependencies: tuple = (),
                 other_lines: dict | None = None):
        self.path = path
        self.findings = [] if findings is None else findings
        self.lines = [] if lines is None else lines
        self.read_error = read_error
        self.notices = [] if notices is None else notices
        self.dependencies = dependencies
        self.other_lines = {} if other_lines is None else other_lines

    def __repr__(self) -> str:
        return f"FileResult(path={self.path!r}, findings={self.findings!r}, read_error={self.read_error!r})"

    def path_of(self, finding: Finding) -> str:
        """The file a finding is in: its own (a compose file) or this workflow."""
        return finding.file or self.path

    def lines_of(self, finding: Finding) -> list[str]:
        return self.other_lines.get(finding.file, []) if finding.file else self.lines


@functools.lru_cache(maxsize=64)
def _hooks(rules: tuple) -> tuple:
    """Which of rules override check_workflow, check_job, check_step (as indices into rules):
    most rules look at jobs or at steps, not both, and a call that yields nothing still costs."""
    def overriding(hook: str) -> tuple:
        return tuple(index for index, rule in enumerate(rules) if getattr(rule, hook) is not getattr(Rule, hook))
    return overriding("check_workflow"), overriding("check_job"), overriding("check_step")


def check_workflow_bytes(data: bytes, path: str, rules: list[type[Rule]],
                         severities: dict | None = None, run: list | None = None, document=None) -> FileResult:
    """Run rules (classes; each built fresh for this file) on one file's bytes.
    severities: rule code -> severity replacing the rule's default (from the config).
    run: the rules to run, when the prefilter knows the others say nothing here (default:
    all of rules; RC000 still judges all of rules); document: data already parsed."""
    document = parse_document(data) if document is None else document
    workflow = build_workflow(document, path)
    # only a file under .github/ with a compose step looks further (rules never read files)
    compose_files = load_compose_projects(workflow) if b"compose" in data else {}
    running = tuple(rules if run is None else run)
    instances = [rule_class() for rule_class in running]
    workflow_hooks, job_hooks, step_hooks = _hooks(running)  # only the hooks a rule overrides
    job_hooks = [instances[index].check_job for index in job_hooks]
    step_hooks = [instances[index].check_step for index in step_hooks]
    findings: set[Finding] = set()  # drops exact duplicates (an aliased node visited twice)
    for index in workflow_hooks:
        findings.update(instances[index].check_workflow(workflow))
    for job in workflow.jobs:
        for check_job in job_hooks:
            findings.update(check_job(job, workflow))
        for step in job.steps:
            for check_step in step_hooks:
                findings.update(check_step(step, job, workflow))
    # most files have no directive: skip the line scan unless the marker is in the bytes
    suppressions = parse_suppressions(document.lines, ALL_RULES) if MARKER.encode() in data else Suppressions()
    if suppressions.directives:
        kept = [finding for finding in findings if finding.file is None and not suppressions.silences(finding)]
    else:  # nothing to silence (the common file): no call per finding
        kept = [finding for finding in findings if finding.file is None]
    if suppressions.directives and any(rule.code == UNUSED_SUPPRESSION for rule in rules):
        unused = unused_suppressions(suppressions, rules)
        kept.extend(finding for finding in unused if not suppressions.silences(finding, whole_file=False))
    for compose_path, compose_file in compose_files.items():  # ignore comments work in the compose file too
        elsewhere = [finding for finding in findings if finding.file == compose_path]
        silenced = (parse_suppressions(compose_file.lines, ALL_RULES)
                    if any(MARKER in line for line in compose_file.lines) else Suppressions())
        kept.extend(finding for finding in elsewhere if not silenced.silences(finding))
        if silenced.directives and any(rule.code == UNUSED_SUPPRESSION for rule in rules):
            kept.extend(finding.replace(file=compose_path) for finding in unused_suppressions(silenced, rules)
                        if not silenced.silences(finding, whole_file=False))
    if severities:
        kept = [f.replace(severity=severities[f.code]) if f.code in severities else f for f in kept]
    # lines only serve source excerpts: a clean file need not carry them (nor ship them back from a pool worker)
    lines = document.lines if kept else []
    other_lines = {finding.file: compose_files[finding.file].lines for finding in kept if finding.file}
    return FileResult(path, sorted(kept, key=Finding.sort_key), lines, notices=suppressions.notices,
                      other_lines=other_lines, dependencies=_dependencies(workflow, data))


def _dependencies(workflow, data: bytes) -> tuple:
    """The files besides the workflow its result depends on (compose files, present or not)."""
    if b"compose" not in data:
        return ()
    return tuple(workflow_dependencies(workflow))


def prefilter_plan(data: bytes, rules) -> tuple | None:
    """(the rules to run on data, its parsed document or None); None: skip the file, no rule
    can report anything here but RC001/RC002. A file too large (RC003) or not valid UTF-8
    (RC001) is never skipped: those are reported for every file; nor one with an ignore
    comment (what is wrong with the comment is reported)."""
    if len(data) > MAX_WORKFLOW_BYTES:
        return list(rules), None
    chosen = triggered(data, rules)
    if not chosen:
        if MARKER.encode() in data:
            return [rule for rule in rules if rule.file_level], None
        return None if _skippable(data) else (list(rules), None)
    document = None
    gated = [rule for rule in chosen if rule.gate is not None]
    if gated and all(rule.file_level or rule.gate is not None for rule in chosen):
        # only gated rules left: parse once and ask them, before the model is built
        document = parse_document(data)
        passed = [rule for rule in gated if rule.gate(document)]
        chosen = [rule for rule in chosen if rule.gate is None or rule in passed]
        if not passed:
            chosen = []
    # parsed for a gate and found broken (RC001/RC002): reported as without the prefilter, at no cost
    if chosen or not _skippable(data) or (document is not None and document.problems):
        return chosen or [rule for rule in rules if rule.file_level], document
    return None


def _skippable(data: bytes) -> bool:
    """No ignore comment (its notices are reported) and valid UTF-8 (else RC001, for every file)."""
    if MARKER.encode() in data:
        return False
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


def skipped_by_bytes(data: bytes, rules) -> bool:
    """The prefilter passes over data without parsing it (prefilter_plan may pass over more)."""
    return len(data) <= MAX_WORKFLOW_BYTES and not triggered(data, rules, first=True) and _skippable(data)


def can_skip(data: bytes, rules=ALL_RULES) -> bool:
    """The prefilter passes over data: no rule of rules can report anything there but RC001/RC002."""
    return prefilter_plan(data, rules) is None


def unused_suppressions(suppressions: Suppressions, rules: list[type[Rule]]) -> list[Finding]:
    """RC000: per directive, each rule it names that ran here and that it silenced nothing of;
    a `disable-file` that silenced nothing. Rules that did not run are not judged."""
    from redis_ci.lint.rules.unused_suppression import UnusedSuppression
    from redis_ci.lint.yaml_nodes import Span

    ran = {rule.code: rule for rule in rules} | {rule.name: rule for rule in rules}
    reporter = UnusedSuppression()
    found = []
    for directive in suppressions.directives:
        span = Span(directive.line, directive.column, directive.line, directive.end_column)
        if directive.disable_file and not directive.used:
            found.append(reporter.finding("`disable-file` silences nothing in this file; remove it", span))
        unused = {ran[selector] for selector in directive.selectors - directive.used if selector in ran}
        # a rule named both by code and by name is one rule, used when either one silenced
        for rule in sorted(unused, key=lambda rule: rule.code):
            if rule.code != UNUSED_SUPPRESSION and not {rule.code, rule.name} & directive.used:
                found.append(reporter.finding(f"unused suppression: {rule.code} ({rule.name}) reported nothing "
                                              "this comment covers; remove it from the comment", span))
    return found


def lint_file(path: str, rules: list[type[Rule]], severities: dict | None = None) -> FileResult:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return FileResult(path, read_error=exc.strerror or str(exc))
    return check_workflow_bytes(data, path, rules, severities)


class LintSettings:
    """How to lint every file of one config: its rules and severities, what to render, and
    the cache (folder and the settings part of its keys; no folder: no cache). Immutable by
    convention (one is shared by every file and sent to the pool's workers).

    refine: (result, data, rules, severities) -> result, run on each linted file before packing:
    the command passes fixer.exact_fixable for json/sarif, whose `fixable` must be exact (the
    engine cannot import the fixer, which stands on it)."""

    __slots__ = ("rules", "severities", "output", "prefilter", "cache_folder", "cache_settings", "refine")

    def __init__(self, rules: tuple, severities: dict | None = None, output: Output = Output("text"),
                 prefilter: bool = True, cache_folder: str | None = None, cache_settings: bytes = b"",
                 refine=None):
        self.rules = rules
        self.severities = severities
        self.output = output
        self.prefilter = prefilter
        self.cache_folder = cache_folder
        self.cache_settings = cache_settings
        self.refine = refine


def lint_packed(path: str, settings: LintSettings, light_only: bool = False) -> tuple | None:
    """One file -> its packed result (packed.py). With a cache (settings.cache_folder): the
    (packed, cache_key.content_hash of the bytes linted or None, dependency stamps) cache.py
    stores. light_only: None unless the prefilter passes over the file by its bytes (the
    pool's triage: pool.py)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        packed = pack(FileResult(path, read_error=exc.strerror or str(exc)), settings.output)
        return packed if settings.cache_folder is None else (packed, None, ())
    if light_only and not (settings.prefilter and skipped_by_bytes(data, settings.rules)):
        return None
    # light_only got here: the prefilter has passed over the file already
    plan = None if light_only else prefilter_plan(data, settings.rules) if settings.prefilter else (None, None)
    if plan is None:
        packed = pack(FileResult(path), settings.output)
        dependencies = ()
    else:
        result = check_workflow_bytes(data, path, list(settings.rules), settings.severities, *plan)
        if settings.refine is not None:
            result = settings.refine(result, data, list(settings.rules), settings.severities)
        packed = pack(result, settings.output)
        dependencies = result.dependencies
    if settings.cache_folder is not None:
        from redis_ci.lint.cache_key import content_hash, dependency_stamps

        return packed, content_hash(data), dependency_stamps(dependencies)
    return packed


def lint_paths(paths: list[str], rules: list[type[Rule]], severities: dict | None = None,
               workers: int | None = None) -> list[FileResult]:
    """Lint every workflow file under paths, in path order, to FileResults (no prefilter, no
    cache): what tests and --fix compare against."""
    files = find_workflow_files(paths)
    lint_one = functools.partial(lint_file, rules=rules, severities=severities)
    return _map(lint_one, files, workers)


def lint_paths_packed(paths: list[str], settings: LintSettings, workers: int | None = None) -> list[tuple]:
    """Lint every workflow file under paths to packed results, in path order. With a cache,
    files whose entry is current are not linted (cache.ResultCache.through): a warm run
    starts no pool."""
    files = find_workflow_files(paths)
    if settings.cache_folder is None:
        return lint_files_packed(files, settings, workers)
    from redis_ci.lint.cache import ResultCache

    cache = ResultCache(settings.cache_folder, settings.cache_settings)
    return cache.through(files, functools.partial(lint_files_packed, settings=settings, workers=workers))


def lint_files_packed(files: list[str], settings: LintSettings, workers: int | None = None) -> list[tuple]:
    """lint_packed over files (already found), in order, on every core when there are many
    (the pool's triage first: lint_packed's light_only)."""
    return _map(functools.partial(lint_packed, settings=settings), files, workers,
                functools.partial(lint_packed, settings=settings, light_only=True))


def _map(lint_one, files: list[str], workers: int | None, triage=None) -> list:
    """lint_one over files in order, on every core when there are many (pool.py); triage:
    lint_one for the files the prefilter passes over by their bytes, None for the others."""
    from redis_ci.lint.pool import map_in_order

    return map_in_order(lint_one, files, workers, triage)
