"""The poll loop: attempt all checks until they pass, a final failure, or the deadline.

The first attempt starts at once. Between attempts the pause is a fixed share
of the time waited so far (`LAG_SHARE`), kept between 5 ms and 250 ms, with
jitter: a server that comes up in 300 ms is seen within a few ms of it, one that
takes a minute costs at most eight attempts a second (a refused connect costs
~0.1 ms of CPU). No attempt outlives the
deadline, and one attempt gets at most `ATTEMPT_SECONDS`, so a connection
stuck on a dead peer is replaced by a fresh one.
"""

from __future__ import annotations

import random
import time
from collections import namedtuple

from redis_ci.probe.checks import CHECKS
from redis_ci.probe.failures import classify
from redis_ci.probe.resp import Deadline
from redis_ci.probe.session import Session

MIN_PAUSE_SECONDS = 0.005
MAX_PAUSE_SECONDS = 0.25
LAG_SHARE = 0.02  # pause ~2 % of the time waited so far
ATTEMPT_SECONDS = 5.0

CheckResult = namedtuple("CheckResult", "ok ms error")
CheckResult.__doc__ = "How one check fared in the last attempt: passed, milliseconds, error message or None."

Outcome = namedtuple("Outcome", "ready elapsed_ms attempts server checks failure topology", defaults=(None,))
Outcome.__doc__ = """The result of a wait: `server` is the last ServerInfo seen (or None),
`checks` maps each check name to its CheckResult, `failure` is the last Failure (None when ready),
`topology` what the last attempt's cluster or sentinel check found (or None)."""

# Failures after which the connection still works, so INFO can tell which server said no.
DESCRIBABLE_KINDS = {"loading", "readonly", "misconf", "oom", "masterdown", "version", "module-missing"}

NOT_RUN = CheckResult(False, 0.0, "not run: an earlier check failed")

# What an attempt ends with when the overall deadline, not the server, stops it: a socket
# timeout, a DNS lookup given no time to finish, a TLS handshake cut off.
DEADLINE_KINDS = {"timeout", "dns", "tls"}


def pause_seconds(waited: float) -> float:
    """The pause before the next attempt after `waited` seconds, with jitter."""
    base = min(MAX_PAUSE_SECONDS, max(MIN_PAUSE_SECONDS, waited * LAG_SHARE))
    return base * random.uniform(0.5, 1.0)


def run_attempt(target, tls_context, check_names, requirements, deadline: Deadline, redactor=None):
    """Run the checks in order on fresh connections until one fails.

    Returns (CheckResult by name, the Failure or None, the ServerInfo or None, the
    topology verdict or None)."""
    session = Session(target, tls_context, deadline, requirements, redactor)
    results = dict.fromkeys(check_names, NOT_RUN)
    failure = None
    server = None
    try:
        for name in check_names:
            started = time.monotonic()
            try:
                CHECKS[name](session)
            except Exception as exc:  # every error an attempt can meet is classified, never raised
                failure = classify(exc, target.address)
                results[name] = CheckResult(False, elapsed_ms(started), failure.message)
                break
            results[name] = CheckResult(True, elapsed_ms(started), None)
        if failure is None or failure.kind in DESCRIBABLE_KINDS:
            server = describe(session)
    finally:
        session.close()
    return results, failure, server, session.topology


def describe(session: Session):
    """The server's ServerInfo, or None when INFO cannot be read (not authenticated, no
    connection, ACL without INFO): a description is a courtesy, not a check."""
    try:
        return session.server_info()
    except Exception:  # noqa: BLE001 - whatever stopped INFO was already reported by a check
        return None


def wait_until_ready(target, check_names, requirements, deadline: Deadline, on_failure, tls_context=None,
                     redactor=None, on_waiting=None) -> Outcome:
    """Poll until every check passes (ready), a final failure, or the deadline.

    `on_failure(failure)` is called whenever the failure kind changes, for progress output;
    `on_waiting(failure)` after every attempt that fails and leaves time to retry (the heartbeat).
    """
    started = deadline.started
    attempts = 0
    results, failure, server, topology = {}, None, None, None
    while True:
        attempts += 1
        attempt_deadline = deadline.sooner(ATTEMPT_SECONDS)
        cut_short = attempt_deadline.at == deadline.at and deadline.remaining() < ATTEMPT_SECONDS
        new_results, new_failure, new_server, new_topology = run_attempt(
            target, tls_context, check_names, requirements, attempt_deadline, redactor
        )
        server = new_server or server
        if failure is not None and cut_short and new_failure is not None and new_failure.kind in DEADLINE_KINDS \
                and (new_failure.kind == "timeout" or deadline.expired()):
            # The deadline, not the server, ended this attempt: the previous error says more.
            break
        results, topology = new_results, new_topology or topology
        kind_changed = new_failure is not None and (failure is None or new_failure.kind != failure.kind)
        if kind_changed and not new_failure.final:  # a final failure is told by the result itself
            on_failure(new_failure)
        failure = new_failure
        if failure is None or failure.final or deadline.expired():
            break
        if on_waiting is not None:
            on_waiting(failure)
        time.sleep(max(0.0, min(pause_seconds(time.monotonic() - started), deadline.remaining())))
        if deadline.expired():
            break
    return Outcome(failure is None, elapsed_ms(started), attempts, server, results, failure, topology)


def elapsed_ms(since: float) -> float:
    return round((time.monotonic() - since) * 1000, 3)
