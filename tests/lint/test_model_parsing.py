"""yaml_nodes.parse_document's shortcuts give what the plain way gave: merge keys found
with or without a tag, lines split at YAML's line breaks."""

from __future__ import annotations

import itertools

import pytest

from redis_ci.lint.lines import LINE_BREAK, split_lines
from redis_ci.lint.yaml_nodes import parse_document


@pytest.mark.parametrize("text, merge_keys", [
    ("a: &x {b: 1}\nc:\n  <<: *x\n", [(3, 3)]),
    ("a: &x {b: 1}\nc:\n  !!merge <<: *x\n", [(3, 3)]),
    ("c:\n  !!merge k: 1\n", [(2, 3)]),
    ("c:\n  !<tag:yaml.org,2002:merge> k: 1\n", [(2, 3)]),
    ("c: {<<: {a: 1}}\n", [(1, 5)]),
    ("c:\n  '<<': 1\n", []),
    ("c:\n  \"<<\": 1\n", []),
    ("run: echo '<<' && [ ! -f x ]\n", []),
])
def test_merge_keys_with_and_without_tags(text, merge_keys):
    problems = parse_document(text.encode()).problems
    assert [(p.span.line, p.span.column) for p in problems if p.kind == "RC002"] == merge_keys


def test_scalars_keep_their_text_whatever_yaml_1_1_would_make_of_them():
    root = parse_document(b"on: yes\nport: 21:21\nn: 010\nx: ~\n").root
    assert [(key.value, value.value) for key, value in root.value] == [
        ("on", "yes"), ("port", "21:21"), ("n", "010"), ("x", "~")]


def test_lines_split_at_yaml_line_breaks_only():
    for characters in itertools.product(["a", "\n", "\r", "\r\n", "\x85", "\u2028", "\u2029", "\x0c"], repeat=5):
        text = "".join(characters)
        expected = LINE_BREAK.split(text) if text else []
        if expected and LINE_BREAK.fullmatch(text[-2:] if text.endswith("\r\n") else text[-1:]):
            expected.pop()  # a final break ends the last line
        assert parse_document(text.encode()).lines == expected, repr(text)


def test_split_lines_with_breaks_is_the_text_again_and_the_same_lines():
    for characters in itertools.product(["a", "\n", "\r", "\r\n", "\x85", "\u2028", "\x0c"], repeat=4):
        text = "".join(characters)
        with_breaks = split_lines(text, keep_breaks=True)
        assert "".join(with_breaks) == text, repr(text)
        assert [LINE_BREAK.sub("", line) for line in with_breaks] == split_lines(text), repr(text)
