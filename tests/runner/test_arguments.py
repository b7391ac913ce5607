"""The runner's argument splitter against the .NET rules (Process.Unix.cs ParseArgumentsIntoList).

The table rows are the examples of Microsoft's "Parsing C++ command-line arguments" (which the .NET
source cites), the `""` and empty-word behaviour .NET adds, and the shapes workflows write.
"""

from __future__ import annotations

import re
import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redis_ci.runner.arguments import (
    escape_like_runner,
    join_arguments,
    quote_argument,
    split_arguments,
)

BS = "\\"

TABLE = [
    # Microsoft's table of examples
    ('"abc" d e', ["abc", "d", "e"]),
    (r"a\\b d" + '"e f"g h', [r"a\\b", "de fg", "h"]),
    (r"a\\\"b c d", [r"a\"b", "c", "d"]),
    (r"a\\\\" + '"b c" d e', [r"a\\b c", "d", "e"]),
    ('a"b"" c d', ['ab" c d']),  # `""` inside quotes: a literal quote, still in quotes
    # separators: only space and tab, runs collapse, ends ignored
    ("", []),
    ("   ", []),
    ("  a  b  ", ["a", "b"]),
    ("a\tb", ["a", "b"]),
    ("a \t b", ["a", "b"]),
    ("a\nb", ["a\nb"]),  # a newline is an ordinary character
    ("a\r\nb c", ["a\r\nb", "c"]),
    ("1s\n--health-retries 30\n", ["1s\n--health-retries", "30\n"]),
    ('"a b"\n--x', ["a b\n--x"]),
    # quotes
    ('""', [""]),  # an empty word is kept
    ('a "" b', ["a", "", "b"]),
    ('a""b', ["ab"]),
    ('"a""b"', ['a"b']),
    ('"""', ['"']),
    ('""""', ['"']),
    ('"a b', ["a b"]),  # an unclosed quote runs to the end
    ('"a b" "c', ["a b", "c"]),
    ('x"y z"w', ["xy zw"]),
    # backslashes count only before a double quote
    (r"a\b", [r"a\b"]),
    (r"a\\b", [r"a\\b"]),
    (BS, [BS]),
    ("a" + BS, ["a" + BS]),
    ("a" + BS * 2, ["a" + BS * 2]),
    ('"a' + BS + '"', ['a"']),  # odd: the quote is literal, still in quotes
    ('"a' + BS * 2 + '"', ["a" + BS]),  # even: one backslash per pair, the quote closes
    ('"a' + BS * 3 + '" b"', ["a" + BS + '" b']),
    (BS + '"', ['"']),
    (BS * 2 + '"a b"', [BS + "a b"]),
    ('"C:' + BS + 'dir' + BS + '"', ['C:' + BS + 'dir"']),
    # single quotes are ordinary characters
    ("--health-cmd 'redis-cli ping'", ["--health-cmd", "'redis-cli", "ping'"]),
    ("sh -c 'exec redis-server'", ["sh", "-c", "'exec", "redis-server'"]),
    ("'a'", ["'a'"]),
    ('--health-cmd "redis-cli ping"', ["--health-cmd", "redis-cli ping"]),
    (
        '--health-cmd "redis-cli -a \\"$P\\" ping" --health-interval 1s',
        ["--health-cmd", 'redis-cli -a "$P" ping', "--health-interval", "1s"],
    ),
    ('"\'a b\'"', ["'a b'"]),
]


@pytest.mark.parametrize(("text", "words"), TABLE, ids=[repr(row[0]) for row in TABLE])
def test_split_follows_the_dotnet_rules(text: str, words: list[str]) -> None:
    assert split_arguments(text) == words


def test_split_differs_from_a_shell_where_the_runner_breaks_jobs() -> None:
    text = "--health-cmd 'redis-cli ping' --health-interval 1s"
    assert shlex.split(text)[1] == "redis-cli ping"
    assert split_arguments(text)[1:3] == ["'redis-cli", "ping'"]


QUOTE_TABLE = [
    ("plain", "plain"),
    ("--health-interval", "--health-interval"),
    ("", '""'),
    ("a b", '"a b"'),
    ("a\tb", '"a\tb"'),
    ('say "hi"', r'"say \"hi\""'),
    ("a" + BS, "a" + BS),  # no quoting needed: a trailing backslash alone is literal
    ("a b" + BS, '"a b' + BS * 2 + '"'),
    ('a' + BS + '"b', '"a' + BS * 3 + '"b"'),
    ("'x'", "'x'"),
]


ESCAPE_TABLE = [  # what the runner writes for -e KEY=value
    ("K=v", '"K=v"'),
    ("K=a b", '"K=a b"'),
    ('K=say "hi"', r'"K=say \"hi\""'),
    ("K=a" + BS, '"K=a' + BS * 2 + '"'),
    ("K=a" + BS + '"', '"K=a' + BS * 3 + '""'),
    ("K=" + BS + "x", '"K=' + BS + 'x"'),
    ("", ""),
]


@pytest.mark.parametrize(("value", "escaped"), ESCAPE_TABLE)
def test_escape_like_runner_table(value: str, escaped: str) -> None:
    assert escape_like_runner(value) == escaped


@pytest.mark.parametrize(("word", "quoted"), QUOTE_TABLE)
def test_quote_argument_table(word: str, quoted: str) -> None:
    assert quote_argument(word) == quoted
    assert split_arguments(quoted) == [word]


def _runner_escape(value: str) -> str:
    """DockerUtil.EscapeString, transcribed with its own two regular expressions."""
    value = re.sub(r'(\\*)"', lambda m: m.group(1) * 2 + '\\"', value)
    value = re.sub(r"(\\+)$", lambda m: m.group(1) * 2, value)
    return f'"{value}"'


WORD = st.text(alphabet=st.sampled_from(list('ab \t"\\\'\n=$')), max_size=12)


@settings(max_examples=400, deadline=None)
@given(st.lists(WORD, max_size=6))
def test_join_then_split_gives_the_words_back(words: list[str]) -> None:
    assert split_arguments(join_arguments(words)) == words


@settings(max_examples=400, deadline=None)
@given(WORD.filter(bool))
def test_escape_matches_the_runners_regular_expressions(value: str) -> None:
    assert escape_like_runner(value) == _runner_escape(value)
    if not value.endswith("\\\n"):
        assert split_arguments(f"-e {escape_like_runner(value)}") == ["-e", value]


def test_the_runners_escape_doubles_a_backslash_before_a_final_newline() -> None:
    # .NET's `$` matches before a final newline: the runner's own -e escaping changes this value
    assert escape_like_runner("a" + BS + "\n") == '"a' + BS * 2 + '\n"'
    assert split_arguments(escape_like_runner("a" + BS + "\n")) == ["a" + BS * 2 + "\n"]
    assert split_arguments(quote_argument("a" + BS + "\n")) == ["a" + BS + "\n"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_split_never_fails_and_words_hold_no_separator_outside_quotes(text: str) -> None:
    words = split_arguments(text)
    if '"' not in text:
        assert words == [w for w in re.split(r"[ \t]+", text) if w]
