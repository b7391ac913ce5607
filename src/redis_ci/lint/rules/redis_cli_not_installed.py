"""RC304 redis-cli-not-installed."""

from __future__ import annotations

from redis_ci.lint.model import REDIS_ACTIONS, is_project_action, redis_cli_calls
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule
from redis_ci.lint.patterns import lazy_compile

# Labels of GitHub-hosted runner images, none of which ship redis-cli.
_HOSTED_PREFIXES = ("ubuntu-", "macos-", "windows-")
# A package manager installing Redis or its tools (`apt-get install -y redis-tools`,
# `brew install redis`), continued lines included.
_PACKAGE_MANAGERS = ("apt-get", "apt", "brew", "snap", "yum", "dnf", "apk", "choco", "pacman", "zypper")
_INSTALL = lazy_compile(
    rf"\b(?:{'|'.join(_PACKAGE_MANAGERS)})\b(?:[^\n;|&]|\\\n)*?"
    r"\b(?:install|add)\b(?:[^\n;|&]|\\\n)*?\b(?:redis|valkey)",
)
# _INSTALL in parts: each lazy `*?` of the pattern scans to its command's end from each manager
# and each install word, which many of them on one line make quadratic.
_MANAGER = lazy_compile(rf"\b(?:{'|'.join(_PACKAGE_MANAGERS)})\b")
_INSTALL_WORD = lazy_compile(r"\b(?:install|add)\b")
_REDIS_PACKAGE = lazy_compile(r"\b(?:redis|valkey)")
_COMMAND_END = lazy_compile(r"(?<!\\)\n|[;|&]")  # what the pattern's `(?:[^\n;|&]|\\\n)*?` cannot cross
_PACKAGE = lazy_compile(r"\bredis-(?:tools|server)\b")  # given to an action that installs packages
# Any manager's name anywhere: a substring test per name (`apt` stands for `apt-get`) is
# faster than one search for all of them, which stops at every a, b, c, d, p, s, y and z.
_MANAGER_NAMES = tuple(name for name in _PACKAGE_MANAGERS if name != "apt-get")


class RedisCliNotInstalled(Rule):
    """A step runs `redis-cli` on a GitHub-hosted runner, where it is not installed.

    ## What it does
    Reports the first `redis-cli` a step runs itself (not through `docker exec` and the
    like) in a runner job on a GitHub-hosted runner (`ubuntu-*`, `macos-*`, `windows-*`)
    when neither an earlier step nor the step itself installs it: a package
    manager installing `redis-tools`/`redis-server`/`redis` (`apt-get`, `brew`, ...), an
    action given such a package, an action that puts Redis on PATH
    (`shogo82148/actions-setup-redis`), or any other action with "redis" in its name
    (`./.github/actions/setup-redis`: what it installs is not visible here) except the
    ones known to start Redis in Docker only (`supercharge/redis-github-action`). This
    project's action installs it only with `start: native`. Container jobs and self-hosted runners are left
    alone: their images may have it.

    ## Why is this bad?
    GitHub's runner images do not include Redis or its client. The step fails with
    `redis-cli: command not found`, which reads like a Redis problem but is not.

    ## Example
    ```yaml
    steps:
      - run: redis-cli -h 127.0.0.1 ping
    ```

    ## Use instead
    ```yaml
    steps:
      - run: sudo apt-get update && sudo apt-get install -y redis-tools
      - run: redis-cli -h 127.0.0.1 ping
    ```
    or run the client inside the service container, which has it:
    `docker exec ${{ job.services.redis.id }} redis-cli ping`.

    ## Fix safety
    No automatic fix: installing costs ~20 s; `docker exec` or the project's wait step
    may be what you want instead.
    """

    code = "RC304"
    name = "redis-cli-not-installed"
    triggers = REDIS_WORDS
    severity = "warning"
    fixable = False

    def check_job(self, job, workflow):
        if job.is_container_job or not _on_hosted_runner(job):
            return
        checked = 0  # job.steps[:checked] are known not to install redis-cli
        for position, step in enumerate(job.steps):
            calls = redis_cli_calls(step)
            if not calls:
                continue
            if any(_installs_redis(other) for other in job.steps[checked:position + 1]):
                return  # installed by this step or an earlier one: there for every later step too
            checked = position + 1
            yield self.finding(
                "`redis-cli` is not installed on GitHub-hosted runners, so this step fails with `command "
                "not found`; install `redis-tools` in an earlier step or run it with `docker exec` in the service",
                calls[0],
            )


def _on_hosted_runner(job) -> bool:
    labels = [label.text.strip().lower() for label in job.runs_on]
    return bool(labels) and all(label.startswith(_HOSTED_PREFIXES) for label in labels)


def _installs_redis(step) -> bool:
    if step.uses is None:  # a `run:` step (most): only its script can install
        return step.run is not None and _script_installs_redis(step.run.text)
    action = step.uses_action or ""
    if REDIS_ACTIONS.get(action, False):
        return True  # it installs native binaries, redis-cli included
    if is_project_action(step):
        start = step.with_.get("start")
        return start is not None and start.text.strip() == "native"  # it apt/brew-installs redis-server
    if "redis" in action and action not in REDIS_ACTIONS:
        return True  # e.g. `./.github/actions/setup-redis`: what it installs is not visible here
    return any(_PACKAGE.search(value.text) for value in step.with_.values())


def _script_installs_redis(text: str) -> bool:
    if not any(map(text.__contains__, _MANAGER_NAMES)):
        return False  # no package manager named: skip the pattern, which tries every character
    return installs_redis(text)


def installs_redis(text: str) -> bool:
    """`_INSTALL.search(text)`, linear: in each command, the first manager, the first install
    word after it and a Redis name after that (a later manager or install word can only do less)."""
    position = 0
    while (manager := _MANAGER.search(text, position)) is not None:
        end = _COMMAND_END.search(text, manager.end())
        end = len(text) if end is None else end.start()
        install = _INSTALL_WORD.search(text, manager.end(), end)  # (`\b` at `end`: a separator is no word)
        if install is not None and _REDIS_PACKAGE.search(text, install.end(), end) is not None:
            return True
        position = end
    return False
