"""The password a Redis service is started with (`--requirepass` in `command:` or REDIS_ARGS)."""

from __future__ import annotations

from dataclasses import dataclass

from redis_ci.lint.model.expressions import EXPRESSION
from redis_ci.lint.model.tree import Service
from redis_ci.lint.patterns import lazy_compile


@dataclass(frozen=True)
class RequirePass:
    """The password a Redis service is started with: `--requirepass X` in `command:` or in a
    REDIS_ARGS env (which redis-stack-server reads). text: X without quotes; env_name: NAME
    when X is `$NAME`/`${NAME}` (a variable of the container); expression: the `${{ }}`
    expression the password comes from (X itself or that variable's value), else None."""

    text: str
    env_name: str | None
    expression: str | None


_REQUIREPASS = lazy_compile(r"--requirepass[=\s]+[\\\"']*(\$\{\{.*?\}\}|[^\s\\\"']+)")
_SHELL_VARIABLE = lazy_compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


def requirepass(service: Service) -> RequirePass | None:
    """The service's RequirePass, or None when it starts without one (as far as we can see)."""
    sources = [service.command.text] if service.command else []
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
