"""The runner hold model in recipe.py reproduces the figures measured in FACTS.md."""

from __future__ import annotations

import pytest

from redis_ci import recipe


def test_backoff_schedule_is_the_runners():
    delays = [recipe.runner_backoff_seconds(attempt) for attempt in range(7)]
    assert delays == [2, 4, 8, 16, 32, 32, 32]


@pytest.mark.parametrize(
    "interval, start_period, start_interval, hold",
    [
        (10, 0, None, 14),  # GitHub docs recipe: healthy ~10.3 s, seen at ~+14 s
        (1, 0, None, 2),  # recipe.HEALTH_OPTIONS: healthy ~1.2 s, seen at ~+2 s
        (None, 0, None, 62),  # Docker's 30 s default: healthy at 30.25 s, just after the +30 s inspect
        (10, 10, 1, 2),  # start-interval inside the start period probes first
        (10, 1, 1, 14),  # a start-interval not shorter than the start period never applies
    ],
)
def test_hold_from_health_options(interval, start_period, start_interval, hold):
    first_probe = recipe.first_health_probe_seconds(interval, start_period, start_interval)
    assert recipe.runner_hold_seconds(first_probe + recipe.HEALTH_PROBE_SECONDS) == hold


def test_jitter_scales_each_delay():
    assert recipe.runner_hold_seconds(10.25, lambda attempt: 1.2) == pytest.approx(2.4 + 4.8 + 9.6)
    assert recipe.runner_hold_seconds(0.0) == 0.0
