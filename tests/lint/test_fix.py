"""`redis-ci lint --fix` and `--diff`: exact fixed files, byte preservation, idempotence,
the "cleaner" rule, atomic writes and the CLI's output and exit codes.

Fixture convention: tests/lint/fixtures/<CODE>/<case>.fixed.yml is the exact file that
`redis-ci lint --fix --select <CODE>` makes of <case>.yml; this test finds them. The
plumbing tests use the real RC201 fix plus a few rules defined here (real Rule classes
with deliberately good or bad fixes, so the fixer's refusals can be seen).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import stat
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from redis_ci.cli import main
from redis_ci.lint.edits import TextEdit, apply_edits, insert_lines_before, replace
from redis_ci.lint.engine import FileResult, check_workflow_bytes
from redis_ci.lint.fixer import MAX_PASSES, fix_bytes, is_cleaner
from redis_ci.lint.lines import LINE_BREAK
from redis_ci.lint.rule import Finding, Rule
from redis_ci.lint.rules import ALL_RULES
from redis_ci.lint.rules.unmapped_service_port import UnmappedServicePort
from redis_ci.lint.selection import select_rules
from redis_ci.lint.yaml_nodes import Span, parse_document
from redis_ci.write import write_atomically
from test_lint_fixtures import CASES as FIXTURE_CASES  # every <case>.yml, without .fixed.yml

FIXTURES = Path(__file__).parent / "fixtures"
FIXED_CASES = sorted(FIXTURES.glob("*/*.fixed.yml"))


def source_of(fixed: Path) -> Path:
    return fixed.with_name(fixed.name[: -len(".fixed.yml")] + ".yml")


def fix(data: bytes, rules, path: str = "ci.yml"):
    check = functools.partial(check_workflow_bytes, rules=rules)
    return fix_bytes(data, path, rules, check)


def codes(data: bytes, rules) -> list[str]:
    return [finding.code for finding in check_workflow_bytes(data, "ci.yml", rules).findings]


def yaml_lines(text: str) -> list[str]:
    """Lines as YAML (and so the spans of edits) count them, without their breaks."""
    return LINE_BREAK.split(text)


def assert_untouched_lines_kept(result) -> None:
    """Per kept pass: every line no edit touched appears unchanged and in order in the
    pass's output (whole-line insertions touch no existing line)."""
    texts = [fix_pass.text for fix_pass in result.passes] + [result.fixed.decode("utf-8-sig")]
    for fix_pass, output in zip(result.passes, texts[1:]):
        touched = set()
        for edit in fix_pass.edits:
            whole_lines = edit.start() == edit.end() and edit.column == 1 and edit.text.endswith("\n")
            if not whole_lines:
                touched.update(range(edit.line, edit.end_line + 1))
        kept = [line for number, line in enumerate(yaml_lines(fix_pass.text), 1) if number not in touched]
        remaining = iter(yaml_lines(output))
        missing = [line for line in kept if not any(line == candidate for candidate in remaining)]
        assert not missing, f"lines changed outside the edits: {missing}"


# --- every fixture with a .fixed.yml -------------------------------------------------------


@pytest.mark.parametrize("fixed", FIXED_CASES, ids=[f"{p.parent.name}/{p.name[:-10]}" for p in FIXED_CASES])
def test_fixture_is_fixed_exactly(fixed: Path):
    code = fixed.parent.name
    rules = select_rules(ALL_RULES, [code], [])
    source = source_of(fixed)
    assert source.exists(), f"{fixed.name} has no {source.name} next to it"
    result = fix(source.read_bytes(), rules, source.name)
    assert result.fixed.decode("utf-8") == fixed.read_text(encoding="utf-8")
    assert code not in codes(result.fixed, rules), "the fixed file still has the finding"
    assert result.fixed_count > 0
    assert_untouched_lines_kept(result)
    again = fix(result.fixed, rules, source.name)
    assert not again.changed, "a second --fix changed the file again"


def test_every_fixable_rule_has_a_fixed_fixture():
    with_fixed = {fixed.parent.name for fixed in FIXED_CASES}
    missing = [rule.code for rule in ALL_RULES if rule.fixable and rule.code not in with_fixed]
    assert not missing, f"fixable rules without a <case>.fixed.yml fixture: {missing}"


@pytest.mark.parametrize("code", sorted({fixed.parent.name for fixed in FIXED_CASES}))
def test_fixtures_through_the_cli(code, tmp_path, monkeypatch, capsys):
    # the contract's own words: <case>.fixed.yml is what `redis-ci lint --fix --select CODE` writes
    cases = [fixed for fixed in FIXED_CASES if fixed.parent.name == code]
    for fixed in cases:
        shutil.copy(source_of(fixed), tmp_path / source_of(fixed).name)
    monkeypatch.chdir(tmp_path)  # no config file of this repository applies
    main(["lint", "--fix", "--select", code, "--format", "json", "."])
    for fixed in cases:
        assert (tmp_path / source_of(fixed).name).read_bytes() == fixed.read_bytes(), fixed.name
    files = f"{len(cases)} file" + ("s" if len(cases) != 1 else "")
    err = capsys.readouterr().err
    assert err.startswith("fixed ") and err.endswith(f" in {files}\n")


@pytest.mark.parametrize("source", FIXTURE_CASES, ids=[f"{p.parent.name}/{p.stem}" for p in FIXTURE_CASES])
def test_every_rule_at_once_on_every_fixture(source: Path):
    # fixes of different rules meet here (RC101 and RC302 both insert steps, RC103 and RC104
    # both rewrite `options:`): the result must still parse, be cleaner, and be final
    result = fix(source.read_bytes(), ALL_RULES, source.name)
    if result.changed:
        assert not any(p.kind == "RC001" for p in parse_document(result.fixed).problems)
        assert len(result.after.findings) < len(result.before.findings)
        assert_untouched_lines_kept(result)
        assert not fix(result.fixed, ALL_RULES, source.name).changed


# --- byte preservation ---------------------------------------------------------------------

NO_PORTS = FIXTURES / "RC201" / "no_ports.yml"
NO_PORTS_FIXED = FIXTURES / "RC201" / "no_ports.fixed.yml"
RC201 = [UnmappedServicePort]


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def bom(text: str) -> str:
    return "\ufeff" + text


def no_final_newline(text: str) -> str:
    return text.rstrip("\n")


def tabs_and_unicode_in_comments(text: str) -> str:
    return text.replace("image: redis:8.2", "image: redis:8.2\t# pinned \u2013 caf\u00e9\t\u2603")


@pytest.mark.parametrize("transform", [crlf, bom, no_final_newline, tabs_and_unicode_in_comments,
                                       lambda t: bom(crlf(no_final_newline(t)))],
                         ids=["crlf", "bom", "no-final-newline", "tabs-unicode", "all"])
def test_bytes_outside_the_edit_are_kept(transform):
    original = transform(NO_PORTS.read_text()).encode("utf-8")
    expected = transform(NO_PORTS_FIXED.read_text()).encode("utf-8")
    result = fix(original, RC201)
    assert result.fixed == expected
    assert not fix(result.fixed, RC201).changed


def test_whole_lines_appended_to_a_file_without_final_newline():
    text, applied = apply_edits("a: 1\nb: 2", [insert_lines_before(3, "c: 3\n")])
    assert (text, len(applied)) == ("a: 1\nb: 2\nc: 3", 1)
    assert apply_edits("a: 1\r\nb: 2\r\n", [insert_lines_before(3, "c: 3\n")])[0] == "a: 1\r\nb: 2\r\nc: 3\r\n"
    assert apply_edits("a: 1\rb: 2\r", [insert_lines_before(2, "c: 3\n")])[0] == "a: 1\rc: 3\rb: 2\r"


def test_apply_edits_takes_overlapping_and_same_point_edits_once():
    text = "one two three\n"
    span = Span(1, 5, 1, 8)
    edits = [replace(span, "2"), replace(span, "2"), replace(Span(1, 6, 1, 12), "x"),
             TextEdit(1, 1, 1, 1, "A"), TextEdit(1, 1, 1, 1, "B")]
    new_text, applied = apply_edits(text, edits)
    assert new_text == "Aone 2 three\n"
    assert len(applied) == 2


# --- the rules the plumbing tests use --------------------------------------------------------


class UntaggedImage(Rule):
    """Reports a service image without a tag (test rule); the fix appends `:latest`."""

    code, name, severity, fixable = "RC992", "untagged-image", "error", True

    def check_job(self, job, workflow):
        for service in job.services:
            if service.image is not None and service.image.tag is None:
                yield self.finding("untagged", service.image.value.span)

    def fix(self, finding, workflow):
        span = finding.span
        return [replace(Span(span.end_line, span.end_column, span.end_line, span.end_column), ":latest")]


class LatestTag(Rule):
    """Reports a service image tagged `latest` (test rule, no fix)."""

    code, name, severity = "RC993", "latest-tag", "error"

    def check_job(self, job, workflow):
        for service in job.services:
            if service.image is not None and service.image.tag == "latest":
                yield self.finding("latest", service.image.value.span)


class CommandAfterImage(Rule):
    """Reports a Redis service without `command:` (test rule); the fix inserts one right
    after the image line: the same point as RC201's `ports:`, so it needs a second pass."""

    code, name, severity, fixable = "RC994", "no-command", "warning", True

    def check_job(self, job, workflow):
        for service in job.redis_services:
            if service.command is None:
                yield self.finding("no command", service.span, image_line=service.image.value.span.line)

    def fix(self, finding, workflow):
        line = finding.data["image_line"]
        indent = workflow.lines[line - 1][: -len(workflow.lines[line - 1].lstrip())]
        return [insert_lines_before(line + 1, f"{indent}command: redis-server --save ''\n")]


class CommandInBrokenYaml(CommandAfterImage):
    """The same finding, with a fix that leaves the file unparsable (an unclosed flow sequence)."""

    code = "RC991"

    def fix(self, finding, workflow):
        return [insert_lines_before(finding.data["image_line"] + 1, "        command: [\n")]


class CommandBrokenForOneService(CommandAfterImage):
    """The same finding; the fix breaks the file for the service labelled `bad` only."""

    code = "RC995"

    def fix(self, finding, workflow):
        if "`bad`" not in finding.message:
            return super().fix(finding, workflow)
        return [insert_lines_before(finding.data["image_line"] + 1, "        command: [\n")]

    def check_job(self, job, workflow):
        for found in super().check_job(job, workflow):
            yield self.finding(f"no command in `{job.services[0].label}`", found.span, **found.data)


UNTAGGED = b"on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    services:\n      cache:\n        image: memcached\n    steps: [{run: 'true'}]\n"


def test_a_fix_that_breaks_yaml_is_not_kept():
    result = fix(NO_PORTS.read_bytes(), [CommandInBrokenYaml])
    assert not result.changed and result.after.findings == result.before.findings


def test_trading_an_error_for_an_error_is_not_cleaner():
    assert fix(UNTAGGED, [UntaggedImage]).changed  # alone, the finding goes away
    result = fix(UNTAGGED, [UntaggedImage, LatestTag])  # but it makes another error
    assert not result.changed


def test_one_bad_fix_does_not_block_the_others():
    result = fix(NO_PORTS.read_bytes(), [UnmappedServicePort, CommandInBrokenYaml])
    assert result.fixed == NO_PORTS_FIXED.read_bytes()
    assert [finding.code for finding in result.after.findings] == ["RC991"]


def test_one_bad_fix_of_a_rule_does_not_block_its_other_fixes():
    two_jobs = NO_PORTS.read_text() + NO_PORTS.read_text().split("jobs:\n", 1)[1]
    two_jobs = two_jobs.replace("  test:\n", "  one:\n", 1).replace("  test:\n", "  two:\n", 1)
    two_jobs = two_jobs.replace("      redis:\n", "      good:\n", 1).replace("      redis:\n", "      bad:\n", 1)
    result = fix(two_jobs.encode(), [CommandBrokenForOneService])
    assert [finding.message for finding in result.after.findings] == ["no command in `bad`"]
    assert result.fixed.decode().count("command: redis-server") == 1


def test_fixes_at_one_point_take_two_passes():
    result = fix(NO_PORTS.read_bytes(), [UnmappedServicePort, CommandAfterImage])
    assert len(result.passes) == 2 <= MAX_PASSES
    assert result.after.findings == [] and result.fixed_count == 2
    assert b"command: redis-server --save ''" in result.fixed and b'- "6379:6379"' in result.fixed
    assert_untouched_lines_kept(result)
    assert not fix(result.fixed, [UnmappedServicePort, CommandAfterImage]).changed


def _result(*severities: str) -> FileResult:
    span = Span(1, 1, 1, 2)
    return FileResult("ci.yml", [Finding(f"RC9{i}", "x", s, "m", span) for i, s in enumerate(severities)])


@pytest.mark.parametrize("before, after, cleaner", [
    (("error",), (), True),
    (("error", "warning"), ("error",), True),
    (("error",), ("warning",), False),  # an error traded for a new warning
    (("error",), ("error",), False),  # nothing better
    (("error", "error"), ("error", "info"), False),
    (("warning", "warning"), ("warning", "info"), False),
])
def test_cleaner_means_no_severity_gets_more_and_one_gets_fewer(before, after, cleaner):
    document = parse_document(b"a: 1\n")
    assert is_cleaner(document, _result(*before), document, _result(*after)) is cleaner


def test_a_new_file_problem_is_not_cleaner():
    document = parse_document(b"a: 1\n")
    assert not is_cleaner(document, _result("error"), parse_document(b"a: [\n"), _result())
    assert not is_cleaner(document, _result("error"), parse_document(b"a: &x {b: 1}\nc: {<<: *x}\n"), _result())


# --- the command: files, output, exit codes --------------------------------------------------


def lint(tmp_path, monkeypatch, capsys, *args):
    monkeypatch.chdir(tmp_path)
    status = main(["lint", *args])
    out, err = capsys.readouterr()
    return status, out, err


def lint_rc201(tmp_path, monkeypatch, capsys, *args):
    """The plumbing tests look at RC201 (and the file problems) only: other rules' findings
    on the same files must not change what they assert."""
    return lint(tmp_path, monkeypatch, capsys, "--select", "RC0,RC201", *args)


def fingerprint(path: Path) -> tuple:
    info = path.stat()
    return path.read_bytes(), info.st_mtime_ns, stat.S_IMODE(info.st_mode)


def test_fix_writes_reports_and_exits_on_what_remains(tmp_path, monkeypatch, capsys):
    shutil.copy(NO_PORTS, tmp_path / "a.yml")
    shutil.copy(FIXTURES / "RC201" / "alias_shared_service.yml", tmp_path / "b.yml")
    # RC002 (a merge key) has no fix: it remains, in the chosen format
    (tmp_path / "c.yml").write_text(NO_PORTS.read_text().replace("    steps:", "    env: {<<: {A: 1}}\n    steps:"))
    (tmp_path / "clean.yml").write_bytes(NO_PORTS_FIXED.read_bytes())
    status, out, err = lint_rc201(tmp_path, monkeypatch, capsys, "--fix", "--format", "json", ".")
    assert err.splitlines()[-1] == "fixed 4 findings in 3 files"
    assert [(f["path"], f["code"]) for f in json.loads(out)["findings"]] == [("./c.yml", "RC002")]
    assert status == 1
    assert (tmp_path / "a.yml").read_bytes() == NO_PORTS_FIXED.read_bytes()
    status, out, err = lint_rc201(tmp_path, monkeypatch, capsys, "--fix", "--ignore", "RC002", ".")
    assert (status, out, err) == (0, "", "fixed 0 findings in 0 files\n")


def test_fix_keeps_mode_and_symlinks_and_leaves_no_temp_files(tmp_path, monkeypatch, capsys):
    real = tmp_path / "real"
    real.mkdir()
    shutil.copy(NO_PORTS, real / "ci.yml")
    os.chmod(real / "ci.yml", 0o640)
    (tmp_path / "link.yml").symlink_to(real / "ci.yml")
    status, _out, _err = lint_rc201(tmp_path, monkeypatch, capsys, "--fix", "link.yml")
    assert status == 0
    assert (tmp_path / "link.yml").is_symlink()
    assert (real / "ci.yml").read_bytes() == NO_PORTS_FIXED.read_bytes()
    assert stat.S_IMODE((real / "ci.yml").stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["ci.yml", "link.yml", "real"]


def test_write_atomically_leaves_nothing_behind_when_it_fails(tmp_path, monkeypatch):
    target = tmp_path / "ci.yml"
    target.write_bytes(b"old\n")

    def refuse(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)  # the rename step fails (a full or read-only mount)
    with pytest.raises(OSError):
        write_atomically(str(target), b"new\n")
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["ci.yml"]


def test_read_only_file_is_an_error_exit_3_and_untouched(tmp_path, monkeypatch, capsys):
    shutil.copy(NO_PORTS, tmp_path / "a.yml")
    shutil.copy(NO_PORTS, tmp_path / "b.yml")
    os.chmod(tmp_path / "a.yml", 0o444)
    before = fingerprint(tmp_path / "a.yml")
    status, out, err = lint_rc201(tmp_path, monkeypatch, capsys, "--fix", ".")
    assert status == 3
    assert "redis-ci lint: error: cannot write ./a.yml: file is read-only; left unchanged" in err
    assert err.splitlines()[-1] == "fixed 1 finding in 1 file"
    assert fingerprint(tmp_path / "a.yml") == before
    assert (tmp_path / "b.yml").read_bytes() == NO_PORTS_FIXED.read_bytes()
    assert out.startswith("./a.yml:6:7: RC201 ")  # the unfixed file's findings are still reported
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yml", "b.yml"]


@pytest.mark.parametrize("content", [
    NO_PORTS.read_bytes() + b"  broken: [\n",  # not YAML
    NO_PORTS.read_bytes().replace(b"on: push", b"on: push  # \xff"),  # not UTF-8
    NO_PORTS.read_bytes() + b"\n\xff",
], ids=["syntax-error", "not-utf8", "not-utf8-at-end"])
def test_a_file_with_a_syntax_error_is_untouched(tmp_path, monkeypatch, capsys, content):
    path = tmp_path / "ci.yml"
    path.write_bytes(content)
    before = fingerprint(path)
    status, out, err = lint_rc201(tmp_path, monkeypatch, capsys, "--fix", "ci.yml")
    assert fingerprint(path) == before
    assert status == 1 and " RC001 " in out
    assert err == "fixed 0 findings in 0 files\n"


def test_inline_ignore_is_not_fixed(tmp_path, monkeypatch, capsys):
    path = tmp_path / "ci.yml"
    path.write_text(NO_PORTS.read_text().replace("      redis:\n", "      redis:  # redis-ci: ignore[RC201] local only\n"))
    before = fingerprint(path)
    assert lint_rc201(tmp_path, monkeypatch, capsys, "--fix", "ci.yml") == (0, "", "fixed 0 findings in 0 files\n")
    assert fingerprint(path) == before


@pytest.mark.parametrize("transform", [crlf, lambda t: bom(crlf(t))], ids=["crlf", "bom-crlf"])
def test_diff_writes_nothing_and_applies_to_what_fix_writes(tmp_path, monkeypatch, capsys, transform):
    text = transform(NO_PORTS.read_text())
    (tmp_path / "ci.yml").write_text(text, newline="")
    before = fingerprint(tmp_path / "ci.yml")
    status, diff, err = lint_rc201(tmp_path, monkeypatch, capsys, "--diff", "ci.yml")
    assert status == 1 and err == "would fix 1 finding in 1 file\n"
    assert diff.startswith("--- a/ci.yml\n+++ b/ci.yml\n@@ ")
    assert fingerprint(tmp_path / "ci.yml") == before
    # the diff is a real patch: applied with git, it gives exactly what --fix writes
    (tmp_path / "ci.diff").write_text(diff, newline="")
    subprocess.run(["git", "apply", "ci.diff"], cwd=tmp_path, check=True, capture_output=True)
    assert (tmp_path / "ci.yml").read_bytes() == transform(NO_PORTS_FIXED.read_text()).encode()
    assert lint_rc201(tmp_path, monkeypatch, capsys, "--diff", "--fix", "ci.yml") == (0, "", "would fix 0 findings in 0 files\n")


def test_diff_keeps_the_bom_in_line_1_so_the_patch_applies(tmp_path, monkeypatch, capsys):
    # the edit is on line 4, so line 1 (with the BOM) is context of the hunk
    path = tmp_path / "ci.yml"
    path.write_bytes(b'\xef\xbb\xbfjobs:\r\n  t:\r\n    services:\r\n      redis: {image: redis, ports: ["6379:6379"]}\r\n'
                     b'    runs-on: ubuntu-latest\r\n    steps: [{run: "true"}]\r\n')
    status, diff, _err = lint(tmp_path, monkeypatch, capsys, "--select", "RC401", "--diff", "ci.yml")
    assert status == 1 and "\n \ufeffjobs:\r\n" in diff
    (tmp_path / "ci.diff").write_text(diff, newline="")
    subprocess.run(["git", "apply", "ci.diff"], cwd=tmp_path, check=True, capture_output=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbfjobs:\r\n") and b"image: redis:8.2," in path.read_bytes()


def test_diff_marks_a_last_line_without_newline(tmp_path, monkeypatch, capsys):
    # the insertion lands right before the last line, so the hunk shows it
    text = NO_PORTS.read_text().replace("    steps:\n      - run: redis-cli -h localhost ping\n", "    steps: []")
    (tmp_path / "ci.yml").write_text(text)
    status, diff, _err = lint_rc201(tmp_path, monkeypatch, capsys, "--diff", "ci.yml")
    assert status == 1
    assert diff.endswith(" steps: []\n\\ No newline at end of file\n")
    (tmp_path / "ci.diff").write_text(diff)
    subprocess.run(["git", "apply", "ci.diff"], cwd=tmp_path, check=True, capture_output=True)
    assert lint_rc201(tmp_path, monkeypatch, capsys, "--diff", "ci.yml")[0] == 0
    assert not (tmp_path / "ci.yml").read_text().endswith("\n")


def test_cli_in_a_subprocess_never_shows_a_traceback(tmp_path):
    path = tmp_path / "ci.yml"
    shutil.copy(NO_PORTS, path)
    os.chmod(path, 0o444)
    result = subprocess.run([sys.executable, "-m", "redis_ci", "lint", "--fix", "--select", "RC201", "ci.yml"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0] == "redis-ci lint: error: cannot write ci.yml: file is read-only; left unchanged"


# --- the whole pipeline on GitHub's documented recipe ------------------------------------------

# GitHub Docs, "Creating Redis service containers" (runner job and container job), as published
# (checkout bumped to v5); the two share the service's health options and the steps.
DOCS_HEALTH_OPTIONS = """\
        # Docker Hub image
        image: redis
        # Set health checks to wait until redis has started
        options: >-
          --health-cmd "redis-cli ping"
          --health-interval 10s
          --health-timeout 5s
          --health-retries 5
"""
DOCS_STEPS = """\
    steps:
      # Downloads a copy of the code in your repository before running CI tests
      - name: Check out repository code
        uses: actions/checkout@v5

      # Performs a clean installation of all dependencies in the `package.json` file
      # For more information, see https://docs.npmjs.com/cli/ci.html
      - name: Install dependencies
        run: npm ci

      - name: Connect to Redis
        # Runs a script that creates a Redis client, populates
        # the client with data, and retrieves data
        run: node client.js
        # Environment variable used by the `client.js` script to create
        # a new Redis client.
        env:
          # The hostname used to communicate with the Redis service container
          REDIS_HOST: {host}
          # The default Redis port
          REDIS_PORT: 6379
"""
DOCS_RUNNER_JOB = """\
name: Redis runner example
on: push

jobs:
  # Label of the runner job
  runner-job:
    # You must use a Linux environment when using service containers or container jobs
    runs-on: ubuntu-latest

    # Service containers to run with `runner-job`
    services:
      # Label used to access the service container
      redis:
""" + DOCS_HEALTH_OPTIONS + """\
        ports:
          # Maps port 6379 on service container to the host
          - 6379:6379

""" + DOCS_STEPS.replace("{host}", "localhost")
DOCS_CONTAINER_JOB = """\
name: Redis container example
on: push

jobs:
  # Label of the container job
  container-job:
    # Containers must run in Linux based operating systems
    runs-on: ubuntu-latest
    # Docker Hub image that `container-job` executes in
    container: node:20-bookworm-slim

    # Service containers to run with `container-job`
    services:
      # Label used to access the service container
      redis:
""" + DOCS_HEALTH_OPTIONS + "\n" + DOCS_STEPS.replace("{host}", "redis")


@pytest.mark.parametrize("recipe", [DOCS_RUNNER_JOB, DOCS_CONTAINER_JOB], ids=["runner-job", "container-job"])
def test_fix_on_the_docs_recipe(recipe, tmp_path, monkeypatch, capsys):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    path = workflows / "redis.yml"
    path.write_text(recipe)
    before = Counter(codes(path.read_bytes(), ALL_RULES))
    assert before, "the docs recipe has known problems (RULES.md); the catalogue must see them"
    status, out, err = lint(tmp_path, monkeypatch, capsys, "--fix", "--format", "json")
    remaining = Counter(f["code"] for f in json.loads(out)["findings"])
    assert not any(f["fixable"] for f in json.loads(out)["findings"]), f"fixable findings left: {remaining}"
    assert remaining == Counter() and status == 0  # the README's promise: lint-clean after --fix
    assert err.startswith("fixed ")
    fixed = path.read_text()
    # still a valid workflow for GitHub (real actionlint), and a second --fix changes nothing
    lint_result = subprocess.run(["actionlint", "-no-color", "-shellcheck=", "-pyflakes=", str(path)],
                                 capture_output=True, text=True)
    assert lint_result.returncode == 0, lint_result.stdout + lint_result.stderr
    assert lint(tmp_path, monkeypatch, capsys, "--diff")[0] == 0
    assert path.read_text() == fixed
