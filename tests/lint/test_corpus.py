"""The corpus (tests/lint/corpus/, see corpus_score.py): every case lints to exactly the findings
a reviewer accepts, and the README's lint section states the catalogue and the corpus's scores
as they are."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corpus_score import CORPUS, EXPECTED, PENDING, cases, expected, lint_case, score
from redis_ci.lint.rules import ALL_RULES

README = Path(__file__).resolve().parents[2] / "README.md"
CASES = cases()
# Codes in the README's catalogue whose rule lands with another branch (remove once registered).
LANDING = {"RC004": "runner-quoting (the fidelity branch)"}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_lints_to_what_a_reviewer_accepts(case):
    assert lint_case(case) == expected(case)


def test_corpus_is_large_and_every_case_is_judged():
    every = CASES + cases(PENDING)
    assert len(every) >= 40
    assert all((case / EXPECTED).is_file() for case in every)
    # misses and false alarms both occur in real workflows: the corpus holds clean and faulty ones
    assert sum(1 for case in CASES if not expected(case)) >= 10
    assert sum(1 for case in CASES if expected(case)) >= 30
    assert sum(1 for case in CASES if list(case.glob("**/*compose*.y*ml"))) >= 8


def _lint_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("<!-- section: lint -->", 1)[1].split("<!-- /section: lint -->", 1)[0]


def test_readme_catalogue_matches_the_rule_registry():
    rows = re.findall(r"^\| (RC\d{3}) \| ([\w-]+) \| (\w+) \| (yes|no) \| (.*) \|$", _lint_section(), re.M)
    table = {code: (name, severity, fix, meaning.replace("\\|", "|")) for code, name, severity, fix, meaning in rows}
    assert len(table) == len(rows), "a code is listed twice"
    for rule in ALL_RULES:
        assert table.get(rule.code) == (rule.name, rule.severity, "yes" if rule.fixable else "no", rule.summary()), \
            f"README lint catalogue row of {rule.code} differs from the rule"
    registered = {rule.code for rule in ALL_RULES}
    assert set(table) - registered == set(LANDING) - registered
    assert [code for code, *_ in rows] == sorted(table)


def test_readme_states_the_measured_scores():
    result = score(CASES + cases(PENDING))
    section = " ".join(_lint_section().split())
    stated = (f"corpus** of {result['cases']} realistic workflows", f"precision {result['precision']:.1%}",
              f"recall {result['recall']:.1%}", f"({result['accepted']} of {result['expected']} expected findings, "
              f"{result['found']} reported)")
    missing = [text for text in stated if text.replace("%", " %") not in section]
    assert not missing, f"README lint section should say {missing} (python3 tests/lint/corpus_score.py)"


def test_pending_cases_are_measured_not_matched():
    # each pending case names a finding today's linter gets wrong: it stays out of the exact-match
    # test until the branch fixing it lands (then the lead moves it up a folder)
    for case in cases(PENDING):
        assert lint_case(case) != expected(case), f"{case.name} passes now: move it to {CORPUS.name}/"
