"""Benchmark: `redis-ci lint` served from a filled result cache, both ways a hit is proved.

    python3 bench/warm_cache.py [--files 1000] [--repeat 21] [--python PATH]

bench/lint_speed.py's repository mix (b), linted with two filled caches: "fresh", filled right
after every file was written (as in CI, where the checkout gives each file a new inode and mtime:
every warm run reads and hashes each file), and "settled", filled once the files had not changed
for cache.SETTLED_NS (a warm run stats each file and reads none). Each runs through the
`redis-ci` console script pip writes (it imports `re` before redis-ci: ~200 system calls and a
regex compile) and through a wrapper without `re` (what the console script would cost if
packaging wrote its own). actionlint on the same files is the peer (issue 15's goal (c): warm
<= 0.15x its wall time). All commands alternate in every round; median wall (and min) and CPU.
"""

from __future__ import annotations

import argparse
import marshal
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpus import mixed_corpus  # noqa: E402  (bench/ beside this script)
from lint_speed import actionlint_binary, console_script, repository, timed  # noqa: E402

SETTLED_S = 2.5  # cache.SETTLED_NS (2 s) and a margin

WRAPPER = """#!{python}
import sys
from redis_ci.cli import main
if __name__ == "__main__":
    sys.exit(main())
"""


def _stats_recorded(cache: str) -> str:
    """How many of the index's entries hold a stat (the layout is lint/cache.py's)."""
    (name,) = [name for name in os.listdir(cache) if name.endswith(".index")]
    with open(os.path.join(cache, name), "rb") as handle:
        entries = marshal.loads(handle.read())[2]
    return f"{sum(entry[3] is not None for entry in entries.values())} of {len(entries)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--python", default=None,
                        help="an interpreter whose bin/ has redis-ci installed (default: a fresh venv)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="redis-ci-warm-") as root:
        script, python = console_script(root, args.python)
        wrapper = os.path.join(root, "redis-ci-without-re")
        Path(wrapper).write_text(WRAPPER.format(python=python))
        os.chmod(wrapper, 0o755)
        repo = repository(root, "mixed", mixed_corpus(random.Random(args.seed), args.files, redis_share=0.15))
        workflows = Path(repo, ".github", "workflows")
        fresh, settled = os.path.join(root, "fresh-cache"), os.path.join(root, "settled-cache")
        for path in workflows.iterdir():
            os.utime(path)  # ctime now: a stat taken in the next 2 s proves nothing
        timed([script, "lint", "--cache-dir", fresh], repo)
        time.sleep(SETTLED_S)
        timed([script, "lint", "--cache-dir", settled], repo)
        commands = {
            "python -c pass": [python, "-c", "pass"],
            "actionlint": [actionlint_binary(), "-no-color", "-shellcheck=", "-pyflakes="],
            "warm fresh": [script, "lint", "--cache-dir", fresh],
            "warm settled": [script, "lint", "--cache-dir", settled],
            "warm fresh, no re": [wrapper, "lint", "--cache-dir", fresh],
            "warm settled, no re": [wrapper, "lint", "--cache-dir", settled],
        }
        for command in commands.values():  # warm-up
            timed(command, repo)
        runs: dict = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, command in commands.items():
                runs[name].append(timed(command, repo))
        print(f"{args.files} workflows; entries with a stat: fresh {_stats_recorded(fresh)}, settled "
              f"{_stats_recorded(settled)}; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
              f"median of {args.repeat} rounds")
        peer = statistics.median(wall for wall, _ in runs["actionlint"])
        for name, values in runs.items():
            walls = [wall for wall, _ in values]
            wall = statistics.median(walls)
            print(f"  {name:<22} {wall * 1000:7.1f} ms (min {min(walls) * 1000:6.1f})  CPU "
                  f"{statistics.median(cpu for _, cpu in values) * 1000:6.1f} ms  {wall / peer:5.2f}x actionlint")
        print("  goal (c): warm <= 0.15x actionlint")


if __name__ == "__main__":
    main()
