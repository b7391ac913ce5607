"""The pause between attempts: ~2 % of the time waited, between 5 ms and 250 ms, jittered down."""

from __future__ import annotations

from redis_ci.probe.poll import MAX_PAUSE_SECONDS, MIN_PAUSE_SECONDS, pause_seconds


def test_pause_bounds_and_growth():
    early = [pause_seconds(0.0) for _ in range(200)]
    assert all(MIN_PAUSE_SECONDS / 2 <= pause <= MIN_PAUSE_SECONDS for pause in early)
    at_five_seconds = [pause_seconds(5.0) for _ in range(200)]
    assert all(0.05 <= pause <= 0.1 for pause in at_five_seconds)
    late = [pause_seconds(600.0) for _ in range(200)]
    assert all(MAX_PAUSE_SECONDS / 2 <= pause <= MAX_PAUSE_SECONDS for pause in late)
    assert len(set(late)) > 100  # jittered: many waiters do not poll in lockstep
