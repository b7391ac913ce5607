"""Benchmark: what the nesting-depth check (lint/nesting.py) costs beside the parse it protects.

    python3 bench/nesting_cost.py [--files 1000] [--seed 7] [--repeat 3]

On the 1,000 generated workflows of bench/lint_speed.py, prints the CPU time of the cheap
bound, of libyaml's composer and of the whole lint (all rules, one process), and how many files
the bound sent to the exact event scan. Then the worst case the bound cannot settle: a 512 kB
file packed with flow collections nested 63 deep (legal, one below the limit), where the exact
scan runs over the whole file, beside the composer on the same file, and the `[` * 25,000 file
that crashed the composer before (the scan stops at the limit). CPU times (best of --repeat),
so other work on the machine changes them less than wall times.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))

import lint_speed  # noqa: E402
from redis_ci.lint import nesting, yaml_nodes  # noqa: E402
from redis_ci.lint.engine import check_workflow_bytes  # noqa: E402
from redis_ci.lint.lines import split_lines  # noqa: E402
from redis_ci.lint.rules import ALL_RULES  # noqa: E402


def cpu(function, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        function()
        best = min(best, time.process_time() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    texts = [lint_speed.workflow(rng, number) for number in range(args.files)]
    lines = [split_lines(text) for text in texts]
    datas = [text.encode() for text in texts]
    bound = cpu(lambda: [nesting.too_deep(t, l) for t, l in zip(texts, lines)], args.repeat)
    compose = cpu(lambda: [yaml.compose(t, Loader=yaml_nodes._Loader) for t in texts], args.repeat)
    lint = cpu(lambda: [check_workflow_bytes(d, "ci.yml", ALL_RULES) for d in datas], args.repeat)
    scanned = sum(nesting.might_be_too_deep(t, l) for t, l in zip(texts, lines))
    size = sum(map(len, datas))
    print(f"{args.files} workflows, {size / 1e6:.1f} MB, MAX_DEPTH {nesting.MAX_DEPTH}")
    print(f"  nesting check  {bound:7.3f} s CPU  ({bound / compose:.1%} of compose, {bound / lint:.1%} of lint)")
    print(f"  compose        {compose:7.3f} s CPU")
    print(f"  whole lint     {lint:7.3f} s CPU")
    print(f"  files the bound sent to the exact scan: {scanned} of {args.files}")
    depth = nesting.MAX_DEPTH - 1
    unit = b"[" * depth + b"1" + b"]" * depth
    worst = b"".join(b"k%d: " % n + unit + b"\n" for n in range(512_000 // (len(unit) + 8)))
    worst_text = worst.decode()
    scan = cpu(lambda: nesting.first_too_deep(worst_text), 1)
    worst_compose = cpu(lambda: yaml.compose(worst_text, Loader=yaml_nodes._Loader), 1)
    print(f"worst case: {len(worst):,} bytes nested {depth} deep, exact scan over all of it")
    print(f"  exact scan     {scan:7.3f} s CPU  ({scan / worst_compose:.2f}x compose)")
    print(f"  compose        {worst_compose:7.3f} s CPU")
    crashed = "[" * 25_000 + "\n"
    stop = cpu(lambda: nesting.too_deep(crashed, split_lines(crashed)), args.repeat)
    print(f"'[' * 25,000 (crashed the composer before): refused in {stop * 1000:.1f} ms CPU")


if __name__ == "__main__":
    main()
