"""The config file (`[tool.redis-ci]` in pyproject.toml, `.github/redis-ci.yml`), how it is
found, how the flags override it, and the one-line exit-2 error for every bad config."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from redis_ci.errors import UsageError
from redis_ci.lint import config as config_module
from redis_ci.lint.config import find_config_file, read_config_file
from redis_ci.lint.rules import ALL_RULES

FIXTURES = Path(__file__).parent / "fixtures"
NO_PORTS = (FIXTURES / "RC201" / "no_ports.yml").read_text()  # one RC201 error at 6:7


def lint(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "redis_ci", "lint", "--format", "json", *args],
                          cwd=cwd, capture_output=True, text=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repository with one workflow that has an RC201 error, and a nested sub folder."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(NO_PORTS)
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    return tmp_path


def severities(result: subprocess.CompletedProcess) -> list[tuple[str, str]]:
    return [(f["code"], f["severity"]) for f in json.loads(result.stdout)["findings"]]


def test_no_config_means_defaults(project):
    result = lint(project)
    assert result.returncode == 1 and ("RC201", "error") in severities(result)


def test_pyproject_table_found_from_a_sub_folder(project):
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.redis-ci]\nselect = ["RC0"]\n')
    result = lint(project / "src" / "pkg", str(project / ".github" / "workflows"))
    assert (result.returncode, severities(result)) == (0, [])


def test_pyproject_without_the_table_is_passed_over(project):
    (project / "pyproject.toml").write_text('[tool.redis-ci]\nselect = ["RC0"]\n')
    (project / "src" / "pyproject.toml").write_text('[project]\nname = "inner"  # mentions redis-ci\n')
    result = lint(project / "src", str(project / ".github" / "workflows"))
    assert (result.returncode, severities(result)) == (0, [])


def test_github_yaml_wins_over_pyproject_in_the_same_folder(project):
    (project / "pyproject.toml").write_text('[tool.redis-ci]\nignore = ["RC201"]\n')
    (project / ".github" / "redis-ci.yml").write_text("select: [RC201]\nseverity:\n  RC201: warning\n")
    assert find_config_file(str(project / "src")) == str(project / ".github" / "redis-ci.yml")
    result = lint(project)
    assert (result.returncode, severities(result)) == (1, [("RC201", "warning")])


def test_per_rule_severity_and_fail_on(project):
    (project / "pyproject.toml").write_text(
        '[tool.redis-ci]\nselect = ["RC201"]\nfail-on = "error"\nseverity = { unmapped-service-port = "warning" }\n')
    result = lint(project)
    assert (result.returncode, severities(result)) == (0, [("RC201", "warning")])
    # flags replace the config's value of the same key
    assert lint(project, "--fail-on", "warning").returncode == 1
    sarif = subprocess.run([sys.executable, "-m", "redis_ci", "lint", "--format", "sarif"], cwd=project,
                           capture_output=True, text=True)
    assert json.loads(sarif.stdout)["runs"][0]["results"][0]["level"] == "warning"


def test_select_flag_replaces_config_select(project):
    (project / ".github" / "redis-ci.yml").write_text("select: [RC0]\n")
    assert severities(lint(project)) == []
    assert severities(lint(project, "--select", "RC201")) == [("RC201", "error")]


def test_explicit_config_file(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "lint.yaml").write_text("select: [RC0, RC201]\nignore:\n  - RC201\n")
    (elsewhere / "settings.toml").write_text('select = ["RC0"]\n')
    (project / ".github" / "redis-ci.yml").write_text("select: [RC201]\nseverity: {RC201: info}\n")
    assert lint(project, "--config", str(elsewhere / "lint.yaml")).returncode == 0
    assert lint(project, "--config", str(elsewhere / "settings.toml")).returncode == 0
    assert severities(lint(project)) == [("RC201", "info")]


@pytest.mark.parametrize("name, content, message", [
    ("pyproject.toml", "[tool.redis-ci\nselect = 1\n", "invalid TOML"),
    ("pyproject.toml", '[tool.redis-ci]\nselect = "RC201"\n', "`select` must be a list"),
    ("pyproject.toml", '[tool.redis-ci]\nignore = ["RC999"]\n', "unknown rule code or name in `ignore`: RC999"),
    ("pyproject.toml", '[tool.redis-ci]\nfail_on = "error"\n', "unknown setting `fail_on`"),
    ("pyproject.toml", '[tool.redis-ci]\nseverity = { RC201 = "fatal" }\n', "`severity.RC201` must be one of"),
    ("pyproject.toml", '[tool.redis-ci]\nseverity = { RC2 = "info" }\n', "unknown rule in `severity`: RC2"),
    ("pyproject.toml", "[tool.redis-ci]\nseverity = \"error\"\n", "`severity` must map rule codes"),
    (".github/redis-ci.yml", "select: [RC201\n", "invalid YAML (line 1)"),
    (".github/redis-ci.yml", "fail-on: error\nselect: [RC201", "invalid YAML (line 2)"),
    (".github/redis-ci.yml", "- RC201\n", "the settings must be a mapping"),
    (".github/redis-ci.yml", "fail-on: never\n", "`fail-on` must be one of error, warning, info"),
    (".github/redis-ci.yml", b"select: [\xff]\n", "cannot read config"),
])
def test_bad_config_is_one_line_and_exit_2(project, name, content, message):
    path = project / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    result = lint(project / "src")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert str(path) in result.stderr and message in result.stderr, result.stderr


def test_missing_explicit_config_is_exit_2(project):
    result = lint(project, "--config", "nope.toml")
    assert result.returncode == 2 and "cannot read config nope.toml" in result.stderr


def test_explicit_pyproject_needs_the_table(project):
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n')
    result = lint(project, "--config", "pyproject.toml")
    assert result.returncode == 2 and "pyproject.toml: no [tool.redis-ci] table" in result.stderr


def test_without_a_toml_parser_the_error_names_the_way_out(project, monkeypatch):
    (project / "pyproject.toml").write_text('[tool.redis-ci]\nselect = ["RC0"]\n')
    monkeypatch.setattr(config_module, "_toml_module", lambda: None)
    with pytest.raises(UsageError, match="needs Python >= 3.11 or the `tomli` package"):
        read_config_file(str(project / "pyproject.toml"), ALL_RULES)


def test_without_a_toml_parser_a_pyproject_that_only_mentions_redis_ci_is_passed_over(project, monkeypatch):
    (project / "pyproject.toml").write_text('[project]\ndependencies = ["redis-ci>=0.1"]\n')
    monkeypatch.setattr(config_module, "_toml_module", lambda: None)
    assert find_config_file(str(project / "src")) is None
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.redis-ci.severity]\nRC201 = "info"\n')
    assert find_config_file(str(project / "src")) == str(project / "pyproject.toml")
