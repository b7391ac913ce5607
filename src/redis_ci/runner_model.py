"""How long the GitHub runner holds a job for a service's Docker health check: one pure model.

Used by lint rule RC104 (slow-health-gate) and meant for the benchmark that prints the hold
of each setup, so the README's figures and the rule's messages come from the same numbers.
Facts (../shared/docs/FACTS.md): Docker runs the first probe one `--health-interval` after
the container starts (default 30 s), or one `--health-start-interval` (default 5 s) when a
`--health-start-period` is set; a probe of a ready Redis takes ~0.2 s. The runner inspects
the health right after starting the containers and, while it says `starting`, again after
an exponential back-off: +2, +6, +14, +30 s, then every 32 s (nominal, without the +-20 %
jitter).
"""

from __future__ import annotations

DEFAULT_INTERVAL = 30.0  # Docker's --health-interval when absent (or 0)
DEFAULT_START_INTERVAL = 5.0  # Docker >= 25's --health-start-interval when absent (or 0)
PROBE_SECONDS = 0.2  # one `redis-cli ping` exec in a ready container (measured: 1.2 s / 10.3 s)
RUNNER_CHECKS = (2.0, 6.0, 14.0, 30.0)  # the runner's re-inspections, seconds after start
RUNNER_LATER_EVERY = 32.0  # ...and then every 32 s


def first_probe_seconds(
    interval: float | None = None,
    start_period: float | None = None,
    start_interval: float | None = None,
) -> float:
    """Seconds from container start to Docker's first health probe (None or 0 = Docker default)."""
    if start_period:
        return start_interval or DEFAULT_START_INTERVAL
    return interval or DEFAULT_INTERVAL


def runner_sees(healthy_at: float) -> float:
    """The first runner inspection at or after `healthy_at` seconds: when the job goes on."""
    for check in RUNNER_CHECKS:
        if check >= healthy_at:
            return check
    late = healthy_at - RUNNER_CHECKS[-1]
    rounds = -(-late // RUNNER_LATER_EVERY)  # ceiling division
    return RUNNER_CHECKS[-1] + rounds * RUNNER_LATER_EVERY


def runner_hold(
    interval: float | None = None,
    start_period: float | None = None,
    start_interval: float | None = None,
) -> float:
    """Estimated seconds the runner holds the job before its first step, for a service whose
    health check passes on its first probe (Redis is ready in milliseconds)."""
    return runner_sees(first_probe_seconds(interval, start_period, start_interval) + PROBE_SECONDS)
