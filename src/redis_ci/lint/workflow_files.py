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
            files.extend(sorted(_workflows_under(path)))
        elif os.path.lexists(path):  # a dangling link found in a folder is a file we cannot read (exit 3)
            files.append(path)
        else:
            raise FileNotFoundError(path)
    return list(dict.fromkeys(files))


def _workflows_under(top: str) -> list[str]:
    """What os.walk(top) finds (links to folders listed, not followed; unreadable folders
    passed over), with os.scandir's own paths: no os.path.join per file."""
    found, folders = [], [top]
    while folders:
        try:
            listing = os.scandir(folders.pop())
        except OSError:
            continue
        with listing:
            for entry in listing:
                try:
                    is_folder = entry.is_dir()
                except OSError:
                    is_folder = False
                if not is_folder:
                    if entry.name.endswith(WORKFLOW_SUFFIXES):
                        found.append(entry.path)
                elif not entry.is_symlink():
                    folders.append(entry.path)
    return found
