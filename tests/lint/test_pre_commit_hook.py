"""The pre-commit hook manifest: the fields pre-commit requires, the files it selects, and
its entry run the way pre-commit runs it (the entry plus the staged file names)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"


def load_hook() -> dict:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(hooks, list) and len(hooks) == 1
    return hooks[0]


def test_manifest_has_what_pre_commit_requires():
    hook = load_hook()
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert (hook["id"], hook["entry"], hook["language"]) == ("redis-ci-lint", "redis-ci lint", "python")


def test_files_pattern_selects_workflows_only():
    pattern = re.compile(load_hook()["files"])
    for path in (".github/workflows/ci.yml", ".github/workflows/nested/release.yaml"):
        assert pattern.search(path), path
    for path in (".github/dependabot.yml", "docs/.github/workflows/ci.yml", ".github/workflows/README.md",
                 "workflows-templates/redis-node.yml"):
        assert not pattern.search(path), path


def test_entry_lints_the_files_pre_commit_passes(tmp_path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_bytes((FIXTURES / "RC201" / "no_ports.yml").read_bytes())
    (workflows / "broken.yml").write_text("redis: [\n")  # mentions Redis: not prefiltered
    program, *arguments = shlex.split(load_hook()["entry"])
    assert program == "redis-ci"
    result = subprocess.run([sys.executable, "-m", "redis_ci", *arguments, ".github/workflows/bad.yml",
                             ".github/workflows/broken.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1
    assert ".github/workflows/bad.yml:6:7: RC201 " in result.stdout
    assert ".github/workflows/broken.yml:1:9: RC001 " in result.stdout
