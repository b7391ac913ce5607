"""The images the e2e workflows and the shipped templates need, for setup.sh to pull or build.

Prints one `<role> <image>` line per image: `service` images are Redis-compatible servers
(built from this machine's redis-server when Docker Hub is unreachable), `container` images are
job containers (the runner image stands in for them). Matrix expressions in an image name are
expanded from the job's matrix. Run from the project root: `python3 tests/e2e/images.py`.
"""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_DIRS = (ROOT / "tests" / "e2e" / "workflows", ROOT / "workflows-templates")
MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}")
# What the action's `image` input and the tests name beyond the workflows.
EXTRA_SERVICE_IMAGES = ("redis:7", "redis:7-alpine")
# Job images tests write into workflows at run time (GitHub's docs recipe runs its steps in it).
EXTRA_CONTAINER_IMAGES = ("node:20-bookworm-slim",)


def expand(image: str, matrix: dict) -> list[str]:
    """`redis:${{ matrix.v }}` with matrix v: [7, 8] -> [redis:7, redis:8]; other expressions -> []."""
    names = MATRIX_REF.findall(image)
    values = [[str(v) for v in matrix.get(name, [])] for name in names]
    expanded = []
    for combination in itertools.product(*values):
        text = image
        for name, value in zip(names, combination):
            text = re.sub(rf"\$\{{\{{\s*matrix\.{re.escape(name)}\s*\}}\}}", value, text)
        expanded.append(text)
    return [name for name in expanded if "${{" not in name]


def workflow_images(path: Path) -> set[tuple[str, str]]:
    workflow = yaml.safe_load(path.read_text()) or {}
    found = set()
    for job in (workflow.get("jobs") or {}).values():
        matrix = ((job.get("strategy") or {}).get("matrix")) or {}
        container = job.get("container")
        container_image = container.get("image") if isinstance(container, dict) else container
        if container_image:
            found.update(("container", name) for name in expand(container_image, matrix))
        for service in (job.get("services") or {}).values():
            found.update(("service", name) for name in expand(service.get("image", ""), matrix))
    return found


def recipe_images() -> set[tuple[str, str]]:
    sys.path.insert(0, str(ROOT / "src"))
    from redis_ci import recipe

    found = {("service", name) for name in EXTRA_SERVICE_IMAGES}
    found |= {("container", name) for name in EXTRA_CONTAINER_IMAGES}
    for kind, version in recipe.STABLE_VERSION.items():
        repository = recipe.IMAGE_REPOSITORY[kind]
        found.add(("service", f"{repository}:{version}"))
        found.add(("service", f"{repository}:{version.split('.')[0]}"))
    return found


def main() -> int:
    images = recipe_images()
    for directory in WORKFLOW_DIRS:
        for path in sorted(directory.glob("*.y*ml")):
            images |= workflow_images(path)
    for role, name in sorted(images):
        print(role, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
