"""Readiness: where a job starts Redis (services, steps), what gates its steps, which steps need it first."""

from __future__ import annotations

import re

from redis_ci.lint.model.endpoints import REDIS_URL_PATTERN, find_client_endpoints
from redis_ci.lint.model.images import is_redis_image, parse_image
from redis_ci.lint.model.server_words import server_start
from redis_ci.lint.model.shell import redis_cli_calls
from redis_ci.lint.model.starts import (
    COMPOSE_ACTIONS,
    SYSTEM_START,
    ComposeUp,
    Restart,
    compose_action,
    compose_ups,
    docker_run_image,
    docker_run_names,
    restarts,
)
from redis_ci.lint.model.tree import Job, Service, Step, Workflow, kept
from redis_ci.lint.model.value import Value
from redis_ci.lint.model.waits import checks_cluster, tcp_waits
from redis_ci.lint.yaml_nodes import Span
from redis_ci.recipe import ACTION_REPOSITORY, REDIS_PORT
from redis_ci.lint.patterns import lazy_compile, matches_at_words, search_at_words, word_alternatives


ACTION_NAME = ACTION_REPOSITORY.rsplit("/", 1)[1]
# Actions that start Redis on the runner; the ones marked True also wait until it answers.
REDIS_ACTIONS = {
    "supercharge/redis-github-action": False,
    "zhulik/redis-action": False,
    "shogo82148/actions-setup-redis": True,
    "vishnudxb/redis-cluster": False,
    "getong/redis-action": False,
}


class RedisStart:
    """How a step starts Redis. kind: "action", "docker-run", "redis-server", "compose" (a
    `docker compose up` or a compose action: Redis unknown, no port checks; `compose` holds its
    files, services and `--wait`) or "restart" (`restart` says of what; `redis_in_job` keeps
    only restarts of Redis). image: for docker-run."""

    __slots__ = ("kind", "span", "image", "compose", "restart")

    def __init__(self, kind: str, span: Span, image: str | None = None, compose: ComposeUp | None = None,
                 restart: Restart | None = None):
        self.kind, self.span, self.image, self.compose, self.restart = kind, span, image, compose, restart


def is_project_action(step: Step) -> bool:
    """`uses: */redis-ci-action@*`, or a local action (`./...`) whose path or step name says
    redis-ci or that takes this action's inputs: `service-id`, or a Redis URL as `url` (this
    repository dogfooding `uses: ./`)."""
    action = step.uses_action
    if action is None:
        return False
    if action.endswith("/" + ACTION_NAME) or action == ACTION_REPOSITORY:
        return True
    name = step.name.text.lower() if step.name else ""
    url = step.with_.get("url")
    return action.startswith("./") and (
        "redis-ci" in action or "redis-ci" in name or "service-id" in step.with_
        or (url is not None and bool(REDIS_URL_PATTERN.match(url.text.strip())))
    )


def is_project_action_stop(step: Step) -> bool:
    """This project's action with `start: stop`: it removes what an earlier step started and
    neither waits nor sets overcommit."""
    start = step.with_.get("start")
    return start is not None and start.text.strip() == "stop" and is_project_action(step)


_WAIT_COMMAND = lazy_compile(r"\bredis-ci\s+wait\b|\bredis_ci\s+wait\b")
_LOOP_WORDS = ("until", "while", "for")
_LOOP = lazy_compile(word_alternatives(*_LOOP_WORDS) + r"\b")
# Each bound with the text it cannot be without: the substring test skips a pattern that
# has no literal start (one pattern of all of them would try every character of the script);
# `\bword` is written `w(?<!\ww)ord`, as word_alternatives does: tried only where a `w` is.
_LOOP_BOUNDS = (
    ("timeout", lazy_compile(r"t(?<!\wt)imeout\b")),
    ("seq", lazy_compile(r"s(?<!\ws)eq\b")),
    ("..", lazy_compile(r"\{\d+\.\.\d+\}")),
    ("-", lazy_compile(r"-(?:lt|le|gt|ge)\b")),
    ("((", lazy_compile(r"\(\(")),
    ("for", lazy_compile(r"f(?<!\wf)or\s+\w+\s+in\b")),
)


def has_wait_loop(text: str) -> bool:
    """A shell loop that runs a PING (`until redis-cli ping ...; do sleep 1; done`) or asks the
    cluster (`... cluster info | grep -q cluster_state:ok`)."""
    lowered = text.lower()
    asks = "ping" in lowered or "cluster" in lowered and checks_cluster(text)
    return asks and search_at_words(_LOOP, text, _LOOP_WORDS)


def is_bounded_loop(text: str) -> bool:
    """The loop has a bound: `timeout`, a counter (`seq`, `{1..30}`, `-lt`, `(( ))`) or `for x in`."""
    for word, pattern in _LOOP_BOUNDS:  # (a loop, not any() over a generator: asked of every loop)
        if word in text and pattern.search(text):
            return True
    return False


def is_gate(step: Step) -> bool:
    """RULES.md "Gate", for a step: this project's action, `redis-ci wait`, a bounded PING
    loop, `docker compose up --wait`, or an action that waits by itself. (A service's
    own `--health-cmd` is the other kind of gate: see `service_has_health_check`.)"""
    try:  # kept per step (rules ask several times per step): a hit is one dict look-up
        return step.cache["is_gate"]
    except KeyError:
        gate = step.cache["is_gate"] = _is_gate(step)
        return gate


# Actions that run a command again until it succeeds, and the input that bounds them.
RETRY_ACTIONS = {"nick-fields/retry": "max_attempts", "wandalen/wretry.action": "attempt_limit"}
_REDIS_CHECK = lazy_compile(r"(?:redis|valkey)-cli\b[^\n;|&]*\b(?:ping|cluster\s+info|--cluster\s+check)\b", re.I)


def is_bounded_retry(step: Step) -> bool:
    """A retry action (`RETRY_ACTIONS`: nick-fields/retry requires `max_attempts`, wretry's
    `attempt_limit` defaults to 2) whose command asks Redis (PING, CLUSTER INFO, `--cluster
    check`): it holds the job until Redis answers, or fails it."""
    command = step.with_.get("command")
    return (step.uses_action or "") in RETRY_ACTIONS and command is not None and bool(_REDIS_CHECK.search(command.text))


def _is_gate(step: Step) -> bool:
    if step.uses is None:  # a `run:` step (most): none of the action tests below can pass
        return step.run is not None and _script_is_gate(step)
    if is_project_action(step) or REDIS_ACTIONS.get(step.uses_action or "", False):
        return not is_project_action_stop(step)
    if is_bounded_retry(step):
        return True
    compose = compose_action(step)
    if compose is not None:
        return compose.waits and compose_wait_holds(step)
    return step.run is not None and _script_is_gate(step)


def _script_is_gate(step: Step) -> bool:
    """The `run:` waits: `redis-ci wait`, `docker compose up --wait`, a bounded PING loop."""
    text = step.run.text
    return bool(  # the `in` tests skip patterns that cannot match (each one scans the whole script)
        ("wait" in text and _WAIT_COMMAND.search(text))
        or ("--wait" in text and any(up.waits for up in compose_ups(step.run)) and compose_wait_holds(step))
        or (has_wait_loop(text) and is_bounded_loop(text))
    )


def compose_wait_holds(step: Step) -> bool:
    """`up --wait` waits for `healthy` only where a service has a healthcheck (else only for
    `running`): with the compose files read, every Redis service it starts needs one."""
    project = step.compose
    if project is None:
        return True  # Redis unknown: the command's --wait is taken at its word
    return all((check := project.healthcheck(name)) is not None and check.command is not None
               for name in project.redis)


def service_has_health_check(service: Service) -> bool:
    """The service has a `--health-cmd` (and no `--no-healthcheck`): the runner waits for it."""
    return bool(service.options.health_cmd) and not service.options.no_healthcheck


_DOCKER_RUN = lazy_compile(word_alternatives("docker", "podman") + r"\s+run\b(?:\\\n|[^\n;|&])*")  # `\` continues a line


def redis_start(step: Step) -> RedisStart | None:
    """RULES.md "Redis started in a step", or None."""
    try:  # kept per step: five rules ask about every step
        return step.cache["redis_start"]
    except KeyError:
        start = step.cache["redis_start"] = _redis_start(step)
        return start


def _redis_start(step: Step) -> RedisStart | None:
    action = step.uses_action
    if action in REDIS_ACTIONS:
        return RedisStart("action", step.uses.span)
    compose = compose_action(step) if action in COMPOSE_ACTIONS else None  # (spares a second uses_action)
    if compose is not None:
        return RedisStart("compose", compose.span, compose=compose)
    if step.run is None:
        return None
    run = step.run
    docker = "docker" in run.text
    if not docker and "podman" not in run.text and "-server" not in run.text and "start" not in run.text:
        return None  # the common case, without running the patterns below
    found = restarts(run)
    if found and found[0].kind == "system":  # `systemctl restart redis-server` names the server too
        return RedisStart("restart", found[0].span, restart=found[0])
    for match in matches_at_words(_DOCKER_RUN, run.text, ("docker", "podman")):
        word = docker_run_image(match.group(0))
        if word and is_redis_image(parse_image(Value(word, run.span))):
            return RedisStart("docker-run", run.locate(match.start(), match.end()), word)
    match = SYSTEM_START.search(run.text) if "start" in run.text else None
    if match:
        return RedisStart("redis-server", run.locate(match.start(), match.end()))
    server = server_start(run.text) if "-server" in run.text else None
    if server is not None:
        return RedisStart("redis-server", run.locate(*server))
    ups = compose_ups(run) if docker else []
    if ups:
        return RedisStart("compose", ups[0].span, compose=ups[0])
    if found:
        return RedisStart("restart", found[0].span, restart=found[0])
    return None


# Actions that prepare a job and never talk to Redis (matched against the action's name).
_PREPARATION_ACTION = lazy_compile(r"checkout|setup|cache|toolchain|artifact|install|login")
_ONLY_SYSCTL = lazy_compile(r"(?:\s*(?:#[^\n]*|(?:sudo\s+)?sysctl\s[^\n;&|]*))*\s*")


def _only_sysctl(text: str) -> bool:
    """`_ONLY_SYSCTL.fullmatch(text)`: without `sysctl` or `#` only a blank text matches (a
    string test, not the pattern, for most scripts)."""
    return bool(_ONLY_SYSCTL.fullmatch(text)) if "sysctl" in text or "#" in text else not text.strip()


def is_preparation_step(step: Step) -> bool:
    """A step that does not run commands against Redis: a checkout, setup, cache, artifact,
    login or toolchain action, a step that itself starts Redis (or this action's `start: stop`,
    which removes it), or a `run:` that only sets sysctls (the overcommit step). Every other
    `run:` counts as running commands (so RC101's wait step and `generate`'s go before the
    first `run:`)."""
    if redis_start(step) is not None or is_project_action_stop(step):
        return True
    if step.run is not None and _only_sysctl(step.run.text):
        return True
    action = step.uses_action
    if step.run is not None or action is None or action.startswith(("./", "docker://")):
        return False
    return bool(_PREPARATION_ACTION.search(action.rsplit("/", 1)[-1]))


class RedisInJob:
    """Redis that a job starts: a Redis service (`service`), or a step that starts or restarts
    it (`step` and `start`). begin: index of the first step that runs once it has been started
    (a position in `job.steps`, which differs from `Step.index` after a step that is not a
    mapping). A compose start counts as described in `compose_starts_redis`."""

    __slots__ = ("service", "step", "start", "begin")

    def __init__(self, service: Service | None, step: Step | None, start: RedisStart | None, begin: int):
        self.service, self.step, self.start, self.begin = service, step, start, begin

    @property
    def waits_by_itself(self) -> bool:
        """A health check on the service, or a starting step that is itself a gate."""
        if self.service is not None:
            return service_has_health_check(self.service)
        return is_gate(self.step)


def redis_in_job(job: Job, workflow: Workflow | None = None) -> tuple:
    """Every Redis the job starts (RedisInJob): its Redis services, then the steps that start or
    restart Redis. workflow: lets a compose start with Redis unknown count by the job's clients.
    (A tuple: kept per job and handed out uncopied, as six rules ask.)"""
    try:
        return job.cache["redis"]
    except KeyError:
        found = job.cache["redis"] = tuple(_redis_in_job(job, workflow))
        return found


_REDIS_NAME = lazy_compile(r"redis|valkey|keydb|dragonfly", re.I)
SERVICE_ID_REF = lazy_compile(r"^\$\{\{\s*job\.services\.([\w-]+)\.id\s*\}\}$")


def compose_starts_redis(start: RedisStart, step: Step, job: Job, workflow: Workflow | None) -> bool:
    """Whether a compose start starts Redis: it names a Redis service (its `services`, its
    command or action inputs mention redis/valkey); else, Redis unknown (the compose file is not
    read here), it counts when the job has no other Redis and its steps visibly talk to Redis.
    (A TCP wait for port 6379 or a host named for Redis counts as talking to it.) When the
    engine read the compose files (`Step.compose`), their Redis services decide."""
    compose = start.compose
    if step.compose is not None:  # the compose files were read: their services decide
        return bool(step.compose.redis)
    written = step.run.text if step.run else " ".join(compose.files + compose.services)
    if compose.names_redis or _REDIS_NAME.search(written):
        return True
    if job.redis_services or any(other.kind not in ("compose", "restart")
                                 for other in filter(None, map(redis_start, job.steps))):
        return False
    if _scripts_talk_to_redis(job) or any(
            wait.port == REDIS_PORT or wait.host and _REDIS_NAME.search(wait.host)
            for other in job.steps for wait in tcp_waits(other)):
        return True  # a client, or a wait for Redis's port (RC107 judges that wait)
    return workflow is not None and bool(find_client_endpoints(workflow, job))


def _scripts_talk_to_redis(job: Job) -> bool:
    """A step of the job runs `redis-cli` on its machine or has a Redis URL in its script."""
    return any(redis_cli_calls(step) or (step.run is not None and REDIS_URL_PATTERN.search(step.run.text))
               for step in job.steps)


def _restarts_redis(restart: Restart, job: Job, earlier: list) -> bool:
    """A restart of Redis: `service`/`systemctl` of redis; `docker restart` of a container whose
    name says Redis, of a Redis service (`${{ job.services.<label>.id }}`), or of a Redis container
    an earlier step named; `docker compose restart` of a Redis service, or of everything after
    a compose start of Redis."""
    if restart.kind == "system":
        return True
    if restart.kind == "compose":
        named = any(_REDIS_NAME.search(target) for target in restart.targets)
        return named or (not restart.targets and any(item.start and item.start.kind == "compose" for item in earlier))
    names = {name for item in earlier if item.step is not None and item.step.run is not None
             for name, _image in docker_run_names(item.step.run)}
    for target in restart.targets:
        label = SERVICE_ID_REF.match(target)
        service = job.service(label.group(1)) if label else None
        if (service is not None and service.is_redis) or (label is None and _REDIS_NAME.search(target)):
            return True
        if target in names:
            return True
    return False


def _redis_in_job(job: Job, workflow: Workflow | None) -> list[RedisInJob]:
    found = [RedisInJob(service, None, None, 0) for service in job.redis_services]
    for position, step in enumerate(job.steps):
        start = redis_start(step)
        if start is None:
            continue
        if start.kind == "compose" and not compose_starts_redis(start, step, job, workflow):
            continue
        if start.kind == "restart" and not _restarts_redis(start.restart, job, found):
            continue
        found.append(RedisInJob(None, step, start, position + 1))
    return found


def _next_positions(steps: list[Step], name: str, test) -> list:
    """For each position p of steps (and len(steps)), the first position >= p whose step passes
    test, or None: one backward pass, kept on the first step, so that asking once per Redis
    of a job costs O(1) each, not O(steps) (2,000 services x 2,000 steps was quadratic)."""
    if not steps:
        return [None]
    held = steps[0].cache.get(name)
    if held is not None and held[0] is steps:
        return held[1]
    following = [None] * (len(steps) + 1)
    for position in range(len(steps) - 1, -1, -1):
        following[position] = position if test(steps[position]) else following[position + 1]
    steps[0].cache[name] = (steps, following)
    return following


def first_gate_after(steps: list[Step], begin: int) -> int | None:
    """Position of the first gate step (`is_gate`) from position `begin` on; None if none."""
    if begin >= len(steps):
        return None
    return _next_positions(steps, "next_gate", is_gate)[max(begin, 0)]


def next_step_needing_redis(steps: list[Step], begin: int) -> Step | None:
    """The first step from index `begin` on that is not a preparation step (a gate counts:
    it is the step that needs Redis first); None when no step does."""
    if begin >= len(steps):
        return None
    position = _next_positions(steps, "next_needing_redis", lambda step: not is_preparation_step(step))[max(begin, 0)]
    return None if position is None else steps[position]


def redis_client_steps(workflow: Workflow, job: Job) -> frozenset:
    """Indices of the steps that visibly talk to Redis: a client endpoint in their own `env:`
    or `run:`, or a `redis-cli` they run. (Frozen: kept per job and handed out uncopied, as
    rules ask once per Redis of the job.)"""
    def client_steps() -> frozenset:
        steps = {endpoint.step.index for endpoint in find_client_endpoints(workflow, job) if endpoint.step}
        return frozenset(steps | {step.index for step in job.steps if redis_cli_calls(step)})

    return kept(job, "client_steps", client_steps)
