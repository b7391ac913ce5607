"""What a step's commands start besides `docker run <redis>`: compose up (its files and services),
compose actions, restarts, containers on the job's network, and servers that are not Redis."""

from __future__ import annotations

import re

from redis_ci.lint.model.images import is_redis_image, parse_image
from redis_ci.lint.model.tree import Step
from redis_ci.lint.model.value import Value
from redis_ci.lint.yaml_nodes import Span
from redis_ci.lint.patterns import lazy_compile, matches_at_words, word_alternatives

# Actions that run `docker compose up` for the step (inputs: compose-file, services, up-flags, cwd).
COMPOSE_ACTIONS = ("hoverkraft-tech/compose-action", "isbang/compose-action")

_REDIS_WORD = lazy_compile(r"redis|valkey|keydb|dragonfly", re.I)
# One shell command: up to a newline (a `\` continues it), `;`, `|` or `&`.
_COMMAND_REST = r"(?:\\\n|[^\n;|&])*"
_DOCKER = word_alternatives("docker", "podman")  # `\b(?:docker|podman)`
_DOCKER_WORDS = ("docker", "podman")
_COMPOSE = lazy_compile(r"\bdocker(?:-compose|\s+compose)\b" + _COMMAND_REST)
_COMPOSE_GLOBAL_VALUES = ("-f", "--file", "-p", "--project-name", "--project-directory", "--profile",
                          "--env-file", "--ansi", "--progress", "--parallel")
_COMPOSE_UP_VALUES = ("--scale", "-t", "--timeout", "--wait-timeout", "--pull", "--exit-code-from",
                      "--attach", "--no-attach")


class ComposeUp:
    """A `docker compose up` (or a compose action). files: the `-f`/`--file` arguments (the
    action's `compose-file` lines) as written, in order; () means the default names.
    project_directory: `--project-directory` (the action's `cwd`). services: the services named
    on the command line (the action's `services`); () means all. waits: `--wait` given.
    The compose-file reader resolves files against the repository and the step's directory."""

    __slots__ = ("span", "files", "project_directory", "services", "waits")

    def __init__(self, span: Span, files: tuple = (), project_directory: str | None = None,
                 services: tuple = (), waits: bool = False):
        self.span, self.files, self.project_directory = span, files, project_directory
        self.services, self.waits = services, waits

    @property
    def names_redis(self) -> bool:
        """A service named on the command line is Redis by its name."""
        return any(_REDIS_WORD.search(service) for service in self.services)


_WORD = lazy_compile(r"(?:\$\{\{.*?\}\}|\S)+")  # a `${{ }}` expression with spaces stays one word
_PLAIN_WORD = lazy_compile(r"\S+")


def _words(command: str) -> list[str]:
    """The words of one shell command (quotes dropped, `\\` line continuations skipped)."""
    return [word.strip("'\"") for word in _word_matches(command.replace("\\\n", " ")) if word != "\\"]


def _word_matches(text: str) -> list[str]:
    """`_WORD.findall(text)`, linear: a `${{` after its line's last `}}` makes `.*?` scan to the
    line's end each time, so past that `}}` a line is cut into plain `\\S+` runs (a word that
    reaches the cut goes on with the run after it)."""
    if "${{" not in text:
        return _PLAIN_WORD.findall(text)
    words = []
    for line in text.split("\n"):  # (`.` and `\\S` match no `\\n`: no word spans two lines)
        cut = line.rfind("}}") + 2 if "}}" in line else 0
        end = 0
        for match in _WORD.finditer(line, 0, cut):
            words.append(match.group(0))
            end = match.end()
        tail = _PLAIN_WORD.findall(line, cut)
        if words and end == cut and cut and tail and line.startswith(tail[0], cut):
            words[-1] += tail.pop(0)
        words.extend(tail)
    return words


def _compose_up_words(words: list[str]) -> ComposeUp | None:
    """ComposeUp (span left to the caller) of the words after `docker compose`/`docker-compose`."""
    files, directory, index = [], None, 0
    while index < len(words) and words[index] != "up":
        word = words[index]
        flag, equals, argument = word.partition("=")
        if flag in _COMPOSE_GLOBAL_VALUES and not equals:
            argument = words[index + 1] if index + 1 < len(words) else ""
            index += 1
        elif word.startswith("-f") and len(word) > 2 and not word.startswith("--"):
            flag, argument = "-f", word[2:]
        if flag in ("-f", "--file"):
            files.append(argument)
        elif flag == "--project-directory":
            directory = argument
        elif not word.startswith("-"):
            return None  # another subcommand (`ps`, `logs`, `down`)
        index += 1
    if index >= len(words):
        return None
    services, waits, index = [], False, index + 1
    while index < len(words):
        word = words[index]
        flag = word.partition("=")[0]
        if word == "--wait":
            waits = True
        elif flag in _COMPOSE_UP_VALUES and "=" not in word:
            index += 1
        elif not word.startswith("-"):
            services.append(word)
        index += 1
    return ComposeUp(Span(0, 0, 0, 0), tuple(files), directory, tuple(services), waits)


def compose_ups(run: Value) -> list[ComposeUp]:
    """Every `docker compose ... up` command of a `run:` script, with its span."""
    if "compose" not in run.text:
        return []
    found = []
    for match in _COMPOSE.finditer(run.text):
        words = _words(match.group(0))[1:]
        words = words[1:] if words and words[0] == "compose" else words
        up = _compose_up_words(words)
        if up is not None:
            found.append(ComposeUp(run.locate(match.start(), match.end()), up.files, up.project_directory,
                                   up.services, up.waits))
    return found


def compose_action(step: Step) -> ComposeUp | None:
    """The compose up a compose action (`COMPOSE_ACTIONS`) runs, from its inputs."""
    if step.uses_action not in COMPOSE_ACTIONS:
        return None

    def lines(name: str) -> tuple:
        value = step.with_.get(name)
        return tuple(line.strip() for line in value.text.splitlines() if line.strip()) if value else ()

    cwd = step.with_.get("cwd")
    flags = step.with_.get("up-flags")
    return ComposeUp(step.uses.span, lines("compose-file"), cwd.text.strip() if cwd else None,
                     lines("services"), bool(flags and "--wait" in flags.text.split()))


class Restart:
    """A restart of something that may be Redis. kind: "docker" (`docker restart NAME`), "compose"
    (`docker compose restart [SERVICE]`) or "system" (`service redis-server restart`,
    `systemctl restart redis`: always Redis). target: the container, the named services."""

    __slots__ = ("kind", "span", "targets")

    def __init__(self, kind: str, span: Span, targets: tuple = ()):
        self.kind, self.span, self.targets = kind, span, targets


_DOCKER_RESTART = lazy_compile(_DOCKER + r"(?:\s+container)?\s+restart\b" + _COMMAND_REST)
_COMPOSE_RESTART = lazy_compile(r"\bdocker(?:-compose|\s+compose)\b[^\n;|&]*?\srestart\b" + _COMMAND_REST)
_SYSTEM_RESTART = lazy_compile(
    r"\bservice\s+(?:redis|valkey|keydb)[\w.@-]*\s+restart\b"
    r"|\bsystemctl\s+restart\s+(?:redis|valkey|keydb)[\w.@-]*"
    r"|/etc/init\.d/(?:redis|valkey)[\w.-]*\s+restart\b"
)
SYSTEM_START = lazy_compile(  # the first start of an installed server: a start like `redis-server`
    r"\bservice\s+(?:redis|valkey|keydb)[\w.@-]*\s+start\b"
    r"|\bsystemctl\s+start\s+(?:redis|valkey|keydb)[\w.@-]*"
    r"|/etc/init\.d/(?:redis|valkey)[\w.-]*\s+start\b"
)


def restarts(run: Value) -> list[Restart]:
    """Restarts in a `run:` script; which of them restart Redis is decided with the job
    (`readiness.redis_in_job`: container names and service labels)."""
    text = run.text
    if "restart" not in text and "start" not in text:
        return []
    found = []
    for match in _DOCKER_RESTART.finditer(text):
        words = [word for word in _words(match.group(0)) if not word.startswith("-")]
        targets = words[words.index("restart") + 1:]
        found.append(Restart("docker", run.locate(match.start(), match.end()), tuple(targets)))
    for match in _COMPOSE_RESTART.finditer(text):
        words = _words(match.group(0))
        targets = [word for word in words[words.index("restart") + 1:] if not word.startswith("-")]
        found.append(Restart("compose", run.locate(match.start(), match.end()), tuple(targets)))
    for match in _SYSTEM_RESTART.finditer(text):
        found.append(Restart("system", run.locate(match.start(), match.end())))
    return found


_DOCKER_RUN = lazy_compile(_DOCKER + r"\s+(?:container\s+)?run\b" + _COMMAND_REST)


def _docker_runs(text: str) -> list:
    """`_DOCKER_RUN` matches, looked for only where `docker` or `podman` is written."""
    return matches_at_words(_DOCKER_RUN, text, _DOCKER_WORDS)
_JOB_NETWORK = lazy_compile(
    r"--net(?:work)?[=\s]+[\"']?\$\{\{\s*job\.(?:container|services\.[\w-]+)\.network\s*\}\}"
)


def job_network_containers(step: Step) -> list[Span]:
    """`docker run` commands of the step that join the job's network
    (`--network ${{ job.container.network }}` or `${{ job.services.<label>.network }}`)."""
    if step.run is None or "network" not in step.run.text:
        return []
    return [step.run.locate(match.start(), match.end())
            for match in _docker_runs(step.run.text) if _JOB_NETWORK.search(match.group(0))]


_DETACH = lazy_compile(r"\s(?:-[a-zA-Z]*d[a-zA-Z]*|--detach)(?=\s)")
_BACKGROUND = lazy_compile(r"[^&|;\s][^\n;|&]*?(?<![&>])&(?![&>])")
_SERVICE_START = lazy_compile(r"\b(?:service\s+[\w.@-]+\s+start|systemctl\s+start\s+[\w.@-]+)\b")
_COMPOSE_WORDS = ("docker compose", "docker-compose")


def other_starts(step: Step) -> list[int]:
    """Offsets in the step's `run:` where it starts a server that is not Redis: a detached
    `docker run` of another image, a compose up that names no Redis, `cmd &`, `service X start`.
    (RC102 asks what a sleep waits for: the nearest thing started before it.)"""
    if step.run is None:
        return []
    text, offsets = step.run.text, []
    for match in _docker_runs(text):
        command = match.group(0)
        image = _run_image(_words(command)[2:])
        if _DETACH.search(command + " ") and image and not is_redis_image(parse_image(Value(image, step.run.span))):
            offsets.append(match.start())
    if any(words in text for words in _COMPOSE_WORDS):
        for match in _COMPOSE.finditer(text):
            up = _compose_up_words(_words(match.group(0))[2 if "docker compose" in match.group(0) else 1:])
            if up is not None and not up.names_redis and not _REDIS_WORD.search(match.group(0)):
                offsets.append(match.start())
    if "&" in text and "&" in text.replace("&&", ""):  # a lone `&` is never half of `&&`
        offsets.extend(match.start() for match in _BACKGROUND.finditer(text)
                       if not _REDIS_WORD.search(match.group(0)))
    if "service" in text or "systemctl" in text:
        offsets.extend(match.start() for match in _SERVICE_START.finditer(text) if not _REDIS_WORD.search(match.group(0)))
    return sorted(offsets)


# `docker run` options that take no value (combined short ones like `-dit` too).
_DOCKER_RUN_SWITCHES = lazy_compile(
    r"-[ditPq]+|--(?:detach|rm|interactive|tty|init|privileged|read-only|publish-all|no-healthcheck|quiet)"
)


def _run_image(words: list[str]) -> str | None:
    """The IMAGE of `docker run [OPTIONS] IMAGE [COMMAND]`: the first word that is neither
    an option nor an option's value (`--name redis` names the container, not the image)."""
    remaining = iter(words)
    for word in remaining:
        if word == "run" or word == "container":
            continue
        if not word.startswith("-"):
            return word
        if "=" not in word and not _DOCKER_RUN_SWITCHES.fullmatch(word):
            next(remaining, None)  # the option's value
    return None


def docker_run_image(command: str) -> str | None:
    """The IMAGE of one `docker run ...` command as written (a `${{ }}` option value is one word)."""
    return _run_image(_words(command)[2:])


def docker_run_names(run: Value) -> list[tuple]:
    """(container name, image) of every `docker run --name NAME ... IMAGE` in a script."""
    found = []
    for match in _docker_runs(run.text):
        words = _words(match.group(0))
        for index, word in enumerate(words):
            name = word[len("--name="):] if word.startswith("--name=") else (
                words[index + 1] if word == "--name" and index + 1 < len(words) else None)
            if name:
                found.append((name, _run_image(words[2:])))
                break
    return found


_DOCKER_PULL = lazy_compile(_DOCKER + r"\s+(?:image\s+)?pull\b" + _COMMAND_REST)


def docker_images(run: Value) -> list[tuple]:
    """(verb, image as written, span of the command) of every `docker run` and `docker pull`."""
    found = []
    for match in _docker_runs(run.text):
        image = _run_image(_words(match.group(0))[2:])
        if image:
            found.append(("run", image, run.locate(match.start(), match.end())))
    if "pull" in run.text and ("docker" in run.text or "podman" in run.text):
        for match in _DOCKER_PULL.finditer(run.text):
            words = [word for word in _words(match.group(0))[2:] if word not in ("pull",) and not word.startswith("-")]
            if words:
                found.append(("pull", words[0], run.locate(match.start(), match.end())))
    return found
