"""The typed model rules read: workflow, jobs, services, steps, client endpoints, gates.

Built from the node tree of `yaml_nodes` (the only place that knows YAML). Every value a
finding can point at is a `Value` (text as written + `Span`) or carries a `Span`. Anything
malformed (a job that is a string, `steps:` that is a mapping) is skipped, so rules can trust
the types declared here. Words in docstrings ("Redis service", "Gate", "Client endpoint") are
defined in ../shared/docs/RULES.md.

One module per idea, lowest first (each imports only the ones above it):
- value: a scalar as written; expressions: `${{ }}` shapes; durations: Go durations;
- images, ports, options: parsing of `image:`, `ports:`, `options:` (its word splitter);
- records: the base of the model's slotted classes; tree: workflow, jobs, steps...; builder: the tree from the YAML nodes;
- shell: words of `run:` and its `redis-cli` calls; endpoints: where steps connect;
- starts: compose ups, compose actions, restarts, job-network containers, other servers;
- compose: a compose file as services, images, ports, healthchecks; where compose finds its files;
- readiness: Redis starts, gates, steps that need Redis; secrets: `--requirepass`;
- waits: TCP-only waits (RC107), cluster images and cluster-wide checks (RC106);
- spans: raw-text spans inside `options:` for fixes.
Import the public names from here (`from redis_ci.lint.model import Job`); modules of this
package import each other directly, never through this file.
"""

from __future__ import annotations

from redis_ci.lint.model.builder import MAX_MATRIX_EXPANSION, build_workflow
from redis_ci.lint.model.durations import parse_duration
from redis_ci.lint.model.endpoints import (
    LOCAL_HOSTS,
    REDIS_URL_PATTERN,
    ClientEndpoint,
    editable_host_span,
    env_endpoint,
    find_client_endpoints,
    is_endpoint_env_name,
    parse_redis_url,
)
from redis_ci.lint.model.expressions import EXPRESSION, MATRIX_REF, SERVICE_PORT_REF, sub_expressions
from redis_ci.lint.model.images import REDIS_IMAGE_NAMES, Image, is_redis_image, parse_image
from redis_ci.lint.model.options import ContainerOptions, parse_container_options, runner_words, split_options
from redis_ci.lint.model.ports import ServicePort, parse_service_port
from redis_ci.lint.model.readiness import (
    ACTION_NAME,
    REDIS_ACTIONS,
    SERVICE_ID_REF,
    RedisInJob,
    RedisStart,
    first_gate_after,
    has_wait_loop,
    is_bounded_loop,
    is_bounded_retry,
    is_gate,
    is_preparation_step,
    is_project_action,
    is_project_action_stop,
    next_step_needing_redis,
    redis_client_steps,
    redis_in_job,
    redis_start,
    service_has_health_check,
)
from redis_ci.lint.model.secrets import RequirePass, requirepass
from redis_ci.lint.model.shell import redis_cli_calls
from redis_ci.lint.model.spans import option_argument_span, options_end
from redis_ci.lint.model.starts import (
    COMPOSE_ACTIONS,
    ComposeUp,
    Restart,
    compose_action,
    compose_ups,
    docker_images,
    docker_run_names,
    job_network_containers,
    other_starts,
    restarts,
)
from redis_ci.lint.model.compose import (
    ComposeFile,
    ComposeHealthcheck,
    ComposeProject,
    ComposeService,
    compose_projects,
    compose_redis_definitions,
)
from redis_ci.lint.model.tree import Container, EnvVar, Job, Service, Step, Workflow
from redis_ci.lint.model.waits import (
    TcpWait,
    checks_cluster,
    is_cluster_image,
    redis_ports,
    service_is_cluster,
    starts_cluster,
    tcp_waits,
    waits_for_redis,
)
from redis_ci.lint.model.value import Value

__all__ = [
    "ACTION_NAME", "COMPOSE_ACTIONS", "EXPRESSION", "sub_expressions", "LOCAL_HOSTS", "MATRIX_REF", "MAX_MATRIX_EXPANSION", "REDIS_ACTIONS",
    "REDIS_IMAGE_NAMES", "REDIS_URL_PATTERN", "SERVICE_ID_REF", "SERVICE_PORT_REF",
    "ClientEndpoint", "ComposeFile", "ComposeHealthcheck", "ComposeProject", "ComposeService", "ComposeUp", "Container", "ContainerOptions", "EnvVar", "Image", "Job", "RedisInJob", "RedisStart",
    "RequirePass", "Restart", "Service", "ServicePort", "Step", "TcpWait", "Value", "Workflow",
    "build_workflow", "checks_cluster", "compose_action", "compose_projects", "compose_redis_definitions", "compose_ups", "docker_images", "docker_run_names", "editable_host_span", "env_endpoint", "find_client_endpoints", "first_gate_after",
    "has_wait_loop", "is_bounded_loop", "is_endpoint_env_name", "is_gate", "is_preparation_step",
    "is_bounded_retry", "is_cluster_image", "is_project_action", "is_project_action_stop", "is_redis_image",
    "job_network_containers", "next_step_needing_redis", "other_starts",
    "option_argument_span", "options_end", "parse_container_options", "parse_duration", "parse_image",
    "parse_redis_url", "parse_service_port", "redis_cli_calls", "redis_client_steps", "redis_in_job",
    "redis_ports", "redis_start", "requirepass", "restarts", "runner_words", "service_has_health_check", "service_is_cluster",
    "split_options", "starts_cluster", "tcp_waits", "waits_for_redis",
]
