"""Moved to `redis_ci.runner.hold`; this re-export stays until lint imports the new path."""

from redis_ci.runner.hold import *  # noqa: F401,F403
from redis_ci.runner.hold import first_probe_seconds, runner_hold  # noqa: F401  (lint RC104)
