"""What the action costs, measured from real workflow runs under act (see tests/e2e/).

1. Step cost when Redis is already up: the `uses: ./` step (as act reports it), the action's
   script inside it, the same action.yml with its script replaced by `true` (act's own cost for
   wrapping this composite: same inputs, same expressions), a no-op `run: "true"` step (act's
   per-step floor), and the common peer: a step that creates a venv, `pip install redis` and
   PINGs. Goal: action < 0.5 s and < 1/10 of the peer.
2. Job start to first test step: GitHub's documented health check (`--health-interval 10s`)
   versus no health check plus the action as the gate (what `generate --gate wait` writes).
   Job start is the moment act is launched; the first test step prints its own clock.

Run (root, Linux; prepares Docker/act/images through tests/e2e/setup.sh first):
    python3 bench/action_timing.py [--runs 3]

3. `--outside-act`: the action's script alone (bash scripts/action/redis-ci-action.sh, as the
   composite step runs it, in a fake Actions environment) against a running redis-server, no
   Docker: with python3, and with Node only (python3 hidden from PATH). `--before DIR` adds the
   same for another checkout (e.g. `git worktree add /tmp/before <commit>`), runs interleaved.
    python3 bench/action_timing.py --outside-act [--runs 30] [--before DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # redis_servers, as pytest has it

from redis_servers import free_port  # noqa: E402
from tests.e2e.actrun import WORKFLOWS, copy_project_repo, prepare_environment, run_act  # noqa: E402

# act names a composite's inner step by its `run:` text.
ACTION_SCRIPT_STEP = 'bash "$GITHUB_ACTION_PATH/scripts/action/redis-ci-action.sh"'


def run_or_die(repo: Path, workflow: str, runner_image: str):
    run = run_act(repo, f"{WORKFLOWS}/{workflow}", runner_image, {"REDIS_PORT": str(free_port())})
    if run.returncode != 0:
        sys.exit(f"{workflow} failed under act:\n{run.log[-4000:]}")
    return run


def add_wrapper_only_action(repo: Path) -> None:
    """Put action.yml with its script replaced by `true` in `repo`, and a step using it right
    before the measured action in the step-cost workflow: what act adds around any composite."""
    action = (repo / "action.yml").read_text()
    script_line = f"run: {ACTION_SCRIPT_STEP}"
    if script_line not in action:
        sys.exit(f"action.yml no longer runs {ACTION_SCRIPT_STEP!r}: update this benchmark")
    (repo / "bench-wrapper-only").mkdir()
    (repo / "bench-wrapper-only" / "action.yml").write_text(action.replace(script_line, 'run: "true"'))
    workflow = repo / WORKFLOWS / "bench-step-cost.yml"
    measured = "      - name: measured-action\n"
    wrapper_step = (
        "      - name: wrapper-only-action\n        uses: ./bench-wrapper-only\n        with:\n"
        "          url: redis://localhost:${{ vars.REDIS_PORT }}/0\n"
    )
    workflow.write_text(workflow.read_text().replace(measured, wrapper_step + measured))


def action_script_seconds(run) -> float:
    """The second (measured) run of the action's script; the first is the warm-up."""
    durations = [seconds for name, seconds in run.main_steps() if name.startswith(ACTION_SCRIPT_STEP)]
    return durations[1]


def path_without_python(directory: Path) -> str:
    """A PATH directory with this machine's tools less every python (a node:*-slim job's view)."""
    directory.mkdir()
    for folder in ("/usr/local/bin", "/usr/bin", "/bin"):
        for tool in Path(folder).iterdir():
            if not tool.name.startswith("python") and not (directory / tool.name).exists():
                (directory / tool.name).symlink_to(tool)
    return str(directory)


def outside_act(runs: int, before: Path | None) -> int:
    """Wall time of the action's script against a running server, interleaved per variant."""
    from redis_servers import RedisServers

    roots = {"this checkout": Path(__file__).resolve().parents[1]}
    if before:
        roots["--before"] = before.resolve()
    with tempfile.TemporaryDirectory(prefix="redis-ci-bench-") as tmp:
        servers = RedisServers(Path(tmp) / "redis")
        server = servers.start()
        node_path = path_without_python(Path(tmp) / "bin")
        variants = {}
        for label, root in roots.items():
            for runtime, path in (("python3", os.environ["PATH"]), ("node only", node_path)):
                env = {"PATH": path, "HOME": os.environ.get("HOME", "/root"), "GITHUB_ACTIONS": "true",
                       "GITHUB_ACTION_PATH": str(root), "GITHUB_OUTPUT": f"{tmp}/output",
                       "GITHUB_STEP_SUMMARY": f"{tmp}/summary", "RUNNER_TEMP": tmp, "RUNNER_OS": "Linux",
                       "REDIS_CI_URL": server.url, "REDIS_CI_TIMEOUT": "60", "REDIS_CI_CHECKS": "ping,pubsub",
                       "REDIS_CI_OVERCOMMIT": "true"}  # the default: reads /proc, writes only when not 1
                variants[f"{label}, {runtime}"] = (root / "scripts" / "action" / "redis-ci-action.sh", env)
        times: dict[str, list[float]] = {name: [] for name in variants}
        cpu: dict[str, list[float]] = {name: [] for name in variants}
        failed: dict[str, str] = {}
        for _ in range(runs):
            for name, (script, env) in variants.items():
                before_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.monotonic()
                proc = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=120)
                times[name].append(time.monotonic() - started)
                after_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[name].append(after_cpu.ru_utime + after_cpu.ru_stime - before_cpu.ru_utime - before_cpu.ru_stime)
                if proc.returncode != 0:
                    failed[name] = (proc.stdout + proc.stderr).strip().splitlines()[-1:]
        servers.close()
    print(f"the action's script outside act, Redis up, {runs} runs each, interleaved ({os.cpu_count()} CPUs)")
    print("  (CPU: user + system time of the script and everything it ran; steadier than wall time on a busy machine)")
    print(f"  {'variant':<34}{'median ms':>10}{'min ms':>9}{'max ms':>9}{'CPU ms':>9}")
    for name, values in times.items():
        note = f"   failed: {failed[name]}" if name in failed else ""
        print(f"  {name:<34}{statistics.median(values) * 1000:>10.1f}{min(values) * 1000:>9.1f}"
              f"{max(values) * 1000:>9.1f}{statistics.median(cpu[name]) * 1000:>9.1f}{note}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="act runs per measurement (median shown)")
    parser.add_argument("--outside-act", action="store_true", help="time the action's script alone, no act")
    parser.add_argument("--before", type=Path, help="with --outside-act: another checkout to time beside this one")
    args = parser.parse_args()
    if args.outside_act:
        return outside_act(args.runs, args.before)
    runner_image = prepare_environment()
    with tempfile.TemporaryDirectory(prefix="redis-ci-bench-") as tmp:
        repo = copy_project_repo(Path(tmp))
        add_wrapper_only_action(repo)
        steps: dict[str, list[float]] = {"action": [], "script": [], "wrapper": [], "noop": [], "pip": []}
        gates: dict[str, list[float]] = {"docs": [], "action": []}
        for _ in range(args.runs):
            run = run_or_die(repo, "bench-step-cost.yml", runner_image)
            steps["action"].append(run.step_seconds("measured-action"))
            steps["script"].append(action_script_seconds(run))
            steps["wrapper"].append(run.step_seconds("wrapper-only-action"))
            steps["noop"].append(run.step_seconds("measured-noop"))
            steps["pip"].append(run.step_seconds("measured-pip-redis"))
            for name, workflow in (("docs", "bench-gate-docs-recipe.yml"), ("action", "bench-gate-action.yml")):
                run = run_or_die(repo, workflow, runner_image)
                gates[name].append(float(run.marks("first-test-step")[0]) - run.started_at)

    def median(values: list[float]) -> float:
        return statistics.median(values)

    pip = median(steps["pip"])
    print(f"redis-ci action under act, {args.runs} run(s) each, medians (min-max)")
    print("\nstep cost with Redis already up                      seconds   / pip step")
    rows = (
        ("uses: ./ step, as act reports it", steps["action"]),
        ("  the action's script inside it", steps["script"]),
        ("same action.yml, script replaced by `true`", steps["wrapper"]),
        ('a no-op `run: "true"` step (act floor)', steps["noop"]),
        ("peer: venv + pip install redis + PING", steps["pip"]),
    )
    for label, values in rows:
        print(f"  {label:<48} {median(values):6.3f}   {median(values) / pip:6.3f}"
              f"   ({min(values):.3f}-{max(values):.3f})")
    print("\njob start (act launched) -> first test step           seconds")
    for label, values in (("docs recipe: --health-interval 10s", gates["docs"]),
                          ("no health check + the action (generate --gate wait)", gates["action"])):
        print(f"  {label:<52} {median(values):6.2f}   ({min(values):.2f}-{max(values):.2f})")
    print(f"  saved per job: {median(gates['docs']) - median(gates['action']):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
