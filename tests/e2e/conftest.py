"""Fixtures for running real workflows through `act` against the action in this checkout.

The environment (Docker, act, a runner image, Redis images) comes from `setup.sh`, which is
idempotent: `.ci/run` calls it first, and the `runner_image` fixture calls it again (instant when
warm) so `pytest tests/e2e` also works alone. When Docker cannot start, the tests fail with
setup.sh's reason; they never skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .actrun import E2EEnvironmentError, copy_project_repo, prepare_environment


@pytest.fixture(scope="session")
def runner_image() -> str:
    """Prepare Docker, act and the images (setup.sh); the runner image's name."""
    try:
        return prepare_environment()
    except E2EEnvironmentError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def project_repo(tmp_path_factory) -> Path:
    """A git repository holding a copy of this project, for act to run `uses: ./` from."""
    return copy_project_repo(tmp_path_factory.mktemp("e2e-repo"))
