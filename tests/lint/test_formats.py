"""Every output format on the same fixture set: text, json, github and sarif must all say
what the fixture's `.out` says, each in its own syntax.

SARIF is checked by `sarif_problems`, our written form of the SARIF 2.1.0 schema rules and
the limits GitHub code scanning enforces on upload (the schema file cannot be downloaded
here): required properties, allowed properties of each object we emit, value ranges,
rule/result cross-references, relative forward-slash URIs and fingerprints.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from redis_ci.lint.engine import check_workflow_bytes
from redis_ci.lint.formats.github import escape_data, escape_property
from redis_ci.lint.formats.sarif import FINGERPRINT_KEY
from redis_ci.lint.render import artifact_uri, render, resolve_format
from redis_ci.lint.rules import ALL_RULES
from redis_ci.lint.selection import select_rules

FIXTURES = Path(__file__).parent / "fixtures"
# `<case>.fixed.yml` files are --fix results, not cases; a case without its .out is reported
# by test_lint_fixtures.py
CASES = sorted(p for p in FIXTURES.glob("*/*.yml")
               if not p.name.endswith(".fixed.yml") and p.with_suffix(".out").exists())
# `path:line:col: CODE [*] severity: message`, as render.finding_line documents it
OUT_LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<column>\d+): (?P<code>RC\d{3})(?P<fixable> \[\*\])? "
                      r"(?P<severity>error|warning|info): (?P<message>.*)$")
GITHUB_LINE = re.compile(r"^::(?P<command>error|warning|notice) (?P<properties>[^:]*)::(?P<message>.*)$")

# ---- SARIF 2.1.0 as GitHub code scanning takes it -------------------------------------------

SARIF_LEVELS = {"none", "note", "warning", "error"}
# Properties the SARIF 2.1.0 schema allows on each object we write (additionalProperties: false).
ALLOWED = {
    "log": {"$schema", "version", "runs", "inlineExternalProperties", "properties"},
    "run": {"tool", "results", "columnKind", "invocations", "artifacts", "originalUriBaseIds",
            "automationDetails", "properties", "language", "redactionTokens", "defaultEncoding"},
    "driver": {"name", "version", "semanticVersion", "informationUri", "rules", "fullName",
               "organization", "product", "downloadUri", "notifications", "properties"},
    "rule": {"id", "name", "shortDescription", "fullDescription", "help", "helpUri",
             "defaultConfiguration", "properties", "guid", "deprecatedIds", "messageStrings", "relationships"},
    "result": {"ruleId", "ruleIndex", "rule", "level", "kind", "message", "locations",
               "partialFingerprints", "fingerprints", "properties", "relatedLocations", "suppressions"},
    "region": {"startLine", "startColumn", "endLine", "endColumn", "charOffset", "charLength", "snippet"},
}
# GitHub's upload limits (docs: "SARIF support for code scanning", validation and limits).
MAX_RUNS, MAX_RESULTS_PER_RUN, MAX_RULES_PER_RUN, MAX_TAGS = 20, 25_000, 25_000, 20


def _extra(kind: str, obj: dict) -> list[str]:
    return [f"{kind} has unknown property {key}" for key in obj if key not in ALLOWED[kind]]


def _text(obj, where: str) -> list[str]:
    ok = isinstance(obj, dict) and isinstance(obj.get("text"), str) and obj["text"].strip()
    return [] if ok else [f"{where} needs a non-empty text"]


def sarif_problems(log: dict) -> list[str]:
    """Every way log breaks the SARIF 2.1.0 schema rules or GitHub's requirements; [] = valid."""
    problems = _extra("log", log)
    if log.get("version") != "2.1.0":
        problems.append("version must be 2.1.0")
    if not isinstance(log.get("$schema"), str) or not log["$schema"].startswith("https://"):
        problems.append("$schema must be the schema URI")
    runs = log.get("runs")
    if not isinstance(runs, list) or not 1 <= len(runs) <= MAX_RUNS:
        return problems + ["runs must be a list of 1 to 20 runs"]
    for run in runs:
        problems += _extra("run", run)
        if run.get("columnKind") not in (None, "unicodeCodePoints", "utf16CodeUnits"):
            problems.append("bad columnKind")
        driver = run.get("tool", {}).get("driver", {})
        problems += _extra("driver", driver)
        if not (isinstance(driver.get("name"), str) and driver["name"]):
            problems.append("tool.driver.name is required")
        if not isinstance(driver.get("version"), str):
            problems.append("tool.driver.version must be a string")
        if not str(driver.get("informationUri", "")).startswith("https://"):
            problems.append("tool.driver.informationUri must be an absolute URI")
        rules = driver.get("rules", [])
        if len(rules) > MAX_RULES_PER_RUN:
            problems.append("too many rules")
        ids = [rule.get("id") for rule in rules]
        if len(set(ids)) != len(ids):
            problems.append("rule ids must be unique")
        for rule in rules:
            where = f"rule {rule.get('id')}"
            problems += _extra("rule", rule)
            if not (isinstance(rule.get("id"), str) and rule["id"]):
                problems.append("rule id is required")
            for key in ("shortDescription", "fullDescription"):
                problems += _text(rule.get(key), f"{where} {key}")
            if len(rule.get("shortDescription", {}).get("text", "")) > 1024:
                problems.append(f"{where} shortDescription over 1024 characters")
            help_ = rule.get("help", {})
            problems += _text(help_, f"{where} help")
            if not isinstance(help_.get("markdown"), str):
                problems.append(f"{where} help.markdown must be a string")
            if rule.get("defaultConfiguration", {}).get("level") not in SARIF_LEVELS:
                problems.append(f"{where} defaultConfiguration.level must be one of {SARIF_LEVELS}")
            tags = rule.get("properties", {}).get("tags", [])
            if not (isinstance(tags, list) and all(isinstance(t, str) for t in tags) and len(tags) <= MAX_TAGS
                    and len(set(tags)) == len(tags)):
                problems.append(f"{where} properties.tags must be up to 20 unique strings")
        results = run.get("results")
        if not isinstance(results, list) or len(results) > MAX_RESULTS_PER_RUN:
            problems.append("results must be a list of at most 25,000")
            continue
        for number, result in enumerate(results):
            where = f"result {number}"
            problems += _extra("result", result)
            index = result.get("ruleIndex")
            if result.get("ruleId") not in ids:
                problems.append(f"{where} ruleId not among the driver's rules")
            elif not isinstance(index, int) or not 0 <= index < len(rules) or ids[index] != result["ruleId"]:
                problems.append(f"{where} ruleIndex does not point at its ruleId")
            if result.get("level") not in SARIF_LEVELS:
                problems.append(f"{where} bad level")
            problems += _text(result.get("message"), f"{where} message")
            locations = result.get("locations")
            if not isinstance(locations, list) or not locations:
                problems.append(f"{where} needs a location")
                continue
            for location in locations:
                physical = location.get("physicalLocation", {})
                uri = physical.get("artifactLocation", {}).get("uri")
                if not isinstance(uri, str) or not uri or "\\" in uri or uri.startswith("/") or ":" in uri.split("/")[0]:
                    problems.append(f"{where} uri must be relative with forward slashes: {uri!r}")
                region = physical.get("region", {})
                problems += _extra("region", region)
                numbers = [region.get(key) for key in ("startLine", "startColumn", "endLine", "endColumn")]
                if not all(isinstance(n, int) and n >= 1 for n in numbers):
                    problems.append(f"{where} region numbers must be integers >= 1")
                    continue
                start_line, start_column, end_line, end_column = numbers
                if end_line < start_line or (end_line == start_line and end_column < start_column):
                    problems.append(f"{where} region ends before it starts")
            fingerprints = result.get("partialFingerprints", {})
            if not fingerprints or not all(isinstance(k, str) and isinstance(v, str) for k, v in fingerprints.items()):
                problems.append(f"{where} partialFingerprints must map strings to strings")
    return problems


# ---- the same fixtures in every format ---------------------------------------------------------


def expected_findings(case: Path) -> list[tuple]:
    """(line, column, code, message) from the fixture's .out, in order."""
    found = []
    for text in case.with_suffix(".out").read_text(encoding="utf-8").splitlines():
        match = OUT_LINE.match(text)
        assert match, text
        found.append((int(match["line"]), int(match["column"]), match["code"], match["message"]))
    return found


def lint_case(case: Path):
    rules = select_rules(ALL_RULES, ["ALL"] if case.parent.name == "RC000" else [case.parent.name], [])
    return rules, [check_workflow_bytes(case.read_bytes(), f"fixtures/{case.parent.name}/{case.name}", rules)]


def unescape(text: str) -> str:
    return (text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",")
            .replace("%25", "%"))


@pytest.mark.parametrize("case", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_every_format_says_what_the_fixture_expects(case: Path):
    expected = expected_findings(case)
    rules, results = lint_case(case)
    path = results[0].path

    text = render("text", results, rules).splitlines()
    headers = [line for line in text if line.startswith(path)]
    assert [OUT_LINE.match(h).group("line", "column", "code", "message") for h in headers] == [
        (str(line), str(column), code, message) for line, column, code, message in expected]
    # each header + gutter, source line, caret line (no excerpt when the file is not text)
    assert len(text) == (4 if results[0].lines else 1) * len(expected)

    document = json.loads(render("json", results, rules))
    assert document["version"] == 1 and document["files"] == 1
    assert [(f["line"], f["column"], f["code"], f["message"]) for f in document["findings"]] == expected
    assert all(f["path"] == path for f in document["findings"])
    marks = [OUT_LINE.match(text).group("severity", "fixable")
             for text in case.with_suffix(".out").read_text(encoding="utf-8").splitlines()]
    assert [(f["severity"], " [*]" if f["fixable"] else None) for f in document["findings"]] == marks

    annotations = render("github", results, rules).splitlines()
    decoded = []
    for line in annotations:
        match = GITHUB_LINE.match(line)
        assert match, line
        properties = dict(item.split("=", 1) for item in match["properties"].split(","))
        assert set(properties) == {"file", "line", "col", "endLine", "endColumn", "title"}
        assert unescape(properties["file"]) == path
        decoded.append((int(properties["line"]), int(properties["col"]), unescape(properties["title"]),
                        unescape(match["message"])))
    assert sorted(decoded) == sorted(expected)

    log = json.loads(render("sarif", results, rules))
    assert sarif_problems(log) == []
    sarif_results = log["runs"][0]["results"]
    assert [(r["locations"][0]["physicalLocation"]["region"]["startLine"],
             r["locations"][0]["physicalLocation"]["region"]["startColumn"], r["ruleId"], r["message"]["text"])
            for r in sarif_results] == expected
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == path for r in sarif_results)


def test_sarif_of_the_whole_catalogue_is_valid_and_documents_every_rule():
    results = [check_workflow_bytes(case.read_bytes(), str(case.relative_to(FIXTURES.parent)), ALL_RULES)
               for case in CASES]
    log = json.loads(render("sarif", results, ALL_RULES))
    assert sarif_problems(log) == []
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [rule.code for rule in ALL_RULES]
    for descriptor, rule in zip(rules, ALL_RULES):
        assert descriptor["help"]["markdown"] == rule.documentation()
        assert "## What it does" in descriptor["help"]["text"]
        assert descriptor["shortDescription"]["text"] == rule.summary()
    assert log["runs"][0]["results"], "the fixtures must produce results"


def test_sarif_checker_catches_broken_logs():
    results = [check_workflow_bytes((FIXTURES / "RC201" / "no_ports.yml").read_bytes(), "w/no_ports.yml", ALL_RULES)]
    good = json.loads(render("sarif", results, ALL_RULES))
    assert sarif_problems(good) == []
    breakages = [
        lambda log: log.update(version="2.0.0"),
        lambda log: log["runs"][0]["results"][0].update(ruleIndex=0),
        lambda log: log["runs"][0]["results"][0].update(level="info"),
        lambda log: log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        .update(uri="C:\\w\\no_ports.yml"),
        lambda log: log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"].update(endLine=1),
        lambda log: log["runs"][0]["results"][0].pop("partialFingerprints"),
        lambda log: log["runs"][0]["tool"]["driver"]["rules"][0].update(shortDescription={"text": ""}),
        lambda log: log["runs"][0].update(extra=1),
    ]
    for breakage in breakages:
        broken = json.loads(json.dumps(good))
        breakage(broken)
        assert sarif_problems(broken), breakage


def test_sarif_fingerprints_survive_moved_lines_and_tell_twins_apart():
    workflow = (FIXTURES / "RC201" / "alias_shared_service.yml").read_text()

    def fingerprints(text):
        result = check_workflow_bytes(text.encode(), "ci.yml", ALL_RULES)
        log = json.loads(render("sarif", [result], ALL_RULES))
        return [(r["locations"][0]["physicalLocation"]["region"]["startLine"],
                 r["partialFingerprints"][FINGERPRINT_KEY]) for r in log["runs"][0]["results"]]

    before = fingerprints(workflow)
    after = fingerprints("# a comment\n\n" + workflow)
    assert [line + 2 for line, _ in before] == [line for line, _ in after]
    assert [fp for _, fp in before] == [fp for _, fp in after]
    # the same mistake written twice on identical lines (one per job) is two alerts
    assert len(before) >= 2 and len({fp for _, fp in before}) == len(before)


def test_github_escaping_matches_actions_core():
    # expected values written from @actions/core's command.ts (escapeData / escapeProperty)
    assert escape_data("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b"
    assert escape_property("dir,x/a:b%.yml\n") == "dir%2Cx/a%3Ab%25.yml%0A"
    assert escape_property("%3A") == "%253A"


def test_github_puts_errors_first_and_maps_info_to_notice():
    results = lint_case(FIXTURES / "RC201" / "no_ports.yml")[1]
    error = results[0].findings[0]
    results[0].findings = [error.replace(severity="info"), error.replace(severity="warning"), error]
    commands = [line.split(" ", 1)[0] for line in render("github", results, ALL_RULES).splitlines()]
    assert commands == ["::error", "::warning", "::notice"]


@pytest.mark.parametrize("environment, expected", [({"GITHUB_ACTIONS": "true"}, "github"),
                                                   ({"GITHUB_ACTIONS": "false"}, "text"), ({}, "text")])
def test_auto_format_follows_github_actions(monkeypatch, environment, expected):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    assert resolve_format("auto") == expected
    assert resolve_format("json") == "json"


def test_cli_auto_format_and_sarif_paths(tmp_path):
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "ci.yml").write_bytes((FIXTURES / "RC201" / "no_ports.yml").read_bytes())
    env = {"PATH": "/usr/bin:/bin", "GITHUB_ACTIONS": "true"}
    annotated = subprocess.run([sys.executable, "-m", "redis_ci", "lint"], cwd=tmp_path, env=env,
                               capture_output=True, text=True)
    assert annotated.returncode == 1
    assert annotated.stdout.startswith("::error file=.github/workflows/ci.yml,line=6,col=7,")
    sarif = subprocess.run([sys.executable, "-m", "redis_ci", "lint", "--format", "sarif", str(folder)],
                           cwd=tmp_path, capture_output=True, text=True)
    log = json.loads(sarif.stdout)
    assert sarif_problems(log) == []
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == ".github/workflows/ci.yml"  # absolute path made relative to the cwd


def test_artifact_uri_is_relative_with_forward_slashes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert artifact_uri(str(tmp_path / "a" / "b.yml")) == "a/b.yml"
    assert artifact_uri("./x/y.yml") == "x/y.yml"
