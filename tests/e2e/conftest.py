"""Fixtures for running real workflows through `act` against the action in this checkout.

The environment (Docker, act, a runner image, Redis images) comes from `setup.sh`, which is
idempotent: `.ci/run` calls it first, and the `runner_image` fixture calls it again (instant when
warm) so `pytest tests/e2e` also works alone. When Docker cannot start, the tests fail with
setup.sh's reason; they never skip.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .actrun import ROOT

SETUP_SCRIPT = ROOT / "tests" / "e2e" / "setup.sh"


@pytest.fixture(scope="session")
def runner_image() -> str:
    """Prepare Docker, act and the images (setup.sh); the runner image's name."""
    proc = subprocess.run(
        ["bash", str(SETUP_SCRIPT)], capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL
    )
    if proc.returncode != 0:
        pytest.fail(
            "the e2e environment (Docker + act) could not be prepared by tests/e2e/setup.sh:\n"
            + proc.stderr[-3000:],
            pytrace=False,
        )
    return proc.stdout.strip().splitlines()[-1]


def _project_files() -> list[str]:
    """Tracked and new files of the working tree (what a push of this work would contain)."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode()
    return [name for name in out.split("\0") if name and (ROOT / name).is_file()]


@pytest.fixture(scope="session")
def project_repo(tmp_path_factory) -> Path:
    """A git repository holding a copy of this project, for act to run `uses: ./` from."""
    repo = tmp_path_factory.mktemp("e2e-repo")
    for name in _project_files():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    git = ["git", "-c", "user.name=e2e", "-c", "user.email=e2e@localhost"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "e2e"], cwd=repo, check=True)
    return repo
