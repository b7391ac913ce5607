"""`python -m redis_ci`: how the action runs the probe from its checkout."""

import os
import sys

from redis_ci.cli import main

code = main()
try:
    sys.stdout.flush()
    sys.stderr.flush()
except BrokenPipeError:
    pass
# Skip the interpreter's teardown (module and thread cleanup): it was most of `wait`'s exit lag.
# Every file we write is closed and renamed before main() returns.
os._exit(code)
