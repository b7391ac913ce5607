"""Client endpoints: where a job's steps connect to Redis (env entries, URLs and `redis-cli -h/-p` in scripts)."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator  # not typing's: ~2 ms of start-up to import

from redis_ci.lint.model.expressions import SERVICE_PORT_REF, sub_expressions
from redis_ci.lint.model.shell import SEPARATOR_CHARS, InContainerCommand, shell_tokens, word_indices
from redis_ci.lint.model.records import Record
from redis_ci.lint.model.tree import EnvVar, Job, Step, Workflow, kept
from redis_ci.lint.model.value import Value
from redis_ci.lint.yaml_nodes import Span
from redis_ci.recipe import REDIS_PORT
from redis_ci.lint.patterns import lazy_compile, word_alternatives


class ClientEndpoint(Record):
    """Where steps connect (RULES.md "Client endpoint").

    source: "env" or "run"; level: "workflow"/"job"/"step" (for run: "step").
    host: as written, None when absent or an expression. port: an int, None when absent
    or unknown. port_ref: (label, container port) when the port is
    `${{ job.services.<label>.ports[...] }}`. text: the whole value/URL/argument.
    step: the step it belongs to (None for workflow/job env). host_span: where the host
    is written (brackets of `[::1]` included); approximate for folded or escaped scalars,
    so a fixer checks it with `Workflow.text_at`. Immutable by convention.

    where: (value, start, end, host offset) instead of span and host_span: both are then
    located in value when first read, as rules read them only for a finding (~17 endpoints
    per dense file, two spans each, few findings); start None: value's span. (Properties, not
    `__getattr__`, which would keep the interpreter from specializing every attribute read.)"""

    __slots__ = ("source", "level", "name", "host", "port", "port_ref", "text", "step", "_span", "_host_span",
                 "_where")
    _fields = ("source", "level", "name", "host", "port", "port_ref", "text", "span", "step", "host_span")
    __hash__ = Record.hash_fields

    def __init__(self, source: str, level: str, name: str, host: str | None, port: int | None,
                 port_ref: tuple | None, text: str, span: Span | None, step: Step | None,
                 host_span: Span | None = None, where: tuple | None = None):
        self.source = source
        self.level = level
        self.name = name
        self.host = host
        self.port = port
        self.port_ref = port_ref
        self.text = text
        self.step = step
        self._span = span
        self._host_span = host_span
        self._where = where

    def _locate(self) -> None:
        value, start, end, host_offset = self._where
        self._span = value.span if start is None else value.locate(start, end)
        self._host_span = _host_span(value, host_offset, self.host)
        self._where = None

    @property
    def span(self) -> Span:
        if self._where is not None:
            self._locate()
        return self._span

    @property
    def host_span(self) -> Span | None:
        if self._where is not None:
            self._locate()
        return self._host_span

    @property
    def is_localhost(self) -> bool:
        return self.host in LOCAL_HOSTS

    @property
    def subject(self) -> str:
        """What a message calls it: "`REDIS_URL`", "a URL in `run:`" or "`redis-cli`"."""
        return "a URL in `run:`" if (self.source, self.name) == ("run", "url") else f"`{self.name}`"


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0")
_ENDPOINT_WORDS = ("REDIS", "VALKEY", "CACHE", "BROKER", "CELERY", "SIDEKIQ", "RESQUE")
_ENDPOINT_WORD = lazy_compile("|".join(_ENDPOINT_WORDS))  # any of them: one search, not a test per word
REDIS_URL_PATTERN = lazy_compile(word_alternatives("redis", "rediss", "valkey", "valkeys") + r"://[^\s'\"`;|&()<>]+")
_HOSTLIKE = lazy_compile(r"^(?:[A-Za-z0-9_.-]+|\[?[0-9a-fA-F:]+\]?)$")


def is_endpoint_env_name(name: str) -> bool:
    """An env name that mentions REDIS, VALKEY, CACHE, BROKER, CELERY, RQ, SIDEKIQ or RESQUE."""
    upper = name.upper()
    return _ENDPOINT_WORD.search(upper) is not None or "RQ" in upper.split("_")


def _port(text: str) -> tuple:
    """(port, port_ref) from a port text; (None, None) when unknown."""
    text = text.strip()
    if text.isdigit():
        return int(text), None
    ref = SERVICE_PORT_REF.match(text)
    if ref:
        return None, (ref.group(1), int(ref.group(2)))
    return None, None


def _host(text: str) -> str | None:
    return None if not text or "${{" in text or "$" in text else text


# The path, query or fragment that ends a URL's host part (not a `/` inside `${{ }}`).
_NETLOC_END = lazy_compile(r"[/?#](?![^{]*\}\})")


def parse_redis_url(text: str) -> tuple:
    """(host, port, port_ref) of a redis://, rediss:// or valkey:// URL (port 6379 if absent)."""
    netloc = text.split("://", 1)[1]
    netloc = _NETLOC_END.split(netloc, maxsplit=1)[0]
    netloc = netloc.rpartition("@")[2]
    if netloc.startswith("["):
        host, _, port_text = netloc[1:].partition("]")
        port_text = port_text.lstrip(":")
    elif "${{" in netloc:
        host, port_text = _split_host_port_expression(netloc)
    else:
        host, _, port_text = netloc.partition(":")
    if not port_text:
        return _host(host), REDIS_PORT, None
    return (_host(host),) + _port(port_text)


def _split_host_port_expression(netloc: str) -> tuple:
    """host:port where either side may be a `${{ }}` expression."""
    depth_free = sub_expressions(lambda m: "\0" * len(m.group(0)), netloc)
    colon = depth_free.rfind(":")
    return (netloc, "") if colon < 0 else (netloc[:colon], netloc[colon + 1:])


def _url_host_offset(url: str) -> int:
    """Where the host starts in a Redis URL (after the scheme and any user:password@)."""
    start = url.index("://") + 3
    netloc = _NETLOC_END.split(url[start:], maxsplit=1)[0]
    return start + netloc.rfind("@") + 1


def _host_span(value: Value, offset: int, host: str | None) -> Span | None:
    """The span of host written at value.text[offset:] (with its brackets, if any)."""
    if host is None:
        return None
    bracketed = value.text.startswith("[", offset) and not host.startswith("[")
    width = len(host) + 2 if bracketed else len(host)
    return value.locate(offset, offset + width)


def _env_endpoint(env: EnvVar, step: Step | None) -> ClientEndpoint | None:
    if not is_endpoint_env_name(env.name):
        return None
    value = env.value
    text = value.text.strip()
    if not text:
        return None
    upper = env.name.upper()
    start = len(value.text) - len(value.text.lstrip())
    if REDIS_URL_PATTERN.match(text):
        host, port, port_ref = parse_redis_url(text)
        offset = _url_host_offset(text)
    elif "PORT" in upper:
        port, port_ref = _port(text)
        if not (port or port_ref):
            return None
        host, offset = None, 0
    elif any(word in upper for word in ("HOST", "ADDR", "SERVER", "ENDPOINT")):
        host_text, colon, port_text = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
        port, port_ref = _port(port_text) if colon else (None, None)
        host, offset = _host(host_text), 0
        if not (host and _HOSTLIKE.match(host)):
            return None
    else:
        return None
    return ClientEndpoint("env", env.level, env.name, host, port, port_ref, text, None, step,
                          where=(value, None, None, start + offset))


def env_endpoint(env: EnvVar) -> ClientEndpoint | None:
    """The endpoint an `env:` entry describes, by the Client endpoint rules, wherever it is
    written (RC206 reads a service's env with it); None when it is not one."""
    return _env_endpoint(env, None)


def _run_endpoints(step: Step) -> Iterator[ClientEndpoint]:
    run = step.run
    if "://" not in run.text and "redis-cli" not in run.text:
        return  # no URL and no redis-cli: the common script, without tokenizing it
    words, starts, ends = shell_tokens(step)
    in_container = InContainerCommand(words)
    # the URL pattern has no literal start (it would try every character): only where a URL can be
    for match in REDIS_URL_PATTERN.finditer(run.text) if "://" in run.text else ():
        word = bisect.bisect_right(ends, match.start())  # the first token ending after the URL starts
        if in_container(word if word < len(words) else 0):  # `docker exec ... -u redis://localhost`
            continue
        host, port, port_ref = parse_redis_url(match.group(0))
        where = (run, match.start(), match.end(), match.start() + _url_host_offset(match.group(0)))
        yield ClientEndpoint("run", "step", "url", host, port, port_ref, match.group(0), None, step, where=where)
    if "redis-cli" not in run.text:
        return
    in_container = InContainerCommand(words)
    for index in word_indices(words, "redis-cli"):
        if in_container(index):
            continue
        host = port = port_ref = None
        host_offset = 0
        first = last = None  # the first and last -h/-p argument (token positions)
        cursor = index + 1
        # to the end of the command, or the next `redis-cli` (an argument, `redis-cli -h a echo
        # redis-cli -h b`: each reads its own flags; a walk to the end for each of thousands on one
        # line would read their number times the line)
        while cursor + 1 < len(words) and words[cursor][0] not in SEPARATOR_CHARS and words[cursor] != "redis-cli":
            flag, argument = words[cursor], words[cursor + 1]
            if flag in ("-h", "-p"):
                text = argument.strip("'\"")
                if flag == "-h":
                    host = _host(text)
                    host_offset = starts[cursor + 1] + (argument[:1] in ("'", '"'))
                else:
                    port, port_ref = _port(text)
                first = cursor + 1 if first is None else first
                last = cursor + 1
                cursor += 2
            else:
                cursor += 1
        if host or port or port_ref:  # only unknown expressions: never reported
            text = run.text[starts[index]:ends[last]]
            yield ClientEndpoint("run", "step", "redis-cli", host, port, port_ref, text, None, step,
                                 where=(run, starts[first], ends[last], host_offset))


def find_client_endpoints(workflow: Workflow, job: Job) -> list[ClientEndpoint]:
    """Every client endpoint of job: workflow env, job env, each step's env and run script.
    Service/container env is not a client endpoint (RC206 reads Service.env)."""
    return list(kept(job, "endpoints", lambda: _client_endpoints(workflow, job)))


def _client_endpoints(workflow: Workflow, job: Job) -> list[ClientEndpoint]:
    endpoints = []
    for env in workflow.env + job.env:
        endpoint = _env_endpoint(env, None)
        if endpoint:
            endpoints.append(endpoint)
    for step in job.steps:
        for env in step.env:
            endpoint = _env_endpoint(env, step)
            if endpoint:
                endpoints.append(endpoint)
        if step.run is not None:
            endpoints.extend(_run_endpoints(step))
    return endpoints


def editable_host_span(
    endpoint: ClientEndpoint, workflow: Workflow, host_is_right_in: Callable[[Job], bool]
) -> Span | None:
    """Where a fix may rewrite the endpoint's host: its host_span, but nowhere in a workflow-level
    env that a job where the host as written is right (`host_is_right_in(job)`) also reads."""
    if endpoint.level == "workflow" and any(host_is_right_in(other) for other in workflow.jobs):
        return None
    return endpoint.host_span
