"""The words of a step's `run:` script, and the `redis-cli` commands it runs on its own machine."""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

from redis_ci.lint.model.tree import Step
from redis_ci.lint.yaml_nodes import Span
from redis_ci.lint.patterns import lazy_compile, word_positions


# The words of a script; in a group, so that `split` hands back the text between them too.
_TOKEN = lazy_compile(r"(\$\{\{.*?\}\}|\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^\s;|&()]+|[;|&()\n]+)", re.S)
SEPARATOR_CHARS = ";|&()\n"  # a token made of these ends a shell command (no other token starts with one)
_DOUBLE_QUOTED = lazy_compile(r"\"(?:[^\"\\]|\\.)*\"", re.S)  # `_TOKEN`'s own alternative
_WORD_END = lazy_compile(r"[\s;|&()]")  # what ends a plain word of `_TOKEN`
_SEPARATOR = lazy_compile(r"[;|&()\n]")
# What the token searches look for (the word `redis-cli`, the `://` of a Redis URL): only the
# commands that hold one are tokenized (`command_tokens`).
_SOUGHT = ("redis-cli", "://")


def shell_tokens(step: Step) -> tuple:
    """(words, starts, ends) of the step's `run:`: `_TOKEN`'s words and where they start and
    end, of the commands that hold `redis-cli` or `://` only (`command_tokens`), computed once
    per step (the endpoint and redis-cli searches both walk them)."""
    try:
        return step.cache["tokens"]
    except KeyError:
        tokens = step.cache["tokens"] = command_tokens(step.run.text)
        return tokens


def command_tokens(text: str) -> tuple:
    """(words, starts, ends): the words `_TOKEN` finds in text and where, but only those of
    the commands that hold `redis-cli` or `://`, each from the separator word before it (or
    the start) to the one after it (or the end): a walk from a word back or forward to a
    separator word ends where it would over every word of the script. Most of a script is
    other commands: tokenizing all of it was ~18 % of lint's instructions on bench/corpus.py.
    tests/lint/test_shell_tokens.py holds the searches' answers equal to those over every word."""
    stretches = _stretches(text)
    if len(stretches) == 1:  # the common script: one command, or one stretch of them
        begin, end = stretches[0]
        return _tokens(text[begin:end] if (begin, end) != (0, len(text)) else text, begin)
    words, starts, ends = [], [], []
    for begin, end in stretches:
        some_words, some_starts, some_ends = _tokens(text[begin:end], begin)
        words += some_words
        starts += some_starts
        ends += some_ends
    return words, starts, ends


def _tokens(text: str, offset: int) -> tuple:
    """(words, starts, ends) of all of text, the offsets shifted by offset. Offsets come from
    the lengths of split's pieces, summed in C: no match object per word to make or keep."""
    hidden = _unclosed_expressions_hidden(text)
    pieces = _TOKEN.split(hidden)  # [gap, word, gap, word, ..., gap]
    offsets = list(accumulate(map(len, pieces), initial=offset))
    starts, ends = offsets[1:-1:2], offsets[2::2]
    if hidden is not text:  # the words as written
        return [text[start - offset:end - offset] for start, end in zip(starts, ends)], starts, ends
    return pieces[1::2], starts, ends


def _unclosed_expressions_hidden(text: str) -> str:
    """text, with the `$` of each `${{` that no `}}` follows made a NUL. `_TOKEN` tries its
    `${{ .*? }}` at each of those and scans to the end of the text to fail, then reads the
    same characters as a plain word: 100 kB of `${{ ` took minutes. A NUL is read as the same
    plain word, so the words and their places do not change."""
    first = text.find("${{", max(text.rfind("}}") - 2, 0))  # a `${{` at p needs a `}}` at p + 3 or later
    if first < 0:
        return text
    return text[:first] + text[first:].replace("${{", "\0{{")


def _stretches(text: str) -> list:
    """(begin, end) of the stretches `command_tokens` tokenizes, in order, apart."""
    found = word_positions(text, _SOUGHT)
    if not found:
        return []
    found.sort()
    # The opaque words that matter are those before the separator that ends the last command:
    # first looked for up to the end of its line only (what follows is often most of a script).
    newline = text.find("\n", found[-1])
    limit = len(text) if newline < 0 else newline + 1
    stretches = _stretches_with(text, found, _opaque_words(text, limit))
    if limit < len(text):
        last = stretches[-1][1]
        while last and text[last - 1] in SEPARATOR_CHARS:
            last -= 1  # the separator the last command's search stopped at (or the end: none)
        if last >= limit:  # the search looked past the words known: again, knowing them all
            stretches = _stretches_with(text, found, _opaque_words(text, len(text)))
    return stretches


def _stretches_with(text: str, found: list, opaque: tuple) -> list:
    stretches = []
    for position in found:
        if stretches and position < stretches[-1][1]:
            continue  # in the stretch already
        begin, end = _command_around(text, position, opaque, stretches[-1][1] if stretches else 0)
        if stretches and begin < stretches[-1][1]:
            stretches[-1] = (stretches[-1][0], max(end, stretches[-1][1]))
        else:
            stretches.append((begin, end))
    return stretches


def _opaque_words(text: str, limit: int) -> tuple:
    """(starts, ends) of the words `_TOKEN` reads whole, whatever they hold (`${{ }}`, quoted
    strings: only inside those is a separator or a newline not one), found as `_TOKEN` finds
    them without tokenizing the rest: such a word starts where a word may start, at `${{`,
    `"` or `'`, and is one when it is closed (else it is a plain word, which ends at a blank
    or a separator). One step per such character (str.find jumps to them: a pattern that
    looks for all three costs ~170 instructions per character of script). Only those that
    start before limit: whether a position before it is in one is known."""
    starts, ends = [], []
    position, length = 0, len(text)
    closes = True  # a `}}` may follow
    find = text.find
    expression, double, single = find("${{"), find('"'), find("'")
    while True:  # each of the three: the next at or after position, -1 when none is left
        if 0 <= expression < position:
            expression = find("${{", position)
        if 0 <= double < position:
            double = find('"', position)
        if 0 <= single < position:
            single = find("'", position)
        start = min(expression if expression >= 0 else length, double if double >= 0 else length,
                    single if single >= 0 else length)
        if start >= limit:
            return starts, ends
        if start == position or _WORD_END.match(text, start - 1):  # a word starts here
            char = text[start]
            if char == "$":
                close = text.find("}}", start + 3) if closes else -1
                closes = close >= 0  # none after this one: none after a later one either (no rescans)
                end = close + 2 if closes else -1
            elif char == '"':
                quoted = _DOUBLE_QUOTED.match(text, start)
                end = quoted.end() if quoted else -1
            else:
                close = text.find("'", start + 1)
                end = close + 1 if close >= 0 else -1
            if end >= 0:
                starts.append(start)
                ends.append(end)
                position = end
                continue
        word_end = _WORD_END.search(text, start)  # in a plain word: it ends at a blank or a separator
        if word_end is None:
            return starts, ends
        position = word_end.start()


def _command_around(text: str, position: int, opaque: tuple, floor: int) -> tuple:
    """(begin, end) of the command that holds the word at position: from the start of the
    separator word before it (or 0) to the end of the one after it (or the end of text);
    separators in opaque words passed over. floor: the end of the stretch before (a separator
    word ends there), where the search back stops. Further while the command before that end
    ends in `-h` or `-p`: the endpoint search reads the word after those flags as their
    argument, a separator too, and goes on past it."""
    starts, ends = opaque
    index = bisect_right(starts, position) - 1
    low = high = position
    if index >= 0 and position < ends[index]:
        low, high = starts[index], ends[index]
    separator = _newline_before(text, low, opaque, floor)  # only this line is searched further
    for found in _SEPARATOR.finditer(text, max(separator + 1, floor), low):
        index = bisect_right(starts, found.start()) - 1
        if index < 0 or found.start() >= ends[index]:
            separator = found.start()
    begin = max(separator, 0)  # 0 when none since floor: then this command merges with the stretch before
    while begin > 0 and text[begin - 1] in SEPARATOR_CHARS:
        begin -= 1
    end = high
    while True:
        separator = _separator_after(text, end, opaque)  # the first of its separator word
        if separator < 0:
            return begin, len(text)
        last = separator  # the end of the word before it (the word at position stops this)
        while text[last - 1] != "\n" and text[last - 1].isspace():
            last -= 1
        end = separator + 1
        while end < len(text) and text[end] in SEPARATOR_CHARS:
            end += 1
        if not text.endswith(("-h", "-p"), begin, last):
            return begin, end


def _newline_before(text: str, position: int, opaque: tuple, floor: int) -> int:
    """The last newline in text[floor:position] that is not in an opaque word, or -1."""
    starts, ends = opaque
    while True:
        newline = text.rfind("\n", floor, position)
        index = bisect_right(starts, newline) - 1
        if newline < 0 or index < 0 or newline >= ends[index]:
            return newline
        position = starts[index]


def _separator_after(text: str, position: int, opaque: tuple) -> int:
    """Where the first separator character at or after position that is not in an opaque word is, or -1."""
    starts, ends = opaque
    while True:
        found = _SEPARATOR.search(text, position)
        if found is None:
            return -1
        index = bisect_right(starts, found.start()) - 1
        if index < 0 or found.start() >= ends[index]:
            return found.start()
        position = ends[index]


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
    in_container = InContainerCommand(words)
    calls = step.cache["redis_cli_calls"] = tuple(
        step.run.locate(starts[index], ends[index])
        for index in word_indices(words, "redis-cli")
        if not in_container(index) and not (index and words[index - 1] in _LOOKUP_WORDS)
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


_CONTAINER_WORDS = ("docker", "docker-compose", "podman", "kubectl")


class InContainerCommand:
    """in_container(index): whether the word at index is in a command run inside a container
    (`docker exec ... redis-cli`: not a step's endpoint), a `docker`-like word before it since
    the last separator word. Asked in increasing index order, it reads each word once: a walk
    back from each of 30,000 `redis-cli` on one line to its start read their number times
    the line."""

    __slots__ = ("words", "cursor", "inside")

    def __init__(self, words: list):
        self.words, self.cursor, self.inside = words, 0, False

    def __call__(self, index: int) -> bool:
        if index < self.cursor:  # asked out of order: start again
            self.cursor, self.inside = 0, False
        words, inside = self.words, self.inside
        for cursor in range(self.cursor, index):
            word = words[cursor]
            if word[0] in SEPARATOR_CHARS:
                inside = False
            elif word in _CONTAINER_WORDS:
                inside = True
        self.cursor, self.inside = index, inside
        return inside
