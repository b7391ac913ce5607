"""The README's Reliability section lists every row of the fault matrix with its kind and finality."""

from __future__ import annotations

from pathlib import Path

from test_fault_matrix import CASES

README = Path(__file__).resolve().parents[2] / "README.md"


def reliability_section() -> str:
    text = README.read_text()
    return text[text.index("<!-- section: reliability -->"):text.index("<!-- /section: reliability -->")]


def expected_row(case) -> str:
    kind = {"ready": "ready (exit 0)", "usage": "usage error (exit 2)"}.get(case.kind, f"`{case.kind}`")
    final = "yes" if case.final else ("" if case.kind in ("ready", "usage") else "no")
    name = case.name.replace("|", "\\|")
    return f"| {name} | {kind} | {final} |"


def test_every_case_has_its_row():
    rows = [line for line in reliability_section().splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows == [expected_row(case) for case in CASES]
