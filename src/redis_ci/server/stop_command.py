"""`redis-ci stop [ID ...]`: stop what `redis-ci start` (or a killed `run`) started, and only that.

Without an ID: $REDIS_CI_ID, else the only instance recorded. `--all` stops every instance
of this user's state directory, `--orphans` those whose owner (`run`, a pytest session) was
killed. Exit codes: 0 stopped, 1 no such instance, 2 bad usage, 3 Docker or the state
directory failed.
"""

from __future__ import annotations

import os

from redis_ci.errors import UsageError


EXAMPLES = """\
examples:
  redis-ci stop "$REDIS_CI_ID"
  redis-ci stop --orphans                         # what a killed `redis-ci run` left
  redis-ci stop --all
"""

def add_arguments(parser) -> None:
    parser.add_argument("ids", nargs="*", metavar="ID", help="what `redis-ci start` printed as REDIS_CI_ID")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="every instance this user started")
    which.add_argument("--orphans", action="store_true",
                       help="instances whose `redis-ci run` or pytest session was killed")


def chosen(args, root: str, environ) -> list:
    from redis_ci.server import state

    if args.ids and (args.all or args.orphans):
        raise UsageError("give IDs or --all/--orphans, not both")
    if args.all:
        return state.instances(root)
    if args.orphans:
        return [instance for instance in state.instances(root) if not instance.owner_alive()]
    ids = args.ids or ([environ["REDIS_CI_ID"]] if environ.get("REDIS_CI_ID") else [])
    if not ids:
        known = state.instances(root)
        if len(known) == 1:
            return known
        listed = ", ".join(instance.id for instance in known) or "none"
        raise UsageError(f"which instance? give its ID (running: {listed}) or --all")
    found = []
    for instance_id in ids:
        instance = state.load(root, instance_id)
        if instance is None:
            return [instance_id]  # reported by run()
        found.append(instance)
    return found


def run(args) -> int:
    from redis_ci.server import lifecycle, state

    root = state.state_root(os.environ)
    instances = chosen(args, root, os.environ)
    missing = [item for item in instances if isinstance(item, str)]
    if missing:
        lifecycle.say(f"stop: no instance {missing[0]} (already stopped?)")
        return 1
    for instance in instances:
        counts = lifecycle.stop(instance)
        lifecycle.say(f"stopped {instance.id}: {counts['processes']} process(es), {counts['containers']} container(s)")
    if not instances:
        lifecycle.say("stop: nothing to stop")
    return 0
