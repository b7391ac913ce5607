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
# RC401's fix pins the major; `generate --version` defaults to the major.minor.
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
