#!/usr/bin/env python3
"""How long each Redis setup holds a GitHub Actions job before its first step, side by side.

The health-check rows come from the runner model in FACTS.md, as coded in `redis_ci.runner_model`
(which lint's RC104 uses too): Docker runs the first probe one interval (or start-interval) after
start, the probe itself takes ~0.2 s, and the runner re-inspects at +2, +6, +14, +30 s, then every
32 s. The spread comes from the runner's +-20 % jitter on each back-off delay (simulated, seeded). The `--gate wait` row has no runner hold at all;
its cost is the wait step's own run, measured here for real: `redis-ci wait` against a
redis-server that is already up (what the action runs, minus its bash wrapper).

    python3 bench/runner_hold.py [--trials 20000] [--wait-runs 15]

Prints a Markdown table (the README's `generate` section shows it).
"""

from __future__ import annotations

import argparse
import random
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from redis_ci import recipe, runner_model
from redis_ci.lint.model import parse_duration

JITTER = 0.2  # the runner's GetExponentialBackoff varies each delay by +-20 %
# The nominal delays between the runner's inspections: 2, 4, 8, 16, then 32 s each.
_CHECKS = (0.0, *runner_model.RUNNER_CHECKS)
DELAYS = tuple(later - earlier for earlier, later in zip(_CHECKS, _CHECKS[1:]))

DOCS_RECIPE = '--health-cmd "redis-cli ping" --health-interval 10s --health-timeout 5s --health-retries 5'
HEALTH_CMD_ONLY = '--health-cmd "redis-cli ping"'
START_INTERVAL = DOCS_RECIPE + " --health-start-period 10s --health-start-interval 1s"

# (setup, health options or None, runs the wait step)
SETUPS = [
    ("GitHub docs recipe (`--health-interval 10s`)", DOCS_RECIPE, False),
    ("`--health-cmd` only (Docker's 30 s default interval)", HEALTH_CMD_ONLY, False),
    ("docs recipe + `--health-start-interval 1s` (Docker >= 25)", START_INTERVAL, False),
    ("`generate --gate health` (1 s interval)", recipe.HEALTH_OPTIONS, False),
    ("`generate --gate both`", recipe.HEALTH_OPTIONS, True),
    ("`generate --gate wait` (default: no health check)", None, True),
]


def first_probe(options: str) -> float:
    """The first health probe's time after start, from `docker create` health options."""
    words = shlex.split(options)
    values = {word: words[index + 1] for index, word in enumerate(words[:-1]) if word.startswith("--health-")}

    def seconds(flag):
        return parse_duration(values[flag]) if flag in values else None

    return runner_model.first_probe_seconds(
        seconds("--health-interval"), seconds("--health-start-period"), seconds("--health-start-interval")
    )


def jittered_hold(healthy_at: float, rng: random.Random) -> float:
    """When the runner sees the service healthy, with each back-off delay jittered."""
    seen, attempt = 0.0, 0
    while seen < healthy_at:
        delay = DELAYS[attempt] if attempt < len(DELAYS) else runner_model.RUNNER_LATER_EVERY
        seen += delay * (1 + rng.uniform(-JITTER, JITTER))
        attempt += 1
    return seen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure_wait_step(runs: int) -> list[float]:
    """Wall time of `redis-ci wait` (default checks) against a redis-server that is already up."""
    server_binary = shutil.which("redis-server")
    if server_binary is None:
        sys.exit("runner_hold.py: redis-server is needed to time the wait step (apt-get install redis-server)")
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        server = subprocess.Popen(
            [server_binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", directory],
            stdout=subprocess.DEVNULL,
        )
        try:
            command = [sys.executable, "-m", "redis_ci", "wait", "--url", f"redis://127.0.0.1:{port}/0", "--timeout", "10"]
            subprocess.run(command, check=True, capture_output=True)  # server up, caches warm
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                subprocess.run(command, check=True, capture_output=True)
                times.append(time.perf_counter() - started)
            return times
        finally:
            server.terminate()
            server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20000, help="jittered runner runs simulated per setup")
    parser.add_argument("--wait-runs", type=int, default=15, help="timed runs of the wait step")
    args = parser.parse_args()
    rng = random.Random(6379)
    wait_step = statistics.median(measure_wait_step(args.wait_runs))

    rows = []
    for name, options, waits in SETUPS:
        if options is None:
            nominal, holds = 0.0, [0.0]
        else:
            healthy_at = first_probe(options) + runner_model.PROBE_SECONDS
            nominal = runner_model.runner_sees(healthy_at)
            holds = sorted(jittered_hold(healthy_at, rng) for _ in range(args.trials))
        step = wait_step if waits else 0.0
        low, high = holds[len(holds) // 20], holds[-(len(holds) // 20) - 1]
        rows.append((name, nominal, statistics.fmean(holds), low, high, step, statistics.fmean(holds) + step))
    docs_total = rows[0][-1]

    print("| setup | runner hold, model (s) | mean with jitter (s) | 90 % range (s) | wait step (s) | total (s) | vs docs recipe |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, nominal, mean, low, high, step, total in rows:
        print(
            f"| {name} | {nominal:.1f} | {mean:.1f} | {low:.1f}-{high:.1f} | {step:.2f} | {total:.2f} | {total / docs_total:.3f} |"
        )
    print()
    print(
        f"Model: first probe one interval after start + {runner_model.PROBE_SECONDS} s probe; runner re-inspects "
        f"after {', '.join(f'{delay:g}' for delay in DELAYS)}, then every {runner_model.RUNNER_LATER_EVERY:g} s "
        f"(+-{JITTER:.0%} each), {args.trials} simulated runs per row. Wait step: median of "
        f"{args.wait_runs} runs of `redis-ci wait` on this machine against a running redis-server."
    )


if __name__ == "__main__":
    main()
