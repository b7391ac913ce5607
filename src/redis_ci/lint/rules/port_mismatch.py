"""RC204 port-mismatch."""

from __future__ import annotations

from redis_ci.lint.model import compose_projects, find_client_endpoints, redis_start
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule
from redis_ci.recipe import REDIS_PORT
from redis_ci.lint.patterns import lazy_compile

# `--port 6380` in a service's `command:` moves the server off 6379.
_PORT_ARGUMENT = lazy_compile(r"--port[\s=]+(\d+)")


class PortMismatch(Rule):
    """A client connects to a port that no Redis service of the job serves.

    ## What it does
    Compares the port of each client endpoint (where steps connect: a variable in `env:` named after Redis, a cache or a broker (REDIS, VALKEY, CACHE, BROKER,
    CELERY, RQ, SIDEKIQ, RESQUE) holding a Redis URL, a host or a port; `redis-cli -h/-p/-u`
    arguments; Redis URLs in `run:` scripts) with the ports
    the job's Redis services serve. In a runner job that is the host side of `ports:`
    (`"6380:6379"` serves 6380); in a container job it is the port Redis listens on inside
    its container (6379, the container side of `ports:`, or `--port` in `command:`).
    `${{ job.services.<label>.ports['N'] }}` must name a service and a container port it
    publishes. A container job's client on the host side of a mapping is RC207's
    (host-port-in-container-job). Endpoints on other hosts, jobs where Redis is also started in a step, and
    ports that are expressions are not checked; a runner job whose Redis service has no
    `ports:` is RC201's, a random host port RC205's.

    ## Why is this bad?
    Nothing listens on that port: the first connection is refused, or, worse, the
    tests reach some other server that happens to listen there. A runner job whose Redis is
    started from a compose file is held to the host ports that file publishes.

    ## Example
    ```yaml
    jobs:
      test:
        runs-on: ubuntu-latest
        services:
          redis:
            image: redis:8.2
            ports:
              - "6379:6379"
        env:
          REDIS_URL: redis://127.0.0.1:6380/0
    ```

    ## Use instead
    ```yaml
        env:
          REDIS_URL: redis://127.0.0.1:6379/0
    ```

    ## Fix safety
    No automatic fix: either the port or the mapping may be the mistake.
    """

    code = "RC204"
    name = "port-mismatch"
    triggers = REDIS_WORDS
    severity = "error"
    fixable = False

    def check_job(self, job, workflow):
        services = job.redis_services
        if not services:
            yield from self._check_compose(job, workflow)
            return
        served = _served_ports(job, services)
        if served is not None and any(start and start.kind != "restart" for start in map(redis_start, job.steps)):
            served = None  # a second server may be the one on that port
        for endpoint in find_client_endpoints(workflow, job):
            if endpoint.port_ref and not job.is_container_job:
                yield from self._check_port_ref(job, endpoint)
            if endpoint.port is None or served is None:
                continue
            ports = _ports_for_endpoint(job, endpoint, served)
            if ports is None or endpoint.port in ports:
                continue
            if job.is_container_job and _is_host_port(job, endpoint):
                continue  # RC207 (host-port-in-container-job) says what is wrong
            how = "the port inside the service container" if job.is_container_job else "the host side of `ports:`"
            server = f"service `{endpoint.host}` serves" if endpoint.host in served else "this job's Redis services serve"
            yield self.finding(
                f"{endpoint.subject} connects to port {endpoint.port}, but {server} "
                f"{_listing(ports)} ({how}): nothing answers there; use {_listing(ports, 'or')}",
                endpoint.span,
            )

    def _check_compose(self, job, workflow):
        """A runner job whose only Redis is compose services read from their files: clients on
        localhost must use a host port they publish."""
        projects = compose_projects(job)
        starts = [step for step in job.steps if redis_start(step)]
        if job.is_container_job or not projects or len(starts) != len(projects):
            return
        served = set()
        for _step, project in projects:
            for name in project.redis:
                ports = project.ports(name)
                if not ports or any(port.host is None for port in ports):
                    return  # nothing published (or a random port): not a port we can hold a client to
                served.update(port.host for port in ports)
        for endpoint in find_client_endpoints(workflow, job):
            if endpoint.port is None or not (endpoint.host is None or endpoint.is_localhost) or endpoint.port in served:
                continue
            yield self.finding(
                f"{endpoint.subject} connects to port {endpoint.port}, but the compose file publishes Redis on "
                f"{_listing(served)}: nothing answers there; use {_listing(served, 'or')}",
                endpoint.span,
            )

    def _check_port_ref(self, job, endpoint):
        label, container_port = endpoint.port_ref
        service = job.service(label)
        if service is not None and (service.ports_unknown or any(p.container is None for p in service.ports)):
            return
        if service is not None and service.is_redis and not service.ports:
            return  # RC201 reports the missing `ports:`
        if service is not None and container_port in {p.container for p in service.ports}:
            return
        problem = (f"service `{label}` publishes no container port {container_port}" if service
                   else f"this job has no service `{label}`")
        yield self.finding(
            f"{endpoint.subject} reads `job.services.{label}.ports['{container_port}']`, but {problem}: "
            "the expression is empty; name a service and a port it lists under `ports:`",
            endpoint.span,
        )


def _served_ports(job, services) -> dict | None:
    """label -> the ports its Redis serves to the steps; None when any of it is unknown."""
    served = {}
    for service in services:
        if service.ports_unknown or any(port.container is None for port in service.ports):
            return None
        if job.is_container_job:
            if "cluster" in service.label.lower() or any("cluster" in i.repository for i in service.images):
                return None  # cluster images listen on their own port ranges
            moved = _PORT_ARGUMENT.search(service.command.text) if service.command else None
            ports = {int(moved.group(1))} if moved else {REDIS_PORT}
            served[service.label] = ports | {port.container for port in service.ports}
        else:
            if not service.ports or any(port.host is None for port in service.ports):
                return None  # RC201 (no ports) or RC205 (random host port) says what is wrong
            served[service.label] = {port.host for port in service.ports}
    return served


_EVERY = ("every port",)  # served's key for the ports of every Redis service (a label is a str)


def _ports_for_endpoint(job, endpoint, served: dict) -> set | None:
    """The ports the endpoint's host may use; None when it is not a host we can judge."""
    every = served.get(_EVERY)
    if every is None:  # once per job, not per endpoint (services x steps)
        every = served[_EVERY] = set().union(*served.values())
    if endpoint.host is None:
        return every
    if job.is_container_job:
        return served.get(endpoint.host)  # localhost is RC202's; other hosts are not ours
    return every if endpoint.is_localhost else None


def _is_host_port(job, endpoint) -> bool:
    """The endpoint's port is the host side of a mapping of the Redis service it may mean."""
    return any(port.host == endpoint.port for service in job.redis_services
               if endpoint.host in (None, service.label) for port in service.ports)


def _listing(ports: set, last: str = "and") -> str:
    ordered = [str(port) for port in sorted(ports)]
    return ordered[0] if len(ordered) == 1 else ", ".join(ordered[:-1]) + f" {last} " + ordered[-1]
