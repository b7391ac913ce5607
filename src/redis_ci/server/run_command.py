"""`redis-ci run [start options] -- COMMAND...`: start Redis, run COMMAND against it, stop it.

COMMAND gets REDIS_URL (with the password, if any) and the topology's variables (see
output.py), and runs in this process's group, so a Ctrl-C in the terminal reaches it
directly; SIGTERM and SIGHUP are passed on to it. Whatever happens (COMMAND exits, a
signal, a failed start), what was started is stopped before `run` exits, with COMMAND's
exit code (128 + N when a signal N ended it). A `run` killed with SIGKILL cannot stop
anything: the next `run` (or `redis-ci stop --orphans`) removes what it left.

When REDIS_URL is already set (CI provided a service), `run` waits on it instead of
starting one; `--start always` starts one anyway.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from redis_ci.errors import UsageError
from redis_ci.probe.lines import unbroken
from redis_ci.server import options

FORWARDED = (signal.SIGTERM, signal.SIGHUP)


EXAMPLES = """\
examples:
  redis-ci run -- pytest
  redis-ci run --native --port 6381 -- pytest     # tests that expect Redis on 6381, no Docker
  redis-ci run --topology cluster --docker redis:7.4 -- npm test
"""

def add_arguments(parser) -> None:
    options.add_arguments(parser)
    parser.add_argument("--start", choices=("auto", "always"), default="auto",
                        help="auto (default): wait on $REDIS_URL when it is set, else start one; always: start one")
    parser.add_argument("run_command", nargs="...", metavar="-- COMMAND", help="the command to run, after --")


class Interrupted(Exception):
    """A signal arrived before COMMAND ran: stop what was started, exit 128 + N."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def command_of(args) -> list:
    command = list(args.run_command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise UsageError("run needs a command: redis-ci run [options] -- COMMAND [ARGS...]")
    return command


def wait_on_existing(args, url: str) -> int:
    """Gate COMMAND on the Redis that $REDIS_URL names, as `redis-ci wait` would."""
    from redis_ci.probe import command as wait_command

    import contextlib

    wait_args = wait_command_defaults(url, args.timeout)
    with contextlib.redirect_stdout(sys.stderr):  # stdout is COMMAND's alone
        return wait_command.run(wait_args)


def wait_command_defaults(url: str, timeout: str):
    import argparse

    from redis_ci.probe import command as wait_command

    parser = argparse.ArgumentParser()
    wait_command.add_arguments(parser)
    return parser.parse_args(["--url", url, "--timeout", timeout])


def run_child(command: list, environ: dict) -> int:
    """Run COMMAND to its end, passing on SIGTERM/SIGHUP; its exit code (128 + N for signal N)."""
    child = None
    received = []

    def on_signal(signum, _frame):
        if child is None:
            raise Interrupted(signum)
        received.append(signum)
        if len(received) > 2:
            child.kill()  # asked three times: it does not listen
        else:
            child.send_signal(signum)

    previous = {signum: signal.signal(signum, on_signal) for signum in FORWARDED}
    try:
        try:
            child = subprocess.Popen(command, env=environ)
        except OSError as exc:
            print(unbroken(f"redis-ci run: cannot run {command[0]}: {exc.strerror}"), file=sys.stderr)
            return 127 if isinstance(exc, FileNotFoundError) else 126
        while True:
            try:
                code = child.wait()
                break
            except KeyboardInterrupt:
                continue  # the terminal sent SIGINT to COMMAND too: let it decide and exit
        return 128 - code if code < 0 else code
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run(args) -> int:
    from redis_ci.server import lifecycle, output, state

    command = command_of(args)
    if args.start == "auto" and os.environ.get("REDIS_URL"):
        lifecycle.say("REDIS_URL is set: waiting on it instead of starting a server (--start always to start one)")
        code = wait_on_existing(args, os.environ["REDIS_URL"])
        if code != 0:
            return code
        return run_child(command, dict(os.environ))
    plan = options.build_plan(args)
    lifecycle.reap_orphans(state.state_root(os.environ), lifecycle.say)

    def interrupted(signum, _frame):
        raise Interrupted(signum)

    previous = {signum: signal.signal(signum, interrupted) for signum in FORWARDED}
    instance = None
    try:
        instance = lifecycle.start(plan, owner_pid=os.getpid(), progress=lifecycle.say)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        environ = dict(os.environ)
        environ.update(output.variables(instance.record, plan.password))
        return run_child(command, environ)
    except Interrupted as exc:
        return 128 + exc.signum
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if instance is not None:
            # Signals now would cut the stop short: hold them until everything is gone.
            held = {signum: signal.signal(signum, signal.SIG_IGN) for signum in (*FORWARDED, signal.SIGINT)}
            try:
                lifecycle.stop(instance)
            finally:
                for signum, handler in held.items():
                    signal.signal(signum, handler)
