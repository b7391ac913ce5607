"""How long the GitHub runner holds a job for a service's Docker health check: one pure model.

Used by lint rule RC104 (slow-health-gate), the replay (`runner.replay`, which waits with the same
back-off on real Docker) and bench/runner_hold.py, so the README's figures, the rule's messages
and the replay come from the same numbers.

The runner (actions/runner `src/Runner.Worker/ContainerOperationProvider.cs`,
`ContainerHealthcheck`) inspects each service's health right after starting the containers and,
while Docker says `starting`, again after `BackoffTimerHelper.GetExponentialBackoff(n, 2 s, 32 s,
2 s)` (`src/Sdk/Common/Common/Utility/BackoffTimerHelper.cs`): wait n (n = 0, 1, ...) is
min(2 s + (2^n - 1) * r, 32 s) with r = `new Random().Next(1600, 2400)` ms, drawn afresh for
each wait. So the waits are 2, 3.6-4.4, 6.8-9.2, 13.2-18.8, 26-32, then 32 s; the nominal
inspections (r = 2 s) fall at +2, +6, +14, +30, +62 s, then every 32 s. There is no overall
timeout. Docker runs the first probe one `--health-interval` after the container starts
(default 30 s), or one `--health-start-interval` (default 5 s) when a `--health-start-period`
is set; a probe of a ready Redis takes ~0.2 s.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing's, without importing typing
if TYPE_CHECKING:  # annotations only: `redis-ci lint` (RC104) imports this module at start-up
    import random
    from collections.abc import Iterator

DEFAULT_INTERVAL = 30.0  # Docker's --health-interval when absent (or 0)
DEFAULT_START_INTERVAL = 5.0  # Docker >= 25's --health-start-interval when absent (or 0)
PROBE_SECONDS = 0.2  # one `redis-cli ping` exec in a ready container (measured: 1.2 s / 10.3 s)

# GetExponentialBackoff(attempt, minBackoff: 2 s, maxBackoff: 32 s, deltaBackoff: 2 s)
MIN_BACKOFF = 2.0
MAX_BACKOFF = 32.0
DELTA_BACKOFF = 2.0
# Random.Next(delta * 0.8, delta * 1.2) in whole milliseconds: 1600 ... 2399 ms
JITTER_MS = (int(DELTA_BACKOFF * 1000 * 0.8), int(DELTA_BACKOFF * 1000 * 1.2))

RUNNER_CHECKS = (2.0, 6.0, 14.0, 30.0, 62.0)  # nominal inspections (r = 2 s), seconds after start
RUNNER_LATER_EVERY = MAX_BACKOFF  # ...and then every 32 s


def backoff_seconds(attempt: int, delta: float = DELTA_BACKOFF) -> float:
    """Wait number `attempt` (0-based) for a drawn r = `delta` seconds."""
    return min(MIN_BACKOFF + (2.0**attempt - 1.0) * delta, MAX_BACKOFF)


def draw_backoff(attempt: int, rng: random.Random) -> float:
    """Wait number `attempt` with r drawn as the runner draws it (whole ms in [1600, 2400))."""
    return backoff_seconds(attempt, rng.randrange(*JITTER_MS) / 1000.0)


def backoff_range(attempt: int) -> tuple[float, float]:
    """The shortest and longest wait number `attempt` can be."""
    return backoff_seconds(attempt, JITTER_MS[0] / 1000.0), backoff_seconds(attempt, (JITTER_MS[1] - 1) / 1000.0)


def waits(rng: random.Random | None = None) -> Iterator[float]:
    """The runner's waits between inspections, in order; nominal (r = 2 s) without `rng`."""
    attempt = 0
    while True:
        yield backoff_seconds(attempt) if rng is None else draw_backoff(attempt, rng)
        attempt += 1


def first_probe_seconds(
    interval: float | None = None,
    start_period: float | None = None,
    start_interval: float | None = None,
) -> float:
    """Seconds from container start to Docker's first health probe (None or 0 = Docker default)."""
    if start_period:
        return start_interval or DEFAULT_START_INTERVAL
    return interval or DEFAULT_INTERVAL


def runner_sees(healthy_at: float, rng: random.Random | None = None) -> float:
    """The first runner inspection at or after `healthy_at` seconds: when the job goes on.

    Nominal back-off without `rng`; with one, each wait is drawn as the runner draws it.
    """
    seen = 0.0
    for wait in waits(rng):
        if seen >= healthy_at:
            return seen
        seen += wait
    raise AssertionError("unreachable: waits() never ends")


def runner_sees_range(healthy_at: float) -> tuple[float, float]:
    """The earliest and latest the runner can see a service healthy at `healthy_at` seconds.

    Inspection n falls at C_n = w_0 + ... + w_(n-1), each w_k anywhere in its own range, and the
    job goes on at the first C_n >= healthy_at. For each n that can be that first one (C_(n-1)
    can still be short of `healthy_at`, C_n can reach it) the earliest is max(healthy_at,
    lowest C_n) and the latest is min(highest C_n, healthy_at + longest w_(n-1)).
    """
    if healthy_at <= 0:
        return 0.0, 0.0
    earliest, latest = float("inf"), 0.0
    low = high = 0.0  # range of C_(n-1)
    attempt = 0
    while low < healthy_at:
        shortest, longest = backoff_range(attempt)
        next_low, next_high = low + shortest, high + longest
        if next_high >= healthy_at:
            earliest = min(earliest, max(healthy_at, next_low))
            latest = max(latest, min(next_high, healthy_at + longest))
        low, high = next_low, next_high
        attempt += 1
    return earliest, latest


def runner_hold(
    interval: float | None = None,
    start_period: float | None = None,
    start_interval: float | None = None,
) -> float:
    """Estimated seconds the runner holds the job before its first step (nominal back-off), for a
    service whose health check passes on its first probe (Redis is ready in milliseconds)."""
    return runner_sees(first_probe_seconds(interval, start_period, start_interval) + PROBE_SECONDS)


def runner_hold_range(
    interval: float | None = None,
    start_period: float | None = None,
    start_interval: float | None = None,
) -> tuple[float, float]:
    """`runner_hold` over the whole jitter of the back-off: (earliest, latest) seconds."""
    return runner_sees_range(first_probe_seconds(interval, start_period, start_interval) + PROBE_SECONDS)


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def docker_duration(text: str) -> float | None:
    """Seconds in a Go duration as Docker's `--health-*` flags take it (`10s`, `1m30s`), else None."""
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
