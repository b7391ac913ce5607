"""Benchmark: where one `redis-ci lint` run's wall time goes around the pool (lint/pool.py).

    python3 bench/pool_timeline.py [--repeat 3] [lint arguments ...]   (run in the corpus's folder)

Runs the command in this process (as `redis_ci.cli.run_command`, output discarded) and prints,
per run, wall and parent CPU from the start of the command to: the first fork, the end of
triage, the end of the pool (workers reaped), the end of the command; the time the parent spent
waiting for the workers' last chunks; the workers' CPU (reaped children). Only the pool's
methods are wrapped, to time them; nothing else changes. The first run imports the engine and
rules (a cold start's share); later ones find them imported. Give --no-cache (a cache would be
warm from the second run on).
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import time

from redis_ci.cli import run_command
from redis_ci.lint import pool


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args, lint_arguments = parser.parse_known_args()
    marks: list = []
    waited = [0.0]

    def mark(name: str) -> None:
        marks.append((name, time.perf_counter(), time.thread_time()))

    def wrapped(method, before: str | None, after: str | None):
        def call(self, *arguments):
            if before:
                mark(before)
            result = method(self, *arguments)
            if after:
                mark(after)
            return result
        return call

    real_look = pool.ForkPool._look

    def look(self, timeout: float) -> None:
        started = time.perf_counter()
        real_look(self, timeout)
        if timeout:  # the parent has nothing left of its own: it waits for the workers' chunks
            waited[0] += time.perf_counter() - started

    pool.ForkPool._start = wrapped(pool.ForkPool._start, "first fork", None)
    pool.ForkPool._triage = wrapped(pool.ForkPool._triage, None, "triage done")
    pool.ForkPool.run = wrapped(pool.ForkPool.run, None, "pool done, workers reaped")
    pool.ForkPool._look = look
    for _ in range(args.repeat):
        marks.clear()
        waited[0] = 0.0
        children = _children_cpu()
        real_stdout, sys.stdout = sys.stdout, io.StringIO()
        mark("start")
        try:
            run_command(["lint", *lint_arguments])
        finally:
            sys.stdout = real_stdout
        mark("command done")
        _, wall0, cpu0 = marks[0]
        print("  ".join(f"{name} {1e3 * (wall - wall0):.1f} ms (CPU {1e3 * (cpu - cpu0):.1f})"
                        for name, wall, cpu in marks[1:]))
        print(f"  waited for workers {1e3 * waited[0]:.1f} ms; workers' CPU {1e3 * (_children_cpu() - children):.1f} ms")


if __name__ == "__main__":
    main()
