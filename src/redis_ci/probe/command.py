"""`redis-ci wait`: hold until Redis really serves, or say exactly why it does not.

Standard library only (the action runs it with the runner's bare python3).
Exit codes: 0 ready, 1 not ready by the deadline or a final failure, 2 bad usage.
"""

from __future__ import annotations

import math
import os
import sys

from redis_ci.errors import UsageError
from redis_ci.probe.checks import SELECTABLE, parse_version
from redis_ci.probe.poll import wait_until_ready
from redis_ci.probe.report import Reporter
from redis_ci.probe.resp import Deadline
from redis_ci.probe.session import Requirements
from redis_ci.probe.target import DEFAULT_URL, build_target
from redis_ci.recipe import WAIT_CHECKS, WAIT_TIMEOUT_SECONDS


def add_arguments(parser) -> None:
    target = parser.add_argument_group("target (flags override the URL's parts)")
    target.add_argument(
        "--url",
        help=f"redis://[user:pass@]host:port/db, rediss://..., unix:///path.sock (default: $REDIS_URL, else {DEFAULT_URL})",
    )
    target.add_argument("--host", help="host name or address")
    target.add_argument("--port", help="TCP port")
    target.add_argument("--username", help="ACL user name")
    target.add_argument("--password", help="password (prefer $REDISCLI_AUTH: flags are visible in `ps`)")
    target.add_argument("--db", help="database number")
    tls = parser.add_argument_group("TLS")
    tls.add_argument("--tls", action="store_true", help="connect with TLS (implied by rediss:// and the --tls-* flags)")
    tls.add_argument("--tls-ca-cert", metavar="FILE", help="CA certificates to verify the server with")
    tls.add_argument("--tls-cert", metavar="FILE", help="client certificate (PEM)")
    tls.add_argument("--tls-key", metavar="FILE", help="client private key (PEM)")
    tls.add_argument("--tls-insecure", action="store_true", help="do not verify the server certificate")
    waiting = parser.add_argument_group("what to wait for")
    waiting.add_argument(
        "--timeout",
        default=str(WAIT_TIMEOUT_SECONDS),
        metavar="SECONDS",
        help=f"hard deadline; the command exits by then plus 0.5 s (default {WAIT_TIMEOUT_SECONDS})",
    )
    waiting.add_argument(
        "--checks",
        default=",".join(WAIT_CHECKS),
        help=f"comma-separated, from {', '.join(SELECTABLE)} (default {','.join(WAIT_CHECKS)})",
    )
    waiting.add_argument("--min-version", metavar="X.Y", help="require at least this server version")
    waiting.add_argument(
        "--module", action="append", default=[], metavar="NAME", help="require this module (repeatable)"
    )
    topology = parser.add_argument_group("cluster and sentinel")
    topology.add_argument("--cluster", action="store_true",
                          help="the target is a cluster seed node: wait for every node, all slots, one slot map")
    topology.add_argument("--node", action="append", default=[], metavar="HOST:PORT",
                          help="another cluster seed node, HOST:PORT or a URL (repeatable, or comma-separated)")
    topology.add_argument("--sentinel", action="append", default=[], metavar="HOST:PORT[,HOST:PORT]",
                          help="sentinels to ask for the master (the URL then only gives credentials and TLS)")
    topology.add_argument("--master-name", metavar="NAME", help="the master's name in the sentinels' config")
    topology.add_argument("--replicas", type=int, metavar="N",
                          help="also require N replicas in sync (sentinel: of the master; cluster: of every master)")
    topology.add_argument("--sentinel-username", metavar="USER", help="ACL user for the sentinels")
    topology.add_argument("--sentinel-password", metavar="PASSWORD", help="password for the sentinels")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")


def parse_timeout(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise UsageError(f"bad --timeout {text!r}: expected seconds, such as 60 or 2.5") from None
    if not (seconds > 0 and math.isfinite(seconds)):
        raise UsageError(f"bad --timeout {text!r}: expected a positive number of seconds")
    return seconds


def parse_checks(args) -> list:
    """The check names to run, in order: --checks, then the requirement flags' checks."""
    names = [name.strip() for name in args.checks.split(",") if name.strip()]
    unknown = [name for name in names if name not in SELECTABLE]
    if unknown or not names:
        raise UsageError(f"bad --checks {args.checks!r}: choose from {', '.join(SELECTABLE)}")
    names = list(dict.fromkeys(names))
    if args.min_version:
        names.append("min-version")
    if args.module:
        names.append("module")
    return names


def parse_requirements(args) -> Requirements:
    min_version = None
    if args.min_version:
        try:
            min_version = parse_version(args.min_version)
        except ValueError:
            raise UsageError(f"bad --min-version {args.min_version!r}: expected X.Y or X.Y.Z") from None
    modules = tuple(name.strip().lower() for name in args.module)
    if any(not name for name in modules):
        raise UsageError("--module needs a module name")
    return Requirements(min_version, modules)


def parse_topology(args, target):
    """--cluster / --sentinel: (the target, the topology options or None, the topology check
    to run before the others or None). Their modules load only when asked for."""
    if args.cluster and args.sentinel:
        raise UsageError("--cluster and --sentinel exclude each other")
    if args.node and not args.cluster:
        raise UsageError("--node names cluster seed nodes: add --cluster")
    if (args.master_name or args.sentinel_username or args.sentinel_password) and not args.sentinel:
        raise UsageError("--master-name and --sentinel-* need --sentinel HOST:PORT")
    if args.replicas is not None and (args.replicas < 0 or not (args.cluster or args.sentinel)):
        raise UsageError("--replicas N needs --cluster or --sentinel, and N >= 0")
    if args.cluster:
        from redis_ci.probe.cluster import options_from_args
    elif args.sentinel:
        from redis_ci.probe.sentinel import options_from_args
    else:
        return target, None, None
    target, options = options_from_args(args, target)
    return target, options, "cluster" if args.cluster else "sentinel"


def run(args) -> int:
    timeout = parse_timeout(args.timeout)
    deadline = Deadline(timeout)  # from here on: TLS set-up and all output count against it
    target = build_target(args)
    check_names = parse_checks(args)
    requirements = parse_requirements(args)
    target, topology, topology_check = parse_topology(args, target)
    if topology is not None:
        check_names = [topology_check, *check_names]
        requirements = requirements._replace(topology=topology)
    tls_context = target.ssl_context()
    reporter = Reporter(target, check_names, args.format, os.environ, sys.stdout, sys.stderr,
                        secrets=(args.sentinel_password,) if args.sentinel_password else ())
    reporter.begin(timeout, deadline)
    outcome = wait_until_ready(target, check_names, requirements, deadline, reporter.progress, tls_context,
                               reporter.redactor, reporter.heartbeat)
    reporter.finish(outcome)
    return 0 if outcome.ready else 1
