"""The one source of truth for what a good Redis setup in GitHub Actions is.

`generate` writes these values, `lint` (and `lint --fix`) measures workflows
against them, and the action runs the same probe. Change a value here and all
three follow. Facts behind each value: ../shared/docs/FACTS.md.
"""

from __future__ import annotations

# The action users reference; lint also accepts any `*/redis-ci-action@*` and `./` in this repo.
ACTION_REPOSITORY = "redis-ci/redis-ci-action"
ACTION_REF = f"{ACTION_REPOSITORY}@v1"

# The current stable major.minor of each image (what `latest` points to when this was written).
# `generate --version` defaults to it and RC401's fix pins it: one version for both.
STABLE_VERSION = {
    "redis": "8.2",
    "valkey": "8.1",
    "redis-stack": "7.4.0-v6",
}
IMAGE_REPOSITORY = {
    "redis": "redis",
    "valkey": "valkey/valkey",
    "redis-stack": "redis/redis-stack-server",
}

REDIS_PORT = 6379

# A health check that cannot pass on an error reply, probed every second: Docker marks the
# service healthy ~1.2 s after start and the runner sees it at ~+2 s (FACTS.md).
HEALTH_CMD = "redis-cli ping | grep -q PONG"
HEALTH_OPTIONS = (
    f'--health-cmd "{HEALTH_CMD}" --health-interval 1s --health-timeout 3s --health-retries 30'
)

# The probe's default deadline and checks (`redis-ci wait`, the action's inputs).
WAIT_TIMEOUT_SECONDS = 60
WAIT_CHECKS = ("ping", "pubsub")

# Actions this project's workflows use; majors current as of 2026-11.
CHECKOUT_ACTION = "actions/checkout@v5"
SETUP_PYTHON_ACTION = "actions/setup-python@v6"
SETUP_NODE_ACTION = "actions/setup-node@v5"

# The service label `generate` writes: steps pass `${{ job.services.redis.id }}` to the action,
# and container jobs reach Redis at `redis:6379`.
SERVICE_LABEL = "redis"

# The server binary each image runs; redis-stack-server starts from its own entrypoint script.
SERVER_BINARY = {
    "redis": "redis-server",
    "valkey": "valkey-server",
}

# Tags that move under the user's feet (RC401); a pinned setup never writes them.
MOVING_TAGS = frozenset({"latest", "edge", "unstable", "nightly"})

# Redis below 6.2 is end of life (RC404).
OLDEST_SUPPORTED_REDIS = (6, 2)

# Where runner-job steps reach a service's mapped port: 127.0.0.1, not `localhost`, because
# Node >= 17 may resolve `localhost` to ::1 first and get ECONNREFUSED.
RUNNER_JOB_HOST = "127.0.0.1"

# redis-cli in the service container reads the password from this variable, so the health
# check authenticates without a `-a` on its command line; `generate` also feeds it to
# `--requirepass` through the service's `command:`.
PASSWORD_ENV = "REDISCLI_AUTH"

# Runner jobs: lets Redis fork for snapshots (else writes fail with -MISCONF). The setting is
# host-wide; Docker refuses it per container (RC303).
OVERCOMMIT_COMMAND = "sudo sysctl -w vm.overcommit_memory=1"

# Container jobs cannot change overcommit: switch snapshots off instead (runner argument syntax).
PERSISTENCE_OFF_ARGS = '--save ""'

# Topologies the action starts in a step (`start: docker` + `topology:`) and `generate --topology`
# writes; the first node's port when the user gives none (scripts/action/start-topology.sh uses
# the same defaults).
TOPOLOGIES = ("cluster", "sentinel")
TOPOLOGY_FIRST_PORT = {"cluster": 7000, "sentinel": REDIS_PORT}


# --- the steps of a good setup ----------------------------------------------------------
# As lines of a `steps:` sequence indented from column 0: `generate` indents and places them,
# `lint --fix` inserts them into a user's job (RC101 the wait step, RC302 the overcommit step).


def secret_expression(name: str) -> str:
    """How a workflow reads the secret `name` (the password the wait step passes on, masked)."""
    return f"${{{{ secrets.{name} }}}}"


def action_uses(action_ref: str) -> str:
    """The `uses:` line of a step running this project's action (`action_ref`)."""
    line = f"  uses: {action_ref}"
    if action_ref.startswith("./"):
        # zizmor suggests `$/`, which actionlint and the workflow schema refuse for the repository root.
        line += "  # zizmor: ignore[self-repository] the action in this repository, as checked out"
    return line


# What a container job's wait step says when the server keeps snapshots on (no `--save ""`).
SNAPSHOTS_STAY_ON = f"snapshots stay on: a save may fail to fork (MISCONF) unless the server runs with `{PERSISTENCE_OFF_ARGS}`."


def overcommit_off_inputs(instead: str) -> list[str]:
    """The action's `with:` lines for a container job, where the host's overcommit is out of
    reach; `instead` says how snapshots are kept from forking there."""
    return [f"    # The host's overcommit is out of reach here; {instead}", '    overcommit: "false"']


def wait_step(
    url: str,
    *,
    action_ref: str = ACTION_REF,
    password: str | None = None,
    service_label: str | None = SERVICE_LABEL,
    container_job: bool = False,
    persistence_off: bool = True,
) -> list[str]:
    """The wait step: holds the next steps until Redis at `url` answers. password: the
    expression the password comes from; service_label: the service whose container log it
    shows on failure (None: Redis is not a service); container_job: the step runs in the job
    container (no overcommit there); persistence_off: the server runs with `--save ""` (the
    comment says so only where it is true)."""
    lines = [
        "# Holds the next steps until Redis answers PING and pub/sub; on failure it shows why and the server log.",
    ]
    if container_job:
        lines.append("# It runs inside the job container: on its python3, else on Node (on PATH or the runner's own).")
    else:
        lines.append("# It also enables memory overcommit, which Redis needs to fork for snapshots.")
    lines += ["- name: Wait for Redis", action_uses(action_ref), "  with:", f"    url: {url}"]
    if password:
        lines.append(f"    password: {password}")
    if service_label is not None:
        lines.append(f"    service-id: ${{{{ job.services.{service_label}.id }}}}")
    if container_job:
        lines += overcommit_off_inputs("snapshots are off instead." if persistence_off else SNAPSHOTS_STAY_ON)
    return lines


def overcommit_step() -> list[str]:
    """A runner job's step that lets Redis fork (for a job gated by its health check alone)."""
    return [
        "# Lets Redis fork for snapshots (else writes fail with MISCONF); Docker cannot set it per container.",
        "- name: Enable memory overcommit for Redis",
        f"  run: {OVERCOMMIT_COMMAND}",
    ]


def stop_step(action_ref: str = ACTION_REF) -> list[str]:
    """The last step: remove the containers the action started, whatever happened (self-hosted
    runners keep them)."""
    return [
        "- name: Remove the Redis containers",
        "  if: always()",
        action_uses(action_ref),
        "  with:",
        "    start: stop",
    ]
