"""The flags and habits users bring from ruff, actionlint and zizmor, through the real
`redis-ci` entry point: one test per flag or behaviour."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from entry_point import redis_ci

FIXTURES = Path(__file__).parent / "fixtures"
NO_PORTS = (FIXTURES / "RC201" / "no_ports.yml").read_text()  # one RC201 error (fixable) at 6:7
CLEAN = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps: [{run: 'true'}]\n"
HEADER = re.compile(r"^(.+?):(\d+):(\d+): (RC\d{3})( \[\*\])? (error|warning|info): (.*)$")
# an ignore comment that silences nothing: RC201 would not fire on a clean job
STALE_IGNORE = CLEAN.replace("steps:", "steps:  # redis-ci: ignore[RC201]")


def env(**changes) -> dict:
    base = {key: value for key, value in os.environ.items()
            if key not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "NO_COLOR", "FORCE_COLOR")}
    base.update(changes)
    return base


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "bad.yml").write_text(NO_PORTS)
    (tmp_path / "clean.yml").write_text(CLEAN)
    return tmp_path


def lint(cwd: Path, *args: str, **kwargs):
    return redis_ci("lint", *args, cwd=cwd, env=kwargs.pop("env", env()), **kwargs)


def test_text_findings_carry_severity_and_fixable_mark_and_stderr_ends_with_the_summary(repo):
    result = lint(repo, "bad.yml", "clean.yml")
    headers = [line for line in result.stdout.splitlines() if HEADER.match(line)]
    assert result.returncode == 1 and headers
    for line in headers:
        path, _, _, code, fixable, severity, _ = HEADER.match(line).groups()
        assert (path, code, fixable, severity) in {("bad.yml", "RC201", " [*]", "error"),
                                                   ("bad.yml", code, fixable, severity)}
    assert any(HEADER.match(line).group(4, 5, 6) == ("RC201", " [*]", "error") for line in headers)
    fixable = sum(" [*] " in line for line in headers)
    assert result.stderr.splitlines()[-1] == f"Found {len(headers)} findings ({fixable} fixable) in 1 file."


def test_all_checks_passed_counts_files(repo):
    (repo / "bad.yml").unlink()
    (repo / "also.yaml").write_text(CLEAN)
    result = lint(repo, ".")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "All checks passed (2 files).\n")


def test_zero_files_is_said_on_stderr_with_exit_0(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    result = lint(tmp_path, ".")
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == "redis-ci lint: no workflow files found under .\n"
    default = lint(tmp_path)  # no .github/workflows at all: the same, not a usage error
    assert (default.returncode, default.stderr) == (0, "redis-ci lint: no workflow files found under .github/workflows\n")


def test_quiet_prints_findings_only(repo):
    loud, quiet = lint(repo, "bad.yml"), lint(repo, "-q", "bad.yml")
    assert quiet.returncode == loud.returncode == 1
    assert quiet.stdout == loud.stdout and quiet.stderr == ""
    assert lint(repo, "--quiet", "clean.yml").stderr == ""


def test_exit_zero(repo):
    assert lint(repo, "bad.yml").returncode == 1
    result = lint(repo, "--exit-zero", "bad.yml")
    assert result.returncode == 0 and "RC201" in result.stdout
    assert lint(repo, "--exit-zero", "--select", "RC999", "bad.yml").returncode == 2  # usage stays 2


def test_output_file_gets_the_report_and_stdout_stays_empty(repo):
    result = lint(repo, "--format", "json", "--output-file", "report.json", "bad.yml")
    assert result.returncode == 1 and result.stdout == ""
    document = json.loads((repo / "report.json").read_text())
    assert {finding["code"] for finding in document["findings"]} >= {"RC201"}
    assert lint(repo, "-o", "report.txt", "bad.yml").stdout == ""
    assert (repo / "report.txt").read_text() == lint(repo, "bad.yml").stdout
    assert not [name for name in os.listdir(repo) if name.startswith(".redis-ci-")]  # no temp file left


def test_output_file_that_cannot_be_written_is_exit_3(repo):
    result = lint(repo, "-o", str(repo / "missing" / "out.txt"), "bad.yml")
    assert result.returncode == 3 and result.stderr.count("\n") == 1 and "cannot write" in result.stderr


def test_statistics_counts_per_rule(repo):
    (repo / "bad2.yml").write_text(NO_PORTS)
    result = lint(repo, "--statistics", "--select", "RC201", "bad.yml", "bad2.yml")
    assert result.returncode == 1
    assert result.stdout == "2\tRC201\t[*] unmapped-service-port\n"
    assert result.stderr == "Found 2 findings (2 fixable) in 2 files.\n"
    as_json = json.loads(lint(repo, "--statistics", "--format", "json", "--select", "RC201", "bad.yml").stdout)
    assert as_json == [{"code": "RC201", "name": "unmapped-service-port", "count": 1, "fixable": True}]


@pytest.mark.parametrize("flag, environment, colored", [
    ("--color=always", {}, True),
    ("--color=never", {"FORCE_COLOR": "1"}, False),
    ("--color=auto", {}, False),                         # a pipe is not a terminal
    ("--color=auto", {"FORCE_COLOR": "1"}, True),
    ("--color=auto", {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
    ("--color=always", {"NO_COLOR": "1"}, True),          # the flag wins over the environment
])
def test_color(repo, flag, environment, colored):
    result = lint(repo, flag, "bad.yml", env=env(**environment))
    assert ("\033[" in result.stdout) is colored
    assert result.returncode == 1


def test_stdin_with_stdin_filename(repo):
    result = lint(repo, "-", "--stdin-filename", ".github/workflows/ci.yml", "--select", "RC201",
                  input=NO_PORTS)
    assert result.returncode == 1
    assert result.stdout.startswith(".github/workflows/ci.yml:6:7: RC201 [*] error: ")
    alone = lint(repo, "--stdin-filename", "ci.yml", "--select", "RC201", input=NO_PORTS)
    assert alone.stdout.startswith("ci.yml:6:7: RC201 ")
    bare = lint(repo, "-", "--select", "RC201", "--format", "json", input=NO_PORTS)
    assert json.loads(bare.stdout)["findings"][0]["path"] == "-"


def test_stdin_gets_the_config_of_its_stdin_filename(tmp_path):
    (tmp_path / "sub" / ".github").mkdir(parents=True)
    (tmp_path / "sub" / ".github" / "redis-ci.yml").write_text("ignore: [RC201]\n")
    elsewhere = lint(tmp_path, "-", "--stdin-filename", "ci.yml", "--select", "RC2", input=NO_PORTS)
    inside = lint(tmp_path, "-", "--stdin-filename", "sub/ci.yml", input=NO_PORTS)
    assert "RC201" in elsewhere.stdout and "RC201" not in inside.stdout


@pytest.mark.parametrize("args, message", [
    (["--select", "", "bad.yml"], "--select needs at least one rule"),
    (["--fix", "-"], "--fix and --diff change files"),
    (["--stdin-filename", "x.yml", "bad.yml"], "--stdin-filename names the workflow read from stdin"),
    (["--select", "RC201", "--extend-select", "RC9"], "unknown rule code or name: RC9"),
])
def test_usage_errors_are_one_line_exit_2(repo, args, message):
    result = lint(repo, *args, input="")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr


def test_config_is_found_from_each_linted_file_upward(tmp_path):
    # a monorepo: service-a ignores RC201 in its own config; service-b has none; linted from the root
    for name in ("service-a", "service-b"):
        (tmp_path / name / ".github" / "workflows").mkdir(parents=True)
        (tmp_path / name / ".github" / "workflows" / "ci.yml").write_text(NO_PORTS)
    (tmp_path / "service-a" / "pyproject.toml").write_text('[tool.redis-ci]\nignore = ["RC201"]\n')
    result = lint(tmp_path, "--format", "json", "--select", "RC2", "service-a", "service-b")
    paths = {(f["path"], f["code"]) for f in json.loads(result.stdout)["findings"]}
    assert ("service-b/.github/workflows/ci.yml", "RC201") in paths
    assert not any(path.startswith("service-a") and code == "RC201" for path, code in paths)
    # --select replaces only select: the file's ignore still holds; --ignore replaces it
    again = lint(tmp_path, "--format", "json", "--select", "RC201", "--ignore", "", "service-a")
    assert [f["code"] for f in json.loads(again.stdout)["findings"]] == ["RC201"]


def test_extend_select_and_extend_ignore_add_to_the_config(tmp_path):
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "redis-ci.yml").write_text("select: [RC201]\n")
    # RC201 fires at the service (6:7), not on the `steps:` line: this ignore is stale
    (tmp_path / "ci.yml").write_text(NO_PORTS.replace("    steps:", "    steps:  # redis-ci: ignore[RC201]"))

    def codes(*args):
        return sorted({f["code"] for f in json.loads(lint(tmp_path, "--format", "json", *args, "ci.yml").stdout)["findings"]})

    assert codes() == ["RC201"]
    assert codes("--extend-select", "RC000") == ["RC000", "RC201"]       # added to the config's select
    assert codes("--select", "RC000") == []                               # replaced: RC201 did not run, not judged
    assert codes("--extend-ignore", "RC201") == []                        # added to the (empty) ignore
    assert codes("--select", "RC000,RC201", "--extend-ignore", "RC201") == []


def test_all_selects_every_rule_and_rc000_is_off_by_default(tmp_path):
    (tmp_path / "ci.yml").write_text(STALE_IGNORE)
    assert lint(tmp_path, "ci.yml").returncode == 0
    for flag, selector in (("--select", "ALL"), ("--select", "all"), ("--extend-select", "RC000"),
                           ("--extend-select", "unused-suppression"), ("--extend-select", "RC0")):
        result = lint(tmp_path, flag, selector, "ci.yml")
        assert result.returncode == 1, selector
        assert "RC000 warning: unused suppression: RC201 (unmapped-service-port)" in result.stdout


def test_rc000_reports_nothing_for_a_used_ignore(tmp_path):
    (tmp_path / "ci.yml").write_text(NO_PORTS.replace("      redis:", "      redis:  # redis-ci: ignore[RC201]", 1))
    result = lint(tmp_path, "--select", "RC201,RC000", "ci.yml")
    assert (result.returncode, result.stdout) == (0, "")


def test_step_summary_in_github_actions(repo):
    summary = repo / "summary.md"
    summary.write_text("earlier step\n")
    result = lint(repo, "--select", "RC201", "bad.yml", "clean.yml",
                  env=env(GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary), GITHUB_SERVER_URL="https://github.com",
                          GITHUB_REPOSITORY="octo/app", GITHUB_SHA="abc123"))
    assert result.returncode == 1 and result.stdout.startswith("::error file=bad.yml,line=6,col=7")
    text = summary.read_text()
    assert text.startswith("earlier step\n### redis-ci lint\n")  # appended, not replaced
    assert "Found 1 finding (1 fixable) in 1 file." in text
    assert ("| [RC201 unmapped-service-port](https://github.com/redis-ci/redis-ci-action/blob/main/docs/rules/RC201.md)"
            " | 1 | yes |") in text
    assert "| [`bad.yml`](https://github.com/octo/app/blob/abc123/bad.yml) | 1 |" in text
    assert "[`bad.yml:6`](https://github.com/octo/app/blob/abc123/bad.yml#L6) error" in text
    assert "clean.yml" not in text


def test_step_summary_of_a_clean_run_and_none_outside_actions(repo):
    summary = repo / "summary.md"
    lint(repo, "clean.yml", env=env(GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary)))
    assert summary.read_text() == "### redis-ci lint\n\nAll checks passed (1 file).\n\n"
    summary.unlink()
    lint(repo, "clean.yml")
    assert not summary.exists()


def test_the_readme_example_is_what_lint_prints(tmp_path):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("```text\n$ redis-ci lint --select RC201\n", 1)[1].split("```", 1)[0]
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(NO_PORTS)
    result = lint(tmp_path, "--select", "RC201")
    assert result.stdout + result.stderr == block
