"""`redis-ci start`: start a throwaway Redis, return once it serves, print where it is.

Exit codes: 0 serving, 1 it did not come up (or another server holds its port),
2 bad usage, 3 a fault of this machine (Docker unreachable, state directory unusable).
"""

from __future__ import annotations

import os
import sys

from redis_ci.server import options
from redis_ci.server.output import FORMATS


EXAMPLES = """\
examples:
  redis-ci start                                  # KEY=value lines: eval "$(redis-ci start)"
  redis-ci start --docker redis:7.4 --topology cluster --format json
  redis-ci start --native --port 6381 --password-env REDIS_PASSWORD
"""

def add_arguments(parser) -> None:
    options.add_arguments(parser)
    parser.add_argument("--format", choices=FORMATS, default="env",
                        help="env: KEY=value lines for eval (default); json; github: also append to "
                             "$GITHUB_ENV and $GITHUB_OUTPUT")


def run(args) -> int:
    from redis_ci.server import lifecycle, output

    plan = options.build_plan(args)
    if args.format == "github":
        output.check_github(os.environ)  # before anything starts: a server nobody is told of would leak
    instance = lifecycle.start(plan, progress=lifecycle.say)
    try:
        output.emit(instance.record, args.format, sys.stdout)
    except BaseException:
        lifecycle.stop(instance)
        raise
    note = f"; its password is in ${plan.password_env}, not in REDIS_URL" if plan.password else ""
    lifecycle.say(f"{instance.record['server']} serves at {instance.record['url']} "
                  f"(ready in {instance.record['ready_ms']:g} ms){note}; stop it with: redis-ci stop {instance.id}")
    return 0
