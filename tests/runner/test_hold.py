"""The hold model against the runner's back-off (BackoffTimerHelper.GetExponentialBackoff)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redis_ci.runner import hold


@pytest.mark.parametrize("attempt, low, high", [
    (0, 2.0, 2.0),
    (1, 3.6, 4.4),
    (2, 6.8, 9.2),
    (3, 13.2, 18.8),
    (4, 26.0, 32.0),
    (5, 32.0, 32.0),
    (12, 32.0, 32.0),
])
def test_each_wait_lies_in_the_runners_range(attempt, low, high):
    shortest, longest = hold.backoff_range(attempt)
    assert shortest == pytest.approx(low) and longest == pytest.approx(high, abs=0.02)
    rng = random.Random(attempt)
    drawn = [hold.draw_backoff(attempt, rng) for _ in range(500)]
    assert all(low - 1e-9 <= wait <= high + 1e-9 for wait in drawn)
    if high > low:
        assert max(drawn) - min(drawn) > (high - low) / 2  # the jitter is really drawn


def test_nominal_inspections():
    seen, times = 0.0, []
    for wait in list(zip(range(7), hold.waits()))[:7]:
        seen += wait[1]
        times.append(seen)
    assert times == [2, 6, 14, 30, 62, 94, 126]


@pytest.mark.parametrize("healthy_at, low, high", [
    (0.0, 0.0, 0.0),
    (1.2, 2.0, 2.0),  # the recipe's 1 s interval: seen at the first re-inspection, +2 s
    (10.3, 12.4, 15.6),  # GitHub's docs recipe: seen at the third, +12.4 to +15.6 s
    (30.2, 30.2, 62.2),
])
def test_sees_range(healthy_at, low, high):
    earliest, latest = hold.runner_sees_range(healthy_at)
    assert earliest == pytest.approx(low, abs=0.01) and latest == pytest.approx(high, abs=0.01)


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0.0, max_value=300.0), st.integers(0, 2**32))
def test_a_drawn_run_lies_in_the_range(healthy_at, seed):
    earliest, latest = hold.runner_sees_range(healthy_at)
    seen = hold.runner_sees(healthy_at, random.Random(seed))
    assert earliest - 1e-6 <= seen <= latest + 1e-6
    assert seen >= healthy_at


def test_the_range_is_reached_by_drawn_runs():
    rng = random.Random(6379)
    seen = [hold.runner_sees(10.3, rng) for _ in range(4000)]
    assert min(seen) < 12.6 and max(seen) > 15.3


@pytest.mark.parametrize("text, seconds", [
    ("10s", 10.0), ("1s", 1.0), ("500ms", 0.5), ("1m30s", 90.0), ("1.5s", 1.5), ("2h", 7200.0),
    ("10", None), ("s", None), ("10x", None), ("'10s'", None), ("", None),
])
def test_docker_duration(text, seconds):
    assert hold.docker_duration(text) == seconds
