"""The action runs `python3 -m redis_ci start/stop` from its checkout with no install: nothing in
redis_ci/server/ may import anything but the standard library, and it must run under `python3 -S`."""

from __future__ import annotations

import ast
import sys

import pytest
import redis
from server_helpers import SRC

SERVER_MODULES = sorted((SRC / "redis_ci" / "server").glob("*.py"))


@pytest.mark.parametrize("path", SERVER_MODULES, ids=lambda path: path.name)
def test_imports_only_stdlib_and_redis_ci(path):
    assert path.read_text().count("\n") < 420, f"{path.name} is over ~400 lines"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            assert top == "redis_ci" or top in sys.stdlib_module_names, f"{path.name}:{node.lineno} imports {name}"
            assert not name.startswith(("redis_ci.lint", "redis_ci.generate")), f"{path.name} imports {name}"


def test_start_and_stop_without_site_packages(env):
    import json
    import subprocess

    done = subprocess.run([sys.executable, "-S", "-m", "redis_ci", "start", "--native", "--format", "json"],
                          capture_output=True, text=True, env=env.vars, timeout=60)
    assert done.returncode == 0, done.stderr
    view = json.loads(done.stdout)
    assert redis.from_url(view["url"]).ping()
    stopped = subprocess.run([sys.executable, "-S", "-m", "redis_ci", "stop", view["id"]], capture_output=True,
                             text=True, env=env.vars, timeout=60)
    assert stopped.returncode == 0, stopped.stderr
    assert env.leftovers() == {}
