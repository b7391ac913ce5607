"""RC001 yaml-syntax-error."""

from __future__ import annotations

from redis_ci.lint.rule import FileProblemRule


class YamlSyntaxError(FileProblemRule):
    """The file is not valid YAML (or not UTF-8), so GitHub cannot run it.

    ## What it does
    Reports the parser's error at the line and column where the parser stopped.

    ## Why is this bad?
    GitHub rejects the whole workflow: no job runs, and the error shows only in the
    Actions tab. No other rule can check a file it cannot read.

    ## Example
    ```yaml
    jobs:
      test:
        runs-on: ubuntu-latest
         steps: []
    ```

    ## Use instead
    ```yaml
    jobs:
      test:
        runs-on: ubuntu-latest
        steps: []
    ```

    ## Fix safety
    No automatic fix.
    """

    code = "RC001"
    name = "yaml-syntax-error"
    severity = "error"
