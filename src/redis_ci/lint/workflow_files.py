"""Which files `redis-ci lint` reads: the paths given, folders searched for .yml/.yaml.
Standard library only: a cached lint finds its files without importing the engine."""

from __future__ import annotations

import os

DEFAULT_PATH = os.path.join(".github", "workflows")
WORKFLOW_SUFFIXES = (".yml", ".yaml")


def find_workflow_files(paths: list[str]) -> list[str]:
    """Files given as is; folders searched recursively for .yml/.yaml (sorted).
    Raises FileNotFoundError for a path that does not exist."""
    files = []
    for path in paths:
        if os.path.isdir(path):
            found = []
            for folder, _dirs, names in os.walk(path):
                found.extend(os.path.join(folder, name) for name in names if name.endswith(WORKFLOW_SUFFIXES))
            files.extend(sorted(found))
        elif os.path.lexists(path):  # a dangling link found in a folder is a file we cannot read (exit 3)
            files.append(path)
        else:
            raise FileNotFoundError(path)
    return list(dict.fromkeys(files))
