"""RC201 unmapped-service-port."""

from __future__ import annotations

from redis_ci.lint.edits import indentation_of, insert_lines_before
from redis_ci.lint.model import find_client_endpoints, job_network_containers, redis_cli_calls
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule
from redis_ci.recipe import REDIS_PORT


class UnmappedServicePort(Rule):
    """A Redis service in a runner job without `ports:`: the steps cannot reach it.

    ## What it does
    Reports a Redis service (a service whose image is Redis-compatible: `redis`, `valkey`,
    `redis-stack`, `keydb`, `dragonfly`, ...) of a job that runs on the runner
    (no `container:`) when the service has no `ports:`. Not when the job reaches Redis only
    from containers on the job's network (`docker run --network ${{ job.container.network }}`
    or `${{ job.services.<label>.network }}`) and nothing on the runner talks to it (no
    `localhost` endpoint, no `redis-cli` on the runner): those containers use the label.

    ## Why is this bad?
    Steps of a runner job run on the host, outside Docker's network. A service container's
    port is reachable from the host only when it is published with `ports:`; without it,
    `localhost:6379` refuses connections and the service label does not resolve.

    ## Example
    ```yaml
    jobs:
      test:
        runs-on: ubuntu-latest
        services:
          redis:
            image: redis:8.2
    ```

    ## Use instead
    ```yaml
    jobs:
      test:
        runs-on: ubuntu-latest
        services:
          redis:
            image: redis:8.2
            ports:
              - 6379:6379
    ```

    ## Fix safety
    Safe: the fix adds `ports:` with `- "6379:6379"` right after the service's `image:`,
    indented like its other keys (for a service shared through an alias, at the anchor).
    It is not offered for a flow-style service (`redis: {image: redis}`) or when the
    service already has a `ports:` key. If another process on the runner already uses
    port 6379 the service fails to start, which is reported clearly.
    """

    code = "RC201"
    name = "unmapped-service-port"
    triggers = REDIS_WORDS
    severity = "error"
    fixable = True

    def check_job(self, job, workflow):
        if job.is_container_job or _reached_only_through_job_network(job, workflow):
            return
        for service in job.redis_services:
            if not service.ports and not service.ports_unknown:
                yield self.finding(
                    f"Redis service `{service.label}` has no `ports:` in a runner job: steps cannot "
                    f"reach it; add `ports: [\"{REDIS_PORT}:{REDIS_PORT}\"]`",
                    service.span,
                    label=service.label,
                    container_port=REDIS_PORT,
                    image_span=service.image.value.span if service.image else None,
                    has_ports_key=service.ports_span is not None,
                )

    def fix(self, finding, workflow):
        image_span = finding.data["image_span"]
        if image_span is None or finding.data["has_ports_key"]:
            return []
        image_line = workflow.lines[image_span.line - 1]
        if not image_line.lstrip().startswith("image:"):  # flow style: no line of its own
            return []
        indent = indentation_of(workflow.lines, image_span.line)
        port = finding.data["container_port"]
        text = f'{indent}ports:\n{indent}  - "{port}:{port}"\n'
        return [insert_lines_before(image_span.end_line + 1, text)]


def _reached_only_through_job_network(job, workflow) -> bool:
    """A step runs a container on the job's network and no step talks to Redis from the runner."""
    if not any(job_network_containers(step) for step in job.steps):
        return False
    if any(redis_cli_calls(step) for step in job.steps):
        return False
    return not any(endpoint.is_localhost for endpoint in find_client_endpoints(workflow, job))
