"""The fixtures the pytest plugin adds once enabled (see pytest_plugin.py).

- `redis_url` (session): a URL of a Redis that serves. $REDIS_URL when it is set (after the
  same wait as `redis-ci wait`), else one started for the session (and stopped after it);
  the started server's variables (REDIS_URL, REDIS_CLUSTER_NODES, ...) are also put in
  os.environ for code that reads them. When no Redis can be had the tests error with the
  reason: a test that needs Redis is never skipped.
- `redis_cluster_nodes` (session): ["127.0.0.1:port", ...] of the started cluster
  (`--redis-ci-topology cluster`).
- `redis_clean` (function, opt-in): `redis_url` after FLUSHALL on every node, so each test
  that asks for it starts from empty data.
"""

from __future__ import annotations

import os
import shlex

import pytest

SETTINGS_KEY = pytest.StashKey[dict]()


class SessionRedis:
    """What the session's Redis is: the client variables and the instance (None when the
    Redis came from $REDIS_URL)."""

    def __init__(self, variables: dict, instance=None):
        self.variables = variables
        self.instance = instance


def start_arguments(settings: dict) -> list:
    words = shlex.split(settings.get("args", "") or "")
    topology = settings.get("topology")
    if topology and topology != "single":
        words += ["--topology", topology]
    return words


def parse_start_options(words: list):
    import argparse

    from redis_ci.server import options

    class Parser(argparse.ArgumentParser):
        def error(self, message):
            raise ValueError(message)

    parser = Parser(prog="redis-ci (pytest)", add_help=False)
    options.add_arguments(parser)
    return parser.parse_args(words)


def wait_on(url: str, timeout: float) -> None:
    """The `wait` gate on an existing Redis; pytest.fail with the reason when it does not serve."""
    from redis_ci.probe.session import Requirements
    from redis_ci.probe.poll import wait_until_ready
    from redis_ci.probe.resp import Deadline
    from redis_ci.probe.target import parse_url
    from redis_ci.recipe import WAIT_CHECKS

    target = parse_url(url)
    if not target.password and os.environ.get("REDISCLI_AUTH"):
        target = target._replace(password=os.environ["REDISCLI_AUTH"])
    outcome = wait_until_ready(target, list(WAIT_CHECKS), Requirements(), Deadline(timeout), lambda failure: None,
                               target.ssl_context())
    if not outcome.ready:
        failure = outcome.failure
        pytest.fail(f"redis-ci: $REDIS_URL ({target.redacted_url()}) does not serve after {timeout:g} s: "
                    f"{failure.kind}: {failure.message}", pytrace=False)


@pytest.fixture(scope="session")
def redis_ci_session(request):
    """The session's Redis (see the module docstring); stopped at the end of the session."""
    from redis_ci.errors import FatalError, UsageError
    from redis_ci.server import lifecycle, options, output, state

    settings = request.config.stash[SETTINGS_KEY]
    try:
        args = parse_start_options(start_arguments(settings))
    except ValueError as exc:
        pytest.fail(f"redis-ci: bad settings: {exc}", pytrace=False)
    if settings.get("start", "auto") == "auto" and os.environ.get("REDIS_URL"):
        wait_on(os.environ["REDIS_URL"], float(args.timeout))
        yield SessionRedis({"REDIS_URL": os.environ["REDIS_URL"]})
        return
    try:
        plan = options.build_plan(args)
        lifecycle.reap_orphans(state.state_root(os.environ))
        instance = lifecycle.start(plan, owner_pid=os.getpid())
    except (UsageError, FatalError) as exc:
        pytest.fail(f"redis-ci: no Redis for this session: {exc}", pytrace=False)
    variables = output.variables(instance.record, plan.password)
    saved = {key: os.environ.get(key) for key in variables}
    os.environ.update(variables)
    try:
        yield SessionRedis(variables, instance)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        lifecycle.stop(instance)


@pytest.fixture(scope="session")
def redis_url(redis_ci_session) -> str:
    return redis_ci_session.variables["REDIS_URL"]


@pytest.fixture(scope="session")
def redis_cluster_nodes(redis_ci_session) -> list:
    nodes = redis_ci_session.variables.get("REDIS_CLUSTER_NODES") or os.environ.get("REDIS_CLUSTER_NODES")
    if not nodes:
        pytest.fail("redis-ci: redis_cluster_nodes needs a cluster: --redis-ci-topology cluster "
                    "(or REDIS_CLUSTER_NODES beside REDIS_URL)", pytrace=False)
    return nodes.split(",")


@pytest.fixture
def redis_clean(redis_ci_session) -> str:
    """`redis_url`, after every node was flushed (replicas follow their masters)."""
    variables = redis_ci_session.variables
    flush_all(variables)
    return variables["REDIS_URL"]


def flush_all(variables: dict) -> None:
    from redis_ci.probe.resp import Connection, Deadline, ReplyError
    from redis_ci.probe.target import TlsOptions, parse_url

    target = parse_url(variables["REDIS_URL"])
    if not target.password and os.environ.get("REDISCLI_AUTH"):
        target = target._replace(password=os.environ["REDISCLI_AUTH"])
    if target.tls is not None and variables.get("REDIS_TLS_CA_CERT"):
        target = target._replace(tls=TlsOptions(variables["REDIS_TLS_CA_CERT"], variables["REDIS_TLS_CERT"],
                                                variables["REDIS_TLS_KEY"]))
    context = target.ssl_context()
    nodes = variables.get("REDIS_CLUSTER_NODES", "")
    addresses = [item.rsplit(":", 1) for item in nodes.split(",")] if nodes else [(target.host, target.port)]
    deadline = Deadline(10.0)
    for host, port in addresses:
        connection = Connection.open(deadline, host=host, port=int(port), unix_path="" if nodes else target.unix_path,
                                     tls=context, server_hostname=host)
        try:
            if target.password:
                credentials = (target.username, target.password) if target.username else (target.password,)
                connection.call(deadline, "AUTH", *credentials)
            try:
                connection.call(deadline, "FLUSHALL")
            except ReplyError as exc:
                if not exc.text.startswith("READONLY"):  # a replica: its master's flush reaches it
                    raise
        finally:
            connection.close()
