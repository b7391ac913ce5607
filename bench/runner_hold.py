#!/usr/bin/env python3
"""How long each Redis setup holds a GitHub Actions job before its first test step, measured.

Each setup's job is replayed on the real Docker daemon the way the runner starts it
(`redis_ci.runner.replay`: the runner's `docker create` strings, split with the .NET rules, and
its health wait with its own back-off, jitter drawn from a seeded RNG), then its wait step runs
where a runner job's steps run (`redis-ci wait` on the host, against the mapped port). Side by
side, in one run:

- hold: from the containers started to the first test step: the runner's health wait, plus the
  wait step's own run where the setup has one. Creating and starting the containers costs the
  same in every row and is shown apart (`start`);
- the model (`redis_ci.runner.hold`, which lint's RC104 uses): nominal hold and its full range.

    python3 bench/runner_hold.py [--runs 3] [--seed 6379] [--all] [--svg docs/hold-time.svg]

Needs Docker and the local images of tests/e2e/setup.sh (redis:7-alpine, redis:8.2, ...).
Prints a Markdown table and writes the README's bar chart (hand-written SVG, no dependencies).
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

from redis_ci.generate.render import render
from redis_ci.generate.setup import Setup
from redis_ci.runner import hold
from redis_ci.runner.arguments import split_arguments
from redis_ci.runner.job import runner_jobs
from redis_ci.runner.replay import JobReplay, ReplayError

ROOT = Path(__file__).resolve().parents[1]
# The docs recipe's untagged `redis` (latest) has no local stand-in here: its tag is taken instead.
LOCAL_IMAGES = {"redis": "redis:8"}
DOCS_OPTIONS = '--health-cmd "redis-cli ping" --health-interval 10s --health-timeout 5s --health-retries 5'


def docs_recipe_job() -> dict:
    """GitHub's documented Redis service (docs.github.com, "Creating Redis service containers")."""
    return {"services": {"redis": {"image": "redis", "options": DOCS_OPTIONS, "ports": ["6379:6379"]}}}


def generated_job(gate: str) -> dict:
    setup = Setup.checked(gate=gate)
    job = yaml.safe_load(render(setup, "job"))[setup.job_name]
    return runner_jobs(job)[0][1]


# (row, job, runs the wait step, in the chart)
SETUPS = [
    ("GitHub docs recipe (`--health-interval 10s`)", docs_recipe_job, False, True),
    ("`generate --gate health` (1 s interval)", lambda: generated_job("health"), False, True),
    ("`generate --gate both`", lambda: generated_job("both"), True, False),
    ("`generate --gate wait` (default: no health check)", lambda: generated_job("wait"), True, True),
]
HEALTH_CMD_ONLY = ("`--health-cmd` only (Docker's 30 s default interval)",
                   lambda: {"services": {"redis": {"image": "redis", "options": '--health-cmd "redis-cli ping"',
                                                   "ports": ["6379:6379"]}}}, False, False)


def free_port(_requested: str) -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def health_options(job: dict) -> dict[str, float | None]:
    """The `--health-*` durations of the job's Redis service, split as the runner splits them."""
    words = split_arguments(str(job["services"]["redis"].get("options") or ""))
    values = dict(zip(words, words[1:]))

    def seconds(flag: str) -> float | None:
        return hold.docker_duration(values[flag]) if flag in values else None

    return {"interval": seconds("--health-interval"), "start_period": seconds("--health-start-period"),
            "start_interval": seconds("--health-start-interval")}


def one_run(job: dict, waits: bool, rng: random.Random) -> tuple[float, float, float]:
    """(start, runner health wait, wait step) seconds for one replay of `job`."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    with JobReplay(job, rng=rng, host_ports=free_port, images=LOCAL_IMAGES, prefix="rcrunner-bench") as replay:
        start = replay.containers_started_at - replay.started_at
        health = replay.ready_at - replay.containers_started_at
        step = 0.0
        if waits:
            port = replay.services["redis"].ports["6379"]
            began = time.monotonic()
            subprocess.run([sys.executable, "-m", "redis_ci", "wait", "--url", f"redis://127.0.0.1:{port}/0",
                            "--timeout", "30"], check=True, capture_output=True, env=env)
            step = time.monotonic() - began
    return start, health, step


def svg_chart(bars: list[tuple[str, float]], path: Path) -> None:
    """A horizontal bar chart of hold seconds, hand-written SVG."""
    width, left, bar_height, gap, top = 640, 250, 26, 14, 44
    longest = max(seconds for _, seconds in bars) or 1.0
    scale = (width - left - 70) / longest
    height = top + len(bars) * (bar_height + gap) + 22
    rows = []
    for index, (label, seconds) in enumerate(bars):
        y = top + index * (bar_height + gap)
        colour = "#9aa5b1" if index == 0 else "#d6336c"
        length = max(seconds * scale, 2.0)
        rows.append(
            f'  <text x="{left - 10}" y="{y + bar_height * 0.68:.1f}" text-anchor="end">{label}</text>\n'
            f'  <rect x="{left}" y="{y}" width="{length:.1f}" height="{bar_height}" rx="3" fill="{colour}"/>\n'
            f'  <text x="{left + length + 8:.1f}" y="{y + bar_height * 0.68:.1f}">{seconds:.1f} s</text>'
        )
    text = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="14" fill="#1f2328">\n'
        '  <title>Job hold before the first test step: GitHub docs recipe vs redis-ci</title>\n'
        f'  <text x="16" y="24" font-weight="600">Job held before the first test step (measured, real Docker)</text>\n'
        + "\n".join(rows)
        + f'\n  <text x="16" y="{height - 6}" font-size="11" fill="#57606a">'
        "runner back-off replayed (bench/runner_hold.py); container start, same for all, left out</text>\n</svg>\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".svg.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="replays per setup (default 3)")
    parser.add_argument("--seed", type=int, default=6379, help="seed of the runner's back-off jitter")
    parser.add_argument("--all", action="store_true", help="also `--health-cmd` alone (30-62 s a run)")
    parser.add_argument("--svg", default=str(ROOT / "docs" / "hold-time.svg"), help="chart to write ('' for none)")
    args = parser.parse_args()
    if args.runs < 1 or args.runs > 50:
        sys.exit("runner_hold.py: --runs must be 1-50")
    rng = random.Random(args.seed)
    setups = SETUPS + ([HEALTH_CMD_ONLY] if args.all else [])
    rows = []
    for name, make_job, waits, charted in setups:
        job = make_job()
        model = hold.runner_hold(**health_options(job)) if job["services"]["redis"].get("options") else 0.0
        low, high = hold.runner_hold_range(**health_options(job)) if model else (0.0, 0.0)
        try:
            runs = [one_run(job, waits, rng) for _ in range(args.runs)]
        except (ReplayError, OSError, subprocess.SubprocessError) as exc:
            sys.exit(f"runner_hold.py: {name}: {exc} (is Docker up, with the images of tests/e2e/setup.sh?)")
        start = statistics.median(r[0] for r in runs)
        health = statistics.median(r[1] for r in runs)
        step = statistics.median(r[2] for r in runs)
        holds = [r[1] + r[2] for r in runs]
        rows.append((name, model, low, high, start, health, step, statistics.median(holds), min(holds), max(holds), charted))
    docs = rows[0][7]
    docs_with_start = rows[0][4] + rows[0][7]
    print("| setup | model hold (s) | model range (s) | runner health wait (s) | wait step (s) "
          "| hold before first test step (s) | min-max (s) | docs recipe / this | start (s) | start + hold, docs / this |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, model, low, high, start, health, step, median, least, most, _ in rows:
        print(f"| {name} | {model:.1f} | {low:.1f}-{high:.1f} | {health:.2f} | {step:.2f} "
              f"| {median:.2f} | {least:.2f}-{most:.2f} | {docs / median:.0f}x | {start:.2f} "
              f"| {docs_with_start / (start + median):.1f}x |")
    print()
    print(f"Medians of {args.runs} replays per setup on real Docker (`{' '.join(sys.argv)}`), back-off jitter "
          f"seeded {args.seed}; images: the local stand-ins of tests/e2e/setup.sh. Hold = the runner's health wait "
          "+ the wait step; start = network, create and start of the containers, the same in every row.")
    if args.svg:
        bars = [(name.split(" (")[0].replace("`", ""), median) for name, *rest in rows
                for median, charted in [(rest[6], rest[-1])] if charted]
        svg_chart(bars, Path(args.svg))
        print(f"Chart: {args.svg}")


if __name__ == "__main__":
    main()
