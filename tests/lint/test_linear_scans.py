"""The linear rewrites of scans that were quadratic on hostile scripts (test_worst_case_cost.py)
answer exactly what the plain scans answer, on random text made of the characters that matter."""

from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from redis_ci.lint.formats.sarif import _fingerprint_from, _fingerprint_prefix, fingerprint
from redis_ci.lint.model.expressions import EXPRESSION, sub_expressions
from redis_ci.lint.model.server_words import _NOT_A_START, _PACKAGE_INSTALL, _REDIS_SERVER, server_start
from redis_ci.lint.model.starts import _WORD, _word_matches
from redis_ci.lint.model.waits import NC_WAIT, _nc_waits
from redis_ci.lint.model.shell import _TOKEN, SEPARATOR_CHARS, InContainerCommand, _tokens
from redis_ci.lint.rules.redis_cli_not_installed import _INSTALL, installs_redis
from redis_ci.lint.rules.weak_health_check import _CLI_PING, _TCP_ONLY, cli_ping, tcp_only
from redis_ci.lint.rules.unbounded_wait_loop import _TIMEOUT, _TimeoutBefore

PIECES = ["${{", "}}", " ", "\n", "'", '"', "\\", ";", "|", "a", "x}", "$", "{", "timeout", "until", "redis-cli",
          "docker", "-h", "\0"]
texts = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)


def _plain_tokens(text: str) -> tuple:
    words, starts, ends = [], [], []
    for match in _TOKEN.finditer(text):
        words.append(match.group(0))
        starts.append(match.start())
        ends.append(match.end())
    return words, starts, ends


@settings(max_examples=400, deadline=None)
@given(texts)
def test_tokens_with_unclosed_expressions_hidden_are_the_plain_tokens(text):
    assert _tokens(text, 0) == _plain_tokens(text)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_sub_expressions_is_the_pattern_s_sub(text):
    def mark(match):
        return f"<{len(match.group(0))}>"
    assert sub_expressions(mark, text) == EXPRESSION.sub(mark, text)


def _plain_in_container(words: list, index: int) -> bool:
    cursor = index - 1
    while cursor >= 0 and words[cursor][0] not in SEPARATOR_CHARS:
        if words[cursor] in ("docker", "docker-compose", "podman", "kubectl"):
            return True
        cursor -= 1
    return False


@settings(max_examples=400, deadline=None)
@given(texts, st.lists(st.integers(0, 80), max_size=12))
def test_in_container_command_asked_in_any_order_is_the_walk_back(text, asked):
    words = _plain_tokens(text)[0]
    if not words:
        return
    in_container = InContainerCommand(words)
    for index in [number % len(words) for number in asked]:
        assert in_container(index) == _plain_in_container(words, index)


def _plain_timeout_before(text: str, position: int) -> bool:
    anchor = text.rfind("'", 0, position) if text.count("'", 0, position) % 2 else position
    return bool(_TIMEOUT.search(text, text.rfind("\n", 0, anchor) + 1, position))


@settings(max_examples=1500, deadline=None)
@given(texts, st.data())
def test_timeout_before_loops_in_order_is_the_search_from_the_command_start(text, data):
    positions = data.draw(st.lists(st.integers(0, len(text)), max_size=12))
    timeouts = _TimeoutBefore(text)
    for position in sorted(set(positions)):
        assert timeouts.found(position) == _plain_timeout_before(text, position), position


WORD_PIECES = ["${{", "}}", "}", " ", "\n", "\t", "a", "$", "{", "'", "\\"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(WORD_PIECES), max_size=40).map("".join))
def test_words_cut_at_each_line_s_last_closing_braces_are_the_pattern_s_words(text):
    assert _word_matches(text) == _WORD.findall(text)


NC_PIECES = ["nc -z h 63 ", "nc", "ncat", " ", "\n", "-z", "-w", "-zv", "-", "z", "1", "63", "6379", "123456", "localhost", "h.x",
             "-é", "é", ";", "x"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(NC_PIECES), max_size=24).map("".join))
def test_nc_waits_in_one_pass_are_the_pattern_s_matches(text):
    plain = [(match.start(), match.end(), match.group("host"), match.group("port")) for match in NC_WAIT.finditer(text)]
    assert list(_nc_waits(text)) == plain


INSTALL_PIECES = ["apt-get", "apt", "brew", " ", "\n", "\\", "\\\n", ";", "|", "install", "add", "redis", "valkey", "x",
                  "-", "y", "a"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(INSTALL_PIECES), max_size=24).map("".join))
def test_installs_redis_command_by_command_is_the_pattern_s_search(text):
    assert installs_redis(text) == bool(_INSTALL.search(text))


HEALTH_PIECES = ["nc", "ncat", "redis-cli", "valkey-cli", "-redis-cli", " ", "\t", "\n", "-z", "-w", "-xz", "z", "|",
                 ";", "&", "ping", "PING", "pingx", "ping-x", "x", "/dev/tcp/", "-"]
health_commands = st.lists(st.sampled_from(HEALTH_PIECES), max_size=24).map("".join)


@settings(max_examples=3000, deadline=None)
@given(health_commands)
def test_tcp_only_command_by_command_is_the_pattern_s_search(text):
    assert tcp_only(text) == bool(_TCP_ONLY.search(text))


@settings(max_examples=3000, deadline=None)
@given(health_commands)
def test_cli_ping_walking_each_client_s_words_once_is_the_pattern_s_search(text):
    match = _CLI_PING.search(text)
    assert cli_ping(text) == (None if match is None else (match.group(1), match.group(2), match.end()))


SERVER_PIECES = ["apt-get", "apt", "install", "add", "stop", "kill", "x", " ", "\t", ";", "\n", "(", "redis-server",
                 "redis-server stop", "-server", "é"]


def _plain_redis_server_start(text: str):
    """_redis_start's loop over `redis-server` words as it was: each one walks back to its command's start."""
    for match in _REDIS_SERVER.finditer(text):
        command_start = max(text.rfind(separator, 0, match.start(1)) for separator in "\n;&|(") + 1
        if _PACKAGE_INSTALL.search(text, command_start, match.start(1)):
            continue
        if _NOT_A_START.search(text, command_start, match.start(1)) or \
                re.match(r"[\w.@-]*\s+(?:stop|status)\b", text[match.end(1):]):
            continue
        return match.start(1), match.end(1)
    return None


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(SERVER_PIECES), max_size=24).map("".join))
def test_server_start_searching_each_command_once_is_the_walk_back(text):
    assert server_start(text) == _plain_redis_server_start(text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=8), st.sampled_from(["RC101", "RC102"]), st.text(max_size=30), st.integers(0, 10_000))
def test_fingerprint_from_the_line_s_hash_is_the_fingerprint(uri, code, line_text, occurrence):
    assert _fingerprint_from(_fingerprint_prefix(uri, code, line_text), occurrence) == \
        fingerprint(uri, code, line_text, occurrence)
