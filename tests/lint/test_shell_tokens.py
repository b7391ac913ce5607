"""The script tokenizer (model/shell.py) tokenizes only the commands around `redis-cli` and
`://`: what the endpoint and redis-cli searches read from those tokens must be what they read
from every token of the script, as the tokenizer was before (`all_tokens`, kept here as the
reference), for any text. Random scripts are made of the pieces that matter: quotes, escapes,
`${{ }}`, separators, blanks of every kind, the sought words and the flags the searches read."""

from __future__ import annotations

import re
from itertools import accumulate

from hypothesis import given, settings
from hypothesis import strategies as st

from redis_ci.lint.model import endpoints
from redis_ci.lint.model.shell import _TOKEN, _opaque_words, command_tokens, redis_cli_calls
from redis_ci.lint.model.tree import Step
from redis_ci.lint.model.value import Value
from redis_ci.lint.yaml_nodes import Span

# _TOKEN with its opaque alternatives (`${{ }}`, "...", '...') in a group of their own
_OPAQUE_OR_NOT = re.compile(r"(\$\{\{.*?\}\}|\"(?:[^\"\\]|\\.)*\"|'[^']*')|[^\s;|&()]+|[;|&()\n]+", re.S)
PIECES = ["redis-cli", "redis://", "rediss://h:1", "valkey://", "://", "-h", "-p", "6380", "localhost", "docker",
          "exec", "podman", "kubectl", "which", "command", "-v", "${{", "}}", "${{ x }}", '"', "'", "\\", "\\\"",
          ";", "|", "&&", "(", ")", "$(", "\n", "\n\n", " ", "  ", "\t", "\r", "\x0b", "\x1c", "\x85", "\xa0",
          "\u2028", "\u3000", "a", "b=", "x", "é", "/", "@",
          "redis-cli -h ", " -p 6380", "-h\n", "-p;", " -h "]
SCRIPTS = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


def all_tokens(text: str) -> tuple:
    """(words, starts, ends) of every token of text: the tokenizer before it skipped commands."""
    pieces = _TOKEN.split(text)
    offsets = list(accumulate(map(len, pieces), initial=0))
    return pieces[1::2], offsets[1:-1:2], offsets[2::2]


def step_running(text: str, tokens: tuple | None = None) -> Step:
    """A step whose `run:` is text (a literal block), its tokens given when tokens is not None."""
    step = Step(0, Span(1, 1, 1, 1), None, None, None, Value(text, Span(1, 1, 40, 1), "|", 10), None, {}, [])
    if tokens is not None:
        step.cache["tokens"] = tokens
    return step


@settings(max_examples=1500, deadline=None)
@given(SCRIPTS)
def test_the_opaque_words_are_those_the_tokenizer_reads_whole(text):
    expected = [match.span(1) for match in _OPAQUE_OR_NOT.finditer(text) if match.group(1) is not None]
    starts, ends = _opaque_words(text, len(text))
    assert list(zip(starts, ends)) == expected


@settings(max_examples=1500, deadline=None)
@given(SCRIPTS)
def test_the_tokens_kept_are_whole_commands_of_all_tokens(text):
    everything = list(zip(*all_tokens(text)))
    kept = list(zip(*command_tokens(text)))
    positions = {start: number for number, (_, start, _) in enumerate(everything)}
    cursor = 0
    while cursor < len(kept):  # each stretch: a run of all tokens, from a separator to a separator
        first = positions[kept[cursor][1]]
        length = 0
        while cursor + length < len(kept) and first + length < len(everything) \
                and kept[cursor + length] == everything[first + length]:
            length += 1
        assert length, (kept[cursor], everything)
        assert first == 0 or everything[first][0][0] in ";|&()\n"
        assert first + length == len(everything) or everything[first + length - 1][0][0] in ";|&()\n"
        cursor += length
    for sought in ("redis-cli", "://"):
        for match in re.finditer(re.escape(sought), text):
            assert any(start <= match.start() < end for _, start, end in kept)


@settings(max_examples=3000, deadline=None)
@given(SCRIPTS)
def test_the_searches_find_what_they_found_over_all_tokens(text):
    reference, skipping = step_running(text, all_tokens(text)), step_running(text)
    assert redis_cli_calls(skipping) == redis_cli_calls(reference)
    assert list(endpoints._run_endpoints(skipping)) == list(endpoints._run_endpoints(reference))


def test_a_script_without_redis_cli_or_a_url_has_no_tokens_to_walk():
    assert command_tokens("make test\necho 'done; really'\n") == ([], [], [])


def test_a_quoted_newline_does_not_end_the_command():
    text = 'make\necho "a\nb" docker exec x redis-cli -h h ping\nmake'
    words, starts, ends = command_tokens(text)
    assert words == ['\n', 'echo', '"a\nb"', 'docker', 'exec', 'x', 'redis-cli', '-h', 'h', 'ping', '\n']
    assert [text[start:end] for start, end in zip(starts, ends)] == words


def test_a_flag_before_a_separator_takes_the_next_command_too():
    text = "make\nredis-cli -h\nlocalhost -p 1\nmake"
    assert command_tokens(text)[0] == ["\n", "redis-cli", "-h", "\n", "localhost", "-p", "1", "\n"]


def test_a_quoted_newline_on_the_line_after_the_last_command_is_seen():
    text = "redis-cli -h\n'a\nb' -p 1\nmake"  # the opaque words after the first line are looked for too
    assert command_tokens(text)[0] == ["redis-cli", "-h", "\n", "'a\nb'", "-p", "1", "\n"]
