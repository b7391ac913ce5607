"""Go durations (`1s`, `500ms`, `1m30s`) as Docker's health options take them, in seconds."""

from __future__ import annotations

from redis_ci.lint.patterns import lazy_compile


_DURATION_PART = lazy_compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float | None:
    """A Go duration (`1s`, `500ms`, `1m30s`) in seconds; None if it is not one."""
    text = text.strip()
    if text[-1:] in ("s", "m", "h") and text[:-1].isdecimal():  # `1s`, `30s`, `2m`: most of them
        return float(text[:-1]) * _DURATION_UNITS[text[-1]]
    if not text or _DURATION_PART.sub("", text):
        return None
    return sum(float(n) * _DURATION_UNITS[unit] for n, unit in _DURATION_PART.findall(text))

