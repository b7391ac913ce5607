"""yaml_nodes.parse_document's shortcuts give what the plain way gave: merge keys found
with or without a tag, lines split at YAML's line breaks."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from redis_ci.lint import yaml_nodes
from redis_ci.lint.lines import LINE_BREAK, split_lines
from redis_ci.lint.yaml_nodes import parse_document

ROOT = Path(__file__).parent


@pytest.mark.parametrize("text, merge_keys", [
    ("a: &x {b: 1}\nc:\n  <<: *x\n", [(3, 3)]),
    ("a: &x {b: 1}\nc:\n  !!merge <<: *x\n", [(3, 3)]),
    ("c:\n  !!merge k: 1\n", [(2, 3)]),
    ("c:\n  !<tag:yaml.org,2002:merge> k: 1\n", [(2, 3)]),
    ("c: {<<: {a: 1}}\n", [(1, 5)]),
    ("c:\n  '<<': 1\n", []),
    ("c:\n  \"<<\": 1\n", []),
    ("run: echo '<<' && [ ! -f x ]\n", []),
    ("c:\n  !!m%65rge k: 1\n", [(2, 3)]),  # a %-escape in the tag: `merge` is not written
    ("%TAG !e! tag:yaml.org,2002:mer\n---\nc:\n  !e!ge k: 1\n", [(4, 3)]),  # nor with a %TAG prefix
    ("c: {!!merge k: 1}\n", [(1, 5)]),
    ("%TAG !! tag:yaml.org,2002:\n---\nc:\n  !!merge k: 1\n", [(4, 3)]),
    ("%TAG ! tag:yaml.org,2002:\n---\nc:\n  !merge k: 1\n", [(4, 3)]),  # the primary handle, remapped
    ("c:\n  !<tag:yaml.org,2002:m%65rge> k: 1\n", [(2, 3)]),
    ("on: merge_group\nif: ${{ !cancelled() }}\nrun: '[ \"$a\" != b ]'\n", []),
    ("c:\n  << : {a: 1}\n", [(2, 3)]),  # a plain `<<` key in every way one ends
    ("c: {<<, a: 1}\n", [(1, 5)]),
    ("c: [<<: {a: 1}]\n", [(1, 5)]),
    ("c:\n  ? << # the key\n  : {a: 1}\n", [(2, 5)]),
    ("c:\n  ? <<\n  : {a: 1}\n", [(2, 5)]),
    ("c: {a: 1, <<}\n", [(1, 11)]),
    ("c:\r  ? <<\r  ? b\r", [(2, 5)]),  # a key without a value, before a line break YAML's `$` is not
    ("c:\n  ? <<", [(2, 5)]),
    ("run: |\n  cat <<EOF > x\n  a\n  EOF\n  cat << 'EOF'\n  EOF\n  grep -q x <<< \"$y\"\n", []),
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


def _shape(node, seen=None) -> tuple:
    """A node tree as plain data: kind, text and style of scalars, both marks of every node."""
    seen = set() if seen is None else seen
    marks = (node.start_mark.line, node.start_mark.column, node.start_mark.index,
             node.end_mark.line, node.end_mark.column, node.end_mark.index)
    if id(node) in seen:  # an alias: the anchor's node again
        return ("alias", marks)
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        return ("scalar", node.value, node.style, marks)
    if isinstance(node, yaml.SequenceNode):
        return ("sequence", node.flow_style, marks, [_shape(item, seen) for item in node.value])
    return ("mapping", node.flow_style, marks, [(_shape(key, seen), _shape(value, seen)) for key, value in node.value])


def test_the_composer_hooks_change_no_node_nor_mark():
    # yaml_nodes' loader replaces the composer's per-node hooks with C callables: every fixture
    # and corpus file composes to the tree (values, styles, marks, shared aliases) PyYAML's own gives
    files = sorted((ROOT / "fixtures").rglob("*.yml")) + sorted((ROOT / "corpus").rglob("*.yml"))
    composed = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            expected = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except (yaml.YAMLError, RecursionError):
            continue
        root = yaml.compose(text, Loader=yaml_nodes._Loader)
        assert (root is None) == (expected is None), path
        if root is not None:
            assert _shape(root) == _shape(expected), path
            composed += 1
    assert composed > 100
