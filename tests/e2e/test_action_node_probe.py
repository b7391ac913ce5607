"""The action in job images without python3, for real: GitHub's docs recipe container job, with
its health check dropped (the common shape: no gate at all), repaired by `redis-ci lint --fix`,
then run through act in a Debian image with Node and no python3 (setup.sh: `node:20-bookworm-slim`
stands for it when Docker Hub is out of reach), with a wrong port, and in an image with neither.
Plus the runner's own Node: a job container whose only Node is mounted at /__e, as GitHub mounts
its externals (replayed on Docker: act does not mount /__e).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from redis_ci import recipe

from .actrun import ROOT, WORKFLOWS, run_act

pytestmark = pytest.mark.e2e

NODE_IMAGE = "node:20-bookworm-slim"  # the docs recipe's job image
BARE_IMAGE = "redis-ci/job-no-python-no-node:bookworm-1"  # tests/e2e/setup.sh
# What the docs recipe's "Connect to Redis" step does (client.js), without npm: PING through
# REDIS_HOST/REDIS_PORT with Node's net module.
NODE_CLIENT = (
    "node -e 'const s = require(\"net\").connect(+process.env.REDIS_PORT, process.env.REDIS_HOST);"
    " s.on(\"data\", (d) => { console.log(\"E2E-MARK ping \" + d.toString().trim().slice(1)); s.end(); });"
    " s.write(\"PING\\r\\n\");'"
)


# GitHub Docs, "Creating Redis service containers", the container job as published (checkout
# bumped to v5, as tests/lint/test_fix.py has it) less the service's health options.
DOCS_CONTAINER_JOB_WITHOUT_HEALTH_CHECK = """\
name: Redis container example
on: push

jobs:
  # Label of the container job
  container-job:
    # Containers must run in Linux based operating systems
    runs-on: ubuntu-latest
    # Docker Hub image that `container-job` executes in
    container: node:20-bookworm-slim

    # Service containers to run with `container-job`
    services:
      # Label used to access the service container
      redis:
        # Docker Hub image
        image: redis

    steps:
      # Downloads a copy of the code in your repository before running CI tests
      - name: Check out repository code
        uses: actions/checkout@v5

      # Performs a clean installation of all dependencies in the `package.json` file
      # For more information, see https://docs.npmjs.com/cli/ci.html
      - name: Install dependencies
        run: npm ci

      - name: Connect to Redis
        # Runs a script that creates a Redis client, populates
        # the client with data, and retrieves data
        run: node client.js
        # Environment variable used by the `client.js` script to create
        # a new Redis client.
        env:
          # The hostname used to communicate with the Redis service container
          REDIS_HOST: redis
          # The default Redis port
          REDIS_PORT: 6379
"""


@pytest.fixture(scope="module")
def fixed_recipe(tmp_path_factory) -> str:
    """The recipe after `redis-ci lint --fix`: the action's wait step inserted before npm ci."""
    repo = tmp_path_factory.mktemp("docs-recipe")
    workflow = repo / ".github" / "workflows" / "redis.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(DOCS_CONTAINER_JOB_WITHOUT_HEALTH_CHECK)
    fix = subprocess.run([sys.executable, "-m", "redis_ci", "lint", "--fix"], cwd=repo, capture_output=True,
                         text=True, timeout=60)
    assert fix.returncode == 0, fix.stdout + fix.stderr
    check = subprocess.run([sys.executable, "-m", "redis_ci", "lint", "--format", "json"], cwd=repo,
                           capture_output=True, text=True, timeout=60)
    assert json.loads(check.stdout)["findings"] == [], check.stdout
    text = workflow.read_text()
    assert f"uses: {recipe.ACTION_REF}" in text and "container: node:20-bookworm-slim" in text
    return text


def runnable(fixed: str, image: str = NODE_IMAGE, port: int = 6379, timeout: str = "") -> str:
    """The fixed recipe with only what cannot run offline changed: the published action becomes
    `./`, npm ci and client.js become a Node PING; optionally another image, url port, timeout."""
    text = fixed.replace(f"uses: {recipe.ACTION_REF}", "id: redis\n        uses: ./")
    text = text.replace("container: node:20-bookworm-slim", f"container: {image}")
    text = text.replace("run: npm ci", "run: node --version")
    text = text.replace("run: node client.js", f"run: {NODE_CLIENT}")
    text = text.replace("url: redis://redis:6379/0", f"url: redis://redis:{port}/0")
    if timeout:
        text = text.replace("          overcommit: \"false\"", f"          overcommit: \"false\"\n          timeout: \"{timeout}\"")
    assert text.count("uses: ./") == 1 and NODE_CLIENT in text
    return text + (
        "\n      - name: outputs\n        env:\n          READY: ${{ steps.redis.outputs.ready }}\n"
        "          PORT: ${{ steps.redis.outputs.port }}\n"
        "        run: echo \"E2E-MARK output READY=$READY\"; echo \"E2E-MARK output PORT=$PORT\"\n"
    )


def act(project_repo: Path, runner_image: str, name: str, text: str):
    workflow = project_repo / WORKFLOWS / name
    # A name of its own: act names the job's containers after it (actrun cleans up by that name).
    workflow.write_text(text.replace("name: Redis container example", f"name: e2e {name[:-4]}", 1))
    return run_act(project_repo, str(workflow.relative_to(project_repo)), runner_image, timeout=300)


def test_docs_recipe_after_fix_runs_green_on_node_without_python3(project_repo, runner_image, fixed_recipe):
    run = act(project_repo, runner_image, "node-docs-recipe.yml", runnable(fixed_recipe))
    assert run.returncode == 0, run.log[-6000:]
    assert "🏁  Job succeeded" in run.log
    assert run.outputs() == {"READY": "true", "PORT": "6379"}
    assert run.marks("ping") == ["PONG"]
    summary = run.log.split("Summary - ", 1)[1]
    assert summary.startswith("### ✅ Redis ready at `redis:6379`")


def test_docs_recipe_wrong_port_fails_with_refused_and_its_hint(project_repo, runner_image, fixed_recipe):
    run = act(project_repo, runner_image, "node-docs-recipe-wrong-port.yml",
              runnable(fixed_recipe, port=6390, timeout="3"))
    assert run.returncode != 0, run.log[-4000:]
    assert run.marks("ping") == []  # the steps after the gate did not run
    waited = re.search(r"redis not ready at redis:6390 after ([\d.]+) s \(\d+ attempts\): refused: ", run.log)
    assert waited and float(waited[1]) <= 3.5, run.log[-4000:]
    annotation = run.log.split("::error title=Redis not ready::", 1)[1].splitlines()[0]
    assert "refused" in annotation and "(hint: nothing listens at redis:6390: in a runner job map the port" in annotation
    summary = run.log.split("Summary - ", 1)[1]
    assert summary.startswith("### ❌ Redis not ready at `redis:6390`") and "**refused**: cannot connect" in summary


def test_image_with_neither_python3_nor_node_gets_one_clear_error(project_repo, runner_image, fixed_recipe):
    run = act(project_repo, runner_image, "bare-docs-recipe.yml", runnable(fixed_recipe, image=BARE_IMAGE))
    assert run.returncode != 0, run.log[-4000:]
    assert run.marks("ping") == []
    assert ("::error title=No python3 or Node in this job::redis-ci runs its probe with python3 (>= 3.9) or "
            "Node (>= 16), and this job has neither") in run.log


def test_the_runners_node_under___e_is_found(tmp_path, runner_image):
    """GitHub mounts its externals into job containers at /__e: a container with no Node on PATH
    and no python3 finds /__e/node20/bin/node (here this machine's Node, whose libnode the image
    kept) and waits with it."""
    node = shutil.which("node")
    name = f"redis-ci-action-e2e-{tmp_path.name[-12:]}".replace("_", "-")
    network = subprocess.run(["docker", "network", "create", name], capture_output=True, text=True, check=True)
    try:
        subprocess.run(["docker", "run", "-d", "--name", f"{name}-redis", "--network", name, "--network-alias",
                        "cache", "redis:7"], capture_output=True, text=True, check=True)
        proc = subprocess.run(
            ["docker", "run", "--rm", "--pull=never", "--network", name, "-v", f"{ROOT}:/action:ro",
             "-v", f"{node}:/__e/node20/bin/node:ro", "-e", "GITHUB_ACTION_PATH=/action", "-e", "RUNNER_OS=Linux",
             "-e", "REDIS_CI_URL=redis://cache:6379/0", "-e", "REDIS_CI_TIMEOUT=20", "-e", "REDIS_CI_OVERCOMMIT=false",
             BARE_IMAGE, "bash", "-c", "command -v node python3; bash /action/scripts/action/redis-ci-action.sh"],
            capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stdout.startswith("redis ready at cache:6379 (Redis ")
    finally:
        subprocess.run(["docker", "rm", "-f", f"{name}-redis"], capture_output=True)
        subprocess.run(["docker", "network", "rm", network.stdout.strip()], capture_output=True)
