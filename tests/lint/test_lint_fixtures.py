"""Every fixture workflow and the exact findings it must produce (actionlint style).

tests/lint/fixtures/<CODE>/<case>.yml is linted with only rule CODE selected (RC000, which
judges the other rules' ignore comments: every rule), and the findings, as
`<case>.yml:line:col: CODE [*] severity: message` lines (the text format without source
excerpts), must equal <case>.out exactly. An empty .out is a near-miss: no finding.
Add a case by adding the two files; this test finds them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from redis_ci.lint.engine import check_workflow_bytes
from redis_ci.lint.render import render_text
from redis_ci.lint.rules import ALL_RULES
from redis_ci.lint.selection import select_rules

FIXTURES = Path(__file__).parent / "fixtures"
# <case>.fixed.yml files are expected --fix output (tests/lint/test_fix.py), not cases
CASES = sorted(p for p in FIXTURES.glob("*/*.yml") if not p.name.endswith(".fixed.yml"))


def lint_fixture(workflow: Path) -> str:
    # RC000 judges the other rules' findings: its cases run every rule (clean but for RC000)
    selected = ["ALL"] if workflow.parent.name == "RC000" else [workflow.parent.name]
    rules = select_rules(ALL_RULES, selected, [])
    result = check_workflow_bytes(workflow.read_bytes(), workflow.name, rules)
    return render_text([result], show_source=False)


@pytest.mark.parametrize("workflow", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_fixture(workflow: Path):
    expected = workflow.with_suffix(".out")
    assert expected.exists(), f"missing {expected.name} next to {workflow.name}"
    assert lint_fixture(workflow) == expected.read_text(encoding="utf-8")


def test_every_rule_has_a_fixture_that_triggers_it():
    triggered = {case.parent.name for case in CASES if case.with_suffix(".out").read_text().strip()}
    # RC003 needs a file over 512,000 bytes: tested in test_lint_model.py, not as a fixture
    missing = [rule.code for rule in ALL_RULES if rule.code not in triggered and rule.code != "RC003"]
    assert not missing, f"rules without a triggering fixture: {missing}"


def test_fixtures_match_with_the_pure_python_parser(monkeypatch):
    # PyYAML without libyaml must give the same positions and values (its syntax error
    # messages differ from libyaml's, so RC001 cases are left out)
    import yaml

    from redis_ci.lint import yaml_nodes

    monkeypatch.setattr(yaml_nodes, "_Loader", yaml.SafeLoader)
    mismatched = [case.name for case in CASES
                  if case.parent.name != "RC001" and lint_fixture(case) != case.with_suffix(".out").read_text()]
    assert not mismatched
