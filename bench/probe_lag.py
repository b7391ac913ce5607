"""Detection lag and start-up cost of `redis-ci wait`, beside the common alternatives.

Run by hand (not a test):  python3 bench/probe_lag.py [--runs 20]

Detection lag: start a waiter, start `redis-server` 300 ms later, and in the same
harness find the first moment a raw PING gets +PONG (polled every ~0.5 ms); the
lag is the waiter's exit minus that moment. Waiters:
  - redis-ci wait (run as the action runs it: PYTHONPATH=src python3 -m redis_ci wait)
  - redis-ci wait through the `redis-ci` console script (pip's wrapper around the entry point
    pyproject.toml names: what `pip install` gives users), and the same wrapper around a
    plain `sys.exit(code)` ending (the interpreter's teardown runs: how it ended before)
  - until redis-cli ping | grep -q PONG; do sleep 1; done   (the common shell loop)
  - a redis-py loop: PING every 100 ms until it answers
  - the action's Node probe (node scripts/action/probe.js wait), for jobs without python3
Then the wall time of `redis-ci wait` against a running server beside `python3 -c pass`, with
and without `-S` (no site hooks: what a bare runner python costs; PYTHONPATH still applies).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the shared redis-server helper

from redis_servers import RedisServers  # noqa: E402

START_DELAY = 0.3
PROBE_ENV = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
for variable in ("REDIS_URL", "REDISCLI_AUTH", "GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
    PROBE_ENV.pop(variable, None)

# pip's console-script wrapper (the template pip and setuptools write).
CONSOLE_SCRIPT = """#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from {module} import {function}
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit({function}({arguments}))
"""
SCRIPTS = Path(tempfile.mkdtemp(prefix="redis-ci-bench-"))


def write_console_scripts() -> None:
    entry = re.search(r'^redis-ci = "([\w.]+):(\w+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    (SCRIPTS / "redis-ci").write_text(CONSOLE_SCRIPT.format(
        python=sys.executable, module=entry.group(1), function=entry.group(2), arguments=""))
    (SCRIPTS / "redis-ci-teardown").write_text(CONSOLE_SCRIPT.format(
        python=sys.executable, module="redis_ci.cli", function="run_command", arguments="sys.argv[1:]"))


def probe_args(port: int) -> list:
    return ["wait", "--url", f"redis://127.0.0.1:{port}/0", "--timeout", "30"]


REDIS_PY_LOOP = """
import sys, time, redis
client = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]), socket_connect_timeout=1)
while True:
    try:
        if client.ping():
            break
    except redis.exceptions.ConnectionError:
        pass
    time.sleep(0.1)
"""


def waiters(port: int) -> dict:
    return {
        "redis-ci wait": [sys.executable, "-m", "redis_ci", *probe_args(port)],
        "redis-ci wait (python3 -S)": [sys.executable, "-S", "-m", "redis_ci", *probe_args(port)],
        "console script": [sys.executable, str(SCRIPTS / "redis-ci"), *probe_args(port)],
        "console script, teardown": [sys.executable, str(SCRIPTS / "redis-ci-teardown"), *probe_args(port)],
        "redis-cli loop (1 s)": ["bash", "-c", f"until redis-cli -h 127.0.0.1 -p {port} ping 2>/dev/null "
                                               f"| grep -q PONG; do sleep 1; done"],
        "redis-py loop (100 ms)": [sys.executable, "-c", REDIS_PY_LOOP, str(port)],
        **node_probe_waiters(port),
    }


NODE_PROBE = ROOT / "scripts" / "action" / "probe.js"


def node_probe_waiters(port: int) -> dict:
    """The action's Node probe (what runs in job images without python3), beside the Python one."""
    node = shutil.which("node")
    return {"node probe.js (action)": [node, str(NODE_PROBE), *probe_args(port)]} if node else {}


def node_probe_walls(port: int) -> dict:
    node = shutil.which("node")
    if not node:
        return {}
    return {"node -e ''": [node, "-e", ""], "node probe.js (server up)": [node, str(NODE_PROBE), *probe_args(port)]}


def raw_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.05) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def one_lag(name: str, servers: RedisServers) -> float:
    """Seconds between the first PONG the harness sees and the waiter's exit."""
    server = servers.new()
    waiter = subprocess.Popen(waiters(server.port)[name], env=PROBE_ENV,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    exited = {}
    watcher = threading.Thread(target=lambda: exited.setdefault("at", (waiter.wait(), time.monotonic())[1]))
    watcher.start()
    server.start_later(START_DELAY)
    deadline = time.monotonic() + 30
    while not raw_ping(server.port):
        if time.monotonic() > deadline:
            raise RuntimeError("redis-server did not answer")
        time.sleep(0.0005)
    first_pong = time.monotonic()
    watcher.join(30)
    server.stop()
    if waiter.returncode != 0:
        raise RuntimeError(f"{name} exited {waiter.returncode}")
    return exited["at"] - first_pong


def wall_times(command: list, runs: int) -> list:
    times = []
    for _ in range(runs):
        started = time.monotonic()
        subprocess.run(command, env=PROBE_ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.monotonic() - started)
    return times


def p95(values: list) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    write_console_scripts()
    with tempfile.TemporaryDirectory() as directory:
        servers = RedisServers(Path(directory))
        try:
            lags = {name: [] for name in waiters(0)}
            for _ in range(runs):  # interleaved, so machine noise hits every waiter alike
                for name in lags:
                    lags[name].append(one_lag(name, servers))
            running = servers.start()
            walls = {
                "python3 -c pass": wall_times([sys.executable, "-c", "pass"], runs),
                "redis-ci wait (server up)": wall_times([sys.executable, "-m", "redis_ci", *probe_args(running.port)], runs),
                "python3 -S -c pass": wall_times([sys.executable, "-S", "-c", "pass"], runs),
                "redis-ci console script": wall_times(
                    [sys.executable, str(SCRIPTS / "redis-ci"), *probe_args(running.port)], runs),
                "redis-ci wait, python3 -S": wall_times(
                    [sys.executable, "-S", "-m", "redis_ci", *probe_args(running.port)], runs
                ),
                "redis-cli ping (server up)": wall_times(["redis-cli", "-p", str(running.port), "ping"], runs),
                **{name: wall_times(command, runs) for name, command in node_probe_walls(running.port).items()},
            }
        finally:
            servers.close()
            shutil.rmtree(SCRIPTS, ignore_errors=True)

    ours = statistics.median(lags["redis-ci wait"])
    print(f"Detection lag, redis-server started {START_DELAY * 1000:.0f} ms after the waiter, {runs} runs "
          f"({os.cpu_count()} CPUs, Python {sys.version.split()[0]})")
    print(f"{'waiter':<28}{'median ms':>11}{'p95 ms':>10}{'median vs redis-ci':>20}")
    for name, values in lags.items():
        median = statistics.median(values)
        print(f"{name:<28}{median * 1000:>11.1f}{p95(values) * 1000:>10.1f}{median / ours:>19.1f}x")
    base = statistics.median(walls["python3 -c pass"])
    print(f"\nWall time of one run, {runs} runs")
    print(f"{'command':<28}{'median ms':>11}{'p95 ms':>10}{'vs python3 -c pass':>20}")
    for name, values in walls.items():
        median = statistics.median(values)
        print(f"{name:<28}{median * 1000:>11.1f}{p95(values) * 1000:>10.1f}{median / base:>19.2f}x")


if __name__ == "__main__":
    main()
