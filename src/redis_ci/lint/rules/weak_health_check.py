"""RC103 weak-health-check."""

from __future__ import annotations

import re

from redis_ci import recipe
from redis_ci.lint import edits
from redis_ci.lint.model import (
    compose_projects,
    is_gate,
    option_argument_span,
    requirepass,
    service_has_health_check,
)
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule
from redis_ci.lint.patterns import lazy_compile

_CLI = lazy_compile(r"\b((?:redis|valkey|keydb)-cli)\b")
# `redis-cli -h x -p 6380 ping`: the client with the arguments before `ping`.
_CLI_PING = lazy_compile(r"\b((?:redis|valkey|keydb)-cli)((?:\s+(?!(?i:ping)\b)[^\s|;&]+)*)\s+(?i:ping)\b")
_TCP_PORT = lazy_compile(r"(?:/dev/tcp/[^/\s]+/|\s)(\d{2,5})\b")
_TCP_ONLY = lazy_compile(r"/dev/tcp/|\b(?:nc|ncat|netcat)\b[^|;&]*\s-\w*z")
# Their parts, for the linear searches (tcp_only, cli_ping): a pattern tried from each `nc` or
# each client scans to the end of its command every time.
_NC = lazy_compile(r"\b(?:nc|ncat|netcat)\b")
_ZERO_IO = lazy_compile(r"\s-\w*z")
_SEPARATOR = lazy_compile(r"[|;&]")
_CLI_START = lazy_compile(r"\b((?:redis|valkey|keydb)-cli)")
_THEN_PING = lazy_compile(r"\s+(?i:ping)\b")
_THEN_WORD = lazy_compile(r"\s+[^\s|;&]+")
_AUTH = lazy_compile(r"(?:^|\s)(?:-a|--pass|--askpass|--user)(?:\s|=|$)|-u\s+\S*@|REDISCLI_AUTH")
# Images known to ship redis-cli (valkey ships `redis-*` links): a TCP check can become a PING.
_CLI_IMAGES = ("redis", "valkey", "redis-stack", "redis-stack-server")
_SECRET_ARGUMENT = lazy_compile(r"((?:^|\s)(?:-a|--pass)(?:\s+|=)|REDISCLI_AUTH=|://[^:/@\s]*:)([^\s$@'\"]+)")
_SECRET_MARKS = ("-a", "--pass", "REDISCLI_AUTH=", "://")


class WeakHealthCheck(Rule):
    """The health command can pass while Redis does not serve.

    ## What it does
    Reports the `--health-cmd` of a Redis service (and the `healthcheck:` test of a Redis
    service in a compose file that `docker compose up --wait` waits for, in that file) when it:
    - runs `redis-cli ping` and takes its exit code as is (no `-e`, no `grep PONG`);
    - only checks that the TCP port is open (`nc -z`, `/dev/tcp`);
    - does not authenticate while the server is started with `--requirepass` (in `command:`,
      or `REDIS_ARGS` for redis-stack-server).

    ## Why is this bad?
    `redis-cli ping` exits 0 on an error reply such as `NOAUTH` or `LOADING`, and Redis
    accepts connections while it loads a dataset: the service is marked healthy and the tests
    meet errors. Without the password, `ping | grep PONG` never passes: the runner prints
    `Service container <label> failed.` and fails the job with "One or more containers failed to
    start."; a bare `redis-cli ping` passes on `NOAUTH` and checks nothing.

    ## Example
    ```yaml
    options: >-
      --health-cmd "redis-cli ping"
      --health-interval 10s
    ```

    ## Use instead
    ```yaml
    options: >-
      --health-cmd "redis-cli ping | grep -q PONG"
      --health-interval 1s
    ```
    With a password, set `REDISCLI_AUTH` in the service's `env:` (redis-cli reads it).

    ## Fix safety
    Safe: the fix replaces the command with `redis-cli ping | grep -q PONG`, keeping the
    client (`valkey-cli`, `keydb-cli`) and its arguments (`-p 6380`, `--tls`, ...) as written,
    or the port a TCP check used. When the password comes from a variable of the container
    (`--requirepass "$PASSWORD"`), the command gets `REDISCLI_AUTH=$PASSWORD` in front. No fix
    when the password is written in the server's command or comes from an expression (it
    would end up in the container's configuration), for a TCP check on an image that may not
    ship redis-cli, or when the kept arguments carry quotes. No fix in a compose file (--fix
    edits workflows only).
    """

    code = "RC103"
    name = "weak-health-check"
    triggers = REDIS_WORDS
    severity = "warning"
    fixable = True

    def __init__(self):
        self._reported: set = set()  # (line, column, problem) already reported in this file

    def check_job(self, job, workflow):
        for service in job.redis_services:
            command = service.options.health_cmd
            if not service_has_health_check(service) or "${{" in command:
                continue
            password = requirepass(service)  # asked once: the helpers below all need it
            problem = _problem(command, service, password)
            if problem is None:
                continue
            span = option_argument_span(workflow.lines, service.options, "--health-cmd")
            span = span or service.options.span_of("--health-cmd")
            replacement, fixable = _replacement(command, service, password)
            advice = f"use `--health-cmd \"{_redacted(replacement)}\"`"
            if not fixable and password is not None:
                advice = f"set `{recipe.PASSWORD_ENV}` to the password in the service's `env:` and {advice}"
            key = (span.line, span.column, problem)
            if key in self._reported:  # a service shared through an alias: report it once
                continue
            self._reported.add(key)
            yield self.finding(
                f"health check `{_redacted(command)}` of service `{service.label}` {problem}; {advice}",
                span,
                job=job.id,
                label=service.label,
                replacement=replacement if fixable else None,
            )

        yield from self._check_compose(job)

    def _check_compose(self, job):
        """The healthcheck of a compose Redis service that `up --wait` waits for (its gate)."""
        for step, project in compose_projects(job):
            if not is_gate(step):
                continue
            for name in project.redis:
                definition = project.last(name, "healthcheck")
                command = definition.healthcheck.command if definition else None
                if command is None or "$" in command.text:
                    continue
                password = requirepass(definition)
                problem = _problem(command.text, definition, password)
                if problem is None:
                    continue
                replacement, _ = _replacement(command.text, definition, password)
                if (password is not None and not _authenticates(command.text, definition)
                        and not replacement.startswith(recipe.PASSWORD_ENV)):
                    replacement = f"{recipe.PASSWORD_ENV}=<password> {replacement}"
                yield self.finding(
                    f"health check `{_redacted(command.text)}` of compose service `{name}` {problem}; use "
                    f"`test: [\"CMD-SHELL\", \"{_redacted(replacement)}\"]`",
                    definition.healthcheck.span, definition.file)

    def fix(self, finding, workflow):
        job = workflow.job(finding.data["job"])
        options = job.service(finding.data["label"]).options
        span = option_argument_span(workflow.lines, options, "--health-cmd")
        if span is None or finding.data["replacement"] is None:
            return []
        if '"' in finding.data["replacement"]:  # the user's arguments carry quotes of their own
            return []
        # the runner groups words with double quotes only (RC004); in a YAML "..." scalar they are \"
        quote = '\\"' if options.value.style == '"' else '"'
        return [edits.replace(span, f"{quote}{finding.data['replacement']}{quote}")]


def _replacement(command: str, service, password) -> tuple:
    """(the command to write instead, whether the fix may write it): the recipe's command with
    the user's client and its arguments (`-p 6380`, `--tls`, ...), or the port a TCP check
    used, and the password from the container's own variable when there is one (password:
    `requirepass(service)`)."""
    cli = _CLI.search(command)
    call = cli_ping(command) if cli else None  # (no client, no client's ping)
    if call:
        client = call[0] + call[1]
    else:
        client = cli.group(1) if cli else "redis-cli"
        ports = [] if cli else [port for port in _TCP_PORT.findall(command) if int(port) != recipe.REDIS_PORT]
        client += f" -p {ports[-1]}" if ports else ""
    replacement = recipe.HEALTH_CMD.replace("redis-cli", client, 1)
    fixable = cli is not None or all(image.name in _CLI_IMAGES for image in service.images)
    if password is not None and not _authenticates(command, service):
        if password.env_name is None:
            return replacement, False
        replacement = f"{recipe.PASSWORD_ENV}=${password.env_name} {replacement}"
    return replacement, fixable


def _authenticates(command: str, service) -> bool:
    return bool(_AUTH.search(command)) or any(env.name == recipe.PASSWORD_ENV for env in service.env)


def _problem(command: str, service, password) -> str | None:
    """What is weak about `command`, said as the middle of the message; None when it is fine
    (password: `requirepass(service)`)."""
    checks_reply = "pong" in command.lower()
    cli = _CLI.search(command)
    if cli and password is not None and not _authenticates(command, service):
        if checks_reply:
            return "sends no password to a server started with `--requirepass`: it never passes and the job fails"
        return "sends no password to a server started with `--requirepass`: it passes on the NOAUTH error"
    if checks_reply:
        return None
    if tcp_only(command):
        return "only checks that the port is open: Redis accepts connections while it is still loading"
    if cli and re.search(r"\bping\b", command, re.I) and not re.search(r"(?:^|\s)-e(?:\s|$)", command):
        return f"passes on error replies: `{cli.group(1)} ping` exits 0 on NOAUTH and LOADING"
    return None


def _redacted(command: str) -> str:
    """The command with a password written in it replaced by `***` (never in a message)."""
    if not any(map(command.__contains__, _SECRET_MARKS)):
        return command  # (every way _SECRET_ARGUMENT matches writes one of them: most commands have none)
    return _SECRET_ARGUMENT.sub(lambda m: m.group(1) + "***", command)


def tcp_only(command: str) -> bool:
    """`_TCP_ONLY.search(command)`, linear: a `-z` flag after the first `nc` of a command."""
    if "/dev/tcp/" in command:
        return True
    position = 0
    while (nc := _NC.search(command, position)) is not None:
        separator = _SEPARATOR.search(command, nc.end())
        end = len(command) if separator is None else separator.start()
        if _ZERO_IO.search(command, nc.end(), end) is not None:
            return True
        position = end  # a later `nc` of the command has fewer words after it
    return False


def cli_ping(command: str) -> tuple | None:
    """(group 1, group 2, end) of `_CLI_PING.search(command)`, linear: from each client, word by
    word to a `ping`; a walk that fails stops where every later client's walk in it fails too."""
    position = 0
    while (cli := _CLI_START.search(command, position)) is not None:
        cursor = cli.end()
        while (ping := _THEN_PING.match(command, cursor)) is None:
            word = _THEN_WORD.match(command, cursor)
            if word is None:
                break
            cursor = word.end()
        if ping is not None:
            return cli.group(1), command[cli.end():cursor], ping.end()
        position = max(cursor, cli.start() + 1)
    return None
