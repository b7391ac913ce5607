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
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.actrun import WORKFLOWS, copy_project_repo, free_port, prepare_environment, run_act  # noqa: E402

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="act runs per measurement (median shown)")
    args = parser.parse_args()
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
