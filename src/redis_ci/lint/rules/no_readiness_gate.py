"""RC101 no-readiness-gate."""

from __future__ import annotations

import re

from redis_ci import recipe
from redis_ci.lint import edits
from redis_ci.lint.model import (
    COMPOSE_ACTIONS,
    SERVICE_ID_REF,
    first_gate_after,
    has_wait_loop,
    next_step_needing_redis,
    redis_client_steps,
    redis_in_job,
    requirepass,
    runner_words,
    tcp_waits,
    waits_for_redis,
)
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule
from redis_ci.lint.patterns import lazy_compile

_SECRET = lazy_compile(r"^\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")
_PUBLISH = lazy_compile(r"(?:-p|--publish)[=\s]+(?:[\d.]+:)?(\d+):6379\b")
_SERVER_PORT = lazy_compile(r"--port[=\s]+(\d+)\b")
_EXPRESSION_HOST_PORT = lazy_compile(rf"(\$\{{\{{[^}}]*\}}\}}):{recipe.REDIS_PORT}(?:/tcp)?")


def step_title(step) -> str:
    """How a message names a step: its name, else what it uses or the start of its script."""
    if step.name is not None:
        return step.name.text
    if step.uses is not None:
        return step.uses.text
    first = step.run.text.strip().splitlines()[0] if step.run and step.run.text.strip() else "run"
    return first if len(first) <= 40 else first[:37] + "..."


class NoReadinessGate(Rule):
    """Redis is started but nothing waits for it before a step that may use it.

    ## What it does
    Reports a Redis service without a health check, or a step that starts Redis
    (`docker run ... redis`, `redis-server`, `docker compose up` or a compose action without
    `--wait`, a Redis action that does not wait) or restarts it (`docker restart` of a Redis
    container or service, `docker compose restart`, `systemctl`/`service ... restart`), when
    no gate comes before the first later step that needs Redis. A compose start whose command
    and inputs name no Redis counts when the job has no other Redis and visibly talks to one.

    Without any gate after the start, that step is the first `run:` step, or the first `uses:`
    of an action other than checkout, `setup-*`, cache, artifact, login and toolchain actions
    (those never talk to Redis; steps that start Redis themselves are passed over too);
    `redis-ci generate` puts its wait step at the same place. When a gate comes later, only a
    step before it that visibly talks to Redis (a Redis URL or host in its `env:` or script, a
    `redis-cli` call) is reported, so installing dependencies before the wait step is fine. A
    gate is a `--health-cmd` on the service, this project's wait step or `redis-ci wait`, a
    bounded loop that checks PING, a retry action (`nick-fields/retry`, `Wandalen/wretry.action`)
    whose command PINGs or checks the cluster, `docker compose up --wait`, or an action that
    waits by itself. A PING loop without a
    bound still waits; RC105 (unbounded-wait-loop) reports it instead.

    ## Why is this bad?
    The runner does not wait for a service without a health check, and a background
    `docker run -d` returns at once. The tests then start while Redis may still be starting:
    `Connection refused` on a slow runner, a flaky job that passes on a retry.

    ## Example
    ```yaml
    services:
      redis:
        image: redis:8.2
        ports: ["6379:6379"]
    steps:
      - uses: actions/checkout@v5
      - run: pytest
    ```

    ## Use instead
    ```yaml
    steps:
      - uses: actions/checkout@v5
      - name: Wait for Redis
        uses: redis-ci/redis-ci-action@v1
        with:
          url: redis://127.0.0.1:6379/0
          service-id: ${{ job.services.redis.id }}
      - run: pytest
    ```

    ## Fix safety
    Safe: the fix inserts the wait step that `redis-ci generate` writes, right before the
    step that needs Redis, indented like the job's other steps, pointing at the service's
    mapped port (runner job) or its label (container job). Not fixed: a password that is not
    a `${{ secrets.* }}` expression, `ports:` given as an expression, Redis started by a step in
    a container job or by `docker compose` or a compose action (the port is in the compose
    file), a restart of a container started without a published port, and steps written in
    flow style.
    """

    code = "RC101"
    name = "no-readiness-gate"
    triggers = REDIS_WORDS
    severity = "error"
    fixable = True

    def check_job(self, job, workflow):
        clients = None
        reported = set()  # steps already reported: a restart before the same step says it again
        early: dict = {}  # begin -> the client step before the gate (every service begins at 0)
        for redis in redis_in_job(job, workflow):
            if redis.waits_by_itself:
                continue
            gate = first_gate_after(job.steps, redis.begin)
            if gate is None:
                target = next_step_needing_redis(job.steps, redis.begin)
            elif redis.begin in early:
                target = early[redis.begin]
            else:  # a gate comes later: only a step before it that visibly talks to Redis is early
                clients = redis_client_steps(workflow, job) if clients is None else clients
                target = next((step for step in job.steps[redis.begin:gate] if step.index in clients), None)
                early[redis.begin] = target
            if target is None or (target.run is not None and has_wait_loop(target.run.text)):
                continue  # nothing needs Redis, or an unbounded PING loop waits (RC105 reports it)
            if any(waits_for_redis(wait, job) for wait in tcp_waits(target)):
                continue  # it waits for the port (RC107 reports that this is not enough)
            if redis.start is not None and redis.start.kind == "restart" and target.index in reported:
                continue
            reported.add(target.index)
            if redis.service is not None:
                what = f"Redis service `{redis.service.label}` has no health check and no wait step"
                span, started_by = redis.service.span, {"label": redis.service.label}
            elif redis.start.kind == "restart":
                what = f"Redis restarted by step `{step_title(redis.step)}` is not waited for"
                span, started_by = redis.start.span, _restarted(job, redis)
            else:
                what = f"Redis started by step `{step_title(redis.step)}` is not waited for"
                span, started_by = redis.start.span, {"start_step": redis.step.index}
            yield self.finding(
                f"{what} before step `{step_title(target)}`, which may run before Redis accepts "
                f"connections; add the wait step (`uses: {recipe.ACTION_REF}`) right before it",
                span,
                job=job.id,
                before_step=target.index,
                **started_by,
            )

    def fix(self, finding, workflow):
        job = workflow.job(finding.data["job"])
        target = job.step(finding.data["before_step"])
        if "label" in finding.data:
            wiring = _service_wiring(job, job.service(finding.data["label"]))
        else:
            wiring = _started_wiring(job, job.step(finding.data["start_step"]))
        if wiring is None:
            return []
        label, url, secret = wiring
        password = None if secret is None else recipe.secret_expression(secret)
        step = recipe.wait_step(url, password=password, service_label=label, container_job=job.is_container_job,
                                persistence_off=_persistence_off(job, label))
        return insert_step_before(workflow.lines, target, step)


def _restarted(job, redis) -> dict:
    """Finding data of a restart: the service's label when it restarts a Redis service."""
    for target in redis.start.restart.targets:
        label = SERVICE_ID_REF.match(target)
        if label and job.service(label.group(1)) is not None:
            return {"label": label.group(1)}
    return {"start_step": redis.step.index}


def insert_step_before(lines: list[str], step, block: list[str]) -> list:
    """Edits that insert `block` (step lines indented from column 0, as `generate` renders
    them) before `step` and the comment lines right above it, at the step's own `- ` column;
    [] when the step is not a block sequence item."""
    line = step.span.line
    text = lines[line - 1]
    if not re.fullmatch(r"\s*-\s+", text[: step.span.column - 1]):
        return []
    indentation = edits.indentation_of(lines, line)
    while line > 1 and lines[line - 2].strip().startswith("#") and edits.indentation_of(lines, line - 1) == indentation:
        line -= 1
    inserted = "".join(f"{indentation}{entry}\n" if entry else "\n" for entry in block)
    return [edits.insert_lines_before(line, inserted)]


def _service_wiring(job, service) -> tuple | None:
    """(label, url, password secret) of the wait step for a Redis service; None when unsure."""
    password = requirepass(service)
    secret = None
    if password is not None:
        match = _SECRET.match(password.expression or "")
        if match is None:
            return None
        secret = match.group(1)
    if job.is_container_job:
        return service.label, f"redis://{service.label}:{recipe.REDIS_PORT}/0", secret
    if service.ports_unknown:
        return None
    mapped = [port for port in service.ports if port.container == recipe.REDIS_PORT]
    chosen = [_EXPRESSION_HOST_PORT.fullmatch(port.value.text.strip()) for port in service.ports]
    chosen = [match.group(1) for match in chosen if match]
    if not service.ports:
        host_port = str(recipe.REDIS_PORT)  # RC201's fix maps 6379:6379
    elif not mapped and chosen:  # `${{ matrix.port }}:6379`: the same expression
        host_port = chosen[0]
    elif not mapped:
        return None
    elif mapped[0].host is None:  # a random host port, known to the runner only
        host_port = f"${{{{ job.services.{service.label}.ports['{recipe.REDIS_PORT}'] }}}}"
    else:
        host_port = str(mapped[0].host)
    return service.label, f"redis://{recipe.RUNNER_JOB_HOST}:{host_port}/0", secret


def _persistence_off(job, label: str | None) -> bool:
    """The service runs with `--save ""` as the runner passes `command:` (an empty word after
    `--save`): only then may the wait step's comment say that snapshots are off."""
    service = job.service(label) if label is not None else None
    if service is None or service.command is None:
        return False
    words = runner_words(service.command.text)
    return any(word == "--save" and following == "" for word, following in zip(words, words[1:]))


def _started_wiring(job, step) -> tuple | None:
    """(None, url, None) of the wait step for Redis started by a step on the runner."""
    if job.is_container_job or step.uses_action in COMPOSE_ACTIONS:
        return None  # compose: the port is in the compose file
    if step.run is not None:
        pattern = _PUBLISH if "docker" in step.run.text or "podman" in step.run.text else _SERVER_PORT
        match = pattern.search(step.run.text)
        if "compose" in step.run.text or (match is None and pattern is _PUBLISH):
            return None
        port = match.group(1) if match else str(recipe.REDIS_PORT)
    else:
        port = next((v.text for k, v in step.with_.items() if "port" in k.lower()), str(recipe.REDIS_PORT))
        if not port.isdigit():
            return None
    return None, f"redis://{recipe.RUNNER_JOB_HOST}:{port}/0", None
