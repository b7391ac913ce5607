"""In-process CPU of `redis-ci lint` per file over the Redis-dense corpus (bench/corpus.py),
one process, no pool, no prefilter, no cache: the figure the model and rule work moves.

    python3 bench/lint_cpu.py                      # CPU seconds over 1,000 files, best of --repeat
    python3 bench/lint_cpu.py --profile 30         # the 30 costliest functions (cProfile, cumulative)
    python3 bench/lint_cpu.py --digest out.txt     # every finding, one a line: compare two trees

bench/lint_speed.py measures the same corpus end to end beside actionlint.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from corpus import workflow  # noqa: E402


def write_corpus(folder: str, files: int) -> list[str]:
    rng = random.Random(7)
    paths = []
    for number in range(files):
        path = os.path.join(folder, f"ci{number:04}.yml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(workflow(rng, number))
        paths.append(path)
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", type=int, metavar="N", help="print the N costliest functions")
    parser.add_argument("--digest", metavar="FILE", help="write every finding (repr) to FILE")
    args = parser.parse_args()
    from redis_ci.lint.engine import lint_paths
    from redis_ci.lint.rules import ALL_RULES

    with tempfile.TemporaryDirectory(prefix="redis-ci-cpu-") as folder:
        paths = write_corpus(folder, args.files)
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(lint_paths, paths, ALL_RULES, workers=1)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)
            return 0
        best = None
        for _ in range(args.repeat):
            start = time.process_time()
            results = lint_paths(paths, ALL_RULES, workers=1)
            spent = time.process_time() - start
            best = spent if best is None else min(best, spent)
        findings = sum(len(result.findings) for result in results)
        print(f"{args.files} files, {findings} findings: best CPU {best:.3f} s "
              f"({best / args.files * 1000:.2f} ms/file) of {args.repeat}")
        if args.digest:
            with open(args.digest, "w", encoding="utf-8") as handle:
                for result in results:
                    name = os.path.basename(result.path)
                    handle.write(f"{name} notices={result.notices!r} deps={result.dependencies!r}\n")
                    for finding in result.findings:
                        handle.write(f"{name} {finding!r} {finding.data!r}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
