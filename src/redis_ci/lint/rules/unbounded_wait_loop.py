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
_DONE = lazy_compile(r"done(?<![\w-]done)\b")  # how `_LOOP` ends


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
        last_done = _last_done(text)
        if last_done < 0:
            return
        # tried only where a keyword is (str.find), not at every `u` and `w` of the script; and
        # not past the last `done`: each keyword after it would scan to the end to fail
        timeouts = _TimeoutBefore(text)
        for loop in matches_at_words(_LOOP, text[:last_done + 4], ("until", "while")):
            body = loop.group(0)
            if not _REDIS_PING.search(body) or is_bounded_loop(body):
                continue
            if timeouts.found(loop.start()):
                continue  # `timeout 30 sh -c 'until ...'`
            yield self.finding(
                f"`{loop.group(1)}` loop waits for Redis with no bound: if Redis never answers the "
                "job hangs until its timeout (6 h by default); put `timeout 30` around it or use "
                "`redis-ci wait`",
                step.run.locate(loop.start(), loop.end(1)),
            )


def _last_done(text: str) -> int:
    """Where the last `done` that `_LOOP` can end at starts, or -1."""
    end = len(text)
    while True:
        position = text.rfind("done", 0, end)
        if position < 0 or _DONE.match(text, position):
            return position
        end = position + 3


class _TimeoutBefore:
    """Whether a `timeout` is written between the start of the command that holds a loop and
    the loop, for the loops of one script in order: the quotes are counted and the text
    searched once over, not again from the start for each loop (30,000 loops in one script
    would cost their number times its length)."""

    def __init__(self, text: str):
        self.text = text
        self.counted, self.quotes, self.last_quote = 0, 0, -1  # single quotes in text[:counted]
        self.anchor = self.start = -1  # the last command's anchor and the start of its line
        self.searched = -1  # where the last search ended
        self.found_end: int | None = None  # the end of the `timeout` it found

    def found(self, position: int) -> bool:
        text = self.text
        self.quotes += text.count("'", self.counted, position)
        self.last_quote = max(self.last_quote, text.rfind("'", self.counted, position))
        self.counted = position
        # the line of an open single quote (`sh -c '` followed by the loop on the next lines),
        # else the loop's own line
        anchor = self.last_quote if self.quotes % 2 else position
        # the same line as the last anchor (anchors only move forward: each stretch looked at once)
        same = self.anchor >= 0 and text.find("\n", self.anchor, anchor) < 0
        if not same:
            self.start = text.rfind("\n", 0, anchor) + 1
        self.anchor = anchor
        if same and self.found_end is not None and self.found_end < self.searched:
            return True  # a match that ended before the last search's end is one here too
        # else no match ended by the last search's end: a new one ends after it
        since = max(self.start, self.searched - len("timeout")) if same else self.start
        match = _TIMEOUT.search(text, since, position)
        self.searched = position
        self.found_end = match.end() if match else None
        return match is not None
