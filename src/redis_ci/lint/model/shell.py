"""The words of a step's `run:` script, and the `redis-cli` commands it runs on its own machine."""

from __future__ import annotations

import re
from itertools import accumulate

from redis_ci.lint.model.tree import Step
from redis_ci.lint.yaml_nodes import Span
from redis_ci.lint.patterns import lazy_compile


# The words of a script; in a group, so that `split` hands back the text between them too.
_TOKEN = lazy_compile(r"(\$\{\{.*?\}\}|\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^\s;|&()]+|[;|&()\n]+)", re.S)
SEPARATOR_CHARS = ";|&()\n"  # a token made of these ends a shell command (no other token starts with one)


def shell_tokens(step: Step) -> tuple:
    """(words, starts, ends) of the step's `run:`: each `_TOKEN` and where it starts and ends,
    computed once per step (the endpoint and redis-cli searches both walk them). Offsets come
    from the lengths of split's pieces, summed in C: no match object per word to make or keep."""
    try:
        return step.cache["tokens"]
    except KeyError:
        pieces = _TOKEN.split(step.run.text)  # [gap, word, gap, word, ..., gap]
        offsets = list(accumulate(map(len, pieces), initial=0))
        tokens = step.cache["tokens"] = (pieces[1::2], offsets[1:-1:2], offsets[2::2])
        return tokens


# Words before `redis-cli` that look it up rather than run it (`command -v redis-cli`).
_LOOKUP_WORDS = ("which", "-v", "type", "hash")


def redis_cli_calls(step: Step) -> tuple:
    """The `redis-cli` commands a step's `run:` executes on its own machine (not through
    `docker exec` and the like, not `which redis-cli`), as spans of the word `redis-cli`.
    (A tuple: kept per step and handed out uncopied.)"""
    if step.run is None or "redis-cli" not in step.run.text:
        return ()
    try:
        return step.cache["redis_cli_calls"]
    except KeyError:
        pass
    words, starts, ends = shell_tokens(step)
    calls = step.cache["redis_cli_calls"] = tuple(
        step.run.locate(starts[index], ends[index])
        for index in word_indices(words, "redis-cli")
        if not in_container_command(words, index) and not (index and words[index - 1] in _LOOKUP_WORDS)
    )
    return calls


def word_indices(words: list, word: str) -> list[int]:
    """Where word is in words (list.index scans in C: scripts have many words)."""
    found = []
    try:
        while True:
            found.append(words.index(word, found[-1] + 1 if found else 0))
    except ValueError:
        return found


def in_container_command(words: list, index: int) -> bool:
    """redis-cli run inside a container (`docker exec ... redis-cli`): not a step's endpoint."""
    cursor = index - 1
    while cursor >= 0 and words[cursor][0] not in SEPARATOR_CHARS:
        if words[cursor] in ("docker", "docker-compose", "podman", "kubectl"):
            return True
        cursor -= 1
    return False
