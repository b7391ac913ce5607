"""The `redis-ci` console script (pip's wrapper around the entry point pyproject.toml names) and
`python3 -m redis_ci` end the same way: same exit code, same flushed output, no interpreter
teardown (os._exit); and `wait` loads neither PyYAML nor the linter nor the generator."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from redis_servers import RedisServers, free_port

ROOT = Path(__file__).resolve().parents[1]
# What pip writes for a console script (setuptools/pip's wrapper template).
CONSOLE_SCRIPT = """#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from {module} import {function}
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit({function}())
"""
# Runs before the command; an atexit hook that prints shows whether the teardown ran.
TEARDOWN_WITNESS = "import atexit, sys; atexit.register(lambda: sys.stderr.write('TEARDOWN RAN\\n'))"


def console_script(tmp_path) -> Path:
    entry = re.search(r'^redis-ci = "([\w.]+):(\w+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    path = tmp_path / "redis-ci"
    path.write_text(CONSOLE_SCRIPT.format(python=sys.executable, module=entry.group(1), function=entry.group(2)))
    path.chmod(0o755)
    return path


def environment() -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GITHUB_", "REDIS"))}
    env["PYTHONPATH"] = str(ROOT / "src")
    return env


def entry_points(tmp_path) -> dict:
    """name -> the command line before the arguments, each with the teardown witness loaded
    (through sitecustomize-free `-c` for -m, and a wrapper that imports it for the script)."""
    script = console_script(tmp_path)
    witness_script = tmp_path / "redis-ci-witnessed"
    witness_script.write_text(script.read_text().replace("import re\n", TEARDOWN_WITNESS + "\nimport re\n", 1))
    return {
        "python -m redis_ci": [sys.executable, "-c", TEARDOWN_WITNESS + "; import runpy; "
                               "runpy.run_module('redis_ci', run_name='__main__', alter_sys=True)"],
        "console script": [sys.executable, str(witness_script)],
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    servers = RedisServers(tmp_path_factory.mktemp("redis"))
    yield servers.start()
    servers.close()


def run(command: list, *args: str) -> subprocess.CompletedProcess:
    # stdout is a pipe (block-buffered): output that is not flushed before os._exit is lost
    return subprocess.run([*command, *args], capture_output=True, text=True, env=environment(), timeout=60)


@pytest.mark.parametrize("case", ["ready", "not ready", "usage"])
def test_both_entry_points_same_exit_code_flushed_output_no_teardown(case, server, tmp_path):
    args = {
        "ready": ("wait", "--url", f"redis://127.0.0.1:{server.port}/0", "--format", "json"),
        "not ready": ("wait", "--url", f"redis://127.0.0.1:{free_port()}/0", "--timeout", "0.3", "--format", "json"),
        "usage": ("wait", "--checks", "bogus"),
    }[case]
    results = {name: run(command, *args) for name, command in entry_points(tmp_path).items()}
    codes = {name: result.returncode for name, result in results.items()}
    assert set(codes.values()) == {{"ready": 0, "not ready": 1, "usage": 2}[case]}, results
    for name, result in results.items():
        assert "TEARDOWN RAN" not in result.stderr, (name, result)  # ended with os._exit
        if case == "usage":
            assert result.stdout == "" and result.stderr.count("\n") == 1, (name, result)
        else:
            report = json.loads(result.stdout)  # all of it arrived: flushed before os._exit
            assert report["ready"] is (case == "ready"), (name, report)


def test_in_process_main_returns_the_code():
    from redis_ci.cli import main

    assert main(["wait", "--url", f"redis://127.0.0.1:{free_port()}/0", "--timeout", "0.05"]) == 1


MODULES_AFTER_WAIT = """
import sys
from redis_ci.cli import run_command
code = run_command(sys.argv[1:])
sys.stderr.write("MODULES " + " ".join(sorted(sys.modules)) + "\\n")
"""


def test_wait_imports_neither_yaml_nor_lint_nor_generate(server):
    # sys.modules, not -X importtime: importlib.import_module (how cli loads a command) is not timed
    result = subprocess.run([sys.executable, "-c", MODULES_AFTER_WAIT, "wait", "--url", f"redis://127.0.0.1:{server.port}/0",
                             "--checks", "ping,pubsub,rw,info"],
                            capture_output=True, text=True, env=environment(), timeout=60)
    assert result.returncode == 0, result
    modules = result.stderr.rpartition("MODULES ")[2].split()
    assert "redis_ci.probe.command" in modules and "redis_ci.probe.poll" in modules  # the listing is real
    loaded = [name for name in modules
              if name.split(".")[0] in ("yaml", "_yaml") or name.startswith(("redis_ci.lint", "redis_ci.generate"))]
    assert loaded == [], loaded
