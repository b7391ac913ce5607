"""The generated service `command:`, `REDIS_ARGS` and health check, run against a real redis-server.

Docker Hub is out of reach here, so the image is played by its parts: the runner's argument
parsing (the runner hands `command:` to `docker create` as an argument string, split by .NET's
rules: double quotes group, `\\"` is a literal quote, `""` an empty argument), the image's
`docker-entrypoint.sh` (runs `redis-server`/`valkey-server` with the given arguments, anything
else as is), and Debian's redis-server standing in for the server binary.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time

import pytest
import redis

from redis_ci import recipe
from redis_ci.generate.render import service_entry
from redis_ci.generate.setup import Setup


from redis_servers import free_port  # noqa: E402

PASSWORD = 'pa ss"w$rd\\x'  # space, quote, dollar, backslash: what a shell could mangle

FAKE_ENTRYPOINT = """#!/bin/sh
# Stand-in for the image's docker-entrypoint.sh: the server name maps to the test's redis-server.
case "$1" in
  redis-server|valkey-server) shift; exec redis-server --port "$TEST_PORT" --bind 127.0.0.1 --dir "$TEST_DIR" "$@" ;;
  *) exec "$@" ;;
esac
"""
FAKE_REDIS_CLI = """#!/bin/sh
exec /usr/bin/redis-cli -p "$TEST_PORT" "$@"
"""


def split_like_runner(text: str) -> list[str]:
    """Split an argument string the way the runner's .NET process start does (ParseArgumentsIntoList)."""
    arguments, i = [], 0
    while i < len(text):
        while i < len(text) and text[i] in " \t":
            i += 1
        if i == len(text):
            break
        current, in_quotes = [], False
        while i < len(text):
            backslashes = 0
            while i < len(text) and text[i] == "\\":
                i, backslashes = i + 1, backslashes + 1
            if backslashes:
                if i < len(text) and text[i] == '"':
                    current.append("\\" * (backslashes // 2))
                    if backslashes % 2:
                        current.append('"')
                        i += 1
                else:
                    current.append("\\" * backslashes)
                continue
            if text[i] == '"':
                if in_quotes and i + 1 < len(text) and text[i + 1] == '"':
                    current.append('"')
                    i += 1
                else:
                    in_quotes = not in_quotes
                i += 1
                continue
            if text[i] in " \t" and not in_quotes:
                break
            current.append(text[i])
            i += 1
        arguments.append("".join(current))
    return arguments


def test_split_like_runner_follows_the_documented_rules():
    assert split_like_runner('a "b c" "" d\\"e "f \\"g\\""') == ["a", "b c", "", 'd"e', 'f "g"']


def _service_values(setup: Setup) -> dict:
    """`command:` and the env of the generated service, read from its text (values are one-liners)."""
    values = {}
    for line in service_entry(setup):
        key, _, value = line.strip().partition(": ")
        if key in ("command", recipe.PASSWORD_ENV, "REDIS_ARGS"):
            values[key] = value[1:-1] if value.startswith('"') else value
    return values


@pytest.fixture
def image_parts(tmp_path):
    """PATH with the fake entrypoint and redis-cli, and the environment the container would have."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, script in (("docker-entrypoint.sh", FAKE_ENTRYPOINT), ("redis-cli", FAKE_REDIS_CLI)):
        (bin_dir / name).write_text(script)
        (bin_dir / name).chmod(0o755)
    port = free_port()
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", TEST_PORT=str(port), TEST_DIR=str(tmp_path))
    return port, env


def _unauthenticated_ping(port: int) -> bytes:
    """The raw reply to a PING sent without a password (redis-py retries NOAUTH for seconds)."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
        connection.sendall(b"PING\r\n")
        return connection.recv(200)


def _start(argv, env, port):
    server = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            _unauthenticated_ping(port)
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise AssertionError(f"{argv} did not start")


def _stop(server):
    server.terminate()
    server.wait(timeout=10)


@pytest.mark.parametrize(
    "options",
    [
        dict(image="redis", password_secret="PW"),
        dict(image="redis", password_secret="PW", container_image="python:3.13-slim"),
        dict(image="valkey", container_image="python:3.13-slim"),
        dict(image="valkey", password_secret="PW", gate="health"),
    ],
    ids=lambda options: "-".join(map(str, options.values())),
)
def test_service_command_starts_the_server_as_asked(image_parts, options):
    port, env = image_parts
    setup = Setup.checked(**options)
    values = _service_values(setup)
    if setup.password_secret:
        assert values[recipe.PASSWORD_ENV] == "${{ secrets.PW }}"
        env[recipe.PASSWORD_ENV] = PASSWORD  # what the runner puts there from the secret
    server = _start(["docker-entrypoint.sh", *split_like_runner(values["command"])], env, port)
    try:
        client = redis.Redis(port=port, password=PASSWORD if setup.password_secret else None)
        assert client.ping()
        if setup.is_container_job:
            assert client.config_get("save")["save"] == ""
        if setup.password_secret:
            assert _unauthenticated_ping(port).startswith(b"-NOAUTH")
            health = ["sh", "-c", recipe.HEALTH_CMD]
            assert subprocess.run(health, env=env).returncode == 0
            without_password = {k: v for k, v in env.items() if k != recipe.PASSWORD_ENV}
            assert subprocess.run(health, env=without_password).returncode != 0  # NOAUTH must not pass
    finally:
        _stop(server)


def test_redis_stack_args_set_the_password_and_switch_snapshots_off(image_parts):
    """redis-stack-server's entrypoint appends `${REDIS_ARGS}` unquoted: split on whitespace."""
    port, env = image_parts
    setup = Setup.checked(image="redis-stack", password_secret="PW", container_image="python:3.13-slim")
    redis_args = _service_values(setup)["REDIS_ARGS"].replace("${{ secrets.PW }}", "stack-secret")
    server = _start(["docker-entrypoint.sh", "redis-server", *redis_args.split()], env, port)
    try:
        client = redis.Redis(port=port, password="stack-secret")
        assert client.ping()
        assert client.config_get("save")["save"] == ""
        assert _unauthenticated_ping(port).startswith(b"-NOAUTH")
    finally:
        _stop(server)
