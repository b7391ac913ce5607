"""RC202 localhost-in-container-job."""

from __future__ import annotations

from redis_ci.lint.edits import replace
from redis_ci.lint.model import editable_host_span, find_client_endpoints, redis_start
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule


class LocalhostInContainerJob(Rule):
    """A container job connects to `localhost`: that is the job container, not the Redis service.

    ## What it does
    Reports a client endpoint (a Redis URL, host or `redis-cli -h` in `env:` or `run:`) whose host is `localhost`, `127.0.0.1`, `::1` or
    `0.0.0.0` in a job that has a `container:` and a Redis service. A job that starts
    `redis-server` inside its own container is left alone: there `localhost` is right.

    ## Why is this bad?
    The steps of a container job run inside the job container, on a Docker network shared
    with the service containers. `localhost` there is the job container itself, where
    nothing listens on 6379: every connection is refused. The service is reachable by its
    label (the key under `services:`), which Docker resolves on that network.

    ## Example
    ```yaml
    jobs:
      test:
        runs-on: ubuntu-latest
        container: python:3.13-slim
        services:
          redis:
            image: redis:8.2
        env:
          REDIS_URL: redis://localhost:6379/0
    ```

    ## Use instead
    ```yaml
        env:
          REDIS_URL: redis://redis:6379/0
    ```

    ## Fix safety
    Safe: the fix replaces the host with the service label and touches nothing else. It
    is offered when the label is known: the job has one Redis service, or the endpoint's
    port names one (`${{ job.services.cache.ports['6379'] }}`). Not offered for a
    workflow-level `env:` that a runner job with Redis also reads (there `localhost` is
    right), nor for a host written in a folded (`>`) or escaped scalar.
    """

    code = "RC202"
    name = "localhost-in-container-job"
    triggers = REDIS_WORDS
    severity = "error"
    fixable = True

    def check_job(self, job, workflow):
        services = job.redis_services
        if not job.is_container_job or not services:
            return
        if any(start.kind == "redis-server" for start in map(redis_start, job.steps) if start):
            return  # Redis runs inside the job container: localhost is where it is
        labels = [service.label for service in services]
        for endpoint in find_client_endpoints(workflow, job):
            if not endpoint.is_localhost:
                continue
            label = _label_for(endpoint, labels)
            choices = ", ".join(f"`{name}`" for name in labels)
            target = f"the service label `{label}`" if label else f"the label of the service meant ({choices})"
            yield self.finding(
                f"{endpoint.subject} connects to `{endpoint.host}`, which in a container job is the job "
                f"container, not Redis; use {target}",
                endpoint.host_span or endpoint.span,
                label=label,
                host=endpoint.host,
                host_span=editable_host_span(endpoint, workflow, _localhost_is_right),
            )

    def fix(self, finding, workflow):
        label, span = finding.data["label"], finding.data["host_span"]
        if label is None or span is None or workflow.text_at(span).strip("[]") != finding.data["host"].strip("[]"):
            return []
        return [replace(span, label)]


def _label_for(endpoint, labels: list[str]) -> str | None:
    """The service the endpoint means: the one its port expression names, else the only one."""
    if endpoint.port_ref and endpoint.port_ref[0] in labels:
        return endpoint.port_ref[0]
    return labels[0] if len(labels) == 1 else None


def _localhost_is_right(job) -> bool:
    """A runner job with a Redis service: there `localhost` reaches it (workflow env it shares stays)."""
    return bool(job.redis_services) and not job.is_container_job
