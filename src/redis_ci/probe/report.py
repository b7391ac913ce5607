"""What `redis-ci wait` prints: progress, the final line or JSON, and GitHub Actions files.

stdout carries only the result (the ready line, or the JSON object); progress,
the not-ready lines and workflow commands go to stderr, so `--format json`
output stays parseable. Inside GitHub Actions the password is masked with
`::add-mask::` before anything else is printed, progress is grouped, a failure
becomes an `::error` annotation, and `$GITHUB_OUTPUT` / `$GITHUB_STEP_SUMMARY`
get the result. Every text that came from the server is scrubbed of the
password too, in case a server or proxy echoes it.
"""

from __future__ import annotations

import json
import os
import time

from redis_ci.probe.lines import printed_line, unbroken
from redis_ci.probe.redaction import Redactor, escape_data, mask_lines

# The keys of $GITHUB_OUTPUT and of the JSON object are a contract with action.yml.
OUTPUT_KEYS = ("ready", "redis-version", "elapsed-ms", "url")
# Server-provided text is cut to this in every message (stderr, JSON, step summary).
MAX_MESSAGE_CHARS = 1000
# The step summary stays far below GitHub's 1 MiB per step, whatever the topology's size.
MAX_SUMMARY_BYTES = 64 * 1024
# During a long wait, one line on stderr at least this often (what it waits for, why, time left).
HEARTBEAT_SECONDS = 5.0


class Reporter:
    """Prints one wait's progress and result for `target`, in `fmt` ("text" or "json")."""

    def __init__(self, target, check_names, fmt: str, environ, stdout, stderr, secrets=()):
        self.target = target
        # Every password to mask and scrub: the target's, and others given (the sentinels').
        self.redactor = Redactor((target.password, *secrets))
        self.secrets = self.redactor.passwords
        self.check_names = check_names
        self.fmt = fmt
        self.environ = environ
        self.stdout = stdout
        self.stderr = stderr
        self.in_actions = environ.get("GITHUB_ACTIONS") == "true"
        self.deadline = None
        self.last_line_at = time.monotonic()

    def scrub(self, text: str) -> str:
        """`text` with every form of every password redacted, then cut to MAX_MESSAGE_CHARS
        (redacted first: a cut could leave part of a password that no longer matches)."""
        text = self.redactor.text(text)
        return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 3] + "..."

    def scrub_tree(self, value):
        """`scrub` on every string of a JSON-ready structure (scrubbing its encoded text would
        miss a password that JSON escapes: one with a quote, a backslash or non-ASCII)."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {key: self.scrub_tree(item) for key, item in value.items()}  # keys are ours
        if isinstance(value, (list, tuple)):
            return [self.scrub_tree(item) for item in value]
        return value

    def emit(self, stream, line: str) -> None:
        """Print one line: a line break in a path, a host or a server's words, shown escaped,
        cannot start a line of its own (a workflow command, in Actions)."""
        stream.write(printed_line(line) + "\n")
        stream.flush()
        if stream is self.stderr:
            self.last_line_at = time.monotonic()

    def begin(self, timeout: float, deadline=None) -> None:
        self.deadline = deadline
        if not self.in_actions:
            return
        # The whole value and each line, raw and URL-encoded (the runner unescapes %25/%0D/%0A).
        for value in dict.fromkeys(value for password in self.secrets for value in mask_lines(password)):
            self.emit(self.stderr, f"::add-mask::{value}")
        checks = ", ".join(self.check_names)
        title = f"redis-ci wait: {self.target.redacted_url()} ({checks}; timeout {timeout:g} s)"
        self.emit(self.stderr, f"::group::{escape_data(title)}")

    def progress(self, failure) -> None:
        """A line each time the reason for not being ready changes."""
        self.emit(self.stderr, self.scrub(f"redis-ci wait: {self.target.address}: {failure.kind}: {failure.message}"))

    def heartbeat(self, failure) -> None:
        """After a failed attempt: a line when stderr has been quiet for HEARTBEAT_SECONDS (so at
        most one per interval): what it waits for, the last reason, the time left."""
        if failure is None or time.monotonic() - self.last_line_at < HEARTBEAT_SECONDS:
            return
        left = f"; {max(self.deadline.remaining(), 0):.1f} s left" if self.deadline is not None else ""
        self.emit(self.stderr, self.scrub(
            f"redis-ci wait: still waiting for {self.target.address} ({', '.join(self.check_names)}): "
            f"{failure.kind}: {failure.message}{left}"))

    def finish(self, outcome) -> None:
        if self.in_actions:
            self.emit(self.stderr, "::endgroup::")
        if self.fmt == "json":
            self.emit(self.stdout, json.dumps(self.as_json(outcome)))
        elif outcome.ready:
            self.emit(self.stdout, self.ready_line(outcome))
        if not outcome.ready:
            if self.fmt != "json":
                self.emit(self.stderr, self.not_ready_line(outcome))
                self.emit(self.stderr, "  hint: " + self.hint(outcome.failure))
            if self.in_actions:
                message = f"{self.not_ready_line(outcome)} (hint: {self.hint(outcome.failure)})"
                self.emit(self.stderr, f"::error title=Redis not ready::{escape_data(message)}")
        if self.in_actions:
            self.write_outputs(outcome)
            self.write_summary(outcome)

    def hint(self, failure) -> str:
        return failure.hint(self.target.address, self.in_actions)

    def ready_line(self, outcome) -> str:
        server = outcome.server
        about = f" ({server.name} {server.version}, {server.mode}, {server.role})" if server else ""
        if outcome.topology is not None:  # --cluster, --sentinel: what the gate covered
            about += f" ({outcome.topology.summary()})"
        checks = ", ".join(self.check_names)
        return self.scrub(f"redis ready at {self.target.address}{about} after {outcome.elapsed_ms / 1000:.3f} s: {checks}")

    def not_ready_line(self, outcome) -> str:
        failure = outcome.failure
        why = "gave up at once" if failure.final else "not ready"
        return self.scrub(
            f"redis {why} at {self.target.address} after {outcome.elapsed_ms / 1000:.3f} s "
            f"({plural(outcome.attempts, 'attempt')}): {failure.kind}: {failure.message}"
        )

    def as_json(self, outcome) -> dict:
        """The JSON object of the issue's contract (keys and types fixed)."""
        server = outcome.server
        failure = outcome.failure
        data = {
            "ready": outcome.ready,
            "url": self.target.redacted_url(),
            "elapsed_ms": outcome.elapsed_ms,
            "attempts": outcome.attempts,
            "server": {"version": self.scrub(server.version), "mode": self.scrub(server.mode),
                       "role": self.scrub(server.role)} if server else None,
            "checks": {
                name: {"ok": result.ok, "ms": result.ms, "error": self.scrub(result.error) if result.error else None}
                for name, result in outcome.checks.items()
            },
            "last_error": (
                {"kind": failure.kind, "message": self.scrub(failure.message), "hint": self.hint(failure)}
                if failure
                else None
            ),
        }
        if outcome.topology is not None:  # --cluster / --sentinel: every node and what it lacks
            data["topology"] = self.scrub_tree(outcome.topology.as_json())
        return data

    def write_outputs(self, outcome) -> None:
        values = {
            "ready": "true" if outcome.ready else "false",
            "redis-version": outcome.server.version if outcome.server else "",
            "elapsed-ms": f"{outcome.elapsed_ms:.3f}",
            "url": self.target.redacted_url(),
        }
        self.append_file("GITHUB_OUTPUT", "".join(output_entry(key, self.scrub(values[key])) for key in OUTPUT_KEYS))

    def write_summary(self, outcome) -> None:
        self.append_file("GITHUB_STEP_SUMMARY", cap_summary(self.summary_markdown(outcome)))

    def summary_markdown(self, outcome) -> str:
        address = unbroken(self.target.address)  # a socket path's line break cannot start a Markdown line
        server = outcome.server
        lines = []
        if outcome.ready:
            lines.append(f"### ✅ Redis ready at `{address}`")
        else:
            lines.append(f"### ❌ Redis not ready at `{address}`")
        about = f"{server.name} {server.version} ({server.mode}, {server.role}): " if server else ""
        verdict = "ready" if outcome.ready else "not ready"
        lines.append(f"\n{about}{verdict} after {outcome.elapsed_ms:.1f} ms, {plural(outcome.attempts, 'attempt')}.")
        if outcome.failure:
            failure = outcome.failure
            lines.append(f"\n**{failure.kind}**: {escape_cell(self.scrub(failure.message))}  ")
            lines.append(f"Hint: {escape_cell(self.hint(failure))}")
        lines.append("\n| check | result | time |\n|---|---|---|")
        for name, result in outcome.checks.items():
            verdict = "ok" if result.ok else escape_cell(self.scrub(result.error or "failed"))
            lines.append(f"| {name} | {verdict} | {result.ms:.2f} ms |")
        if outcome.topology is not None:  # --cluster, --sentinel: one row per node
            lines.append("\n| node | role | state |\n|---|---|---|")
            for node_address, role, state in outcome.topology.rows():
                lines.append(f"| `{escape_cell(node_address)}` | {role} | {escape_cell(self.scrub(state))} |")
        return "\n".join(lines) + "\n\n"

    def append_file(self, variable: str, text: str) -> None:
        path = self.environ.get(variable)
        if not path:
            return
        try:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            self.emit(self.stderr, "::warning::" + escape_data(f"redis-ci wait: cannot write ${variable}: {exc.strerror}"))


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def output_entry(name: str, value: str) -> str:
    """One $GITHUB_OUTPUT (or $GITHUB_ENV) entry in the multi-line syntax, `name<<DELIM`, the
    value, `DELIM`, with a random delimiter the value does not contain: a line break in the
    value (a URL's %0A decoded) cannot start an entry of its own."""
    while True:
        delimiter = "redis_ci_" + os.urandom(12).hex()
        if delimiter not in value:
            return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def cap_summary(markdown: str) -> str:
    """The step summary cut at a line end to MAX_SUMMARY_BYTES, saying so."""
    data = markdown.encode("utf-8")
    if len(data) <= MAX_SUMMARY_BYTES:
        return markdown
    kept = data[:MAX_SUMMARY_BYTES - 200].decode("utf-8", "ignore").rpartition("\n")[0]
    return kept + f"\n\n(summary cut at {MAX_SUMMARY_BYTES // 1024} KiB; the JSON report has every row)\n\n"


def escape_cell(text: str) -> str:
    """`text` for a Markdown table cell or line: on one line (Markdown also breaks at CR)."""
    return unbroken(text.replace("\n", " ")).replace("|", "\\|")
