"""RC207 host-port-in-container-job."""

from __future__ import annotations

import re

from redis_ci.lint.edits import replace
from redis_ci.lint.model import find_client_endpoints
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule
from redis_ci.lint.yaml_nodes import Span
from redis_ci.lint.patterns import lazy_compile

_PORT_EXPRESSION = lazy_compile(r"\$\{\{\s*job\.services\.[A-Za-z0-9_-]+\.ports\s*\[[^\]]*\]\s*\}\}")


class HostPortInContainerJob(Rule):
    """A container job connects to a service's host port: inside the job's network it listens on its container port.

    ## What it does
    In a job with `container:`, reports a client endpoint (where the steps connect: a Redis
    URL, host or port in `env:` whose name mentions REDIS, CACHE, BROKER, ..., a Redis URL or
    `redis-cli -h/-p` in `run:`) of a Redis service whose port is the host side of the
    service's mapping: the expression
    `${{ job.services.<label>.ports['6379'] }}`, or a literal port that the service publishes
    on the host (`6380:6379`) and that is not one of its container ports.

    ## Why is this bad?
    The steps of a container job run in a container on the job's network and reach a service
    at `<label>:<container port>`. The host port of `ports:` (Docker's pick for `- 6379`, or the
    left side of `6380:6379`) exists only on the runner host: connecting to it on the service's
    address is refused.

    ## Example
    ```yaml
    jobs:
      test:
        runs-on: ubuntu-latest
        container: python:3.13
        services:
          redis:
            image: redis:8.2
            ports: ["6379"]
        env:
          REDIS_HOST: redis
          REDIS_PORT: ${{ job.services.redis.ports[6379] }}
    ```

    ## Use instead
    ```yaml
        env:
          REDIS_HOST: redis
          REDIS_PORT: 6379
    ```
    A container job needs no `ports:` at all to reach its services.

    ## Fix safety
    Safe: the fix replaces the expression, or the literal host port, with the service's
    container port and touches nothing else. Not offered where the expression or the port is
    not written on one line exactly as read.
    """

    code = "RC207"
    name = "host-port-in-container-job"
    triggers = REDIS_WORDS
    severity = "error"
    fixable = True

    def check_job(self, job, workflow):
        if not job.is_container_job:
            return
        for endpoint in find_client_endpoints(workflow, job):
            if endpoint.is_localhost:
                continue  # RC202's
            if endpoint.port_ref is not None:
                label, container_port = endpoint.port_ref
                service = job.service(label)
                if service is None or not service.is_redis:
                    continue
                written = _PORT_EXPRESSION.search(endpoint.text)
                yield self.finding(
                    f"{endpoint.subject} takes the host port of `{label}`'s mapping "
                    f"(`job.services.{label}.ports['{container_port}']`), but steps of a container job reach "
                    f"`{label}` on its container port; use {container_port}",
                    endpoint.span, old=written.group(0) if written else None, new=str(container_port),
                )
            elif endpoint.port is not None:
                mapping = _host_mapping(job, endpoint)
                if mapping is None:
                    continue
                service, port = mapping
                yield self.finding(
                    f"{endpoint.subject} connects to port {endpoint.port}, the host side of `{service.label}`'s "
                    f"mapping `{port.value.text.strip()}`, but steps of a container job reach `{service.label}` "
                    f"on its container port; use {port.container}",
                    endpoint.span, old=str(endpoint.port), new=str(port.container),
                )

    def fix(self, finding, workflow):
        old, span = finding.data["old"], finding.span
        if old is None or span.line != span.end_line:
            return []
        text = workflow.text_at(span)
        pattern = re.escape(old) if old.startswith("$") else rf"(?<![\w.]){re.escape(old)}(?!\w)"
        found = list(re.finditer(pattern, text))
        if len(found) != 1:
            return []
        start = span.column + found[0].start()
        return [replace(Span(span.line, start, span.line, start + len(old), span.path), finding.data["new"])]


def _host_mapping(job, endpoint):
    """(service, ServicePort) when the endpoint's literal port is a Redis service's host port
    and none of its container ports; for the service the host names (any Redis service when
    the endpoint has no host)."""
    for service in job.redis_services:
        if endpoint.host is not None and endpoint.host != service.label:
            continue
        containers = {port.container for port in service.ports}
        for port in service.ports:
            if port.host == endpoint.port and endpoint.port not in containers and port.container is not None:
                return service, port
    return None
