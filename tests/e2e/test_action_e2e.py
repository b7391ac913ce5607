"""The action, run for real: workflows with `uses: ./` through act on Docker (see conftest.py)."""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from redis_ci import recipe

from redis_servers import free_port

from .actrun import ROOT, WORKFLOWS, run_act

pytestmark = pytest.mark.e2e

TEMPLATES = sorted((ROOT / "workflows-templates").glob("*.y*ml"))


def host_overcommit() -> str:
    return Path("/proc/sys/vm/overcommit_memory").read_text().strip()


def assert_succeeded(run) -> None:
    assert run.returncode == 0, f"act failed ({run.returncode}):\n{run.log[-6000:]}"
    assert "🏁  Job succeeded" in run.log


def test_runner_job_with_service_and_no_health_check(project_repo, runner_image):
    port = free_port()
    run = run_act(project_repo, f"{WORKFLOWS}/runner-service.yml", runner_image, {"REDIS_PORT": str(port)})
    assert_succeeded(run)
    # The outputs reached the next step, which then talked to Redis itself.
    outputs = run.outputs()
    assert outputs["READY"] == "true"
    assert re.fullmatch(r"\d+\.\d+\.\d+", outputs["REDIS_VERSION"])
    assert 0 <= float(outputs["ELAPSED_MS"]) < 30_000
    assert outputs["OUTPUT_URL"] == f"redis://localhost:{port}/0"
    assert run.marks("ping") == ["PONG"]
    assert run.marks("problem") == []
    # The probe's step summary (act echoes it as `Summary - ...`).
    summary = run.log.split("Summary - ", 1)[1]
    assert summary.startswith(f"### ✅ Redis ready at `localhost:{port}`")
    assert "| ping | ok |" in summary and "| pubsub | ok |" in summary


def test_container_job_reaches_service_by_label(project_repo, runner_image):
    run = run_act(project_repo, f"{WORKFLOWS}/container-job.yml", runner_image)
    assert_succeeded(run)
    assert run.outputs()["READY"] == "true"
    assert run.outputs()["OUTPUT_URL"] == "redis://cache:6379/0"
    assert run.marks("ping") == ["PONG"]
    if host_overcommit() != "1":
        # A container cannot change the host's setting: a notice, not a failure.
        assert "::notice title=Memory overcommit::" in run.log


def test_wrong_port_fails_in_time_with_refused_hint_and_container_log(project_repo, runner_image):
    timeout = 3  # the workflow's `timeout:` input
    variables = {"REDIS_PORT": str(free_port()), "WRONG_PORT": str(free_port())}
    run = run_act(project_repo, f"{WORKFLOWS}/wrong-port.yml", runner_image, variables)
    assert run.returncode != 0, run.log[-4000:]
    assert "E2E-MARK step-after-failure-ran" not in run.log
    # The probe holds its deadline; the step adds python3's start and the docker diagnostics.
    waited = re.search(r"redis not ready at \S+ after ([\d.]+) s", run.log)
    assert waited and float(waited[1]) <= timeout + 0.5
    assert run.step_seconds("bash \"$GITHUB_ACTION_PATH") < timeout + 2.0
    assert "refused" in run.log
    assert "::error title=Redis not ready::" in run.log
    assert "ports" in run.log.split("::error title=Redis not ready::", 1)[1].splitlines()[0]
    # Diagnostics from the service container: its state and its own log lines.
    assert "::error title=Redis container::container " in run.log
    assert "running, no health check" in run.log
    assert "Ready to accept connections" in run.log
    if host_overcommit() != "1":
        assert "::notice title=Memory overcommit warning in the Redis log::" in run.log


def test_start_docker_with_password_and_args_is_cleaned_up(project_repo, runner_image):
    password = "e2e-Secret-4242"
    job_label = "io.github.redis-ci.job=1-1-start-docker"  # act: run 1, attempt 1, job start-docker
    run = run_act(project_repo, f"{WORKFLOWS}/start-docker.yml", runner_image)
    assert_succeeded(run)
    assert run.marks("auth") == ["OK"]
    assert run.marks("config") == ["maxmemory=12582912", "save="]
    assert run.marks("problem") == []
    assert run.outputs()["READY"] == "true"
    assert "starting redis:7 as container redis-ci-1-1-start-docker-" in run.log
    assert "stopped 1 Redis server(s) started by this job" in run.log
    assert password not in run.log
    left = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label={job_label}"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert left == []


def runnable_template(template: Path, port: int) -> str:
    """The template with its Redis wiring untouched (services, ports, env, container, the wait
    step) and only what cannot run on this offline machine changed: the published action ref
    becomes `./`, host port 6379 becomes a free port (this machine is not a fresh VM), toolchain
    setup, install and project test steps give way to one step that connects through REDIS_URL.
    """
    text = template.read_text().replace('"6379:6379"', f'"{port}:6379"')
    workflow = yaml.safe_load(text.replace("127.0.0.1:6379", f"127.0.0.1:{port}"))
    workflow["on"] = workflow.pop(True)  # PyYAML reads the `on` key as YAML 1.1 true
    for job in workflow["jobs"].values():
        for service in (job.get("services") or {}).values():
            service.pop("command", None)
        kept = []
        for step in job["steps"]:
            uses = step.get("uses", "")
            if uses.startswith("actions/checkout@"):
                kept.append(step)
            elif uses == recipe.ACTION_REF:
                kept.append({**step, "id": "redis", "uses": "./"})
        assert [step.get("id") for step in kept][-1:] == ["redis"], f"{template.name}: no wait step"
        kept.append({
            "name": "first-test-step",
            "env": {"READY": "${{ steps.redis.outputs.ready }}",
                    "REDIS_VERSION": "${{ steps.redis.outputs.redis-version }}",
                    "ELAPSED_MS": "${{ steps.redis.outputs.elapsed-ms }}",
                    "OUTPUT_URL": "${{ steps.redis.outputs.url }}"},
            "run": 'python3 tests/e2e/workflows/check_redis.py --url "$REDIS_URL"',
        })
        job["steps"] = kept
    return yaml.safe_dump(workflow, sort_keys=False)


def test_start_docker_from_a_container_job_joins_the_job_network(project_repo, runner_image):
    run = run_act(project_repo, f"{WORKFLOWS}/start-docker-container-job.yml", runner_image)
    assert_succeeded(run)
    assert re.fullmatch(r"redis://redis-ci-1-1-start-docker-container-job-\d+:6379/0", run.outputs()["OUTPUT_URL"])
    assert run.marks("ping") == ["PONG"]
    assert run.marks("config") == ["save="]
    assert "stopped 1 Redis server(s) started by this job" in run.log


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_workflow_template_runs(project_repo, runner_image, template):
    """Each shipped template's Redis setup, as generated, gates a step that then reaches Redis."""
    workflow = project_repo / WORKFLOWS / f"template-{template.name}"
    workflow.write_text(runnable_template(template, free_port()))
    # Matrix jobs one at a time: they all map the same host port.
    for matrix in matrix_selections(template):
        run = run_act(project_repo, str(workflow.relative_to(project_repo)), runner_image, extra_args=matrix)
        assert_succeeded(run)
        assert run.marks("ping") == ["PONG"]
        assert run.marks("problem") == []
        assert run.outputs()["READY"] == "true"


def matrix_selections(template: Path) -> list[tuple[str, ...]]:
    """act `--matrix key:value` arguments selecting each matrix combination once ([()] if none)."""
    workflow = yaml.safe_load(template.read_text())
    axes = {}
    for job in workflow["jobs"].values():
        for key, values in ((job.get("strategy") or {}).get("matrix") or {}).items():
            if isinstance(values, list):
                axes[key] = [str(value) for value in values]
    combinations = itertools.product(*([(key, value) for value in values] for key, values in axes.items()))
    return [tuple(arg for key, value in combo for arg in ("--matrix", f"{key}:{value}")) for combo in combinations]
