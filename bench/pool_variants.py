"""Benchmark: ways to spread corpus (b) of bench/lint_speed.py (1,000 workflows, 15 % Redis)
over the cores, in one process (no start-up), alternating, median of --repeat rounds.

    python3 bench/pool_variants.py [--repeat 7] [--files 1000]

Variants (all give the same results, checked):
  serial        one process, the prefilter per file;
  map-all       every file to a pool of one worker per core (`pool.map`, chunksize n / (4 w)),
                the parent waits (redis-ci before issue 15's pool work);
  triage-wait   the parent triages (the prefilter by bytes), the rest go to one worker per
                core in chunks; the parent waits;
  triage-steal  what lint/pool.py did through issue 15's third round: triage, chunks sent as
                they fill to one fewer worker than cores (a ProcessPoolExecutor), the parent
                lints unstarted chunks from the end. lint/pool.py is now a plain os.fork pool
                with pipes (its timeline: bench/pool_timeline.py); this bench keeps the
                executor variants as they were measured.
Prints wall and CPU (parent + workers) per variant.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpus import mixed_corpus, workflow  # noqa: E402

from redis_ci.lint import pool  # noqa: E402
from redis_ci.lint.engine import LintSettings, find_workflow_files, lint_packed  # noqa: E402
from redis_ci.lint.packed import Output  # noqa: E402
from redis_ci.lint.rules import ALL_RULES  # noqa: E402


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _chunk(lint_one, paths):
    return [lint_one(path) for path in paths]


def map_all(lint_one, triage, files, workers):
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as executor:
        return list(executor.map(lint_one, files, chunksize=max(1, len(files) // (workers * 4))))


def triage_wait(lint_one, triage, files, workers):
    results = [triage(path) for path in files]
    heavy = [index for index, result in enumerate(results) if result is None]
    size = max(1, len(heavy) // (workers * pool.CHUNKS_PER_PROCESS))
    chunks = [heavy[start:start + size] for start in range(0, len(heavy), size)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as executor:
        futures = [executor.submit(_chunk, lint_one, [files[index] for index in chunk]) for chunk in chunks]
        for chunk, future in zip(chunks, futures):
            for index, result in zip(chunk, future.result()):
                results[index] = result
    return results


VARIANTS = {
    "serial": lambda lint_one, triage, files, workers: [lint_one(path) for path in files],
    "map-all": map_all,
    "triage-wait": triage_wait,
    "triage-steal": lambda lint_one, triage, files, workers: pool.map_in_order(lint_one, files, workers, triage),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    [workflow(rng, number) for number in range(args.files)]  # the rng as bench/lint_speed.py leaves it
    texts = mixed_corpus(rng, args.files, redis_share=0.15)
    workers = pool.worker_count()
    with tempfile.TemporaryDirectory(prefix="redis-ci-pool-") as root:
        for number, text in enumerate(texts):
            Path(root, f"ci-{number:04}.yml").write_text(text)
        files = find_workflow_files([root])
        settings = LintSettings(tuple(rule for rule in ALL_RULES if rule.enabled_by_default), None, Output("text"))
        lint_one = functools.partial(lint_packed, settings=settings)
        triage = functools.partial(lint_packed, settings=settings, light_only=True)
        expected = VARIANTS["serial"](lint_one, triage, files, workers)  # also compiles the patterns
        runs: dict = {name: [] for name in VARIANTS}
        for _ in range(args.repeat):
            for name, variant in VARIANTS.items():
                cpu, started = _cpu(), time.perf_counter()
                results = variant(lint_one, triage, files, workers)
                runs[name].append((time.perf_counter() - started, _cpu() - cpu))
                assert results == expected, name
    print(f"{args.files} workflows ({sum('redis' in text for text in texts)} use Redis), {workers} cores, "
          f"load {os.getloadavg()[0]:.1f}; median of {args.repeat}")
    for name, values in runs.items():
        walls, cpus = [wall for wall, _ in values], [cpu for _, cpu in values]
        print(f"  {name:<13} wall {statistics.median(walls):.3f}s (min {min(walls):.3f}s)  "
              f"CPU {statistics.median(cpus):.3f}s")


if __name__ == "__main__":
    main()
