"""RC105 unbounded-wait-loop."""

from __future__ import annotations

import re

from redis_ci.lint.model import is_bounded_loop
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule
from redis_ci.lint.patterns import lazy_compile, matches_at_words

# `until`/`while` ... `done` (not nested); a PING of Redis in it makes it a wait for Redis.
# The look-behind before `done` (no word character or `-` before it) comes after the word:
# `.*?` followed by the literal `d` skips to the next `d` in C. (`_TIMEOUT` starts with its
# first letter, as word_alternatives writes `\b`: tried only where a `t` is.)
_LOOP = lazy_compile(r"(u(?<![\w-]u)ntil|w(?<![\w-]w)hile)\b.*?done(?<![\w-]done)\b", re.S)
_REDIS_PING = lazy_compile(r"(?:redis|valkey|keydb)-cli\b[^\n;|&]*\b(?i:ping)\b|P(?<!\wP)ING\b")
_TIMEOUT = lazy_compile(r"t(?<![\w-]t)imeout\b")


class UnboundedWaitLoop(Rule):
    """A loop waits for Redis with no bound: if Redis never answers, the job hangs for hours.

    ## What it does
    Reports an `until`/`while` loop in a `run:` script that PINGs Redis and has no bound:
    no `timeout` around it, no counter (`-lt`/`-ge`, `(( ))`, `seq`, `{1..30}`) and no
    `timeout-minutes:` on the step.

    ## Why is this bad?
    When Redis does not come up (wrong port, crashed server, bad password) the loop runs
    until the job's timeout, 6 hours by default: a stuck runner, a late red build, and no
    message saying what was wrong.

    ## Example
    ```yaml
    - run: until redis-cli ping; do sleep 1; done
    ```

    ## Use instead
    ```yaml
    - name: Wait for Redis
      uses: redis-ci/redis-ci-action@v1
      with:
        url: redis://127.0.0.1:6379/0
    ```
    or bound the loop: `timeout 30 sh -c 'until redis-cli ping | grep -q PONG; do sleep 1; done'`.

    ## Fix safety
    No automatic fix: the right bound depends on the job.
    """

    code = "RC105"
    name = "unbounded-wait-loop"
    triggers = REDIS_WORDS + ((b"ping", (b"until", b"while")),)  # a bare `PING` counts (_REDIS_PING)
    severity = "warning"
    fixable = False

    def check_step(self, step, job, workflow):
        if step.run is None or step.timeout_minutes is not None:
            return
        text = step.run.text
        if "until" not in text and "while" not in text:
            return
        # tried only where a keyword is (str.find), not at every `u` and `w` of the script
        for loop in matches_at_words(_LOOP, text, ("until", "while")):
            body = loop.group(0)
            if not _REDIS_PING.search(body) or is_bounded_loop(body):
                continue
            if _TIMEOUT.search(text, _command_start(text, loop.start()), loop.start()):
                continue  # `timeout 30 sh -c 'until ...'`
            yield self.finding(
                f"`{loop.group(1)}` loop waits for Redis with no bound: if Redis never answers the "
                "job hangs until its timeout (6 h by default); put `timeout 30` around it or use "
                "`redis-ci wait`",
                step.run.locate(loop.start(), loop.end(1)),
            )


def _command_start(text: str, position: int) -> int:
    """Start of the line where the command holding `position` begins: the line of an open
    single quote (`sh -c '` followed by the loop on the next lines), else position's line."""
    anchor = text.rfind("'", 0, position) if text.count("'", 0, position) % 2 else position
    return text.rfind("\n", 0, anchor) + 1
