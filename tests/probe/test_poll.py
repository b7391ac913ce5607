"""The poll loop: the pause between attempts (~2 % of the time waited, between 5 ms and 250 ms,
jittered down), and which failure an attempt cut short by the deadline leaves as the verdict."""

from __future__ import annotations

import errno
import socket
import time

import pytest

from redis_ci.probe.checks import CHECKS
from redis_ci.probe.session import Requirements
from redis_ci.probe.poll import DEADLINE_KINDS, MAX_PAUSE_SECONDS, MIN_PAUSE_SECONDS, pause_seconds, wait_until_ready
from redis_ci.probe.resp import Deadline, TlsHandshakeTimeout
from redis_ci.probe.target import parse_url


def test_pause_bounds_and_growth():
    early = [pause_seconds(0.0) for _ in range(200)]
    assert all(MIN_PAUSE_SECONDS / 2 <= pause <= MIN_PAUSE_SECONDS for pause in early)
    at_five_seconds = [pause_seconds(5.0) for _ in range(200)]
    assert all(0.05 <= pause <= 0.1 for pause in at_five_seconds)
    late = [pause_seconds(600.0) for _ in range(200)]
    assert all(MAX_PAUSE_SECONDS / 2 <= pause <= MAX_PAUSE_SECONDS for pause in late)
    assert len(set(late)) > 100  # jittered: many waiters do not poll in lockstep


# --- an attempt the deadline cuts short --------------------------------------------------

def scripted_check(kind_at_deadline: str):
    """A check that is refused while time is left, then spends what is left and fails as the
    deadline makes it fail (a DNS lookup given no time, a socket timeout, a cut handshake)."""
    cut_errors = {
        "dns": lambda: socket.gaierror(socket.EAI_AGAIN, "the lookup did not finish before the deadline"),
        "timeout": lambda: socket.timeout("deadline reached"),
        "tls": lambda: TlsHandshakeTimeout("no answer to the TLS handshake"),
    }

    def check(session):
        if session.deadline.remaining() > 0.15:
            raise ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
        time.sleep(max(session.deadline.remaining(), 0) + 0.001)
        raise cut_errors[kind_at_deadline]()

    return check


@pytest.mark.parametrize("kind_at_deadline", sorted(DEADLINE_KINDS))
def test_an_attempt_the_deadline_cuts_keeps_the_last_real_failure(monkeypatch, kind_at_deadline):
    monkeypatch.setitem(CHECKS, "scripted", scripted_check(kind_at_deadline))
    outcome = wait_until_ready(parse_url("redis://localhost:6379/0"), ["scripted"], Requirements(),
                               Deadline(0.3), on_failure=lambda failure: None)
    assert not outcome.ready and outcome.attempts > 2
    assert outcome.failure.kind == "refused", outcome.failure


def test_a_first_attempt_the_deadline_cuts_is_reported_as_it_is(monkeypatch):
    monkeypatch.setitem(CHECKS, "scripted", scripted_check("dns"))
    outcome = wait_until_ready(parse_url("redis://localhost:6379/0"), ["scripted"], Requirements(),
                               Deadline(0.1), on_failure=lambda failure: None)
    assert outcome.attempts == 1 and outcome.failure.kind == "dns"
