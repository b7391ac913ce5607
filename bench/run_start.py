"""Time from `redis-ci run` to the command's first line, beside the usual ways, in one run.

Run by hand (not a test):  python3 bench/run_start.py [--runs 10] [--image redis:7-alpine]

Every case is a fresh process timed from its launch to the first line its command prints
(the command runs only once Redis serves), median of --runs (cluster, Docker and pytest cases: a
third of them, at least 3), the cases interleaved run by run, all on 127.0.0.1 ports nobody
else uses:
  - redis-ci run --native [--topology cluster] -- echo ready   (also with `python3 -S`: a bare
    interpreter without site hooks, as the action runs it), beside the floor: a bare
    `python3 -S -c "print('ready')"`, which no Python tool can beat on the same machine
  - redis-ci run --docker IMAGE [--topology cluster] -- echo ready
  - docker run -d -p ... IMAGE + `until redis-cli ping | grep -q PONG; do sleep 0.1; done`
  - redis-server & + the same loop (what a Makefile does)
  - pytest-redis: pytest with its `redis_proc` fixture, against pytest with this project's plugin
    (`-p redis_ci.pytest_plugin`, `redis_url`) and pytest with no Redis at all; first line = the
    test body's print. pytest-redis is imported from the environment or PYTEST_REDIS_SITE.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from redis_servers import free_port  # noqa: E402

PYTEST_REDIS_SITE = os.environ.get("PYTEST_REDIS_SITE", "/tmp/server-bench-site")
PING_LOOP = 'until redis-cli -p "$1" ping 2>/dev/null | grep -q PONG; do sleep 0.1; done; echo ready'


def base_env(state: str) -> dict:
    """This machine sets PYTHONDONTWRITEBYTECODE=1, which makes every run compile every module
    again (~2/3 of redis-ci's CPU time here); an installed package or a checkout that ran once
    has its bytecode cached, so the bench lets Python write it (a warm-up run comes first)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("REDIS", "GITHUB_", "PYTEST_")) and key != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPATH=str(ROOT / "src"), REDIS_CI_STATE_DIR=state)
    return env


def first_line_seconds(command: list, env: dict, cwd: str | None = None, marker: str = "ready") -> float:
    """Launch command; seconds until a stdout line containing marker; then let it finish."""
    begun = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    seen = None
    for line in process.stdout:
        if marker in line:
            seen = time.perf_counter() - begun
            break
    process.stdout.read()
    _, err = process.communicate(timeout=120)
    if seen is None or process.returncode != 0:
        raise RuntimeError(f"{command[:6]} failed ({process.returncode}): {err[-500:]}")
    return seen


def docker_loop(image: str, env: dict) -> float:
    port = free_port()
    name = f"redis-ci-bench-{os.getpid()}-{port}"
    script = f'docker run -d --rm --name {name} -p 127.0.0.1:"$1":6379 {image} >/dev/null && ' + PING_LOOP
    try:
        return first_line_seconds(["sh", "-c", script, "sh", str(port)], env)
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def native_loop(env: dict, directory: str) -> float:
    port = free_port()
    script = (f'redis-server --port "$1" --save "" --dir {directory} --daemonize yes '
              f'--pidfile {directory}/bench-$1.pid >/dev/null && ' + PING_LOOP)
    try:
        return first_line_seconds(["sh", "-c", script, "sh", str(port)], env)
    finally:
        pidfile = Path(directory, f"bench-{port}.pid")
        if pidfile.exists():
            subprocess.run(["kill", pidfile.read_text().strip()])


PYTEST_REDIS_TEST = "def test_it(redis_proc):\n    print('ready', flush=True)\n"
REDIS_CI_TEST = "def test_it(redis_url):\n    print('ready', flush=True)\n"
NO_REDIS_TEST = "def test_it():\n    print('ready', flush=True)\n"


def pytest_case(directory: str, test: str, env: dict, *options) -> float:
    folder = Path(tempfile.mkdtemp(dir=directory))
    (folder / "test_bench.py").write_text(test)
    (folder / "pytest.ini").write_text("[pytest]\n")
    command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", *options, str(folder)]
    return first_line_seconds(command, env, cwd=str(folder))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def summary(samples: list, cpu: list) -> str:
    """Median wall time to the first line, and the median CPU time of the processes waited for
    (the case's own: Docker's daemon is not counted)."""
    return (f"{statistics.median(samples) * 1000:8.0f} ms  cpu {statistics.median(cpu) * 1000:6.0f} ms  "
            f"(min {min(samples) * 1000:.0f}, max {max(samples) * 1000:.0f}, n={len(samples)})")


def run_interleaved(cases: list) -> None:
    """Round robin: run i of every case, then run i + 1, so a load spike on this shared machine
    falls on all cases alike rather than on whichever ran during it."""
    results = {name: ([], []) for name, _, _ in cases}
    failed = {}
    for index in range(max(runs for _, _, runs in cases)):
        for name, function, runs in cases:
            if index >= runs or name in failed:
                continue
            before = cpu_seconds()
            try:
                results[name][0].append(function())
            except Exception as exc:  # noqa: BLE001 - one case failing should not hide the others
                failed[name] = exc
                continue
            results[name][1].append(cpu_seconds() - before)
    for name, _, _ in cases:
        line = f"failed: {failed[name]}" if name in failed else summary(*results[name])
        print(f"{name:58} {line}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--image", default="redis:7-alpine")
    args = parser.parse_args()
    slow_runs = max(3, args.runs // 3)
    directory = tempfile.mkdtemp(prefix="redis-ci-bench-")
    env = base_env(os.path.join(directory, "state"))
    redis_ci = [sys.executable, "-m", "redis_ci", "run"]
    bare = [sys.executable, "-S", "-m", "redis_ci", "run"]
    echo = ["--", "echo", "ready"]
    have_docker = shutil.which("docker") and subprocess.run(["docker", "info"], capture_output=True).returncode == 0
    cases = [
        ("floor: python3 -S -c print (no Redis at all)",
         lambda: first_line_seconds([sys.executable, "-S", "-c", "print('ready')"], env), args.runs),
        ("redis-ci run --native (single)", lambda: first_line_seconds(redis_ci + ["--native"] + echo, env), args.runs),
        ("redis-ci run --native, python3 -S", lambda: first_line_seconds(bare + ["--native"] + echo, env), args.runs),
        ("redis-server & + until redis-cli ping (0.1 s)", lambda: native_loop(env, directory), args.runs),
        ("redis-ci run --native --topology cluster",
         lambda: first_line_seconds(redis_ci + ["--native", "--topology", "cluster"] + echo, env), slow_runs),
    ]
    if have_docker:
        cases += [
            (f"redis-ci run --docker {args.image}",
             lambda: first_line_seconds(redis_ci + ["--docker", args.image] + echo, env), slow_runs),
            (f"docker run {args.image} + until redis-cli ping (0.1 s)", lambda: docker_loop(args.image, env), slow_runs),
            (f"redis-ci run --docker {args.image} --topology cluster",
             lambda: first_line_seconds(redis_ci + ["--docker", args.image, "--topology", "cluster"] + echo, env),
             slow_runs),
        ]
    pytest_env = dict(env, PYTHONPATH=f"{env['PYTHONPATH']}:{PYTEST_REDIS_SITE}")
    cases += [
        ("pytest, no Redis (pytest's own start-up)", lambda: pytest_case(directory, NO_REDIS_TEST, env), slow_runs),
        ("pytest -p redis_ci.pytest_plugin (redis_url)",
         lambda: pytest_case(directory, REDIS_CI_TEST, env, "-p", "redis_ci.pytest_plugin"), slow_runs),
        ("pytest with pytest-redis (redis_proc; entry point)",
         lambda: pytest_case(directory, PYTEST_REDIS_TEST, pytest_env), slow_runs),
    ]
    first_line_seconds(redis_ci + ["--native"] + echo, env)  # warm-up: bytecode written
    print(f"time from launch to the command's first line, on {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    try:
        run_interleaved(cases)
    finally:
        subprocess.run([sys.executable, "-m", "redis_ci", "stop", "--all"], env=env, capture_output=True)
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
