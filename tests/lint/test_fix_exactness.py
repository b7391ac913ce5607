"""`--fix` keeps a change only when the findings after it are a strict subset of those before
(the same findings: rule, line mapped through the edits, message), and `"fixable": true` in
the JSON output means `--fix` really removes that finding from that file."""

from __future__ import annotations

import functools
from collections import Counter
from pathlib import Path

import pytest

from redis_ci.cli import main
from redis_ci.lint.edits import TextEdit
from redis_ci.lint.engine import FileResult, check_workflow_bytes
from redis_ci.lint.fixer import fix_bytes, is_cleaner, original_line
from redis_ci.lint.rule import Finding
from redis_ci.lint.rules import ALL_RULES
from redis_ci.lint.yaml_nodes import Span, parse_document
from test_lint_fixtures import CASES

# A wait step plus `ports: 6379` would leave the client on 6380 facing a new RC204.
CLIENT_ON_OTHER_PORT = b"""\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      redis:
        image: redis:8.2
    env:
      REDIS_URL: redis://localhost:6380
    steps:
      - uses: actions/checkout@v4
      - run: pytest
"""


def codes(result: FileResult) -> list[str]:
    return sorted(finding.code for finding in result.findings)


def test_a_fix_that_adds_a_finding_is_not_written():
    check = functools.partial(check_workflow_bytes, rules=ALL_RULES)
    before = check(CLIENT_ON_OTHER_PORT, "ci.yml")
    assert codes(before) == ["RC101", "RC201", "RC302"]
    result = fix_bytes(CLIENT_ON_OTHER_PORT, "ci.yml", ALL_RULES, check)
    assert result.changed  # the wait step settles RC101 and RC302
    assert codes(result.after) == ["RC201"]  # ports: would have surfaced RC204: not written
    assert b"ports:" not in result.fixed
    assert "RC204" not in codes(check(result.fixed, "ci.yml"))


def _result(*findings: tuple) -> FileResult:
    return FileResult("ci.yml", [Finding(code, "x", severity, message, Span(line, 1, line, 2))
                                 for code, severity, message, line in findings])


def test_fewer_findings_of_each_severity_is_not_enough():
    document = parse_document(b"a: 1\n")
    before = _result(("RC901", "error", "m", 1), ("RC902", "warning", "m", 2))
    # counts went down (error 1 -> 1, warning 1 -> 0), but the error is a new one
    assert not is_cleaner(document, before, document, _result(("RC903", "error", "other", 1)))
    assert not is_cleaner(document, before, document, _result(("RC901", "error", "m", 3)))  # moved
    assert is_cleaner(document, before, document, _result(("RC901", "error", "m", 1)))


def test_lines_are_mapped_back_through_the_edits():
    edits = [TextEdit(3, 1, 3, 1, "x\ny\n"), TextEdit(6, 5, 7, 2, "z")]  # +2 lines at 3, -1 line at 6-7
    assert [original_line(line, edits) for line in (1, 2, 3, 4, 5, 6, 7, 8, 9)] == [1, 2, 3, 3, 3, 4, 5, 6, 8]
    finding = ("RC901", "error", "m", 5)
    assert is_cleaner(parse_document(b"a: 1\n"), _result(finding, ("RC902", "error", "n", 1)),
                      parse_document(b"a: 1\n"), _result(("RC901", "error", "m", 7)), edits)


def test_fixable_means_fixed_in_every_fixture():
    # all rules on every fixture: with_exact_fixable marks a finding fixable only when it is gone
    # after fix_bytes, and what is left after the fix is exactly what was marked unfixable
    from redis_ci.lint.fixer import exact_fixable

    check = functools.partial(check_workflow_bytes, rules=ALL_RULES)
    wrong, marked = [], 0
    for case in CASES:
        if case.parent.name == "RC001":
            continue
        data = case.read_bytes()
        before = exact_fixable(check(data, case.name), data, ALL_RULES, None).findings
        fixed = fix_bytes(data, case.name, ALL_RULES, check).fixed
        after = Counter((f.code, f.message) for f in check(fixed, case.name).findings)
        unfixable = Counter((f.code, f.message) for f in before if not f.fixable)
        marked += sum(f.fixable for f in before)
        if after != unfixable:
            wrong.append(f"{case.name}: left {sorted(after - unfixable)}, fixed {sorted(unfixable - after)}")
    assert marked >= 50, marked  # the fixtures exercise every fixable rule
    assert not wrong, "\n".join(wrong)


FIXED_FILES = sorted(Path(__file__).parent.glob("fixtures/*/*.fixed.yml"))


@pytest.mark.parametrize("fixed", FIXED_FILES, ids=[f"{p.parent.name}/{p.name}" for p in FIXED_FILES])
def test_what_a_fix_writes_is_true_of_the_file(fixed: Path):
    from redis_ci.lint.model import build_workflow, runner_words

    workflow = build_workflow(parse_document(fixed.read_bytes()), fixed.name)
    text = fixed.read_text()
    source = fixed.with_name(fixed.name[: -len(".fixed.yml")] + ".yml").read_text()
    for job in workflow.jobs:
        lines = "\n".join(workflow.lines[job.span.line - 1:])
        if "snapshots are off instead" in text and "snapshots are off instead" not in source:
            for service in job.redis_services:
                words = runner_words(service.command.text) if service.command else []
                assert any(w == "--save" and n == "" for w, n in zip(words, words[1:])), service.label
        if job.is_container_job:  # the gate a fix writes runs without python3 (the action picks Node)
            assert "python3 -m redis_ci" not in lines and "run: redis-ci wait" not in lines


@pytest.mark.parametrize("kind", ["redis", "valkey"])
def test_rc401_pins_what_generate_writes(kind, capsys):
    from redis_ci.recipe import IMAGE_REPOSITORY
    from redis_ci.lint.rules.unpinned_image import UnpinnedImage

    main(["generate", "service", "--image", kind])
    generated = next(line.split("image:", 1)[1].strip() for line in capsys.readouterr().out.splitlines()
                     if line.strip().startswith("image:"))
    untagged = (b"on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    services:\n      redis:\n"
                b"        image: " + IMAGE_REPOSITORY[kind].encode() + b"\n    steps: [{run: 'true'}]\n")
    check = functools.partial(check_workflow_bytes, rules=[UnpinnedImage])
    fixed = fix_bytes(untagged, "ci.yml", [UnpinnedImage], check).fixed.decode()
    assert f"image: {generated}\n" in fixed


def _json_findings(path: Path, capsys) -> list[dict]:
    import json

    main(["lint", "--format", "json", "--no-cache", "--select", "ALL", str(path)])
    return json.loads(capsys.readouterr().out)["findings"]


@pytest.mark.parametrize("fixed", sorted(Path(CASES[0]).parents[1].glob("*/*.fixed.yml")),
                         ids=lambda path: f"{path.parent.name}/{path.name}")
def test_the_json_fixable_flag_is_what_fix_removes(fixed: Path, tmp_path, capsys):
    # every rule on, through the CLI: "fixable": true on exactly the findings --fix then removes
    workflow = tmp_path / fixed.name.replace(".fixed", "")
    workflow.write_bytes(fixed.with_name(workflow.name).read_bytes())
    before = _json_findings(workflow, capsys)
    main(["lint", "--fix", "--select", "ALL", str(workflow)])
    capsys.readouterr()
    after = Counter((finding["code"], finding["message"]) for finding in _json_findings(workflow, capsys))
    removed = Counter((finding["code"], finding["message"]) for finding in before) - after
    marked = Counter((finding["code"], finding["message"]) for finding in before if finding["fixable"])
    assert marked == removed
