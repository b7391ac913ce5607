"""Read $GITHUB_OUTPUT / $GITHUB_ENV as the Actions runner does (its SetOutput/SetEnv file
commands): `name=value` lines, and `name<<DELIMITER` ... `DELIMITER` blocks."""

from __future__ import annotations


def parse_file_commands(text: str) -> list:
    """(name, value) pairs in file order; raises ValueError where the runner would fail the step."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    entries = []
    index = 0
    while index < len(lines):
        line = lines[index].removesuffix("\r")
        index += 1
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            entries.append((line[:equals], line[equals + 1:]))
            continue
        if heredoc <= 0:
            raise ValueError(f"invalid line {line!r}")
        name, delimiter = line[:heredoc], line[heredoc + 2:]
        body = []
        while True:
            if index >= len(lines):
                raise ValueError(f"no closing delimiter {delimiter!r}")
            candidate = lines[index].removesuffix("\r")
            index += 1
            if candidate == delimiter:
                break
            body.append(candidate)
        entries.append((name, "\n".join(body)))
    return entries
