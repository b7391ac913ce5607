"""`redis-ci lint`, `rules` and `explain` as users run them: output, formats, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def redis_ci(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "redis_ci", *args], capture_output=True, text=True, cwd=cwd)


def test_text_output_has_source_line_and_caret():
    result = redis_ci("lint", "--select", "RC201", "no_ports.yml", cwd=FIXTURES / "RC201")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "no_ports.yml:6:7: RC201 [*] error: Redis service `redis` has no `ports:` in a runner job: steps cannot "
        'reach it; add `ports: ["6379:6379"]`',
        "  |",
        "6 |       redis:",
        "  |       ^~~~~",
    ]


def test_json_output_schema():
    result = redis_ci("lint", "--select", "RC201", "--format", "json", str(FIXTURES / "RC201"))
    document = json.loads(result.stdout)
    assert document["version"] == 1 and document["files"] == len(list((FIXTURES / "RC201").glob("*.yml")))
    keys = {"path", "line", "column", "end_line", "end_column", "code", "name", "severity", "message", "fixable"}
    assert all(set(finding) == keys for finding in document["findings"])
    assert {f["code"] for f in document["findings"]} == {"RC201"}


def test_clean_folder_exits_0(tmp_path):
    (tmp_path / "ci.yaml").write_text("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps: [{run: 'true'}]\n")
    (tmp_path / "notes.txt").write_text("not a workflow: [")
    result = redis_ci("lint", str(tmp_path))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "All checks passed (1 file).\n")


def test_default_path_is_github_workflows(tmp_path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text("redis: [\n")  # mentions Redis: the prefilter keeps it
    result = redis_ci("lint", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith(".github/workflows/bad.yml:1:9: RC001 ")


ONLY_RC201 = """\
on: push
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      redis:
        image: redis:8.2
    steps:
      - uses: redis-ci/redis-ci-action@v1
      - run: make test
"""


@pytest.mark.parametrize("args, code", [
    (["--fail-on", "error"], 1),
    (["--ignore", "RC201"], 0),
    (["--select", "RC0"], 0),
    (["--select", "unmapped-service-port"], 1),
    (["--select", "RC999"], 2),
    (["--format", "xml"], 2),
])
def test_exit_codes_and_selection(args, code, tmp_path):
    # one mistake only (RC201, an error): the gate and overcommit come from the action
    workflow = tmp_path / "ci.yml"
    workflow.write_text(ONLY_RC201)
    result = redis_ci("lint", *args, str(workflow))
    assert result.returncode == code
    if code == 2:
        assert result.stderr.count("\n") == 1


def test_missing_path_is_usage_error(tmp_path):
    result = redis_ci("lint", str(tmp_path / "nope.yml"))
    assert result.returncode == 2 and "no such file or directory" in result.stderr


def test_unreadable_file_exits_3(tmp_path):
    (tmp_path / "ok.yml").write_text("on: push\n")
    result = redis_ci("lint", str(tmp_path / "ok.yml"), str(tmp_path / "gone.yml"))
    assert result.returncode == 2
    broken = tmp_path / "link.yml"
    broken.symlink_to(tmp_path / "missing-target")
    result = redis_ci("lint", str(tmp_path))
    assert result.returncode == 3 and "cannot read" in result.stderr and "Traceback" not in result.stderr


def test_rules_lists_catalogue_and_explain_prints_docs():
    from redis_ci.lint.rules import ALL_RULES

    listing = redis_ci("rules").stdout.splitlines()
    assert [line.split()[0] for line in listing] == [rule.code for rule in ALL_RULES]
    explained = redis_ci("explain", "RC201")
    assert explained.returncode == 0
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"):
        assert heading in explained.stdout
    assert redis_ci("explain", "RC999").returncode == 2


def test_every_rule_is_documented_and_named():
    from redis_ci.lint.rules import ALL_RULES

    codes = [rule.code for rule in ALL_RULES]
    assert codes == sorted(codes) and len(set(codes)) == len(codes)
    for rule in ALL_RULES:
        module = sys.modules[rule.__module__].__name__.rsplit(".", 1)[1]
        assert module == rule.name.replace("-", "_"), f"{rule.code} lives in {module}.py"
        doc = rule.documentation()
        for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"):
            assert heading in doc, f"{rule.code} docstring lacks {heading}"
        assert rule.severity in ("error", "warning", "info")


def test_rule_documentation_is_dedented_as_inspect_cleandoc_does():
    import inspect

    from redis_ci.lint.rule import Rule
    from redis_ci.lint.rules import ALL_RULES

    odd = ["", "\n\n", "one line", "  first\n\tTabbed\n      deeper\n\n    back\n  \n", "x\n  \n  y\n    z"]
    for rule in ALL_RULES + [type("Odd", (Rule,), {"__doc__": doc}) for doc in odd]:
        assert rule.documentation() == inspect.cleandoc(rule.__doc__ or ""), rule.__doc__
