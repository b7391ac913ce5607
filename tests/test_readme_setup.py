"""The README's two set-up commands, as written: the install one runs here in a fresh venv, in a
copy of the tracked files; the test one is what CI runs (`.ci/run` runs it as written)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("<!-- section: quickstart -->"):readme.index("<!-- /section: quickstart -->")]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_the_quickstart_has_exactly_two_one_line_commands():
    commands = quickstart_commands()
    assert len(commands) == 2 and all("\n" not in command for command in commands), commands


def test_ci_runs_the_readme_test_command():
    _, test_command = quickstart_commands()
    assert test_command == "scripts/setup-tests.sh && .venv/bin/python -m pytest"
    setup = test_command.split(" && ")[0]
    assert os.access(ROOT / setup, os.X_OK)
    assert test_command + ' "$@"' in (ROOT / ".ci" / "run").read_text().splitlines()
    assert "python3 -m venv" in (ROOT / setup).read_text()


def test_the_install_command_works_in_a_fresh_venv(tmp_path):
    install, _ = quickstart_commands()
    parts = install.split(" && ")
    # The apt part brings python3-venv, which this machine has (ensurepip is what it adds).
    apt = [part for part in parts if "apt-get" in part]
    assert apt == ["sudo apt-get update", "sudo apt-get install -y python3-venv"]
    subprocess.run(["python3", "-c", "import ensurepip, venv"], check=True)
    rest = " && ".join(part for part in parts if part not in apt)
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    checkout = tmp_path / "redis-ci"
    for name in filter(None, tracked.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, checkout / name)
    # Nothing of this test's own environment may leak in: no PYTHONPATH, the system's python3.
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # pip reads what it would fetch from the wheels scripts/setup-tests.sh downloaded: no index, no
    # traffic off this machine (tests/dns_guard.py)
    wheelhouse = Path(sys.prefix) / "wheelhouse"
    assert wheelhouse.is_dir(), f"no {wheelhouse}: run scripts/setup-tests.sh (it downloads the wheels)"
    env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse))
    result = subprocess.run(["bash", "-c", rest], cwd=checkout, env=env, capture_output=True, text=True, timeout=280)
    assert result.returncode == 0, result.stdout + result.stderr
    # pip talks on stdout; lint's findings would be `path:line:col: RCxxx` lines there, its closing line ends stderr
    assert not re.search(r"^\S+:\d+:\d+: RC\d{3}", result.stdout, re.M), result.stdout
    assert result.stderr.splitlines()[-1] == "All checks passed (4 files).", result.stderr
    where = subprocess.run([str(checkout / ".venv/bin/python"), "-c", "import redis_ci; print(redis_ci.__file__)"],
                           env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(checkout / ".venv")), where


def test_the_first_screen_snippet_is_a_job_lint_and_actionlint_pass(tmp_path):
    from entry_point import redis_ci

    readme = (ROOT / "README.md").read_text()
    snippet = re.search(r"```yaml\n(.*?)```", readme, re.S).group(1)  # the first YAML block: the action
    assert "uses: redis-ci/redis-ci-action@v1" in snippet and "with:" in snippet
    (tmp_path / "ci.yml").write_text("on: push\npermissions:\n  contents: read\n" + snippet)
    result = redis_ci("lint", "--select", "ALL", "ci.yml", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, ""), result.stdout
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    actionlint = shutil.which("actionlint")
    assert actionlint, "actionlint is not installed (pip install -e '.[test]')"
    judged = subprocess.run([actionlint, "ci.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert judged.returncode == 0, judged.stdout
