"""RC106 single-node-cluster-gate."""

from __future__ import annotations

from redis_ci.lint.model import (
    Value,
    checks_cluster,
    first_gate_after,
    is_cluster_image,
    is_gate,
    is_project_action,
    parse_image,
    redis_in_job,
    service_has_health_check,
    service_is_cluster,
    starts_cluster,
)
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule
from redis_ci.lint.rules.no_readiness_gate import step_title

_CLUSTER_ACTIONS = ("vishnudxb/redis-cluster",)


class SingleNodeClusterGate(Rule):
    """A Redis Cluster is waited for by asking one node.

    ## What it does
    Reports a Redis Cluster (a service or `docker run` of a cluster image such as
    `grokzen/redis-cluster`, `bitnami*/redis-cluster`, `*/valkey-cluster`; a server with
    `--cluster-enabled yes`; a `redis-cli --cluster create`) whose only gate asks one node:
    a `--health-cmd` that PINGs one port, a PING loop or retry, this project's wait step
    without `topology: cluster`. A gate that asks the cluster (`cluster_state:ok` from
    CLUSTER INFO, CLUSTER SLOTS, `redis-cli --cluster check`, `redis-ci wait --cluster`)
    anywhere after the start is enough.

    ## Why is this bad?
    A node answers PONG as soon as it runs, long before the cluster has formed: slots are
    unassigned (`CLUSTERDOWN Hash slot not served`), replicas still sync, a failover may be
    under way. The tests then fail or flake on the first key that hashes elsewhere.

    ## Example
    ```yaml
    services:
      redis-cluster:
        image: grokzen/redis-cluster:7.0.10
        ports: ["7000-7005:7000-7005"]
        options: --health-cmd "redis-cli -p 7005 ping" --health-interval 1s
    ```

    ## Use instead
    ```yaml
        options: >-
          --health-cmd "redis-cli -p 7000 cluster info | grep -q cluster_state:ok"
          --health-interval 1s
    ```
    or a step running `redis-ci wait --cluster redis://127.0.0.1:7000`.

    ## Fix safety
    No automatic fix: which nodes and ports form the cluster is known only to its set-up.
    """

    code = "RC106"
    name = "single-node-cluster-gate"
    triggers = REDIS_WORDS
    severity = "warning"
    fixable = False

    def check_job(self, job, workflow):
        for redis in redis_in_job(job, workflow):
            if not _is_cluster(redis):
                continue
            if any(_asks_cluster(step) for step in job.steps[redis.begin:]):
                continue
            what = f"Redis Cluster `{redis.service.label}`" if redis.service else \
                f"Redis Cluster started by step `{step_title(redis.step)}`"
            if redis.service is not None and service_has_health_check(redis.service):
                if checks_cluster(redis.service.options.health_cmd):
                    continue
                span = redis.service.options.span_of("--health-cmd") or redis.service.span
                gate = f"its health check `{redis.service.options.health_cmd}`"
            else:
                position = redis.begin - 1 if redis.step is not None and is_gate(redis.step) else \
                    first_gate_after(job.steps, redis.begin)
                if position is None:
                    continue  # no gate at all: RC101's
                step = job.steps[position]
                span, gate = step.span, f"step `{step_title(step)}`"
            yield self.finding(
                f"{what} is gated only by {gate}, which asks one node: it passes before every slot is "
                f"served and during a failover; wait for `cluster_state:ok` (`redis-ci wait --cluster`)",
                span,
            )


def _is_cluster(redis) -> bool:
    if redis.service is not None:
        return service_is_cluster(redis.service)
    step, start = redis.step, redis.start
    if start.kind == "docker-run" and is_cluster_image(parse_image(Value(start.image.strip("'\""), start.span))):
        return True
    if step.uses_action in _CLUSTER_ACTIONS:
        return True
    return step.run is not None and starts_cluster(step.run.text)


def _asks_cluster(step) -> bool:
    if is_project_action(step):
        topology = step.with_.get("topology")
        return topology is not None and topology.text.strip() == "cluster"
    command = step.with_.get("command")
    texts = [step.run.text if step.run else "", command.text if command else ""]
    return any(checks_cluster(text) for text in texts)

