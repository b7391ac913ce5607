#!/usr/bin/env python3
"""Write docs/rules/ (one Markdown page per lint rule, and an index) from the rules' docstrings.

    python3 scripts/rule_docs.py          # rewrite docs/rules/
    python3 scripts/rule_docs.py --check  # exit 1 when a page is out of step (what the test runs)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from redis_ci.lint.rule_docs import pages  # noqa: E402
from redis_ci.lint.rules import ALL_RULES  # noqa: E402

FOLDER = ROOT / "docs" / "rules"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a page differs")
    args = parser.parse_args()
    wanted = pages(ALL_RULES)
    present = {path.name for path in FOLDER.glob("*.md")} if FOLDER.is_dir() else set()
    stale = sorted(name for name in wanted if not (FOLDER / name).is_file()
                   or (FOLDER / name).read_text(encoding="utf-8") != wanted[name])
    extra = sorted(present - set(wanted))
    if args.check:
        for name in stale + extra:
            print(f"docs/rules/{name} is out of step with the rule docstrings", file=sys.stderr)
        return 1 if stale or extra else 0
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (FOLDER / name).write_text(wanted[name], encoding="utf-8")
    for name in extra:
        (FOLDER / name).unlink()
    print(f"docs/rules: {len(stale)} written, {len(extra)} removed, {len(wanted)} pages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
