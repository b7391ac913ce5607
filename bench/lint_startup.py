"""Benchmark: uncached single-file start-up of `redis-ci lint`, two or more installs interleaved.

    python3 bench/lint_startup.py [--rounds 21] [--python OTHER/bin/python ...] [--instructions]

bench/lint_speed.py's start-up line (`redis-ci lint --no-cache FILE` on the first file of its
Redis-dense corpus, through the `redis-ci` console script of a venv) for this checkout and the
installs given with --python, one after the other in every round beside `python -c pass`, so
that the shared machine's load hits all alike: compare them within one run, not across runs.
This checkout is pip-installed into a fresh venv from .venv/wheelhouse (scripts/setup-tests.sh),
as lint_speed.py does. Prints median and min wall and CPU (user + system of the child,
`resource.getrusage`); --instructions adds each install's instruction count under callgrind
(valgrind), which the machine's load does not move.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpus import workflow  # noqa: E402  (bench/corpus.py beside this script)
from lint_speed import console_script  # noqa: E402


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _environment() -> dict:
    # as a user's shell has it: no PYTHONPATH pointing at a checkout, .pyc files written and read
    return {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}


def instructions(command: list[str], cwd: str) -> int:
    """Instructions the command runs (callgrind's `I refs`)."""
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command], cwd=cwd,
                          env=_environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        sys.exit(f"valgrind gave no instruction count: {done.stderr[-300:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--python", action="append", default=[],
                        help="another interpreter whose bin/ has redis-ci (repeatable)")
    parser.add_argument("--instructions", action="store_true", help="also count instructions under callgrind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="redis-ci-startup-") as root:
        script, python = console_script(root, None)
        commands = {"python -c pass": [python, "-c", "pass"]}
        interpreters = {"python -c pass": []}  # what runs the console script under valgrind
        folder = Path(root, "repo", ".github", "workflows")
        folder.mkdir(parents=True)
        (folder / "ci-0000.yml").write_text(workflow(random.Random(7), 0))  # lint_speed.py's start-up file
        small = ".github/workflows/ci-0000.yml"
        cwd = str(Path(root, "repo"))
        for label, interpreter in [("this checkout", python)] + [(other, other) for other in args.python]:
            other_script, other_python = console_script(root, interpreter)
            commands[label] = [other_script, "lint", "--no-cache", small]
            interpreters[label] = [other_python]
        environment = _environment()
        for command in commands.values():  # warm-up: .pyc files written, page cache filled
            subprocess.run(command, cwd=cwd, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        runs: dict = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, command in commands.items():
                cpu, started = _children_cpu(), time.perf_counter()
                subprocess.run(command, cwd=cwd, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                runs[name].append((time.perf_counter() - started, _children_cpu() - cpu))
        print(f"uncached start-up on one dense file, {args.rounds} rounds interleaved, "
              f"load average {os.getloadavg()[0]:.1f} (median / min, ms):")
        for name, values in runs.items():
            walls, cpus = [wall for wall, _ in values], [cpu for _, cpu in values]
            line = (f"  {name:<40} wall {statistics.median(walls) * 1000:6.1f} / {min(walls) * 1000:6.1f}"
                    f"   CPU {statistics.median(cpus) * 1000:6.1f} / {min(cpus) * 1000:6.1f}")
            if args.instructions:
                line += f"   {instructions(interpreters[name] + commands[name], cwd) / 1e6:6.1f} M instructions"
            print(line)
        print("  goal (issue 15): redis-ci lint <= 80 ms")


if __name__ == "__main__":
    main()
