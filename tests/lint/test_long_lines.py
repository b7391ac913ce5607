"""A finding's text stays one bounded line: long source lines are shown as a window around the
finding, and user text with line breaks in a message is written with escapes."""

from __future__ import annotations

import json

from redis_ci.lint.engine import check_workflow_bytes
from redis_ci.lint.render import EXCERPT_WIDTH, render
from redis_ci.lint.rules import ALL_RULES

SERVICE = ("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    services:\n      redis:\n"
           "        image: redis:7\n        ports: ['6379:6379']\n    steps:\n")


def _text(workflow: str) -> tuple[list[str], list]:
    result = check_workflow_bytes(workflow.encode(), "ci.yml", ALL_RULES)
    return render("text", [result], ALL_RULES).splitlines(), result.findings


def test_a_long_line_is_shown_as_a_window_with_the_caret_under_the_finding():
    long_line = "      - run: echo " + "x" * 3000 + "; docker run -d redis:7; redis-cli -h localhost ping; echo " + "y" * 3000
    workflow = SERVICE + long_line + "\n"
    number = workflow.count("\n")
    lines, findings = _text(workflow)
    on_it = [finding for finding in findings if finding.span.line == number]
    assert on_it, [(finding.code, finding.span) for finding in findings]
    for finding in on_it:
        header = lines.index(next(line for line in lines if line.startswith(
            f"ci.yml:{number}:{finding.span.column}: {finding.code}")))
        source, underline = lines[header + 2], lines[header + 3]
        assert len(source) <= len(f"{number} | ") + EXCERPT_WIDTH + 6 and "..." in source
        caret = underline.index("^")
        assert source[caret:caret + 8] == long_line[finding.span.column - 1:finding.span.column + 7]


def test_the_text_report_of_a_hostile_line_is_bounded_by_the_findings_not_their_product():
    steps = "".join("      - run: " + "sleep 1; " * 2000 + "redis-cli ping\n" for _ in range(5))
    lines, findings = _text(SERVICE + steps)
    assert len(findings) >= 5
    assert sum(map(len, lines)) < 400 * len(lines)


def test_a_message_quoting_user_text_with_line_breaks_is_one_line_in_every_format():
    workflow = SERVICE + '      - name: "start\\nredis\\u2028now\\ttab"\n        run: docker run -d redis:7\n      - run: redis-cli ping\n'
    result = check_workflow_bytes(workflow.encode(), "ci.yml", ALL_RULES)
    quoting = [finding for finding in result.findings if "start" in finding.message]
    assert quoting, [finding.message for finding in result.findings]
    for finding in quoting:
        assert finding.message.isprintable() and "start\\nredis\\u2028now\\ttab" in finding.message
    document = json.loads(render("json", [result], ALL_RULES))
    assert all("\n" not in finding["message"] for finding in document["findings"])
    assert render("github", [result], ALL_RULES).count("\n") == len(result.findings)
