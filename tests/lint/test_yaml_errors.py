"""A YAML syntax error is placed on a line the file has: libyaml's end-of-input marks are not."""

from __future__ import annotations

import pytest
import yaml

from redis_ci.lint.lines import split_lines
from redis_ci.lint.yaml_errors import error_message, error_position
from redis_ci.lint.yaml_nodes import parse_document

# Each breaks at the end of the input; the error belongs just after the last character written.
AT_THE_END = [
    ("select: [RC1", (1, 13)),
    ("select: [RC1\n", (1, 13)),
    ("select: [RC1\n\n  \n", (1, 13)),
    ("on: push\njobs: [x", (2, 9)),
    ("on: push\njobs: {a: 1", (2, 12)),
    ('on: push\nname: "redis', (2, 13)),
    ("on: push\nname: 'redis\n", (2, 13)),
    ("jobs: [x\n# a comment\n", (2, 12)),
    ("a:\r\n  - [b\r\n", (2, 7)),
]


def _error(text: str, loader) -> yaml.YAMLError:
    with pytest.raises(yaml.YAMLError) as caught:
        yaml.compose(text, Loader=loader)
    return caught.value


@pytest.mark.parametrize("text, where", AT_THE_END)
def test_an_error_at_the_end_is_after_the_last_character_for_both_parsers(text, where):
    lines = split_lines(text)
    for loader in (yaml.CSafeLoader, yaml.SafeLoader):
        exc = _error(text, loader)
        assert error_position(exc.problem_mark, lines) == where, loader.__name__
    assert where[0] <= len(lines)


@pytest.mark.parametrize("text, where", AT_THE_END)
def test_the_workflow_finding_is_on_a_line_of_the_file(text, where):
    (problem,) = parse_document(text.encode()).problems
    assert (problem.kind, problem.span.line, problem.span.column) == ("RC001", *where)


def test_an_error_inside_the_file_keeps_its_place_and_names_where_its_context_starts():
    text = "on: push\njobs:\n  test:\n    runs-on: [ubuntu-latest\n    steps: []\n"
    exc = _error(text, yaml.CSafeLoader)
    assert error_position(exc.problem_mark, split_lines(text)) == (5, 10)
    assert error_message(exc, split_lines(text)) == ("did not find expected ',' or ']' "
                                  "(while parsing a flow sequence that starts at line 4, column 14)")


def test_a_context_that_starts_at_the_end_is_placed_there_too():
    text = "redis: [\n"
    exc = _error(text, yaml.CSafeLoader)
    assert error_message(exc, split_lines(text)) == ("did not find expected node content "
                                                     "(while parsing a flow node that starts at line 1, column 9)")


def test_no_mark_and_an_empty_file_are_the_first_line():
    assert error_position(None, ["a"]) == (1, 1)
    assert error_position(_error("[", yaml.CSafeLoader).problem_mark, []) == (1, 1)
