"""The action runs the probe with the runner's bare python3 and no install step: redis_ci/cli.py and
__main__.py import nothing but the standard library and redis_ci, and `python3 -S` runs the probe."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
# probe/ itself, errors.py, recipe.py and __init__.py: tests/test_layout.py. Here the entry points the
# action runs, which also reach lint/ and generate/ lazily: no third-party import even there.
PROBE_MODULES = [SRC / "redis_ci" / name for name in ("cli.py", "__main__.py")]


def is_stdlib(name: str) -> bool:
    if hasattr(sys, "stdlib_module_names"):  # Python >= 3.10
        return name in sys.stdlib_module_names
    origin = importlib.util.find_spec(name).origin or ""
    stdlib = sysconfig.get_paths()["stdlib"]
    return origin in ("built-in", "frozen") or (origin.startswith(stdlib) and "site-packages" not in origin)


@pytest.mark.parametrize("path", PROBE_MODULES, ids=lambda path: path.name)
def test_imports_only_stdlib_and_redis_ci(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            assert top == "redis_ci" or is_stdlib(top), f"{path.name}:{node.lineno} imports {name}"


def test_runs_without_site_packages(plain_server, tls_server, tls_files):
    """`python3 -S` with PYTHONPATH=src, as the action runs it: no site-packages at all."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GITHUB_", "REDIS"))}
    env["PYTHONPATH"] = str(SRC)
    for args in (
        ["--url", plain_server.url, "--checks", "ping,pubsub,rw,info", "--min-version", "6.0", "--format", "json"],
        ["--url", f"rediss://127.0.0.1:{tls_server.port}", "--tls-ca-cert", tls_files.ca_cert],
    ):
        result = subprocess.run([sys.executable, "-S", "-m", "redis_ci", "wait", *args],
                                capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 0, result
