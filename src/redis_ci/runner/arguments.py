"""How the GitHub runner's `docker` command line becomes words: .NET's splitter, not a shell's.

The runner builds ONE argument string for `docker create` (DockerCommandManager.DockerCreate:
`--name`, `--label`, `--network`, `--network-alias`, `-p`, then `options:` pasted as is, the
escaped `-e`, `--entrypoint "<entrypoint>"`, the image, then `command:` pasted as is) and hands it
to `ProcessStartInfo.Arguments`. On Linux .NET splits that string itself, with the Windows (MSVC)
rules: dotnet/runtime `src/libraries/System.Diagnostics.Process/src/System/Diagnostics/
Process.Unix.cs`, `ParseArgumentsIntoList` and `GetNextArgument`, which `split_arguments` follows
line by line:

- only a space or a tab separates words (outside double quotes); runs of them count as one;
- a double quote toggles "in quotes" and is dropped; inside quotes `""` is one literal `"` (the
  parser stays in quotes); an empty `""` word is kept as an empty word (.NET 5+);
- backslashes are literal unless a double quote follows them: then each pair gives one
  backslash, and an odd one left over makes the quote literal;
- single quotes are ordinary characters: `--health-cmd 'redis-cli ping'` is the three words
  `--health-cmd`, `'redis-cli`, `ping'`.

Newlines. The runner reads `options:`, `command:` and `entrypoint:` as plain strings
(actions/runner `src/Sdk/DTPipelines/Pipelines/ObjectTemplating/PipelineTemplateConverter.cs`,
`ConvertToJobContainer`: `AssertString(...).Value`, no trimming or joining), stores them on
`ContainerInfo` (`src/Runner.Worker/Container/ContainerInfo.cs`: `ContainerCreateOptions =
container.Options`) and `DockerCreate` pastes them between single spaces. Nothing on the way
replaces a newline, and the splitter does not separate words on one: a literal block
(`options: |`) keeps its line breaks, so `--health-interval 1s<LF>--health-retries 30` reaches
Docker as the word `1s\\n--health-retries`, and the block's final newline sticks to its last word.
A folded block (`options: >-`) turns the line breaks into spaces before the runner sees the
string, so only `>`/`>-` (or one line) split the way they read.

`quote_argument` is the exact inverse (for fixes); `escape_like_runner` is what the runner itself
writes for `-e` (`src/Runner.Worker/Container/DockerUtil.cs`, `EscapeString`), quirk included.
"""

from __future__ import annotations

import re

_SEPARATORS = (" ", "\t")


def split_arguments(text: str) -> list[str]:
    """The words .NET on Linux passes to the program for `ProcessStartInfo.Arguments = text`."""
    words: list[str] = []
    index = 0
    length = len(text)
    while index < length:
        while index < length and text[index] in _SEPARATORS:
            index += 1
        if index == length:
            break
        word, index = _next_argument(text, index)
        words.append(word)
        index += 1  # the separator that ended the word (or past the end)
    return words


def _next_argument(text: str, index: int) -> tuple[str, int]:
    """One word from `index` on (GetNextArgument); returns it and the index it stopped at."""
    parts: list[str] = []
    in_quotes = False
    length = len(text)
    while index < length:
        backslashes = 0
        while index < length and text[index] == "\\":
            index += 1
            backslashes += 1
        if backslashes:
            if index >= length or text[index] != '"':
                parts.append("\\" * backslashes)
            else:
                parts.append("\\" * (backslashes // 2))
                if backslashes % 2:
                    parts.append('"')
                    index += 1
            continue
        char = text[index]
        if char == '"':
            if in_quotes and index < length - 1 and text[index + 1] == '"':
                parts.append('"')  # `""` inside quotes: a literal quote, still in quotes
                index += 1
            else:
                in_quotes = not in_quotes
            index += 1
            continue
        if char in _SEPARATORS and not in_quotes:
            break
        parts.append(char)
        index += 1
    return "".join(parts), index


def quote_argument(word: str) -> str:
    """A form of `word` that `split_arguments` turns back into exactly `[word]`.

    Words without a space, tab or double quote (and not empty) are returned unchanged, so
    `--health-interval` stays readable; anything else goes in double quotes, with the
    backslashes before a quote or before the closing quote doubled and each quote escaped.
    """
    if word and not any(char in word for char in ' \t"'):
        return word
    out: list[str] = ['"']
    backslashes = 0
    for char in word:
        if char == "\\":
            backslashes += 1
            continue
        if char == '"':
            out.append("\\" * (2 * backslashes + 1) + '"')
        else:
            out.append("\\" * backslashes + char)
        backslashes = 0
    out.append("\\" * (2 * backslashes) + '"')
    return "".join(out)


def escape_like_runner(value: str) -> str:
    """`value` quoted exactly as the runner writes `-e KEY=value` (DockerUtil.EscapeString).

    Its two .NET regular expressions, `(\\*)"` -> `$1$1\\"` and `(\\+)$` -> `$1$1`, then double
    quotes around. .NET's `$` also matches before a final newline, so a value ending in a
    backslash and a newline gets its backslashes doubled for real (the container sees them
    twice); every other value splits back unchanged. Empty stays empty, as in the runner.
    """
    if not value:
        return ""
    value = _QUOTE_ESCAPE.sub(lambda match: match.group(1) * 2 + '\\"', value)
    value = _END_OF_STRING_ESCAPE.sub(lambda match: match.group(1) * 2, value)
    return f'"{value}"'


_QUOTE_ESCAPE = re.compile(r'(\\*)"')
_END_OF_STRING_ESCAPE = re.compile(r"(\\+)$")  # Python's `$`, like .NET's, matches before a final \n


def join_arguments(words: list[str]) -> str:
    """One argument string that `split_arguments` splits back into `words`."""
    return " ".join(quote_argument(word) for word in words)
