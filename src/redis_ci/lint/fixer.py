"""`redis-ci lint --fix` and `--diff`: repair what fixable rules found, as text edits.

Per file: lint, ask the rule of each fixable finding for its edits (`Rule.fix`), apply them
(`edits.apply_edits`, the only place text changes), lint the result, and keep it only when
it is *cleaner*; repeat, because one fix can settle or unblock another, until nothing
improves or MAX_PASSES rounds were kept.

Cleaner (`is_cleaner`), with findings as reported (selected rules only, inline ignores
applied, severities as configured):
- the new text parses (no RC001) and has no more file problems (RC002, RC003) than before;
- its findings are a strict subset of the old ones: each is the same finding (rule, line
  mapped back through the edits, message) as one before, and at least one is gone.
So a fix never adds a finding, not even one of another rule or a lesser severity, nor
trades a finding for a different one (a wait step that surfaces a port mismatch). When the
fixes of one round together are not cleaner, each rule's fixes are tried alone (in code
order), then each finding's, and the first that is cleaner is kept: one bad fix does not
block the others.

A file with a syntax error (RC001, whatever is selected) is never touched. A suppressed
finding is never fixed: `check` returns only reported findings, and only those are fixed.
Bytes outside the edits stay as they were: a UTF-8 BOM is kept, CRLF stays CRLF
(`apply_edits`), and `redis_ci.write` replaces the file only once the new bytes are on disk.
"""

from __future__ import annotations

import codecs
import functools
import os
import sys
from collections import Counter

from redis_ci.lint.edits import TextEdit, apply_edits
from redis_ci.lint.engine import FileResult, check_workflow_bytes, find_workflow_files
from redis_ci.lint.lines import LINE_BREAK, split_lines
from redis_ci.lint.model import build_workflow
from redis_ci.lint.rule import Rule
from redis_ci.lint.yaml_nodes import Document, parse_document

# Rounds of fix + re-lint kept per file; every kept round removes at least one finding,
# so this only bounds pathological chains.
MAX_PASSES = 8

TYPE_CHECKING = False  # typing's, without importing typing
if TYPE_CHECKING:
    from typing import Callable, Sequence

    # (file bytes, path) -> the reported findings of that file (selection and inline ignores applied)
    Check = Callable[[bytes, str], FileResult]


class FixPass:
    """One kept round: the text it started from and the edits applied to that text. (Plain
    classes here, not dataclasses: `--format json` runs the fixer in memory, and start-up
    imports no `dataclasses`.)"""

    __slots__ = ("text", "edits")

    def __init__(self, text: str, edits: list[TextEdit]):
        self.text, self.edits = text, edits


class FixResult:
    """The outcome for one file. before: findings of the file as read; after: findings of
    `fixed` (== before when nothing changed). write_error: why `fixed` could not be written.
    unfixed: the finding_key (in `original`) of each finding of `before` still there in `fixed`."""

    __slots__ = ("path", "original", "fixed", "before", "after", "passes", "write_error", "unfixed")

    def __init__(self, path: str, original: bytes, fixed: bytes, before: FileResult, after: FileResult,
                 passes: list[FixPass] | None = None, write_error: str | None = None, unfixed: set | None = None):
        self.path, self.original, self.fixed, self.before, self.after = path, original, fixed, before, after
        self.passes = [] if passes is None else passes
        self.write_error, self.unfixed = write_error, unfixed

    def really_fixed(self, finding) -> bool:
        """True when `finding` (of `before`) is gone from `fixed`."""
        return self.changed and finding_key(finding) not in (self.unfixed or set())

    @property
    def changed(self) -> bool:
        return self.fixed != self.original

    @property
    def fixed_count(self) -> int:
        """Findings that are gone: the net drop (every kept round removes at least one)."""
        return len(self.before.findings) - len(self.after.findings)


def finding_key(finding) -> tuple:
    """What makes a finding the same finding across a fix: its rule, line and message (columns
    move when a fix edits their line; lines are mapped back through the edits: `original_line`)."""
    return (finding.code, finding.span.line, finding.message)


def original_line(line: int, edits: Sequence[TextEdit]) -> int:
    """The line of the text before `edits` (applied, in position order) that `line` of the text
    after them comes from; a line inside an edit maps to the edit's first line."""
    shift = 0
    for edit in edits:
        added = edit.text.count("\n") - (edit.end_line - edit.line)
        if line < edit.line + shift:
            break
        if line <= edit.end_line + shift + added:
            return edit.line
        shift += added
    return line - shift


def carried_keys(new: FileResult, edits: Sequence[TextEdit]) -> list[tuple]:
    """finding_key of each finding of the new text, in the coordinates of the text before edits."""
    return [(f.code, original_line(f.span.line, edits), f.message) for f in new.findings]


def is_cleaner(old_document: Document, old: FileResult, new_document: Document, new: FileResult,
               edits: Sequence[TextEdit] = ()) -> bool:
    """The definition in the module docstring: the new findings (mapped back through `edits`)
    are a strict subset of the old ones."""
    if any(problem.kind == "RC001" for problem in new_document.problems):
        return False
    if len(new_document.problems) > len(old_document.problems):
        return False
    old_keys = Counter(finding_key(finding) for finding in old.findings)
    new_keys = Counter(carried_keys(new, edits))
    return all(new_keys[key] <= old_keys[key] for key in new_keys) and new_keys != old_keys


class _FileFixer:
    """The passes over one file's text (BOM stripped: the model's columns do not count it)."""

    def __init__(self, path: str, bom: bytes, rules: list[type[Rule]], check: Check):
        self.path = path
        self.bom = bom
        self.fixers = {rule.code: rule for rule in rules if rule.fixable}
        self.check = check

    def encode(self, text: str) -> bytes:
        return self.bom + text.encode("utf-8")

    def candidates(self, document: Document, result: FileResult) -> list[tuple[TextEdit, ...]]:
        """Edit sets to try, in order: every fix, each rule's fixes, each finding's fix."""
        workflow = build_workflow(document, self.path)
        by_finding = []
        for finding in result.findings:  # sorted by position, so the order is stable
            if finding.fixable and finding.code in self.fixers:
                edits = tuple(self.fixers[finding.code]().fix(finding, workflow))
                if edits:
                    by_finding.append((finding.code, edits))
        by_rule: dict[str, tuple[TextEdit, ...]] = {}
        for code, edits in by_finding:
            by_rule[code] = by_rule.get(code, ()) + edits
        everything = tuple(edit for _code, edits in by_finding for edit in edits)
        ordered = [everything] + [by_rule[code] for code in sorted(by_rule)] + [edits for _code, edits in by_finding]
        return list(dict.fromkeys(ordered))  # an edit set already tried is not tried again

    def improve(self, text: str, document: Document, result: FileResult):
        """The first cleaner text among `candidates`.
        Returns (text, document, result, applied edits) or None."""
        for edits in self.candidates(document, result):
            new_text, applied = apply_edits(text, edits)
            if new_text == text:
                continue
            data = self.encode(new_text)
            new_document, new_result = parse_document(data), self.check(data, self.path)
            if is_cleaner(document, result, new_document, new_result, applied):
                return new_text, new_document, new_result, applied
        return None


def split_bom(data: bytes) -> tuple[bytes, bytes]:
    """(the UTF-8 byte order mark or b"", the rest)."""
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    return bom, data[len(bom):]


def fix_bytes(data: bytes, path: str, rules: list[type[Rule]], check: Check) -> FixResult:
    """Fix one file's bytes in memory (nothing is written). rules: the selected rule classes;
    check: the same lint the user sees, so what is fixed is exactly what is reported."""
    before = check(data, path)
    unchanged = FixResult(path, data, data, before, before)
    document = parse_document(data)
    if any(problem.kind == "RC001" for problem in document.problems):
        return unchanged  # not YAML, not UTF-8: never touched
    bom, body = split_bom(data)
    fixer = _FileFixer(path, bom, rules, check)
    text, result, passes = body.decode("utf-8"), before, []
    origin = {finding_key(finding): finding_key(finding) for finding in before.findings}
    for _ in range(MAX_PASSES):
        improved = fixer.improve(text, document, result)
        if improved is None:
            break
        new_text, document, new_result, applied = improved
        # each finding left is one that was there before the pass (strict subset): follow it back
        origin = {finding_key(finding): origin[carried]
                  for finding, carried in zip(new_result.findings, carried_keys(new_result, applied))}
        result = new_result
        passes.append(FixPass(text, applied))
        text = new_text
    if not passes:
        return unchanged
    fixed = FixResult(path, data, fixer.encode(text), before, result, passes)
    fixed.unfixed = set(origin.values())
    return fixed


def fix_file(path: str, rules: list[type[Rule]], check: Check, write: bool) -> FixResult:
    """Read, fix and (when `write`; else it is a `--diff` dry run) write one file. An
    unreadable file comes back with before.read_error set; a failed write with write_error
    (the file is then as it was, and `after` is its findings as read)."""
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as exc:
        unreadable = FileResult(path, read_error=exc.strerror or str(exc))
        return FixResult(path, b"", b"", unreadable, unreadable)
    result = fix_bytes(data, path, rules, check)
    if write and result.changed:
        from redis_ci.write import write_atomically  # --fix only: it imports secrets (random, hashlib)

        try:
            write_atomically(path, result.fixed)
        except OSError as exc:
            result.write_error = exc.strerror or str(exc)
            result.after = result.before
    return result


def unified_diff(result: FixResult) -> str:
    """`--- a/PATH` / `+++ b/PATH` unified diff of the fix (git's marker for a last line
    without a newline); "" when nothing changes."""
    if not result.changed:
        return ""
    name = os.path.normpath(result.path).replace(os.sep, "/").lstrip("/")  # git's a/tmp/x for /tmp/x
    # a BOM stays in line 1, so the patch applies to the file's bytes
    before, after = (split_lines(data.decode("utf-8"), keep_breaks=True) for data in (result.original, result.fixed))
    import difflib  # --diff only

    out = []
    for line in difflib.unified_diff(before, after, f"a/{name}", f"b/{name}"):
        out.append(line)
        if LINE_BREAK.search(line[-1:]) is None:
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def summary(results: list[FixResult], dry_run: bool) -> str:
    """`fixed 3 findings in 2 files` (dry run: `would fix ...`)."""
    changed = [result for result in results if result.changed and result.write_error is None]
    count = sum(result.fixed_count for result in changed)
    verb = "would fix" if dry_run else "fixed"
    return (f"{verb} {count} finding{'s' * (count != 1)} in {len(changed)} "
            f"file{'s' * (len(changed) != 1)}")


def run_fixes(paths: list[str], rules: list[type[Rule]], severities: dict | None,
              dry_run: bool) -> tuple[list[FileResult], int]:
    """The `--fix` / `--diff` part of `redis-ci lint`. Dry run: the diff goes to stdout and
    nothing is written. Both: the summary and write errors go to stderr. Returns what the
    usual report shows (each file's remaining findings, or its read_error) and this part's
    exit status: 3 when a file could not be written, else 1 when a dry run would change a
    file, else 0. Raises FileNotFoundError for a path that does not exist."""
    check: Check = functools.partial(check_workflow_bytes, rules=rules, severities=severities)
    results = [fix_file(path, rules, check, write=not dry_run) for path in find_workflow_files(paths)]
    if dry_run:
        sys.stdout.write("".join(unified_diff(result) for result in results))
    for result in results:
        if result.write_error is not None:
            print(f"redis-ci lint: error: cannot write {result.path}: {result.write_error}; "
                  "left unchanged", file=sys.stderr)
    print(summary(results, dry_run), file=sys.stderr)
    if any(result.write_error is not None for result in results):
        return [without_fixable(result.after) for result in results], 3
    would_change = dry_run and any(result.changed for result in results)
    return [without_fixable(result.after) for result in results], 1 if would_change else 0


# Bounds on the in-memory fix behind an exact `fixable` (json, sarif): a hostile file must not
# make a plain lint cost what --fix on it costs.
EXACT_FIXABLE_MAX_BYTES = 100_000
EXACT_FIXABLE_MAX_FINDINGS = 100


def exact_fixable(result: FileResult, data: bytes, rules: list[type[Rule]],
                  severities: dict | None) -> FileResult:
    """`result` (of `data`) with `fixable` true only on the findings that `--fix` really removes
    (the fixer run in memory; nothing is written). A file without fixable findings costs nothing."""
    if result.read_error is not None or not any(finding.fixable for finding in result.findings):
        return result
    if len(data) > EXACT_FIXABLE_MAX_BYTES or sum(f.fixable for f in result.findings) > EXACT_FIXABLE_MAX_FINDINGS:
        return result  # the fixer re-lints per candidate edit: past these, the rule's own claim stands
    check: Check = functools.partial(check_workflow_bytes, rules=rules, severities=severities)
    fixed = fix_bytes(data, result.path, rules, check)
    return _with_findings(result, [finding.replace(fixable=fixed.really_fixed(finding))
                                   for finding in result.findings])


def with_exact_fixable(results: list[FileResult], rules: list[type[Rule]],
                       severities: dict | None) -> list[FileResult]:
    """`exact_fixable` for each result, its file read again (unreadable now: nothing is fixable)."""
    exact = []
    for result in results:
        if result.read_error is None and any(finding.fixable for finding in result.findings):
            try:
                with open(result.path, "rb") as stream:
                    result = exact_fixable(result, stream.read(), rules, severities)
            except OSError:
                result = without_fixable(result)
        exact.append(result)
    return exact


def without_fixable(result: FileResult) -> FileResult:
    """What is left after `--fix`: another `--fix` would change nothing, so nothing is fixable."""
    return _with_findings(result, [finding.replace(fixable=False) for finding in result.findings])


def _with_findings(result: FileResult, findings: list) -> FileResult:
    """A copy of result with other findings (what `dataclasses.replace` did, without it)."""
    import copy

    changed = copy.copy(result)
    changed.findings = findings
    return changed
