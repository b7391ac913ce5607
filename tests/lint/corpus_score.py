"""The corpus of realistic workflows (tests/lint/corpus/) and its scores.

Each case is a small repository: `<case>/.github/workflows/*.yml` (and the compose files it
starts), plus `<case>/expected.out`: the findings a reviewer accepts, one `path:line:col: CODE`
a line (paths relative to the case), sorted; empty when the workflow is fine. Cases under
`pending/` wait for a rule another branch is fixing: measured here, not matched exactly.

    python3 tests/lint/corpus_score.py     # precision, recall, and every miss and false alarm

Precision = accepted findings / all findings; recall = accepted findings / expected findings,
over every case (pending ones included).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
PENDING = CORPUS / "pending"
EXPECTED = "expected.out"


def cases(folder: Path = CORPUS) -> list[Path]:
    """The case folders directly under folder (a case has `.github/workflows/`)."""
    return sorted(path for path in folder.iterdir() if (path / ".github" / "workflows").is_dir())


def lint_case(case: Path) -> list[str]:
    """`path:line:col: CODE` of every finding of every workflow of the case, with the default rules,
    linted from the case folder (compose paths come out relative to it), sorted."""
    from redis_ci.lint.engine import lint_paths
    from redis_ci.lint.rules import ALL_RULES

    try:  # the rules a plain `redis-ci lint` runs (RC000 is off by default)
        from redis_ci.lint.selection import select_rules

        rules = select_rules(ALL_RULES, [], [])
    except ImportError:  # an older tree
        rules = ALL_RULES

    before = os.getcwd()
    os.chdir(case)
    try:
        results = lint_paths([os.path.join(".github", "workflows")], rules, workers=1)
    finally:
        os.chdir(before)
    # (getattr: the script also measures older trees, whose findings are all in the workflow)
    return sorted(f"{getattr(result, 'path_of', lambda _: result.path)(finding)}:{finding.span.line}:"
                  f"{finding.span.column}: {finding.code}" for result in results for finding in result.findings)


def expected(case: Path) -> list[str]:
    return sorted(line.strip() for line in (case / EXPECTED).read_text().splitlines() if line.strip())


def score(all_cases: list[Path]) -> dict:
    """Counts over the cases, and the misses and false alarms by case."""
    accepted = found = wanted = 0
    misses, false_alarms = [], []
    for case in all_cases:
        want, got = set(expected(case)), set(lint_case(case))
        accepted += len(want & got)
        found += len(got)
        wanted += len(want)
        misses += [f"{case.name}: {line}" for line in sorted(want - got)]
        false_alarms += [f"{case.name}: {line}" for line in sorted(got - want)]
    return {
        "cases": len(all_cases), "accepted": accepted, "found": found, "expected": wanted,
        "precision": accepted / found if found else 1.0, "recall": accepted / wanted if wanted else 1.0,
        "misses": misses, "false_alarms": false_alarms,
    }


def main() -> int:
    result = score(cases() + cases(PENDING))
    print(f"{result['cases']} workflows, {result['expected']} expected findings, {result['found']} found, "
          f"{result['accepted']} right")
    print(f"precision {result['precision']:.1%}  recall {result['recall']:.1%}")
    for line in result["false_alarms"]:
        print(f"  false alarm  {line}")
    for line in result["misses"]:
        print(f"  missed       {line}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    sys.exit(main())
