"""RC002 merge-key."""

from __future__ import annotations

from redis_ci.lint.rule import FileProblemRule


class MergeKey(FileProblemRule):
    """A `<<:` merge key, which GitHub Actions rejects.

    ## What it does
    Reports each `<<:` key. Anchors and aliases (`&redis` / `*redis`) are fine; merging a
    mapping into another with `<<:` is not.

    ## Why is this bad?
    GitHub's YAML reader does not implement merge keys: the workflow fails to load
    ("Unexpected value '<<'") and no job runs.

    ## Example
    ```yaml
    services:
      redis:
        <<: *redis-service
        ports: ["6379:6379"]
    ```

    ## Use instead
    ```yaml
    services:
      redis: *redis-service   # the whole mapping, or repeat its keys
    ```

    ## Fix safety
    No automatic fix.
    """

    code = "RC002"
    name = "merge-key"
    severity = "error"
