"""action.yml and its script, judged by the real linters and held to recipe.py (no Docker needed)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from redis_ci import recipe

from .actrun import ROOT

ACTION = ROOT / "action.yml"
ACTION_SCRIPT = ROOT / "scripts" / "action" / "redis-ci-action.sh"
E2E_WORKFLOWS = sorted((ROOT / "tests" / "e2e" / "workflows").glob("*.yml"))


@pytest.fixture(scope="module")
def action() -> dict:
    return yaml.safe_load(ACTION.read_text())


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (pip install -e '.[test]'; shellcheck: tests/e2e/setup.sh)")
    return path


def test_metadata_is_what_the_marketplace_needs(action):
    assert action["name"] and action["description"] and action["author"]
    assert set(action["branding"]) == {"icon", "color"}
    assert action["runs"]["using"] == "composite"
    assert set(action["outputs"]) == {"ready", "redis-version", "elapsed-ms", "url", "port"}
    assert set(action["inputs"]) == {
        "url", "password", "timeout", "checks", "overcommit", "service-id", "start", "image", "version", "args",
        "topology", "tls-dir",
    }


def test_defaults_follow_the_recipe(action):
    inputs = action["inputs"]
    assert inputs["timeout"]["default"] == str(recipe.WAIT_TIMEOUT_SECONDS)
    assert inputs["checks"]["default"] == ",".join(recipe.WAIT_CHECKS)
    redis = f"{recipe.IMAGE_REPOSITORY['redis']}:{recipe.STABLE_VERSION['redis']}"
    assert inputs["image"]["default"] == redis


def test_steps_use_bash_and_take_inputs_only_through_env(action):
    for step in action["runs"]["steps"]:
        assert step["shell"] == "bash"
        assert "${{" not in step["run"]
    env_values = [value for step in action["runs"]["steps"] for value in step.get("env", {}).values()]
    for name in action["inputs"]:
        assert f"${{{{ inputs.{name} }}}}" in env_values, name


def test_zizmor_finds_nothing():
    """The action passes even the pedantic persona; the test workflows every medium+ audit."""
    for options, paths in ((["--persona", "pedantic"], [ACTION]), (["--min-severity", "medium"], E2E_WORKFLOWS)):
        proc = subprocess.run([tool("zizmor"), "--offline", *options, *map(str, paths)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_would_catch_an_input_pasted_into_run(tmp_path):
    """The check above can fail: `${{ inputs.url }}` inside `run:` is template injection."""
    broken = tmp_path / "action.yml"
    broken.write_text(ACTION.read_text().replace(
        'run: bash "$GITHUB_ACTION_PATH/scripts/action/redis-ci-action.sh"',
        'run: bash "$GITHUB_ACTION_PATH/scripts/action/redis-ci-action.sh" "${{ inputs.url }}"',
    ))
    proc = subprocess.run([tool("zizmor"), "--offline", str(broken)], capture_output=True, text=True)
    assert proc.returncode != 0 and "template-injection" in proc.stdout


def test_schemas_accept_action_and_workflows():
    check = tool("check-jsonschema")
    for schema, paths in (("vendor.github-actions", [ACTION]), ("vendor.github-workflows", E2E_WORKFLOWS)):
        proc = subprocess.run([check, "--builtin-schema", schema, *map(str, paths)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_checks_the_workflows_against_the_action(tmp_path):
    """actionlint reads action.yml for `uses: ./` and flags unknown or missing inputs."""
    shutil.copy(ACTION, tmp_path / "action.yml")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for workflow in E2E_WORKFLOWS:
        shutil.copy(workflow, workflows / workflow.name)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    proc = subprocess.run([tool("actionlint"), "-no-color"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_catches_a_misspelt_input(tmp_path):
    """The check above can fail: a wrong input name is reported."""
    shutil.copy(ACTION, tmp_path / "action.yml")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    text = (ROOT / "tests" / "e2e" / "workflows" / "runner-service.yml").read_text()
    (workflows / "w.yml").write_text(text.replace("timeout: ", "time-out: "))
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    proc = subprocess.run([tool("actionlint"), "-no-color"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 1 and "time-out" in proc.stdout


def test_shell_scripts_pass_shellcheck():
    scripts = [*sorted(ACTION_SCRIPT.parent.glob("*.sh")), ROOT / "tests" / "e2e" / "setup.sh"]
    # -x: follow what the action script sources (its `source-path` directive says where).
    proc = subprocess.run([tool("shellcheck"), "-x", *map(str, scripts)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_action_script_is_in_place(action):
    assert Path(ACTION_SCRIPT).is_file()
    assert "scripts/action/redis-ci-action.sh" in action["runs"]["steps"][-1]["run"]


def test_readme_documents_every_input_and_output(action):
    """The README's tables under "The action" name each input and output of action.yml, no more."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("<!-- section: action -->"):readme.index("<!-- /section: action -->")]
    rows = re.findall(r"^\| `([a-z-]+)` \|", section, re.MULTILINE)
    assert sorted(rows) == sorted([*action["inputs"], *action["outputs"]])
