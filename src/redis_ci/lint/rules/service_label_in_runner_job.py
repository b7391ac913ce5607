"""RC203 service-label-in-runner-job."""

from __future__ import annotations

from redis_ci.lint.edits import replace
from redis_ci.lint.model import editable_host_span, find_client_endpoints, job_network_containers
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule
from redis_ci.recipe import RUNNER_JOB_HOST


class ServiceLabelInRunnerJob(Rule):
    """A runner job connects to a service label as host name: it does not resolve on the runner.

    ## What it does
    Reports a client endpoint (where steps connect: a variable in `env:` named after Redis, a cache or a broker (REDIS, VALKEY, CACHE, BROKER,
    CELERY, RQ, SIDEKIQ, RESQUE) holding a Redis URL, a host or a port; `redis-cli -h/-p/-u`
    arguments; Redis URLs in `run:` scripts) whose host is the label of one
    of the job's services, in a job without `container:`. A job with a step that writes
    `/etc/hosts` (mapping the label to the runner), or that runs a container on the job's
    network (`docker run --network ${{ job.container.network }}`, where the label resolves),
    is left alone.

    ## Why is this bad?
    Service labels are network aliases on the job's Docker network. Steps of a runner job
    run on the runner host, outside that network: the name does not resolve
    (`Name or service not known`). They reach a service through the port it publishes
    with `ports:`, on the runner itself.

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
          REDIS_URL: redis://redis:6379/0
    ```

    ## Use instead
    ```yaml
        env:
          REDIS_URL: redis://127.0.0.1:6379/0
    ```
    `127.0.0.1` rather than `localhost`: Node 17 and later may resolve `localhost` to `::1`
    first, where Docker's published port does not answer.

    ## Fix safety
    Safe: the fix replaces the host with `127.0.0.1` and touches nothing else. The service
    still needs `ports:` (RC201). Not offered for a workflow-level `env:` that a container
    job also reads (there the label is right), nor for a host written in a folded (`>`)
    or escaped scalar.
    """

    code = "RC203"
    name = "service-label-in-runner-job"
    # any service's label, in a client endpoint: env names with CACHE, BROKER... count (model/endpoints.py)
    triggers = ((b"services", REDIS_WORDS + (b"cache", b"broker", b"celery", b"sidekiq", b"resque", b"rq")),)
    severity = "error"
    fixable = True

    def check_job(self, job, workflow):
        if job.is_container_job or not job.services:
            return
        if any(step.run and "/etc/hosts" in step.run.text for step in job.steps):
            return  # a step that maps the label in /etc/hosts makes it resolve
        if any(job_network_containers(step) for step in job.steps):
            return  # the endpoints are for the containers on the job's network, where labels resolve
        labels = {service.label for service in job.services}
        for endpoint in find_client_endpoints(workflow, job):
            if endpoint.host not in labels:
                continue
            yield self.finding(
                f"{endpoint.subject} connects to `{endpoint.host}`, a service label, which steps of a runner "
                f"job cannot resolve; use `{RUNNER_JOB_HOST}` and the port the service publishes",
                endpoint.host_span or endpoint.span,
                host=endpoint.host,
                host_span=editable_host_span(endpoint, workflow, _label_is_right),
            )

    def fix(self, finding, workflow):
        span = finding.data["host_span"]
        if span is None or workflow.text_at(span) != finding.data["host"]:
            return []
        return [replace(span, RUNNER_JOB_HOST)]


def _label_is_right(job) -> bool:
    """A container job with services: there a label reaches its service (workflow env it shares stays)."""
    return bool(job.services) and job.is_container_job
