"""How deeply a file nests, found before PyYAML's C composer sees it: the composer recurses
once per level and overflows the C stack (a segfault, exit 139) at ~24,000 levels of `[`.

MAX_DEPTH counts collections (mappings and sequences, flow or block) from the root down,
with aliases expanded (an alias adds the depth of its anchor's node; one that points into
its own anchor is a cycle, which the walkers already stop at, and adds nothing).

Cheap first: an upper bound from counts and indentation, linear and without a parser, is
far below MAX_DEPTH for real workflows; only a file whose bound is above it gets the exact
count from libyaml's event stream, which does not recurse and stops at the first level
too deep (libyaml's scanner slows down with depth, so it must not run to the end).
"""

from __future__ import annotations

import yaml
from redis_ci.lint.patterns import lazy_compile

# Far above any real workflow (GitHub's own schema nests about 8 deep).
MAX_DEPTH = 64

try:
    _Parser = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Parser = yaml.SafeLoader

# `${{` opens nothing unless its `$` ends a tag (`!x${{`): after a plain scalar a flow
# indicator is a syntax error, and inside block scalars and quotes it is text.
_TAGGED_EXPRESSION = lazy_compile(r"!\S*?\$\{\{")
# What could be an anchor (`2>&1` counts too: a bound may be generous).
_ANCHOR = lazy_compile(r"&[\w-]")
# A block collection starts in its line's indentation or its run of `- `, `? `, `: `:
# those become spaces, and every line break a `\n`, so one substring search finds a deep line.
_INDICATORS_TO_SPACES = bytes.maketrans(b"\t-?:\r", b"    \n")
_LINE_INDICATORS_TO_SPACES = str.maketrans("\t-?:", "    ")
_RARE_BREAKS = ("\x85", "\u2028", "\u2029")


def might_be_too_deep(text: str, lines: list[str]) -> bool:
    """False when an upper bound of the depth is within MAX_DEPTH (linear, no parser).
    Flow collections: each needs a `[` or `{`. Block collections: one whose entries start
    at column c is at most 2 * (c + 1) deep (per column a mapping, and a sequence sharing
    its column), + 1 column for a collection that ends a line. Aliases: a path through
    the expanded graph passes each anchor once, so (1 + anchors) times the depth."""
    flow = text.count("[") + text.count("{")
    if "${{" in text:
        flow -= 2 * (text.count("${{") - (len(_TAGGED_EXPRESSION.findall(text)) if "!" in text else 0))
    anchors = len(_ANCHOR.findall(text)) if "&" in text else 0
    column_limit = (MAX_DEPTH // (1 + anchors) - flow) // 2 - 2
    if column_limit < 0:
        return True
    deep = " " * (column_limit + 1)
    if any(rare in text for rare in _RARE_BREAKS):
        return any(line.translate(_LINE_INDICATORS_TO_SPACES).startswith(deep) for line in lines)
    flat = ("\n" + text).encode().translate(_INDICATORS_TO_SPACES)
    return ("\n" + deep).encode() in flat


def first_too_deep(text: str) -> tuple[int, int, bool] | None:
    """(1-based line, column, through an alias) of the first node deeper than MAX_DEPTH,
    from libyaml's events; None when there is none, or the parser stops first (the
    syntax error is then the composer's to report)."""
    try:
        return _walk_events(text, _Parser)
    except yaml.YAMLError:
        if _Parser is yaml.SafeLoader:
            return None
    # libyaml >= 0.2.5 (PyYAML 6.0.4's wheels) refuses 1,000 levels while it scans ahead, before
    # any event: PyYAML's own parser, which has no such limit, finds where MAX_DEPTH is passed.
    try:
        return _walk_events(text, yaml.SafeLoader)
    except yaml.YAMLError:
        return None


def _walk_events(text: str, loader) -> tuple[int, int, bool] | None:
    """first_too_deep with one parser; a syntax error propagates."""
    heights: dict[str, int] = {}  # anchor -> collections in its node, aliases expanded
    open_collections: list[list] = []  # per open collection: [anchor, tallest child]
    starts = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
    ends = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, starts):
            if len(open_collections) >= MAX_DEPTH:
                return event.start_mark.line + 1, event.start_mark.column + 1, False
            open_collections.append([event.anchor, 0])
        elif isinstance(event, ends):
            anchor, tallest = open_collections.pop()
            height = tallest + 1
            if anchor is not None:
                heights[anchor] = height
            if open_collections:
                open_collections[-1][1] = max(open_collections[-1][1], height)
        elif isinstance(event, yaml.AliasEvent):
            height = heights.get(event.anchor, 0)  # still open: a cycle
            if len(open_collections) + height > MAX_DEPTH:
                return event.start_mark.line + 1, event.start_mark.column + 1, True
            if open_collections:
                open_collections[-1][1] = max(open_collections[-1][1], height)
        elif isinstance(event, yaml.ScalarEvent) and event.anchor is not None:
            heights[event.anchor] = 0
    return None


def too_deep(text: str, lines: list[str]) -> tuple[int, int, bool] | None:
    """first_too_deep, run only where might_be_too_deep says so."""
    return first_too_deep(text) if might_be_too_deep(text, lines) else None
