"""`generate --runner-compat legacy` under act, the runner that rejects `command:` on services.

act stands in for GHES and older self-hosted runners here: like them it refuses a service's
`command:` (the current form of a password, proven below), and runs the legacy forms: a password
started by the action's `start: docker` in a runner job, and a container job without `command:`.
The workflow is `generate`'s output with the action as `./` and a free port; the placeholder test
step becomes a client that must need the password.
"""

from __future__ import annotations

import pytest
import yaml
from redis_servers import free_port

from redis_ci.generate.render import render
from redis_ci.generate.setup import Setup

from .actrun import WORKFLOWS, run_act

pytestmark = pytest.mark.e2e

PASSWORD = "e2e-Legacy-Secret-6379"
CLIENT = (
    'PYTHONPATH=src REDISCLI_AUTH="$REDIS_PASSWORD" python3 -m redis_ci wait --url "$REDIS_URL" --timeout 10 '
    '&& python3 -c "import os, socket, urllib.parse as u; a = u.urlsplit(os.environ[\'REDIS_URL\']); '
    "s = socket.create_connection((a.hostname, a.port), 5); s.sendall(b'PING\\r\\n'); "
    "print('E2E-MARK unauthenticated', s.recv(64).decode().split()[0])\""
)


def service_keys(setup: Setup) -> set[str]:
    job = yaml.safe_load(render(setup, "workflow"))["jobs"]["test"]
    return {key for service in (job.get("services") or {}).values() for key in service}


def runnable(setup: Setup, client: str, name: str) -> str:
    workflow = yaml.safe_load(render(setup, "workflow"))
    # act names its containers after the workflow and job: a name of our own keeps a concurrent
    # run of the templates (also "Tests with Redis" / test) from taking over ours.
    workflow["name"] = f"runner-compat {name}"
    workflow["on"] = workflow.pop(True)  # PyYAML reads `on` as YAML 1.1 true
    steps = workflow["jobs"]["test"]["steps"]
    index = next(i for i, step in enumerate(steps) if step.get("name") == "Run the tests")
    steps[index] = {"name": "A client that needs the password", "run": client}
    return yaml.safe_dump(workflow, sort_keys=False)


def run_generated(project_repo, runner_image, name: str, setup: Setup, client: str):
    path = project_repo / WORKFLOWS / f"runner-compat-{name}.yml"
    path.write_text(runnable(setup, client, name))
    return run_act(project_repo, str(path.relative_to(project_repo)), runner_image,
                   extra_args=("--secret", f"REDIS_PASSWORD={PASSWORD}"))


def test_act_rejects_the_current_password_form(project_repo, runner_image):
    setup = Setup.checked(password_secret="REDIS_PASSWORD", action_ref="./")
    assert "command" in service_keys(setup)
    run = run_generated(project_repo, runner_image, "current-password", setup, "true")
    assert run.returncode != 0
    assert "command" in run.log and "Job succeeded" not in run.log


def test_legacy_runner_job_with_a_password(project_repo, runner_image):
    setup = Setup.checked(password_secret="REDIS_PASSWORD", action_ref="./", runner_compat="legacy",
                          port=free_port())
    assert "services" not in yaml.safe_load(render(setup, "workflow"))["jobs"]["test"]
    run = run_generated(project_repo, runner_image, "legacy-password", setup, CLIENT)
    assert run.returncode == 0, run.log[-6000:]
    assert "Job succeeded" in run.log
    assert run.marks("unauthenticated") == ["-NOAUTH"]
    assert PASSWORD not in run.log


def test_legacy_container_job_without_command(project_repo, runner_image):
    setup = Setup.checked(container_image="python:3.13-slim", action_ref="./", runner_compat="legacy")
    assert "command" not in service_keys(setup)
    run = run_generated(project_repo, runner_image, "legacy-container", setup,
                        CLIENT.replace('REDISCLI_AUTH="$REDIS_PASSWORD" ', ""))
    assert run.returncode == 0, run.log[-6000:]
    assert run.marks("unauthenticated") == ["+PONG"]


SINGLE_QUOTED = """\
on: push
jobs:
  quoted:
    runs-on: ubuntu-latest
    services:
      redis:
        image: redis:7-alpine
        options: --health-cmd 'redis-cli ping' --health-interval 1s
    steps:
      - run: echo "E2E-MARK ran yes"
"""


def test_act_passes_a_single_quoted_health_cmd_that_github_fails(project_repo, runner_image):
    """Why the replay exists: act splits `options:` like a shell, GitHub's runner does not."""
    from redis_ci.runner.replay import ContainerCreateFailed, JobReplay

    path = project_repo / WORKFLOWS / "runner-compat-single-quoted.yml"
    path.write_text(SINGLE_QUOTED)
    run = run_act(project_repo, str(path.relative_to(project_repo)), runner_image)
    assert run.returncode == 0 and "yes" in run.marks("ran"), run.log[-4000:]
    assert "is healthy" in run.log
    with pytest.raises(ContainerCreateFailed):
        with JobReplay(yaml.safe_load(SINGLE_QUOTED)["jobs"]["quoted"]):
            pass
