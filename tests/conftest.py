"""Shared by every test: the tools the tests run (`redis-ci`, actionlint, zizmor, act) are those
installed beside the Python that runs them (`.venv/bin/python -m pytest`: the venv's), first on PATH
for the tests and every subprocess they start."""

from __future__ import annotations

import os
import sys

# tests/dns_guard.py: with CI set, a DNS query that leaves the machine fails the session
pytest_plugins = ["dns_guard"]

_BIN = os.path.dirname(sys.executable)
if os.environ.get("PATH", "").split(os.pathsep)[0] != _BIN:
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")
