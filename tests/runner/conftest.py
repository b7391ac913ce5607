"""Fixtures for the replay tests (helpers: docker_support.py)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

import redis_ci
from runner.docker_support import (
    LOCAL_REDIS,
    STACK_ENTRYPOINT,
    STACK_STAND_IN,
    Substitutes,
    docker,
    image_exists,
    leftovers,
)


@pytest.fixture(scope="session")
def docker_images():
    """`images=` for JobReplay: a missing name -> the local image; redis-stack -> the stand-in."""
    if docker("info", check=False).returncode != 0:
        pytest.fail("the replay tests need the Docker daemon (tests/e2e/setup.sh starts one)")
    if not image_exists(LOCAL_REDIS):
        pytest.fail(f"{LOCAL_REDIS} is missing: run tests/e2e/setup.sh")
    with tempfile.TemporaryDirectory(prefix="rcrunner-") as directory:
        entrypoint = Path(directory, "entrypoint.sh")
        entrypoint.write_text(STACK_ENTRYPOINT)
        entrypoint.chmod(0o755)
        builder = docker("create", "--name", f"rcrunner-stack-build-{os.getpid()}", LOCAL_REDIS).stdout.strip()
        try:
            docker("cp", str(entrypoint), f"{builder}:/usr/local/bin/stack-entrypoint.sh")
            docker(
                "commit", "--change", 'ENTRYPOINT ["stack-entrypoint.sh"]', "--change", "CMD []",
                builder, STACK_STAND_IN,
            )
        finally:
            docker("rm", "--force", builder, check=False)
    substitutes = Substitutes()
    yield substitutes
    docker("rmi", STACK_STAND_IN, check=False)


@pytest.fixture(scope="session")
def client_files():
    """What a job's checkout and `pip install` would put in the workspace: redis_ci and redis-py."""
    import async_timeout
    import redis

    sources = [Path(redis_ci.__file__).parent, Path(redis.__file__).parent, Path(async_timeout.__file__).parent]
    return sources


@pytest.fixture
def nothing_left_behind():
    yield
    assert leftovers() == [], "a replay left containers or networks behind"
