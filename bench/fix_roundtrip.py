#!/usr/bin/env python3
"""Why `lint --fix` patches text instead of round-tripping through ruamel.yaml.

    python3 -m pip install 'ruamel.yaml>=0.18'   # the `bench` extra: not a dependency of redis-ci
    python3 bench/fix_roundtrip.py

Loads and dumps every workflow this repository holds (the lint fixtures, the templates, its own
`.github/workflows`) through ruamel.yaml's round-trip mode with GitHub-style indentation and no
edit at all, and counts the files and lines that come back different. Any such change would land
in a user's file on every `--fix`. Beside it, `redis-ci lint --fix` on copies of the same files:
lines changed outside the lines a fix rewrites are 0 by construction (tests/lint/test_fix.py
asserts it per fixture), so the second column counts only what the fixes meant to write.
"""

from __future__ import annotations

import difflib
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def workflow_files() -> list[Path]:
    fixtures = [p for p in (ROOT / "tests/lint/fixtures").rglob("*.yml") if not p.name.endswith(".fixed.yml")]
    return sorted(fixtures) + sorted((ROOT / "workflows-templates").glob("*.yml")) + sorted(
        (ROOT / ".github/workflows").glob("*.yml"))


def ruamel_round_trip(text: str) -> str | None:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    try:
        data = yaml.load(text)
    except (YAMLError, ValueError):
        return None  # the fixtures include files that are not valid YAML
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def changed_lines(before: str, after: str) -> int:
    return sum(1 for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---")))


def main() -> int:
    try:
        import ruamel.yaml  # noqa: F401
    except ImportError:
        print("fix_roundtrip: needs ruamel.yaml (python3 -m pip install 'ruamel.yaml>=0.18')", file=sys.stderr)
        return 2
    files = workflow_files()
    parsed = changed_files = lines = 0
    examples = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        dumped = ruamel_round_trip(text)
        if dumped is None:
            continue
        parsed += 1
        if dumped != text:
            changed_files += 1
            lines += changed_lines(text, dumped)
            examples.append(path.relative_to(ROOT))
    print(f"{len(files)} workflow files, {parsed} parsed by ruamel.yaml {ruamel.yaml.__version__}")
    print(f"  ruamel round trip, no edit:  {changed_files} files changed, {lines} lines (+/-)")
    print("  redis-ci text patches:       0 lines changed outside a fix (by construction; tests/lint/test_fix.py)")
    for example in examples[:10]:
        print(f"    changed: {example}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
