"""Precision: the workflows this project ships and runs lint clean with every rule.

A finding here is either a bug in a template/workflow (fix it there) or a false positive
(fix the rule); an inline ignore is allowed only with a reason a reviewer accepts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["workflows-templates", ".github/workflows"]


@pytest.mark.parametrize("folder", SHIPPED)
def test_shipped_workflows_lint_clean(folder):
    files = sorted((ROOT / folder).glob("*.y*ml"))
    assert files, f"no workflows in {folder}"
    result = subprocess.run([sys.executable, "-m", "redis_ci", "lint", "--format", "json", "--fail-on", "info",
                             folder], cwd=ROOT, capture_output=True, text=True)
    document = json.loads(result.stdout)
    assert document["files"] == len(files)
    findings = [f"{f['path']}:{f['line']}:{f['column']}: {f['code']} {f['message']}" for f in document["findings"]]
    assert findings == [] and result.returncode == 0, "\n".join(findings) + result.stderr
