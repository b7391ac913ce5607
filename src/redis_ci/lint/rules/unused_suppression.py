"""RC000 unused-suppression."""

from __future__ import annotations

from redis_ci.lint.prefilter import MARKER
from redis_ci.lint.rule import Rule


class UnusedSuppression(Rule):
    """A `# redis-ci: ignore[...]` comment names a rule that reported nothing there.

    ## What it does
    Reports each rule an inline ignore comment names when that rule ran on the file and the
    comment silenced none of its findings, and a `# redis-ci: disable-file` that silenced
    nothing. Off by default: turn it on with `--extend-select RC000` (or `select = ["ALL"]`,
    `--select ALL`). Rules that did not run (not selected) are not judged: nothing says whether
    they would have reported. Unknown codes in a comment are a notice on stderr instead.
    This is ruff's RUF100 for redis-ci's comments.

    ## Why is this bad?
    A stale ignore hides the next real mistake of that rule on the same line: the wiring was
    fixed, the comment stayed, and a later change that breaks it again is never reported.

    ## Example
    ```yaml
    services:
      redis:
        image: redis:8.2
        ports: ["6379:6379"]   # redis-ci: ignore[RC201] fixed since; the comment stayed
    ```

    ## Use instead
    ```yaml
    services:
      redis:
        image: redis:8.2
        ports: ["6379:6379"]
    ```

    ## Fix safety
    Not fixable: remove the comment, or the codes in it that no longer apply, by hand.
    """

    code = "RC000"
    name = "unused-suppression"
    triggers = (MARKER,)  # the engine judges it wherever an ignore comment is
    severity = "warning"
    enabled_by_default = False
    # The engine reports it (it needs every other rule's findings first): no hooks here.
