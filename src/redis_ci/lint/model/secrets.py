"""The password a Redis service is started with (`--requirepass` in `command:`, or in REDIS_ARGS
where the image reads it)."""

from __future__ import annotations

from redis_ci.lint.model.expressions import EXPRESSION
from redis_ci.lint.model.options import runner_words
from redis_ci.lint.model.records import Record
from redis_ci.lint.model.tree import Service
from redis_ci.lint.patterns import lazy_compile


class RequirePass(Record):
    """The password a Redis service is started with: `--requirepass X` in `command:` or in a
    REDIS_ARGS env (which redis-stack-server reads). text: X without quotes; env_name: NAME
    when X is `$NAME`/`${NAME}` (a variable of the container); expression: the `${{ }}`
    expression the password comes from (X itself or that variable's value), else None."""

    __slots__ = _fields = ("text", "env_name", "expression")
    __hash__ = Record.hash_fields

    def __init__(self, text: str, env_name: str | None, expression: str | None):
        self.text = text
        self.env_name = env_name
        self.expression = expression


_REQUIREPASS = lazy_compile(r"--requirepass[=\s]+[\\\"']*(\$\{\{.*?\}\}|[^\s\\\"']+)")
_SHELL_VARIABLE = lazy_compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


# Images whose entrypoint puts REDIS_ARGS on the server's command line (the official `redis` and
# `valkey` images ignore it: RC402).
REDIS_ARGS_IMAGES = ("redis-stack-server", "redis-stack")


def reads_redis_args(service: Service) -> bool:
    """True when the service's image (one of its matrix values) hands REDIS_ARGS to the server."""
    return any(image.name.lower() in REDIS_ARGS_IMAGES for image in service.images)


def _command_sources(service: Service) -> list[str]:
    """The `command:` as the runner splits it: `--requirepass X` as two words or one
    `--requirepass=X`, or a script word (`sh -c "... --requirepass ..."`) searched as a shell reads it."""
    if service.command is None:
        return []
    words = runner_words(service.command.text)
    sources = []
    for index, word in enumerate(words):
        if word == "--requirepass" and index + 1 < len(words):
            sources.append(f"--requirepass {words[index + 1]}")
        elif word.startswith("--requirepass=") or (" " in word and "--requirepass" in word):
            sources.append(word)
    return sources


def requirepass(service: Service) -> RequirePass | None:
    """The service's RequirePass, or None when it starts without one (as far as we can see):
    from `command:`, or from REDIS_ARGS where the image reads it."""
    sources = _command_sources(service)
    if reads_redis_args(service):
        sources += [env.value.text for env in service.env if env.name == "REDIS_ARGS"]
    for source in sources:
        match = _REQUIREPASS.search(source)
        if not match:
            continue
        text = match.group(1)
        variable = _SHELL_VARIABLE.fullmatch(text)
        if variable:
            values = [env.value.text for env in service.env if env.name == variable.group(1)]
            expression = values[0] if values and EXPRESSION.fullmatch(values[0].strip()) else None
            return RequirePass(text, variable.group(1), expression)
        return RequirePass(text, None, text if EXPRESSION.fullmatch(text) else None)
    return None
