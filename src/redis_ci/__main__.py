"""`python -m redis_ci`: how the action runs the probe from its checkout."""

from redis_ci.cli import main

main()  # flushes and ends with os._exit, as the `redis-ci` console script does
