"""Run `redis-ci wait` from the action's checkout with the job's own Python (standard library only).

The action runs `python3 -S probe.py wait ...`: -S skips `site` (site-packages and their .pth
hooks), which the probe never needs and which costs tens of milliseconds on a runner. The
package is found next to this file, so no PYTHONPATH is needed (and a Windows path works).

Exit 86 before anything else when this Python is older than 3.9: the action then falls back to
its Node probe. `probe.py --check` only does that check. This file parses on Python 2 too.
"""

import os
import sys

TOO_OLD = 86

if sys.version_info < (3, 9):
    sys.exit(TOO_OLD)
if sys.argv[1:] == ["--check"]:
    sys.exit(0)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "src"))

import runpy  # noqa: E402

runpy.run_module("redis_ci", run_name="__main__")  # redis_ci/__main__.py flushes and exits
