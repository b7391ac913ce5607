"""Errors that end a command with a defined exit code and a one-line message."""


class UsageError(Exception):
    """Bad flags, a bad URL, a bad config file: exit 2, one line, no traceback."""

    exit_code = 2


class FatalError(Exception):
    """Something the user must fix that is not a usage mistake (unreadable file): exit 3."""

    exit_code = 3
