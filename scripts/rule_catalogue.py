#!/usr/bin/env python3
"""Write src/redis_ci/lint/catalogue.py (the rules as data) from rules.ALL_RULES.

    python3 scripts/rule_catalogue.py          # rewrite it
    python3 scripts/rule_catalogue.py --check  # exit 1 when it is out of step (what the test runs)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from redis_ci.lint.rules import ALL_RULES  # noqa: E402

TARGET = ROOT / "src" / "redis_ci" / "lint" / "catalogue.py"

HEADER = '''"""The rule catalogue as data: each rule's code, name, default severity, whether it is on by
default and whether it is fixable, in rules.ALL_RULES order. Selection, config checks and the
result cache's key read this instead of importing the rules (which import the model and
PyYAML): a lint whose files are all cached imports no rule.

Written by `python3 scripts/rule_catalogue.py` from rules.ALL_RULES (do not edit by hand);
tests/lint/test_catalogue.py fails when it is out of step.
"""

from __future__ import annotations


class RuleInfo:
    """What selection and the cache know of a rule (the rule class has the same attributes)."""

    __slots__ = ("code", "name", "severity", "enabled_by_default", "fixable")

    def __init__(self, code: str, name: str, severity: str, enabled_by_default: bool, fixable: bool):
        self.code, self.name, self.severity = code, name, severity
        self.enabled_by_default, self.fixable = enabled_by_default, fixable

    def __repr__(self) -> str:
        return f"RuleInfo({self.code!r}, {self.name!r})"


'''


def source() -> str:
    rows = "".join(f"    RuleInfo({rule.code!r}, {rule.name!r}, {rule.severity!r}, {rule.enabled_by_default!r}, "
                   f"{rule.fixable!r}),\n" for rule in ALL_RULES)
    return f"{HEADER}CATALOGUE = (\n{rows})\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when the file differs")
    args = parser.parse_args()
    wanted = source()
    current = TARGET.read_text(encoding="utf-8") if TARGET.is_file() else None
    if args.check:
        if current != wanted:
            print(f"{TARGET.relative_to(ROOT)} is out of step with rules.ALL_RULES: "
                  "run python3 scripts/rule_catalogue.py", file=sys.stderr)
            return 1
        return 0
    if current != wanted:
        TARGET.write_text(wanted, encoding="utf-8")
    print(f"{TARGET.relative_to(ROOT)}: {len(ALL_RULES)} rules{'' if current != wanted else ', unchanged'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
