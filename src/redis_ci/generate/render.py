"""Write a Setup as workflow text, with a one-line comment saying why wherever a choice is not obvious.

Everything is built as lists of lines indented from column 0 and indented by the caller, so
`service`, `steps`, `job` and `workflow` are the same text at different depths (a test holds
them to that), and `--into` splices the very same blocks into a user's file.
"""

from __future__ import annotations

from typing import List

from redis_ci import recipe
from redis_ci.generate.setup import Setup

Lines = List[str]

WORKFLOW_TITLE = {"redis": "Tests with Redis", "valkey": "Tests with Valkey", "redis-stack": "Tests with Redis Stack"}
# Lint reports RC404 where the redis-stack tag is written: the image line, or the matrix values.
REDIS_STACK_IGNORE = "  # redis-ci: ignore[RC404] redis-stack chosen explicitly"
PYTHON_VERSION = "3.13"
NODE_VERSION = "22"


def indent(lines: Lines, depth: int) -> Lines:
    """Shift block lines right by `depth` spaces (blank lines stay empty)."""
    pad = " " * depth
    return [pad + line if line else line for line in lines]


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (versions like 7.10 must not turn into numbers)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def header(setup: Setup, kind: str) -> Lines:
    return [f"# Written by `{setup.command_line(kind)}`."]


def service_entry(setup: Setup) -> Lines:
    """The `redis:` entry that goes under a job's `services:`."""
    lines: Lines = []
    if setup.gate == "wait":
        lines.append("# No health check: the runner would hold the whole job for it; the wait step holds only what needs Redis.")
    lines.append(f"{recipe.SERVICE_LABEL}:")
    body: Lines = []
    if setup.image == "redis-stack":
        body.append("# Redis 8 bundles the Stack modules; redis-stack is kept here because it was asked for.")
        body.append(f"image: {setup.image_reference}" + ("" if setup.is_matrix else REDIS_STACK_IGNORE))
    else:
        if setup.is_matrix:
            body.append("# The tag comes from the matrix; each version is pinned there.")
        else:
            body.append("# A pinned tag: untagged images move (untagged `redis` jumped to Redis 8 and broke test suites).")
        body.append(f"image: {setup.image_reference}")
    body += _service_env(setup)
    body += _service_command(setup)
    if setup.uses_health_check:
        body.append("# Fails on an error reply (NOAUTH, LOADING) and probes every second: the runner holds the job ~2 s.")
        body.append(f"options: {recipe.HEALTH_OPTIONS}")
    if setup.is_container_job:
        body.append(f"# No ports: the steps run in the job container and reach Redis at {setup.host}:{recipe.REDIS_PORT}.")
    else:
        body.append("ports:")
        body.append(f"  # Runner job: the steps reach Redis at {setup.host}:{setup.port}.")
        body.append(f"  - {_quoted(f'{setup.port}:{recipe.REDIS_PORT}')}")
    return lines + indent(body, 2)


def _service_env(setup: Setup) -> Lines:
    variables: Lines = []
    password = setup.password_expression
    if password and (setup.image in recipe.SERVER_BINARY or setup.uses_health_check):
        variables.append("# redis-cli in the container reads the password from here (health check, server command).")
        variables.append(f"{recipe.PASSWORD_ENV}: {password}")
    if setup.image not in recipe.SERVER_BINARY:
        redis_args = []
        if password:
            redis_args.append(f"--requirepass {password}")
        if setup.is_container_job:
            # A trailing `--save` means `save ""` (Redis >= 7), and needs no quotes inside REDIS_ARGS.
            redis_args.append("--save")
        if redis_args:
            variables.append("# redis-stack-server reads its arguments from REDIS_ARGS, split on spaces.")
            variables.append(f"REDIS_ARGS: {_quoted(' '.join(redis_args))}")
    return ["env:", *indent(variables, 2)] if variables else []


# Where `command:` is written: the runners that take it (runner.containers, FACTS.md).
COMMAND_RUNNERS = [
    "# `command:` needs runner v2.333.0+ (github.com); GHES, older self-hosted runners and act reject",
    "# the key: `--runner-compat legacy` writes a form without it.",
]


def _service_command(setup: Setup) -> Lines:
    server = recipe.SERVER_BINARY.get(setup.image)
    if server is None:
        return []
    lines: Lines = []
    save_off = f" {recipe.PERSISTENCE_OFF_ARGS}" if setup.is_container_job else ""
    if setup.is_legacy_runner:
        if save_off:
            lines.append("# Snapshots stay on: switching them off needs `command:` (runner v2.333.0+), and a container")
            lines.append("# job cannot enable the host's memory overcommit that forks need.")
        return lines
    if setup.is_container_job:
        lines.append("# No snapshots: a container job cannot enable the host's memory overcommit that forks need.")
    if setup.password_secret:
        lines.append("# The image ignores REDIS_PASSWORD: a shell hands the secret from env to --requirepass.")
        lines += COMMAND_RUNNERS
        script = f'exec docker-entrypoint.sh {server} --requirepass "${recipe.PASSWORD_ENV}"{save_off}'
        lines.append('command: sh -c "' + script.replace('"', '\\"') + '"')
    elif save_off:
        lines += COMMAND_RUNNERS
        lines.append(f"command: {server}{save_off}")
    return lines


def services_block(setup: Setup) -> Lines:
    return ["services:", *indent(service_entry(setup), 2)]


def gate_steps(setup: Setup) -> Lines:
    """The wait step and/or the overcommit step, as items of a `steps:` sequence."""
    if setup.uses_wait_step:
        return wait_step(setup)
    if not setup.is_container_job:
        return recipe.overcommit_step()
    return []


def wait_step(setup: Setup, label: str | None = recipe.SERVICE_LABEL, url: str | None = None) -> Lines:
    """The wait step (recipe.wait_step) for this setup. label: the service whose container log it
    shows on failure (None: Redis is not a service); url: where Redis is, default `setup.url`."""
    if setup.starts_in_step:
        return _start_docker_step(setup, url or setup.url)
    lines = recipe.wait_step(
        url or setup.url,
        action_ref=setup.action_ref,
        password=setup.password_expression,
        service_label=label,
        container_job=setup.is_container_job,
    )
    if setup.is_container_job and setup.is_legacy_runner:
        # Without `command:` snapshots stay on: the comment must be true of the file.
        instead = recipe.overcommit_off_inputs("snapshots are off instead.")
        lines = lines[: -len(instead)] + recipe.overcommit_off_inputs("snapshots stay on (see the service).")
    return lines


def _start_docker_step(setup: Setup, url: str) -> Lines:
    """Legacy runners and a password: the action starts the server (`start: docker`), no service."""
    lines = [
        "# Starts Redis with the password (`start: docker`: no service, so no `command:`, which runners before",
        "# v2.333.0, GHES and act reject) and holds the next steps until it answers PING and pub/sub.",
        "# It also enables memory overcommit, which Redis needs to fork for snapshots.",
        "- name: Wait for Redis",
        recipe.action_uses(setup.action_ref),
        "  with:",
        "    start: docker",
        f"    image: {setup.image_reference}",
        f"    url: {url}",
    ]
    if setup.password_expression:
        lines.append(f"    password: {setup.password_expression}")
    return lines


def stop_step(setup: Setup) -> Lines:
    """The last step when the wait step started Redis: remove it whatever happened."""
    return ["# Removes the Redis container the wait step started (self-hosted runners keep containers)."] + (
        recipe.stop_step(setup.action_ref)
    )


def client_env(setup: Setup) -> Lines:
    """The job's `env:` entries telling the tests where Redis is."""
    lines = [f"REDIS_URL: {setup.url}"]
    if setup.password_expression:
        lines.insert(0, "# The password stays out of the URL, so no character in it needs escaping.")
        lines.append(f"REDIS_PASSWORD: {setup.password_expression}")
    return lines


def _checkout_step() -> Lines:
    return [
        f"- uses: {recipe.CHECKOUT_ACTION}",
        "  with:",
        "    # The job never pushes: keep the token out of .git/config.",
        "    persist-credentials: false",
    ]


def _toolchain_steps(setup: Setup) -> Lines:
    if setup.language == "none":
        return []
    if setup.is_container_job:
        return [f"# The job container ({setup.container_image}) provides the toolchain."]
    if setup.language == "python":
        return [
            f"- uses: {recipe.SETUP_PYTHON_ACTION}",
            "  with:",
            f"    python-version: {_quoted(PYTHON_VERSION)}",
        ]
    return [
        f"- uses: {recipe.SETUP_NODE_ACTION}",
        "  with:",
        f"    node-version: {_quoted(NODE_VERSION)}",
    ]


def _install_steps(setup: Setup) -> Lines:
    if setup.language == "python":
        return [
            "- name: Install dependencies",
            "  run: |",
            "    python -m pip install --upgrade pip",
            "    if [ -f requirements.txt ]; then python -m pip install -r requirements.txt; fi",
        ]
    if setup.language == "node":
        return ["- name: Install dependencies", "  run: npm ci"]
    return []


def _test_step(setup: Setup) -> Lines:
    command = {
        "python": "python -m pytest",
        "node": "npm test",
        "none": 'echo "Replace with your test command; Redis is at $REDIS_URL"',
    }[setup.language]
    return ["- name: Run the tests", f"  run: {command}"]


def matrix_entry(setup: Setup) -> Lines:
    """The matrix axis over server versions (quoted: 7.10 must not become the number 7.1)."""
    ignore = REDIS_STACK_IGNORE if setup.image == "redis-stack" else ""
    return [f"{setup.matrix_key}: [{', '.join(_quoted(v) for v in setup.versions)}]{ignore}"]


def strategy_block(setup: Setup) -> Lines:
    return [
        "strategy:",
        "  # Every server version runs to the end, so one failure does not hide the others.",
        "  fail-fast: false",
        "  matrix:",
        *indent(matrix_entry(setup), 4),
    ]


def job_body(setup: Setup) -> Lines:
    """The mapping under `jobs.<name>:`."""
    lines = ["runs-on: ubuntu-latest"]
    if setup.is_matrix:
        lines += strategy_block(setup)
    if setup.is_container_job:
        lines += [
            "# Steps run in this container and reach Redis by its service label.",
            "container:",
            f"  image: {setup.container_image}",
        ]
    if setup.topology:
        # No service: the gate step starts the nodes (generate/topology.py says why).
        from redis_ci.generate import topology

        lines += ["env:", *indent(topology.client_env(setup), 2)]
        gate, last = topology.start_steps(setup), topology.stop_step(setup)
    elif setup.starts_in_step:
        lines += ["env:", *indent(client_env(setup), 2)]
        gate, last = wait_step(setup), stop_step(setup)
    else:
        lines += services_block(setup)
        lines += ["env:", *indent(client_env(setup), 2)]
        gate, last = gate_steps(setup), []
    # The gate goes before the first step that runs commands (RC101), like `--into` puts it.
    steps = _checkout_step() + _toolchain_steps(setup) + gate + _install_steps(setup) + _test_step(setup) + last
    lines += ["steps:", *indent(steps, 2)]
    return lines


def render(setup: Setup, kind: str) -> str:
    """The text `redis-ci generate KIND` prints."""
    if kind == "service":
        body = services_block(setup)
    elif kind == "steps" and setup.topology:
        from redis_ci.generate import topology

        body = topology.steps(setup)
    elif kind == "steps" and setup.starts_in_step:
        body = wait_step(setup) + ["# Put this one after your tests:"] + stop_step(setup)
    elif kind == "steps":
        body = gate_steps(setup) or ["# Nothing to add: the health check holds the job and snapshots are off."]
    elif kind == "job":
        body = [f"{setup.job_name}:", *indent(job_body(setup), 2)]
    else:
        body = [
            f"name: {WORKFLOW_TITLE[setup.image]}",
            "",
            "on:",
            "  push:",
            "  pull_request:",
            "",
            "# Least privilege: the job only reads the repository.",
            "permissions:",
            "  contents: read",
            "",
            "jobs:",
            f"  {setup.job_name}:",
            *indent(job_body(setup), 4),
        ]
    return "\n".join(header(setup, kind) + body) + "\n"
