"""Where a script starts `redis-server` itself: the first `redis-server` (`valkey-server`) word
that its command does not install, stop or inspect (RULES.md "Redis started in a step")."""

from __future__ import annotations

from redis_ci.lint.patterns import lazy_compile

_REDIS_SERVER = lazy_compile(r"(?:^|[\s;&|(])(redis-server|valkey-server)\b(?!\s+--version)")
_PACKAGE_INSTALL = lazy_compile(r"\b(?:apt-get|apt|brew|yum|dnf|apk|snap|choco)\b.*\b(?:install|add)\b")
_MANAGER = lazy_compile(r"\b(?:apt-get|apt|brew|yum|dnf|apk|snap|choco)\b")  # _PACKAGE_INSTALL's parts
_INSTALL_WORD = lazy_compile(r"\b(?:install|add)\b")


def server_start(text: str) -> tuple | None:
    """(start, end) of the first `redis-server` (`valkey-server`) word that starts a server: not
    installed (`apt-get install redis-server`), stopped or inspected by its command."""
    command_start, scanned, seen = 0, 0, _WordsBefore(text)
    for match in _REDIS_SERVER.finditer(text):
        # (from the last server on: each walk back to the command's start made many on one line quadratic)
        command_start = max(command_start, max(text.rfind(separator, scanned, match.start(1))
                                               for separator in "\n;&|(") + 1)
        scanned = match.start(1)
        if seen.installs(command_start, scanned):  # `apt-get install redis-server`
            continue
        if seen.stops(command_start, scanned) or _STOPPED.match(text, match.end(1)):  # `systemctl stop redis-server`
            continue
        return match.start(1), match.end(1)
    return None


_STOPPED = lazy_compile(r"[\w.@-]*\s+(?:stop|status)\b")


class _WordsBefore:
    """For servers of one script in order: `_PACKAGE_INSTALL.search(text, start, end)` and
    `_NOT_A_START.search(text, start, end)` ([start, end) one command, no line break; text[end - 1]
    a blank or separator, so no word ends at `end`), each part of the text searched once per
    command: what was found before one server is before the next one of the command too."""

    def __init__(self, text: str):
        self.text, self.start = text, -1

    def _reset(self, start: int):
        if start != self.start:
            self.start, self.scanned, self.manager, self.installed, self.stopped = start, start, None, False, False

    def installs(self, start: int, end: int) -> bool:
        self._reset(start)
        if not self.installed:
            if self.manager is None:  # (the greedy `.*` went to `end` and back from each manager)
                self.manager = _MANAGER.search(self.text, self.scanned, end)
            if self.manager is not None:
                self.installed = _INSTALL_WORD.search(self.text, max(self.manager.end(), self.scanned), end) is not None
        return self.installed

    def stops(self, start: int, end: int) -> bool:
        self._reset(start)
        if not self.stopped:
            self.stopped = _NOT_A_START.search(self.text, self.scanned, end) is not None
        self.scanned = end
        return self.stopped


# Words before `redis-server` in one command that stop, inspect or find it rather than start it.
_NOT_A_START = lazy_compile(r"\b(?:stop|kill|pkill|killall|disable|mask|status|which|pgrep|is-active)\b")
