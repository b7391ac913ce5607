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
