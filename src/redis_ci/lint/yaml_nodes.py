"""Bytes -> YAML node tree with positions, plus the problems found on the way.

The node tree is PyYAML's composed graph (`yaml.compose`, libyaml when available): no
constructor runs, so every scalar keeps the text as written (`on` stays "on", `21:21`
stays "21:21") and every node keeps its marks. Aliases are the *same* node object as
their anchor, so walkers must use `id(node)` visited sets; `NodeBudget` bounds how many
nodes one file may make us visit (a "billion laughs" file stops at the budget).

Only this module and `model.py` know PyYAML exists.
"""

from __future__ import annotations

import yaml

from redis_ci.lint.lines import split_lines
from redis_ci.lint.nesting import MAX_DEPTH, too_deep
from redis_ci.lint.patterns import lazy_compile
from redis_ci.lint.yaml_errors import error_message, error_position

MappingNode = yaml.MappingNode
SequenceNode = yaml.SequenceNode
ScalarNode = yaml.ScalarNode
Node = yaml.Node

try:
    _SafeLoader = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _SafeLoader = yaml.SafeLoader

MERGE_TAG = "tag:yaml.org,2002:merge"
# The tag every node without one written gets (_ComposeLoader.resolve): the empty string, which
# `str.format` hands back soonest (a longer template is scanned for fields on every node).
UNTAGGED = ""
# An empty mapping: its bound `get` takes the composer's descend_resolver(parent, index) calls.
_NO_PATH_RESOLVERS: dict = {}


class _ComposeLoader(_SafeLoader):
    """The safe loader without tag resolution. The composer (libyaml's C one too) calls three
    Python hooks per node, ~7 % of its time as Python functions (bench/lint_cpu.py: 221k calls
    each over the corpus), so they are C callables here, which a class attribute that is not a
    function leaves unbound:
    - resolve(kind, value, implicit): PyYAML's tries regular expressions on every plain
      scalar. Nothing reads the tag of a node written without one (values are read from their
      text as written, so every plain scalar is a string, `on` stays "on"; a plain `<<` key is
      found by its text: find_merge_keys), so every such node gets one constant: `str.format`
      of a string without a field returns the string, whatever its arguments.
    - descend_resolver(parent, index) and ascend_resolver(): path resolvers, of which a
      loader has none unless `add_path_resolver` is called: `dict.get` of an empty mapping
      (parent is None or a node, hashed by identity) makes nothing, `tuple` hands back the
      shared empty tuple; both are dropped (callgrind: 1.9 % fewer instructions per file than
      the template `tag:yaml.org,2002:str` and `slice`)."""

    resolve = UNTAGGED.format
    descend_resolver = _NO_PATH_RESOLVERS.get
    ascend_resolver = tuple


_Loader = _ComposeLoader

# GitHub refuses workflow files larger than this (RC003).
MAX_WORKFLOW_BYTES = 512_000
# Node visits allowed while building the model of one file; far above any real workflow.
NODE_BUDGET = 200_000


class Span:
    """Where a value is: 1-based line/column of its first character, and of the character
    just past its end (end_column is exclusive), plus its key path (zizmor style:
    ("jobs", "test", "services", "redis", "ports", 0)). Equality is by position only: a node
    shared through an alias is one place in the file, whichever job reached it. Immutable
    by convention (it is hashed): never assign to a field.

    A plain class with slots, not a dataclass: the model makes one for nearly every node of
    every file, and a slotted object is made in half the time, with no `__dict__` for the
    garbage collector to visit (bench/lint_cpu.py)."""

    __slots__ = ("line", "column", "end_line", "end_column", "path")

    def __init__(self, line: int, column: int, end_line: int, end_column: int, path: tuple = ()):
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column
        self.path = path

    def __eq__(self, other):
        if other.__class__ is not Span:
            return NotImplemented
        return (self.line, self.column, self.end_line, self.end_column) == (
            other.line, other.column, other.end_line, other.end_column)

    def __hash__(self) -> int:
        return hash((self.line, self.column, self.end_line, self.end_column))

    def __repr__(self) -> str:
        return (f"Span(line={self.line!r}, column={self.column!r}, end_line={self.end_line!r}, "
                f"end_column={self.end_column!r}, path={self.path!r})")

    def lines(self) -> range:
        """The 1-based line numbers this span covers (where inline ignores are accepted)."""
        return range(self.line, self.end_line + 1)


FILE_START = Span(1, 1, 1, 1)


def node_span(node: Node, path: tuple = ()) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(start.line + 1, start.column + 1, end.line + 1, end.column + 1, path)


class FileProblem:
    """A problem of the file itself, found before any rule runs. Immutable by convention.

    kind is the code of the rule that reports it: "RC001" (not YAML / not UTF-8 /
    nested too deep / aliases over budget), "RC002" (merge key), "RC003" (too large)."""

    __slots__ = ("kind", "message", "span")

    def __init__(self, kind: str, message: str, span: Span):
        self.kind = kind
        self.message = message
        self.span = span

    def __eq__(self, other):
        if other.__class__ is not FileProblem:
            return NotImplemented
        return (self.kind, self.message, self.span) == (other.kind, other.message, other.span)

    def __hash__(self) -> int:
        return hash((self.kind, self.message, self.span))

    def __repr__(self) -> str:
        return f"FileProblem(kind={self.kind!r}, message={self.message!r}, span={self.span!r})"


class Document:
    """One parsed file: the root node (None when the file is empty or unparsable), the raw
    text split in lines (for renderers and inline ignores), and the file problems."""

    __slots__ = ("root", "lines", "problems")

    def __init__(self, root: Node | None, lines: list[str], problems: list[FileProblem] | None = None):
        self.root = root
        self.lines = lines
        self.problems = [] if problems is None else problems


class BudgetExceeded(Exception):
    """Raised by NodeBudget.spend when a file asks for more node visits than allowed."""


class NodeBudget:
    """Counts node visits for one file; aliases can make a small file a huge graph."""

    def __init__(self, limit: int = NODE_BUDGET):
        self.left = limit

    def spend(self, count: int = 1) -> None:
        self.left -= count
        if self.left < 0:
            raise BudgetExceeded


def _decode(data: bytes) -> tuple[str | None, FileProblem | None]:
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        message = f"file is not valid UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded"
        return None, FileProblem("RC001", message, Span(line, column, line, column + 1))


def _syntax_problem(exc: yaml.YAMLError, lines: list[str]) -> FileProblem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = error_position(mark, lines)
    return FileProblem("RC001", f"invalid YAML: {error_message(exc, lines)}", Span(line, column, line, column + 1))


def find_merge_keys(root: Node) -> list[FileProblem]:
    """Every `<<` key in the graph (each distinct node visited once: linear in file size)."""
    problems = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if key.tag == MERGE_TAG or (
                    isinstance(key, ScalarNode) and key.value == "<<" and not key.style
                ):
                    message = "merge key `<<:` is not supported by GitHub Actions; repeat the keys"
                    problems.append(FileProblem("RC002", message, node_span(key)))
                stack.append(key)
                stack.append(value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return problems


# A plain `<<` that ends there, as a key's text must: before `:`, a flow indicator, a comment or
# a line break (any of YAML's) or the end. (Not a heredoc, `cat <<EOF`, `<< 'EOF'`, nor `<<<`.)
_PLAIN_MERGE_KEY = lazy_compile("<<[ \t]*(?:[:,\\]}#\r\n\x85\u2028\u2029]|\\Z)")


def _may_have_merge_key(text: str) -> bool:
    """Whether find_merge_keys may find anything: a merge key is a plain `<<` key, or a key tagged
    `tag:yaml.org,2002:merge`, which is written `!!merge`, verbatim (`!<...>`), with %-escapes
    after `!!` (`!!m%65rge`), or through a `%TAG` directive. Without these the walk is skipped:
    it costs as much as a fifth of composing the file, and real workflows have heredocs
    (`cat <<EOF`), a `!` (`${{ !cancelled() }}`, `[ "$a" != b ]`) and `merge` (`merge_group`)."""
    if "<<" in text and _PLAIN_MERGE_KEY.search(text):
        return True
    return "!" in text and (
        "!!merge" in text or "!<" in text or "%TAG" in text or ("!!" in text and "%" in text))


def parse_document(data: bytes) -> Document:
    """Parse one workflow file; never raises for bad content."""
    problems = []
    if len(data) > MAX_WORKFLOW_BYTES:
        problems.append(FileProblem(
            "RC003",
            f"workflow file is {len(data):,} bytes; GitHub refuses files over {MAX_WORKFLOW_BYTES:,}",
            FILE_START,
        ))
    text, decode_problem = _decode(data)
    if text is None:
        return Document(None, [], problems + [decode_problem])
    lines = split_lines(text)
    deep = too_deep(text, lines)  # before the composer, which recurses per level and would crash
    if deep is not None:
        line, column, through_alias = deep
        message = f"nesting deeper than {MAX_DEPTH} levels{' through aliases' * through_alias} (redis-ci's limit)"
        return Document(None, lines, problems + [FileProblem("RC001", message, Span(line, column, line, column + 1))])
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        return Document(None, lines, problems + [_syntax_problem(exc, lines)])
    except RecursionError:
        message = "invalid YAML: nesting too deep"
        return Document(None, lines, problems + [FileProblem("RC001", message, FILE_START)])
    if root is not None and _may_have_merge_key(text):
        problems.extend(find_merge_keys(root))
    return Document(root, lines, problems)
