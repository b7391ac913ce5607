"""RC003 workflow-too-large."""

from __future__ import annotations

from redis_ci.lint.rule import FileProblemRule


class WorkflowTooLarge(FileProblemRule):
    """A workflow file over 512,000 bytes, which GitHub refuses.

    ## What it does
    Reports files larger than GitHub's workflow size limit (512,000 bytes).

    ## Why is this bad?
    GitHub does not run a workflow over the limit; nothing in the file is checked or run.

    ## Example
    A workflow with thousands of generated matrix entries or inlined scripts.

    ## Use instead
    Move long scripts into files in the repository and call them from `run:`; split the
    workflow, or use a reusable workflow.

    ## Fix safety
    No automatic fix.
    """

    code = "RC003"
    name = "workflow-too-large"
    severity = "error"
