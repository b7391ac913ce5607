"""`redis-ci generate`: write the Redis setup we would defend in review.

`service`, `steps`, `job` or `workflow` go to stdout (or `--output FILE`); `--into FILE --job NAME`
adds the service and the gate to an existing job in place. The text comes from
`redis_ci.generate.render`, whose values come from `redis_ci.recipe`, the same source `lint` reads.
"""

from __future__ import annotations

import argparse
import sys

from redis_ci import recipe
from redis_ci.errors import FatalError, UsageError
from redis_ci.generate.setup import GATES, LANGUAGES, RUNNER_COMPATS, Setup

KINDS = ("service", "steps", "job", "workflow")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", nargs="?", choices=KINDS, help="what to write (not with --into)")
    parser.add_argument(
        "--image", default="redis", choices=tuple(recipe.IMAGE_REPOSITORY), help="server image (default: redis)"
    )
    versions = parser.add_mutually_exclusive_group()
    versions.add_argument("--version", metavar="TAG",
                          help="the server image's tag to pin, e.g. 7.4 (default: the current stable major.minor); "
                               "redis-ci's own version is `redis-ci --version`")
    versions.add_argument("--versions", metavar="V1,V2,...", help="a matrix over server versions, e.g. 6.2,7.4,8.2")
    parser.add_argument("--port", type=int, help=f"host port of a runner job's service (default: {recipe.REDIS_PORT})")
    parser.add_argument(
        "--container-job", metavar="IMAGE", help="run the steps in this container; Redis is reached by its label"
    )
    parser.add_argument("--password-secret", metavar="NAME", help="require the password from secrets.NAME")
    parser.add_argument(
        "--gate",
        default="wait",
        choices=GATES,
        help="wait: the action's wait step, no health check (default); health: a 1 s health check; both",
    )
    parser.add_argument(
        "--action-ref", metavar="OWNER/redis-ci-action@REF", help=f"the wait action (default: {recipe.ACTION_REF})"
    )
    parser.add_argument(
        "--language",
        default="none",
        choices=LANGUAGES,
        help="toolchain, install and test steps for job and workflow (default: a placeholder test step)",
    )
    parser.add_argument(
        "--job", metavar="NAME", help="the job's id (default: test); with --into, the job to add Redis to"
    )
    parser.add_argument(
        "--topology",
        choices=recipe.TOPOLOGIES,
        help="start a Redis Cluster (6 nodes) or a Sentinel set in a step instead of a service, and wait for all of it",
    )
    parser.add_argument(
        "--tls", action="store_true", help="with --topology: throwaway certificates made in a step; the nodes speak only TLS"
    )
    parser.add_argument(
        "--runner-compat",
        default="current",
        choices=RUNNER_COMPATS,
        help="current: runners v2.333.0+ (github.com), `command:` on services where needed (default); "
        "legacy: no `command:` for GHES, older self-hosted runners and act (a password starts Redis "
        "in the wait step with `start: docker`; container jobs keep snapshots on)",
    )
    destination = parser.add_mutually_exclusive_group()
    destination.add_argument("--output", "-o", metavar="FILE", help="write to FILE (atomically) instead of stdout")
    destination.add_argument(
        "--into", metavar="FILE", help="add the Redis service and gate to job --job of FILE, in place"
    )


def _write(path: str, text: str) -> None:
    from redis_ci.write import write_atomically

    try:
        write_atomically(path, text.encode("utf-8"))
    except OSError as exc:
        raise FatalError(f"cannot write {path}: {exc.strerror or exc}") from None


def run(args: argparse.Namespace) -> int:
    if args.into is None and args.kind is None:
        raise UsageError("say what to generate: service, steps, job or workflow (or --into FILE --job NAME)")
    if args.into is not None:
        if args.kind is not None:
            raise UsageError("--into adds to an existing job: drop the kind")
        if args.job is None:
            raise UsageError("--into needs --job NAME, the job to add Redis to")
        if args.container_job is not None:
            raise UsageError("--container-job does not apply with --into: the job's own `container:` decides")
        if args.language != "none":
            raise UsageError("--language does not apply with --into: the job keeps its own steps")
        if args.topology is not None:
            raise UsageError("--topology does not apply with --into: generate the job or its steps and copy them in")
    if args.topology is not None and args.kind == "service":
        raise UsageError("a topology is started by a step, not a service: generate steps, job or workflow")
    setup = Setup.checked(
        image=args.image,
        version=args.version,
        versions=args.versions,
        port=args.port,
        container_image=args.container_job,
        password_secret=args.password_secret,
        gate=args.gate,
        action_ref=args.action_ref,
        language=args.language,
        job_name=args.job,
        topology=args.topology,
        tls=args.tls,
        runner_compat=args.runner_compat,
    )
    if setup.starts_in_step and (args.kind == "service" or args.into is not None):
        raise UsageError(
            "with --runner-compat legacy a password starts Redis in the wait step, not as a service: "
            "generate steps, job or workflow"
        )
    if args.into is not None:
        from redis_ci.generate.into import add_redis_to_job

        _write(args.into, add_redis_to_job(args.into, setup))
        print(f"added Redis to job {setup.job_name!r} in {args.into}", file=sys.stderr)
        return 0

    from redis_ci.generate.render import render

    text = render(setup, args.kind)
    if args.output is None:
        sys.stdout.write(text)
    else:
        _write(args.output, text)
    return 0
