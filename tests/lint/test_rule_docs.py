"""Rule documentation that stands alone: docs/rules/ is what the docstrings say (the script that
writes it finds nothing to change), `explain` prints the same page, nothing points at a file users
do not have, and SARIF links every rule to its page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from entry_point import redis_ci
from redis_ci.lint.rule_docs import DOCS_URL, pages
from redis_ci.lint.rules import ALL_RULES

ROOT = Path(__file__).resolve().parents[2]


def test_docs_rules_are_in_step_with_the_docstrings():
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "rule_docs.py"), "--check"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    on_disk = {path.name: path.read_text(encoding="utf-8") for path in (ROOT / "docs" / "rules").glob("*.md")}
    assert on_disk == pages(ALL_RULES)


def test_the_check_fails_when_a_page_is_stale(tmp_path):
    # the same script on a copy whose page for RC201 was edited by hand
    copy = tmp_path / "repo"
    (copy / "scripts").mkdir(parents=True)
    (copy / "scripts" / "rule_docs.py").write_text((ROOT / "scripts" / "rule_docs.py").read_text())
    (copy / "src").symlink_to(ROOT / "src")
    (copy / "docs" / "rules").mkdir(parents=True)
    for name, text in pages(ALL_RULES).items():
        (copy / "docs" / "rules" / name).write_text(text)
    (copy / "docs" / "rules" / "RC201.md").write_text("# edited\n")
    check = subprocess.run([sys.executable, str(copy / "scripts" / "rule_docs.py"), "--check"],
                           capture_output=True, text=True)
    assert check.returncode == 1 and "docs/rules/RC201.md" in check.stderr


def test_explain_prints_the_page_and_cites_no_file_users_lack():
    for rule in ALL_RULES:
        explained = redis_ci("explain", rule.code)
        assert explained.returncode == 0
        assert explained.stdout == (ROOT / "docs" / "rules" / f"{rule.code}.md").read_text()
        assert not re.search(r"RULES\.md|FACTS\.md|STYLE\.md|/work/|\.\./shared", explained.stdout), rule.code


def test_sarif_rules_link_to_their_pages(tmp_path):
    (tmp_path / "ci.yml").write_text("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps: [{run: 'true'}]\n")
    sarif = redis_ci("lint", "--format", "sarif", "--select", "ALL", "ci.yml", cwd=tmp_path)
    rules = json.loads(sarif.stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [rule.code for rule in ALL_RULES]
    for rule in rules:
        assert rule["helpUri"] == f"{DOCS_URL}/{rule['id']}.md"
        assert (ROOT / "docs" / "rules" / f"{rule['id']}.md").is_file()
    assert DOCS_URL.startswith("https://github.com/redis-ci/redis-ci-action/blob/")
