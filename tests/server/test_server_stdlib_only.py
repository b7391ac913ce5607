"""The action runs `python3 -m redis_ci start/stop` from its checkout with no install: it must run
under `python3 -S` (that server/ imports only the standard library and probe/ is tests/test_layout.py's)."""

from __future__ import annotations

import sys

import redis


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
