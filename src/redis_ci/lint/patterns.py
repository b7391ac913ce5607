"""`lazy_compile`: a regular expression compiled the first time it is used, not at import.

lint's modules hold ~70 patterns; compiling them all at import was ~12 % of `redis-ci lint`'s
start-up on one file, and most files never reach most patterns (bench/lint_speed.py). After
the first use the compiled pattern's methods sit on the object itself: no per-call cost.
"""

from __future__ import annotations

import re

_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split", "scanner")
_FIELDS = ("pattern", "flags", "groups", "groupindex")


class LazyPattern:
    """Stands for re.compile(pattern, flags) and compiles it on first attribute access."""

    def __init__(self, pattern, flags: int = 0):
        self._source = (pattern, flags)

    def __getattr__(self, name: str):
        if name.startswith("__") or name == "_source":
            raise AttributeError(name)
        compiled = re.compile(*self._source)
        for attribute in _METHODS + _FIELDS:
            self.__dict__[attribute] = getattr(compiled, attribute)
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_compile({self._source[0]!r})"


def lazy_compile(pattern, flags: int = 0) -> LazyPattern:
    return LazyPattern(pattern, flags)


def word_alternatives(*words: str) -> str:
    """The regular expression `\\b(?:word|word...)`, written so that it starts with a letter:
    each word's first letter, then a look-behind that is the `\\b` (no word character before
    that letter). A pattern that starts with `\\b` is tried at every character of a script; one
    that starts with letters is tried only where one of them is (re finds those in C): ~2.5x
    faster over bench/corpus.py's scripts. Each word must start with a word character."""
    return "(?:" + "|".join(f"{re.escape(word[0])}(?<!\\w{re.escape(word[0])}){re.escape(word[1:])}"
                            for word in words) + ")"


def word_positions(text: str, words: tuple) -> list[int]:
    """Every position where one of words starts in text (str.find, in C), word by word."""
    positions = []
    for word in words:
        position = text.find(word)
        while position >= 0:
            positions.append(position)
            position = text.find(word, position + 1)
    return positions


def matches_at_words(pattern, text: str, words: tuple) -> list:
    """The matches `pattern.finditer(text)` yields, for a pattern that can match only where
    one of words starts. re tries such a pattern at every character where its first letter is
    (`d` and `p` for docker/podman: most of a script's words); str.find jumps to the words in C,
    and `match` there sees the text before (look-behinds work as in a search)."""
    starts = word_positions(text, words)
    found, end = [], 0
    for start in sorted(starts) if len(words) > 1 else starts:
        if start >= end:  # matches do not overlap: the search goes on where the last one ended
            match = pattern.match(text, start)
            if match:
                found.append(match)
                end = match.end()
    return found


def search_at_words(pattern, text: str, words: tuple) -> bool:
    """`bool(pattern.search(text))` for a pattern that can match only where one of words
    starts (as `matches_at_words`), without trying it at every letter of the script."""
    for word in words:
        position = text.find(word)
        while position >= 0:
            if pattern.match(text, position):
                return True
            position = text.find(word, position + 1)
    return False
